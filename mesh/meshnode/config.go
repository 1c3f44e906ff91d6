package meshnode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/discovery"
	"p2pmesh/mesh/netkey"
)

// DefaultGroup is the multicast group and port beacons use by default.
const DefaultGroup = discovery.DefaultGroup

// Config configures a Node. Start from DefaultConfig and change what you
// need; Start validates everything up front and reports every problem at
// once.
type Config struct {
	// Mesh is the protocol configuration. Its Port is set by Start to the
	// port actually listened on; its StaticPeers are dialed in addition to
	// Peers.
	Mesh mesh.Config
	// Listen is the TCP address links are accepted on, such as ":7946" or
	// "10.0.0.5:0". Empty means ":0": every address, a port the system
	// chooses.
	Listen string
	// Peers are static peers as HOST:PORT, resolved once by Start and added
	// to Mesh.StaticPeers.
	Peers []string
	// Group is the multicast group and UDP port of beacons, such as
	// DefaultGroup. Ignored when NoMulticast is set.
	Group string
	// Interfaces names the interfaces to multicast on; empty means every
	// interface that is up and multicast-capable.
	Interfaces []string
	// NoMulticast turns discovery off: the node only dials static peers and
	// the peers it learns of from them.
	NoMulticast bool
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// ID is the node id; zero picks a random one.
	ID mesh.NodeID

	// SendQueue is the number of frames queued per link. A link whose queue
	// is full is closed: its peer does not read fast enough.
	SendQueue int
	// DeliveryBuffer is the capacity of the Deliveries channel.
	DeliveryBuffer int
	// DeliveryWait is how long the node waits for room in a full Deliveries
	// channel before it drops a message. Keep it well below
	// Mesh.DeadAfter: while it waits, the node does nothing else.
	DeliveryWait time.Duration
	// DialTimeout bounds a TCP connect.
	DialTimeout time.Duration
	// WriteTimeout bounds one write to a peer; a peer that accepts no bytes
	// for that long is dropped.
	WriteTimeout time.Duration
	// IdleTimeout closes a connection that delivered no frame for that long.
	// It is a backstop below the engine's own keepalives and must be longer
	// than Mesh.DeadAfter.
	IdleTimeout time.Duration
	// LeaveTimeout bounds how long Close waits for the Leave frames to be
	// flushed when its context has no earlier deadline.
	LeaveTimeout time.Duration
	// RefreshInterval is how often the multicast interfaces are listed
	// again, to join interfaces that came up later.
	RefreshInterval time.Duration
	// Listener, when set, is the listener links are accepted on, instead of
	// one opened on Listen; it must have a TCP address. The node closes it
	// when it stops.
	Listener net.Listener
	// Dial, when set, opens the node's outgoing connections instead of a
	// net.Dialer; ctx ends after DialTimeout. With Listener and Beacons it
	// lets a test or a harness (p2psim --transport tcp) place itself
	// between the nodes of one process, e.g. to cut them apart.
	Dial func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)
	// Beacons, when set, carries the node's beacons instead of UDP
	// multicast; Group, Interfaces, NoMulticast and RefreshInterval are
	// then not used. The node closes it when it stops.
	Beacons BeaconTransport
	// Observer, when set, is told of the node's payload traffic (see
	// Observer).
	Observer Observer

	// NetworkKey, when set, closes the mesh to nodes without it (package
	// netkey): every connection is authenticated and encrypted by the key's
	// handshake before the engine hears of it, and beacons are sealed.
	// Nodes with another key or none can neither link with this node nor
	// hear its beacons, and it hears none of theirs. With Beacons, the
	// transport must be able to seal (beaconbus ports can).
	NetworkKey *netkey.Key

	// MaxBeaconRate caps the beacons a second the node passes on to the
	// engine; more are dropped (Stats.BeaconsDropped) and logged, so that a
	// beacon flood costs a bounded share of the node's time. A settled LAN
	// sends a few beacons per BeaconMax; N nodes starting together about N
	// per BeaconMin.
	MaxBeaconRate int

	// MaxPending caps the connections that have not yet sent their first
	// frame (the handshake). Further connections are closed at once, so a
	// flood of idle connections cannot exhaust the node's sockets and
	// memory; each waits at most Mesh.HandshakeTimeout.
	MaxPending int
}

