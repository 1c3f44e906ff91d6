package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"

	"p2pmesh/mesh"
)

// ErrNoInterface reports that no interface could join the group.
var ErrNoInterface = errors.New("no multicast-capable interface is up")

// Config configures a discovery socket.
type Config struct {
	// Group is the IPv4 multicast group and UDP port (see ParseGroup).
	Group netip.AddrPort
	// Interfaces names the interfaces to join the group on. Empty means
	// every interface that is up and multicast-capable.
	Interfaces []string
	// Self is the node's own id: its beacons, looped back, are ignored.
	Self mesh.NodeID
	// Logger receives join failures and such; nil discards.
	Logger *slog.Logger
	// Codec encodes and decodes beacons; nil means PlainCodec.
	Codec Codec
	// Refused, when set, is told of every datagram refused: one sent to
	// the port directly (ErrUnicast) or one the codec could not decode
	// (random bytes, another protocol version, a malformed beacon: the
	// codec's error). It is called from Receive and must not block.
	Refused func(err error, from netip.Addr)
}

// ErrUnicast reports a datagram sent to the beacon port directly rather
// than to the group: nodes never do that.
var ErrUnicast = errors.New("discovery: a datagram sent to the beacon port directly, not to the group")

// Stats counts datagrams.
type Stats struct {
	Sent     uint64 // beacons sent (one per interface)
	Received uint64 // beacons of other nodes passed on
	Foreign  uint64 // datagrams for another multicast group on our port, or from an unspecified address
	Refused  uint64 // datagrams refused (Config.Refused): not beacons, another version, malformed, or sent to the port directly
	Own      uint64 // our own beacons, looped back
}

// Conn is a node's discovery socket. Send and Refresh may be called from one
// goroutine while another calls Receive; Close may be called from any
// goroutine and makes a blocked Receive return net.ErrClosed.
type Conn struct {
	cfg   Config
	log   *slog.Logger
	uc    net.PacketConn
	pc    *ipv4.PacketConn
	group *net.UDPAddr

	mu     sync.Mutex
	joined []member         // interfaces whose membership is active
	failed map[string]error // join failures already logged, by interface name
	out    []byte           // send buffer

	in []byte // receive buffer, Receive only

	sent, received, foreign, refused, own atomic.Uint64
}

// Listen opens the discovery socket and joins the group on the configured
// interfaces. It fails only when the socket cannot be opened; when no
// interface could join, it returns a working Conn that sends and receives
// nothing, together with an error wrapping ErrNoInterface (Refresh may join
// interfaces that come up later).
func Listen(ctx context.Context, cfg Config) (*Conn, error) {
	if !cfg.Group.Addr().Is4() || !cfg.Group.Addr().IsMulticast() || cfg.Group.Port() == 0 {
		return nil, fmt.Errorf("discovery: %v is not an IPv4 multicast group and port", cfg.Group)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Codec == nil {
		cfg.Codec = PlainCodec{}
	}
	lc := net.ListenConfig{Control: reuse}
	uc, err := lc.ListenPacket(ctx, "udp4", fmt.Sprintf("0.0.0.0:%d", cfg.Group.Port()))
	if err != nil {
		return nil, fmt.Errorf("discovery: cannot open UDP port %d: %w", cfg.Group.Port(), err)
	}
	c := &Conn{
		cfg:    cfg,
		log:    log,
		uc:     uc,
		pc:     ipv4.NewPacketConn(uc),
		group:  net.UDPAddrFromAddrPort(cfg.Group),
		failed: map[string]error{},
		in:     make([]byte, cfg.Codec.MaxBeaconSize()+1),
	}
	var setup []error
	if err := c.pc.SetMulticastTTL(1); err != nil {
		setup = append(setup, fmt.Errorf("TTL 1: %w", err))
	}
	if err := c.pc.SetMulticastLoopback(true); err != nil {
		setup = append(setup, fmt.Errorf("loopback: %w", err))
	}
	if err := c.pc.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true); err != nil {
		// Without the destination address other groups on the port cannot
		// be told apart here; the beacon magic still filters them.
		log.Debug("discovery: no destination addresses on received datagrams", "err", err)
	}
	if len(setup) > 0 {
		uc.Close()
		return nil, fmt.Errorf("discovery: %w", errors.Join(setup...))
	}
	c.Refresh()
	if len(c.Joined()) == 0 {
		return c, fmt.Errorf("discovery: %w", ErrNoInterface)
	}
	return c, nil
}

// member is an interface that joined the group, with the source address its
// beacons carry.
type member struct {
	net.Interface
	src net.IP // the interface's first IPv4 address; nil if it has none
}

// sourceAddr picks the address beacons sent on ifi come from. It is set
// explicitly because the kernel's choice for a multicast datagram on the
// loopback interface is 0.0.0.0, which tells receivers nothing.
func sourceAddr(ifi *net.Interface) net.IP {
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip4 := ipn.IP.To4(); ip4 != nil {
				return ip4
			}
		}
	}
	return nil
}

