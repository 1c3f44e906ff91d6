// Package beaconbus is an in-process LAN segment for beacons: a
// meshnode.BeaconTransport that lets the nodes of one process find each other
// without UDP multicast, which the loopback interface usually lacks.
//
// One Bus is one segment. A beacon a member sends is encoded in the wire
// format, as a datagram would be (sealed, for a member with a network key:
// Port.SetCodec), and handed to every other member that
// the bus's Reach function lets it reach (partitions), except those that
// lose it (Loss) or whose queue is full, as a UDP socket drops datagrams it
// has no room for. Members decode what they receive and skip their own
// beacons and anything that does not decode, like package discovery.
// Nothing crosses from one Bus to another: segments are separate LANs.
package beaconbus

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"p2pmesh/mesh"
	"p2pmesh/mesh/discovery"
)

// DefaultQueue is how many beacons a member holds before it misses more.
const DefaultQueue = 64

// Options configure a Bus.
type Options struct {
	// Reach, if set, says whether a beacon of node from reaches node to; it
	// is called with the bus locked, so it must not call the bus. nil: every
	// member reaches every other.
	Reach func(from, to mesh.NodeID) bool
	// Loss is the probability that one member misses one beacon, in [0, 1).
	Loss float64
	// Seed seeds the draws of Loss.
	Seed uint64
	// Queue is how many beacons a member holds before it misses further
	// ones; 0 means DefaultQueue.
	Queue int
}

// Bus is one LAN segment. It is safe for concurrent use.
type Bus struct {
	opts    Options
	mu      sync.Mutex
	rng     *rand.Rand // Loss draws; under mu
	members []*Port
	missed  atomic.Uint64
}

// New returns an empty segment.
func New(opts Options) (*Bus, error) {
	if opts.Loss < 0 || opts.Loss >= 1 {
		return nil, fmt.Errorf("beaconbus: loss must be in [0, 1), got %v", opts.Loss)
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	return &Bus{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x62656163))}, nil
}

// Join adds a member: the node id, and the IP address its beacons come from
// (the address its peers dial, with the port the beacon carries).
func (b *Bus) Join(id mesh.NodeID, ip netip.Addr) *Port {
	p := &Port{bus: b, id: id, ip: ip, in: make(chan datagram, b.opts.Queue), done: make(chan struct{}), codec: discovery.PlainCodec{}}
	b.mu.Lock()
	b.members = append(b.members, p)
	b.mu.Unlock()
	return p
}

// Members returns how many members the bus has.
func (b *Bus) Members() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.members)
}

// Missed returns how many beacons members missed because their queue was
// full (Loss not counted).
func (b *Bus) Missed() uint64 { return b.missed.Load() }

// send hands data from member from to every other member it reaches.
func (b *Bus) send(from *Port, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.members {
		if m == from || b.opts.Reach != nil && !b.opts.Reach(from.id, m.id) {
			continue
		}
		if b.opts.Loss > 0 && b.rng.Float64() < b.opts.Loss {
			continue
		}
		select {
		case m.in <- datagram{data: data, from: from.ip}:
		default:
			b.missed.Add(1)
		}
	}
}

func (b *Bus) leave(p *Port) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, m := range b.members {
		if m == p {
			b.members = append(b.members[:k], b.members[k+1:]...)
			return
		}
	}
}

type datagram struct {
	data []byte // shared by every receiver: read only
	from netip.Addr
}

// Port is one member's end of the bus: a meshnode.BeaconTransport.
type Port struct {
	bus   *Bus
	id    mesh.NodeID
	ip    netip.Addr
	in    chan datagram
	done  chan struct{}
	close sync.Once
	codec discovery.Codec

	sent, received, foreign, own atomic.Uint64
}

// Send hands b to the other members of the bus.
func (p *Port) Send(b *mesh.Beacon) error {
	select {
	case <-p.done:
		return fmt.Errorf("beaconbus: send: %w", net.ErrClosed)
	default:
	}
	p.sent.Add(1)
	p.bus.send(p, p.codec.AppendBeacon(nil, b))
	return nil
}

// Receive blocks until a beacon of another member arrives and returns it
// with the sender's IP address. After Close it returns net.ErrClosed.
func (p *Port) Receive() (mesh.Beacon, netip.Addr, error) {
	for {
		select {
		case d := <-p.in:
			b, err := p.codec.DecodeBeacon(d.data)
			switch {
			case err != nil:
				p.foreign.Add(1)
			case b.ID == p.id:
				p.own.Add(1)
			default:
				p.received.Add(1)
				return b, d.from, nil
			}
		case <-p.done:
			return mesh.Beacon{}, netip.Addr{}, fmt.Errorf("beaconbus: receive: %w", net.ErrClosed)
		}
	}
}

// SetCodec makes the member encode and decode its beacons with c instead
// of the plain format, as a node with a network key does (members with
// another codec then cannot read them). Call it before the first Send or
// Receive.
func (p *Port) SetCodec(c discovery.Codec) { p.codec = c }

// Close leaves the bus; a blocked Receive returns.
func (p *Port) Close() error {
	p.close.Do(func() {
		p.bus.leave(p)
		close(p.done)
	})
	return nil
}

// Stats counts beacons as package discovery does.
func (p *Port) Stats() discovery.Stats {
	return discovery.Stats{Sent: p.sent.Load(), Received: p.received.Load(), Foreign: p.foreign.Load(), Own: p.own.Load()}
}
