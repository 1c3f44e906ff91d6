package meshnode

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/discovery"
	"p2pmesh/mesh/netkey"
)

// Beacons: the engine's OutBeacon goes out through a BeaconTransport (UDP
// multicast, package discovery, unless Config.Beacons names another), and
// beacons of other nodes come back in as HandleBeacon.

// BeaconTransport carries a node's beacons to the other nodes of its LAN and
// theirs to it. *discovery.Conn (UDP multicast) is the real one; an
// in-process one (package beaconbus) lets many nodes of one process find
// each other. Send may be called while another goroutine is blocked in
// Receive; Close may be called from any goroutine.
type BeaconTransport interface {
	// Send sends b to the LAN; it never blocks for long.
	Send(b *mesh.Beacon) error
	// Receive blocks until a beacon of another node arrives and returns it
	// with the IP address it came from. After Close it returns an error
	// wrapping net.ErrClosed.
	Receive() (mesh.Beacon, netip.Addr, error)
	// Close stops the transport.
	Close() error
}

// beaconStats is a BeaconTransport that counts what it carries
// (Stats.Discovery).
type beaconStats interface {
	Stats() discovery.Stats
}

// noMulticastHelp says how to get a node going without multicast.
const noMulticastHelp = "no multicast-capable interface is up, so this node cannot find peers by itself; " +
	"on a single host run `ip link set lo multicast on`, " +
	"or give static peers (p2pnode --peer HOST:PORT); the node keeps running and accepts links"

// openDiscovery opens the multicast socket, or returns nil (logged) when it
// cannot: the node then works with static peers only.
func (n *Node) openDiscovery(ctx context.Context) *discovery.Conn {
	group, _ := discovery.ParseGroup(n.cfg.Group) // validated by Start
	d, err := discovery.Listen(ctx, discovery.Config{
		Group:      group,
		Interfaces: n.cfg.Interfaces,
		Self:       n.id,
		Logger:     n.log,
		Codec:      n.beaconCodec(),
		Refused:    n.refuseDatagram,
	})
	switch {
	case d == nil:
		n.log.Error("multicast discovery is off: "+err.Error()+"; use static peers (p2pnode --peer HOST:PORT)", "group", group)
		return nil
	case errors.Is(err, discovery.ErrNoInterface):
		n.log.Warn(noMulticastHelp, "group", group)
	default:
		n.log.Info("multicast discovery on", "group", group, "interfaces", d.Joined())
	}
	return d
}

// discoveryState says, for the startup line, how the node finds peers: by
// multicast on some interfaces, waiting for a multicast-capable interface
// to come up, by beacons the caller carries (Config.Beacons), or not at
// all (static peers only).
func (n *Node) discoveryState() string {
	switch {
	case n.mc != nil && len(n.mc.Joined()) > 0:
		return "multicast on " + strings.Join(n.mc.Joined(), ",")
	case n.mc != nil:
		return "off until a multicast-capable interface comes up"
	case n.disc != nil:
		return "beacons from the caller's transport"
	}
	return "off (static peers only)"
}

// beaconRefusals names the reasons datagrams on the beacon port are refused
// for in the log: sealed beacons the network key refuses, and without a key
// (or before it) what package discovery refuses.
var beaconRefusals = []struct {
	err    error
	reason string
}{
	{discovery.ErrUnicast, "a datagram sent to the beacon port directly, not to the group"},
	{mesh.ErrMagic, "a datagram on the beacon port that is not a beacon"},
	{mesh.ErrVersion, "a beacon of another protocol version"},
	{mesh.ErrMalformed, "a malformed beacon"},
	{netkey.ErrUnkeyedBeacon, "a beacon without the network key (a node of another mesh, or one not given the key)"},
	{netkey.ErrForgedBeacon, "a beacon that fails authentication (another network key, or forged)"},
	{netkey.ErrStaleBeacon, "a beacon outside the clock window (replayed, or the hosts' clocks differ)"},
	{netkey.ErrReplayedBeacon, "a replayed beacon"},
	{netkey.ErrMalformedBeacon, "a datagram on the beacon port that is not a sealed beacon"},
}

// refuseBeacon logs a datagram refused on the beacon port: by the network
// key's codec, or by package discovery (refuseDatagram).
func (n *Node) refuseBeacon(err error, args ...any) {
	for _, r := range beaconRefusals {
		if errors.Is(err, r.err) {
			if err != r.err {
				args = append(args, "err", err)
			}
			n.rejects.refuse(r.reason, args...)
			return
		}
	}
	n.rejects.refuse("a beacon refused by the network key", append(args, "err", err)...)
}

// refuseDatagram logs a datagram the multicast socket refused. A sealed
// beacon the network key refused was logged by the key's codec already.
func (n *Node) refuseDatagram(err error, from netip.Addr) {
	if n.sealer != nil && !errors.Is(err, discovery.ErrUnicast) {
		return
	}
	n.refuseBeacon(err, "from", from)
}

// beaconBudget lets at most rate beacons a second through, in bursts of up
// to a second's worth (a token bucket): however many beacons arrive, the
// engine spends a bounded share of the loop on them.
type beaconBudget struct {
	rate   float64
	tokens float64
	last   time.Time
}

func newBeaconBudget(rate int) *beaconBudget {
	return &beaconBudget{rate: float64(rate), tokens: float64(rate), last: time.Now()}
}

// allow takes one beacon's token at now, if there is one.
func (b *beaconBudget) allow(now time.Time) bool {
	b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// beaconLoop passes beacons heard on the LAN to the loop, at most
// MaxBeaconRate a second: beyond, they are dropped, counted and logged.
func (n *Node) beaconLoop() {
	defer n.wg.Done()
	budget := newBeaconBudget(n.cfg.MaxBeaconRate)
	for {
		b, ip, err := n.disc.Receive()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			n.log.Debug("multicast receive failed", "err", err)
			t := time.NewTimer(100 * time.Millisecond) // do not spin on a persistent error
			select {
			case <-t.C:
			case <-n.quit:
				t.Stop()
				return
			}
			continue
		}
		if !budget.allow(time.Now()) {
			n.rejects.refuse("beacons beyond the rate limit; dropped", "limit_per_second", n.cfg.MaxBeaconRate)
			n.beaconsDropped.Add(1)
			continue
		}
		if !n.post(event{kind: evBeacon, beacon: b, ip: ip}) {
			return
		}
	}
}

func (n *Node) sendBeacon(b *mesh.Beacon) {
	if n.disc == nil {
		return
	}
	if err := n.disc.Send(b); err != nil {
		n.log.Debug("beacon not sent on some interfaces", "err", err)
	}
}