// DefaultConfig returns the defaults: the mesh defaults, an OS-chosen port,
// multicast discovery on DefaultGroup on every interface.
func DefaultConfig() Config {
	return Config{
		Mesh:            mesh.DefaultConfig(),
		Listen:          ":0",
		Group:           DefaultGroup,
		SendQueue:       256,
		DeliveryBuffer:  1024,
		DeliveryWait:    250 * time.Millisecond,
		DialTimeout:     3 * time.Second,
		WriteTimeout:    5 * time.Second,
		IdleTimeout:     10 * time.Second,
		LeaveTimeout:    2 * time.Second,
		RefreshInterval: 30 * time.Second,
		MaxPending:      64,
		MaxBeaconRate:   1000,
	}
}

// Validate reports every problem with c, or nil. It does not resolve Peers.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	m := c.Mesh
	m.Port = 1 // set by Start
	if err := m.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			bad("listen address %q: want HOST:PORT, such as :0 or 10.0.0.5:7946", c.Listen)
		}
	}
	for _, p := range c.Peers {
		if _, _, err := net.SplitHostPort(p); err != nil {
			bad("peer %q: want HOST:PORT", p)
		}
	}
	if !c.NoMulticast && c.Beacons == nil {
		if _, err := discovery.ParseGroup(c.Group); err != nil {
			errs = append(errs, err)
		}
	}
	if c.NetworkKey != nil && c.Beacons != nil {
		if _, ok := c.Beacons.(codecSetter); !ok {
			bad("the beacon transport %T cannot seal beacons with the network key", c.Beacons)
		}
	}
	positive := func(name string, d time.Duration) {
		if d <= 0 {
			bad("%s must be positive, got %v", name, d)
		}
	}
	if c.MaxPending < 1 {
		bad("max pending connections must be at least 1, got %d", c.MaxPending)
	}
	if c.MaxBeaconRate < 1 {
		bad("max beacon rate must be at least 1 a second, got %d", c.MaxBeaconRate)
	}
	if c.SendQueue < 1 {
		bad("send queue must hold at least 1 frame, got %d", c.SendQueue)
	}
	if c.DeliveryBuffer < 0 {
		bad("delivery buffer must not be negative, got %d", c.DeliveryBuffer)
	}
	if c.DeliveryWait < 0 {
		bad("delivery wait must not be negative, got %v", c.DeliveryWait)
	}
	positive("dial timeout", c.DialTimeout)
	positive("write timeout", c.WriteTimeout)
	positive("leave timeout", c.LeaveTimeout)
	positive("refresh interval", c.RefreshInterval)
	if c.IdleTimeout <= c.Mesh.DeadAfter {
		bad("idle timeout (%v) must be longer than the mesh's dead_after (%v): the engine decides when a link is dead", c.IdleTimeout, c.Mesh.DeadAfter)
	}
	return errors.Join(errs...)
}

// resolvePeers turns HOST:PORT strings into addresses.
func resolvePeers(peers []string) ([]mesh.Addr, error) {
	var res []mesh.Addr
	var errs []error
	for _, p := range peers {
		ap, err := netip.ParseAddrPort(p)
		if err != nil {
			ta, rerr := net.ResolveTCPAddr("tcp", p)
			if rerr != nil {
				errs = append(errs, fmt.Errorf("peer %q: %w", p, rerr))
				continue
			}
			ap = ta.AddrPort()
		}
		if ap.Port() == 0 {
			errs = append(errs, fmt.Errorf("peer %q: port must not be 0", p))
			continue
		}
		res = append(res, mesh.AddrFrom(ap))
	}
	return res, errors.Join(errs...)
}
