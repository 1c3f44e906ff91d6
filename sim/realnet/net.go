package realnet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/meshnode/beaconbus"
	"p2pmesh/mesh/netkey"
	"p2pmesh/sim/measure"
	"p2pmesh/sim/scenario"
)

// Options tune a run on real sockets.
type Options struct {
	// Logger receives the nodes' logs (each tagged with its node); nil
	// discards them.
	Logger *slog.Logger
}

// Net is a scenario's network made of real nodes: every node a
// meshnode.Node on its own loopback TCP port, every LAN segment a beacon
// bus. It implements runner.Network.
type Net struct {
	clock
	opts     Options
	sc       *scenario.Scenario
	rng      *rand.Rand // node ids, beacon loss seeds
	loopback netip.Addr
	segs     []segment
	keys     []*netkey.Key // by network key number - 1
	keyNames []string
	nodes    []*node
	byID     map[mesh.NodeID]measure.NodeIndex // fixed once the nodes are added
	byAddr   map[netip.AddrPort]measure.NodeIndex
	wg       sync.WaitGroup // accept loops and stopping lives
	cpu0     time.Duration  // process CPU time when the run began

	mu      sync.Mutex // guards what follows, and node.up/left/part/life
	ledger  measure.Ledger
	parts   measure.Partitions
	live    map[*link]struct{}
	dialed  map[linkKey]*link      // dialed, not yet accepted
	waiting map[linkKey]chan *link // accepted, not yet registered by the dialer
	errs    []error
	totals  traffic // of the lives that ended
}

type segment struct {
	name string
	bus  *beaconbus.Bus
}

// node is one node of the scenario over all its lives.
type node struct {
	name, group string
	seg         int32
	id          mesh.NodeID
	cfg         mesh.Config
	ln          net.Listener // the node's port, for the whole run
	addr        netip.AddrPort
	key         int32 // network key number, 0 for none: Net.keys[key-1]

	// The runner's goroutine only.
	alive     bool
	starts    uint32
	startedAt time.Duration
	stopped   chan struct{} // closed when the last life has ended

	// Under Net.mu.
	up   bool  // running: reachable
	left bool  // the last life left gracefully
	part int32 // partition label
	life *life // the running life, nil when down
}

// traffic sums socket counters over lives.
type traffic struct {
	framesSent, bytesSent, dials, dialFailures, slowLinks uint64
	keyRefused, beaconsRefused                            uint64
}

// New prepares a run of sc on real sockets; the runner adds the segments
// and nodes. It refuses what loopback links cannot be made to do: lose
// segments, limit bandwidth, differ by segment.
func New(sc *scenario.Scenario, seed uint64, opts Options) (*Net, error) {
	if sc.Network.Loss > 0 {
		return nil, fmt.Errorf("%s: network: loss %v cannot be applied to real TCP links on loopback (the simulator models the retransmissions); run this scenario with --transport sim",
			sc.File, sc.Network.Loss)
	}
	if sc.Network.Capacity != (scenario.Capacity{}) || len(sc.Network.PerSegment) > 0 || len(sc.Network.Between) > 0 {
		return nil, fmt.Errorf("%s: network: bandwidth, per_segment and between cannot be applied to real TCP links on loopback; run this scenario with --transport sim", sc.File)
	}
	n := &Net{
		opts:     opts,
		sc:       sc,
		rng:      rand.New(rand.NewPCG(seed, 0x7265616c6e6574)),
		loopback: netip.AddrFrom4([4]byte{127, 0, 0, 1}),
		byID:     make(map[mesh.NodeID]measure.NodeIndex),
		byAddr:   make(map[netip.AddrPort]measure.NodeIndex),
		live:     make(map[*link]struct{}),
		dialed:   make(map[linkKey]*link),
		waiting:  make(map[linkKey]chan *link),
	}
	n.onStart = func() { n.cpu0 = processCPU() }
	return n, nil
}