// wanted lists the interfaces that should be members now.
func (c *Conn) wanted() []net.Interface {
	all, err := net.Interfaces()
	if err != nil {
		c.log.Warn("discovery: cannot list network interfaces", "err", err)
		return nil
	}
	var res []net.Interface
	for _, ifi := range all {
		if len(c.cfg.Interfaces) > 0 && !contains(c.cfg.Interfaces, ifi.Name) {
			continue
		}
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 {
			if len(c.cfg.Interfaces) > 0 {
				c.noteFailure(ifi.Name, errors.New("interface is down or not multicast-capable"))
			}
			continue
		}
		res = append(res, ifi)
	}
	return res
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// noteFailure logs a join failure once per interface and error text.
func (c *Conn) noteFailure(name string, err error) {
	if prev, ok := c.failed[name]; ok && prev.Error() == err.Error() {
		return
	}
	c.failed[name] = err
	c.log.Warn("discovery: cannot join the multicast group on this interface; it is skipped", "interface", name, "group", c.cfg.Group.Addr(), "err", err)
}

// Refresh joins the group on interfaces that came up since the last call and
// forgets interfaces that went down. It returns the names joined now.
func (c *Conn) Refresh() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	want := c.wanted()
	keep := c.joined[:0]
	for _, j := range c.joined {
		if hasInterface(want, j.Interface) {
			j.src = sourceAddr(&j.Interface) // addresses may have changed
			keep = append(keep, j)
			continue
		}
		_ = c.pc.LeaveGroup(&j.Interface, c.group) // gone or down: errors are expected
		c.log.Info("discovery: interface left", "interface", j.Name)
	}
	c.joined = keep
	var added []string
	for _, w := range want {
		if c.isMember(w) {
			continue
		}
		if err := c.pc.JoinGroup(&w, c.group); err != nil {
			c.noteFailure(w.Name, err)
			continue
		}
		delete(c.failed, w.Name)
		c.joined = append(c.joined, member{Interface: w, src: sourceAddr(&w)})
		added = append(added, w.Name)
	}
	if len(added) > 0 {
		c.log.Debug("discovery: joined the multicast group", "group", c.cfg.Group, "interfaces", added)
	}
	if len(c.cfg.Interfaces) > 0 {
		for _, name := range c.cfg.Interfaces {
			if !hasName(want, name) {
				if _, err := net.InterfaceByName(name); err != nil {
					c.noteFailure(name, err)
				}
			}
		}
	}
	return added
}

func (c *Conn) isMember(ifi net.Interface) bool {
	for _, j := range c.joined {
		if j.Index == ifi.Index && j.Name == ifi.Name {
			return true
		}
	}
	return false
}

func hasInterface(list []net.Interface, ifi net.Interface) bool {
	for _, x := range list {
		if x.Index == ifi.Index && x.Name == ifi.Name {
			return true
		}
	}
	return false
}

func hasName(list []net.Interface, name string) bool {
	for _, x := range list {
		if x.Name == name {
			return true
		}
	}
	return false
}

// Joined returns the names of the interfaces that are members of the group.
func (c *Conn) Joined() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, len(c.joined))
	for i, j := range c.joined {
		names[i] = j.Name
	}
	return names
}

// Group returns the group and port.
func (c *Conn) Group() netip.AddrPort { return c.cfg.Group }

// Send multicasts b once on every joined interface. It returns the errors of
// the interfaces it failed on; it never blocks for long.
func (c *Conn) Send(b *mesh.Beacon) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = c.cfg.Codec.AppendBeacon(c.out[:0], b)
	_ = c.uc.SetWriteDeadline(time.Now().Add(time.Second))
	var errs []error
	for _, ifi := range c.joined {
		if _, err := c.pc.WriteTo(c.out, &ipv4.ControlMessage{IfIndex: ifi.Index, Src: ifi.src}, c.group); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ifi.Name, err))
			continue
		}
		c.sent.Add(1)
	}
	return errors.Join(errs...)
}

// Receive blocks until a beacon of another node arrives and returns it with
// the IP address it came from (the node's listen port is b.Port). Datagrams
// for other groups, datagrams that are not beacons of our protocol version
// and our own beacons are skipped. It returns net.ErrClosed after Close. Only
// one goroutine may call Receive.
func (c *Conn) Receive() (mesh.Beacon, netip.Addr, error) {
	for {
		n, cm, src, err := c.pc.ReadFrom(c.in)
		if err != nil {
			return mesh.Beacon{}, netip.Addr{}, err
		}
		if cm != nil && cm.Dst != nil && !cm.Dst.Equal(c.group.IP) {
			if cm.Dst.IsMulticast() {
				c.foreign.Add(1) // another group on our port: another program's
			} else {
				c.refuse(ErrUnicast, src)
			}
			continue
		}
		b, err := c.cfg.Codec.DecodeBeacon(c.in[:n])
		if err != nil {
			c.refuse(err, src)
			continue
		}
		if b.ID == c.cfg.Self {
			c.own.Add(1)
			continue
		}
		ua, ok := src.(*net.UDPAddr)
		if !ok {
			c.foreign.Add(1)
			continue
		}
		ip, ok := netip.AddrFromSlice(ua.IP)
		if !ok || ip.IsUnspecified() {
			// 0.0.0.0: the sender's host did not say where it is.
			c.foreign.Add(1)
			continue
		}
		c.received.Add(1)
		return b, ip.Unmap(), nil
	}
}

// refuse counts a refused datagram and reports it.
func (c *Conn) refuse(err error, src net.Addr) {
	c.refused.Add(1)
	if c.cfg.Refused == nil {
		return
	}
	var ip netip.Addr
	if ua, ok := src.(*net.UDPAddr); ok {
		ip, _ = netip.AddrFromSlice(ua.IP)
	}
	c.cfg.Refused(err, ip.Unmap())
}

// Stats returns the counters.
func (c *Conn) Stats() Stats {
	return Stats{Sent: c.sent.Load(), Received: c.received.Load(), Foreign: c.foreign.Load(), Refused: c.refused.Load(), Own: c.own.Load()}
}

// Close leaves the group and closes the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	for _, j := range c.joined {
		_ = c.pc.LeaveGroup(&j.Interface, c.group)
	}
	c.joined = nil
	c.mu.Unlock()
	return c.uc.Close()
}