// AddSegment declares a LAN segment: a beacon bus of its own.
func (n *Net) AddSegment(name string) int32 {
	for i, s := range n.segs {
		if s.name == name {
			return int32(i)
		}
	}
	bus, err := beaconbus.New(beaconbus.Options{Reach: n.reachBeacon, Loss: n.sc.Network.BeaconLoss, Seed: n.rng.Uint64()})
	if err != nil {
		panic(err) // BeaconLoss was validated by the scenario parser
	}
	n.segs = append(n.segs, segment{name: name, bus: bus})
	return int32(len(n.segs) - 1)
}

// AddNode declares a node and opens its TCP port on 127.0.0.1, which it
// keeps across restarts; the node runs only once started.
func (n *Net) AddNode(name, group string, shared *mesh.Config, seg int32) (measure.NodeIndex, error) {
	cfg := *shared
	if seg < 0 || int(seg) >= len(n.segs) {
		return -1, fmt.Errorf("realnet: node %s: no segment %d", name, seg)
	}
	var id mesh.NodeID
	for {
		id = mesh.NodeID(n.rng.Uint64())
		if _, dup := n.byID[id]; id != 0 && !dup {
			break
		}
	}
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", netip.AddrPortFrom(n.loopback, 0).String())
	if err != nil {
		return -1, fmt.Errorf("realnet: node %s: %w", name, err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	cfg.Port = addr.Port()
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return -1, fmt.Errorf("realnet: node %s: %w", name, err)
	}
	i := measure.NodeIndex(len(n.nodes))
	n.nodes = append(n.nodes, &node{name: name, group: group, seg: seg, id: id, cfg: cfg, ln: ln, addr: addr})
	n.byID[id] = i
	n.byAddr[addr] = i
	n.ledger.AddNode()
	n.wg.Add(1)
	go n.acceptLoop(i, ln)
	return i, nil
}

// SetNetworkKey gives node i the named network key: a real key, made for
// the run (from its seed) and shared by every node given the same name. The
// runtime then secures the node's links and beacons with it, so nodes with
// different keys meet the real handshake and sealed beacons.
func (n *Net) SetNetworkKey(i measure.NodeIndex, name string) error {
	nd := n.nodes[i]
	if name == "" {
		nd.key = 0
		return nil
	}
	k := slices.Index(n.keyNames, name)
	if k < 0 {
		var key *netkey.Key
		for key == nil {
			secret := make([]byte, 0, netkey.MinSecretSize)
			for len(secret) < netkey.MinSecretSize {
				secret = binary.LittleEndian.AppendUint64(secret, n.rng.Uint64())
			}
			key, _ = netkey.New(secret) // refused only if too regular: draw again
		}
		n.keys = append(n.keys, key)
		n.keyNames = append(n.keyNames, name)
		k = len(n.keys) - 1
	}
	nd.key = int32(k + 1)
	return nil
}

func (n *Net) networkKey(nd *node) (string, *netkey.Key) {
	if nd.key == 0 {
		return "", nil
	}
	return n.keyNames[nd.key-1], n.keys[nd.key-1]
}

// NodeCount returns the number of nodes ever added.
func (n *Net) NodeCount() int { return len(n.nodes) }

// Alive reports whether node i is running.
func (n *Net) Alive(i measure.NodeIndex) bool { return n.nodes[i].alive }

// Node describes node i now. Its Load is asked of the running node; Stats
// is left zero.
func (n *Net) Node(i measure.NodeIndex) measure.NodeInfo {
	nd := n.nodes[i]
	n.mu.Lock()
	part, lf := nd.part, nd.life
	n.mu.Unlock()
	info := measure.NodeInfo{Index: i, Name: nd.name, Group: nd.group, ID: nd.id, Addr: mesh.AddrFrom(nd.addr),
		Segment: n.segs[nd.seg].name, Alive: nd.alive, Siphon: nd.cfg.Misbehaviour().Siphon(), Partitioned: part != 0,
		MaxIn: nd.cfg.MaxIn, MaxOut: nd.cfg.MaxOut, Starts: nd.starts, StartedAt: nd.startedAt}
	info.NetworkKey, _ = n.networkKey(nd)
	if nd.alive && lf != nil {
		info.Load = lf.rt.Load()
	}
	return info
}

// Topology is the overlay now, from the links each running node reports.
// The nodes are asked one after the other while they run, so it is not one
// instant's picture: a link made or lost meanwhile may show on one end
// only (it counts if either end reports it).
func (n *Net) Topology() *measure.Topology {
	var alive []measure.NodeIndex
	var edges [][2]measure.NodeIndex
	for i, nd := range n.nodes {
		if !nd.alive {
			continue
		}
		alive = append(alive, measure.NodeIndex(i))
		n.mu.Lock()
		lf := nd.life
		n.mu.Unlock()
		for _, l := range lf.rt.Links() {
			if j, ok := n.byID[l.Peer]; ok && n.nodes[j].alive {
				edges = append(edges, [2]measure.NodeIndex{measure.NodeIndex(i), j})
			}
		}
	}
	return measure.NewTopology(n.Now(), len(n.nodes), alive, edges)
}

// Components counts the components of t that hold an honest node.
func (n *Net) Components(t *measure.Topology) int {
	return t.HonestComponents(func(i measure.NodeIndex) bool { return n.nodes[i].cfg.Misbehaviour().Siphon() })
}

// Broadcasts judges every broadcast so far.
func (n *Net) Broadcasts() []measure.BroadcastResult {
	return readLedger(n, func(l *measure.Ledger) []measure.BroadcastResult {
		return l.Results(n.nodeState)
	})
}

// nodeState tells the ledger what it needs to know of node i; n.mu is held.
func (n *Net) nodeState(i measure.NodeIndex) measure.NodeState {
	nd := n.nodes[i]
	// Real sockets do not say when a life first linked: every node is
	// taken as reachable from its start (reachable reliability equals
	// reliability).
	return measure.NodeState{Alive: nd.alive, StartedAt: nd.startedAt, LinkedAt: nd.startedAt, Siphon: nd.cfg.Misbehaviour().Siphon(), Network: nd.key}
}

// Deliveries returns the delivery latencies of broadcast k; real sockets
// do not say who sent a payload, so no spread.
func (n *Net) Deliveries(k int) ([]int64, *measure.Spread) {
	return readLedger(n, func(l *measure.Ledger) []int64 { return slices.Clone(l.Latencies(k)) }), nil
}

// Owed returns nil: without a spread, no broadcast is followed node by
// node.
func (n *Net) Owed(int) []bool { return nil }

// NodeDelivered returns the messages node i delivered over all its lives.
func (n *Net) NodeDelivered(i measure.NodeIndex) uint64 {
	return readLedger(n, func(l *measure.Ledger) uint64 { return l.NodeDelivered(i) })
}

// NodeRedundant returns the redundant payloads node i received.
func (n *Net) NodeRedundant(i measure.NodeIndex) uint64 {
	return readLedger(n, func(l *measure.Ledger) uint64 { return l.NodeRedundant(i) })
}

// DuplicateDeliveries counts messages an application received twice in one
// life of its node.
func (n *Net) DuplicateDeliveries() uint64 {
	return readLedger(n, (*measure.Ledger).DuplicateDeliveries)
}

// readLedger reads the ledger, which the nodes write into as they go.
func readLedger[T any](n *Net, f func(l *measure.Ledger) T) T {
	n.mu.Lock()
	defer n.mu.Unlock()
	return f(&n.ledger)
}

// Finish: real nodes run on until Close, and the report reads them as they
// are; there is nothing to let go of before.
func (n *Net) Finish() {}

// Transport names real sockets in the report.
func (n *Net) Transport() string { return "tcp" }

// Trace: a run on real sockets keeps no trace.
func (n *Net) Trace() (uint64, string) { return 0, "" }

// Err returns what went wrong carrying out the timeline (a node that would
// not start), or nil.
func (n *Net) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return errors.Join(n.errs...)
}

func (n *Net) fail(err error) {
	n.mu.Lock()
	n.errs = append(n.errs, err)
	n.mu.Unlock()
}

// Close stops every node at once and closes every port; it returns when
// every goroutine of the run has ended.
func (n *Net) Close() error {
	for i, nd := range n.nodes {
		if nd.alive {
			n.Kill(measure.NodeIndex(i), false)
		}
		nd.ln.Close()
	}
	n.wg.Wait()
	return nil
}
