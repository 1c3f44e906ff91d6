package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"p2pmesh/mesh"
)

// Sim is one simulation run. It is not safe for concurrent use.
type Sim struct {
	seed uint64
	net  Network
	rng  *rand.Rand // the network's draws: latency, loss, node ids

	now       mesh.Time
	events    schedule
	nodes     []node
	byID      map[mesh.NodeID]NodeIndex
	shared    map[*mesh.Config]*mesh.Config // AddNodeShared: the caller's configuration -> ours
	segs      []segment
	conns     []conn  // by slot: the lower half of a LinkID, minus one
	freeConns []int32 // slots to reuse
	parts     Partitions
	keys      []string // network key names; a node's key is an index + 1
	free      []*packet
	edgeKeys  []uint64    // Topology's scratch buffer
	outbox    mesh.Outbox // shared by every engine

	// classes are the kinds of link (LinkProps): 0 within a segment, 1
	// between segments, then those SetSegmentLinks and SetPairLinks add;
	// pairClass maps a pair of segments (pairKey) to the kind of the links
	// between them when it is not 1.
	classes   []LinkProps
	pairClass map[uint64]uint8
	// shaped is set when some node's bandwidth is limited; queues then
	// holds every node's queues and traffic (see transmit).
	shaped bool
	queues []nodeQueue

	metrics metrics
	trace   trace
	// olog, when RecordOverlay was called, follows every link.
	olog     *overlayLog
	counters Counters

	// EngineEvents counts inputs handed to engines; byKind splits them by
	// kind (eventkinds.go).
	EngineEvents uint64
	byKind       EventCounts
}

type segment struct {
	name    string
	members []NodeIndex
	class   uint8    // the kind of the links within it (Sim.classes)
	cap     Capacity // its nodes' bandwidth
}

type node struct {
	// Fields read on every event come first, in one cache line.
	eng   *mesh.Engine
	gen   uint32 // incarnation, raised at every start and kill
	part  int32  // partition label; nodes talk only within equal labels
	seg   int32
	key   int32 // network key: 0 none, else keys[key-1]; links and beacons only within equal keys
	alive bool
	left  bool // the last kill was a graceful leave
	deaf  bool // the engine hears no offers (mesh.OutHearOffers)
	// timerSeq numbers the timers the engine set, by kind (timers.go).
	timerSeq timerSeqs

	name      string
	group     string
	id        mesh.NodeID
	addr      mesh.Addr
	cfg       *mesh.Config
	startedAt mesh.Time
	killedAt  mesh.Time
	linkedAt  mesh.Time // when this life first had a connection open; -1 before
	starts    uint32
}

// conn is one simulated connection between a dialer (a) and acceptor (b).
type conn struct {
	a, b       NodeIndex
	genA, genB uint32
	openA      bool // a has not closed it
	openB      bool
	class      uint8 // its kind of link: an index into Sim.classes
	flags      connFlags
	gen        uint32    // incarnation of this slot; part of the LinkID
	lastAB     mesh.Time // latest arrival scheduled a→b (keeps TCP order)
	lastBA     mesh.Time
}

// connFlags are a connection's yes-or-no facts, one bit each (a byte, so
// that a connection stays 40 bytes).
type connFlags uint8

const (
	// connCut: the ends are in different partitions.
	connCut connFlags = 1 << iota
	// connUnseenB: b's engine has not been told of the connection yet. An
	// acceptor is told of a connection with the dialer's Hello, in one
	// input (mesh.Engine.HandleAccepted), not when it opens: that spares
	// every dial one engine event (a tenth of scale-100k's). A connection
	// the dialer closes before its Hello arrives never reaches b's engine.
	connUnseenB
	// connUnseenA: a's engine has not been told that its dial connected.
	// The simulator sends the dial's Hello (the frame of the OutDial) when
	// the connection opens, and tells the dialer with the first frame of
	// the answer (mesh.Engine.HandleDialAnswered), or with a failed dial
	// when the acceptor closes unanswered or answers nothing within the
	// dialer's HandshakeTimeout.
	connUnseenA
	// connStaticDial: the dial named no peer id (a static peer's address).
	connStaticDial
)

func (c *conn) is(f connFlags) bool { return c.flags&f != 0 }

// set turns flag f on or off.
func (c *conn) set(f connFlags, on bool) {
	if on {
		c.flags |= f
	} else {
		c.flags &^= f
	}
}

// New returns an empty simulation.
func New(seed uint64, net Network) (*Sim, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{
		seed:    seed,
		net:     net,
		rng:     rand.New(rand.NewPCG(seed, 0x6e6574776f726b)),
		byID:    make(map[mesh.NodeID]NodeIndex),
		classes: []LinkProps{{Latency: net.Latency, Loss: net.Loss}, {Latency: net.CrossLatency, Loss: net.Loss}},
	}
	for i := range s.classes {
		s.classes[i].setRTO()
	}
	s.shaped = net.Capacity != (Capacity{})
	s.metrics.SpreadBudget = DefaultSpreadBudget
	return s, nil
}

// Seed returns the seed.
func (s *Sim) Seed() uint64 { return s.seed }

// Now returns the virtual time.
func (s *Sim) Now() mesh.Time { return s.now }

// AddSegment declares a LAN segment and returns its number.
func (s *Sim) AddSegment(name string) int32 {
	for i := range s.segs {
		if s.segs[i].name == name {
			return int32(i)
		}
	}
	s.segs = append(s.segs, segment{name: name, cap: s.net.Capacity})
	return int32(len(s.segs) - 1)
}

// AddNode declares a node in a segment; it runs only once started. The
// node's id and address are drawn from the seed.
func (s *Sim) AddNode(name, group string, cfg mesh.Config, seg int32) (NodeIndex, error) {
	return s.addNode(name, group, &cfg, seg, true)
}

// AddNodeShared is AddNode for nodes that share one configuration: the
// simulator keeps one copy of it for all of them (a million nodes need not
// hold a million copies). cfg must not change afterwards.
func (s *Sim) AddNodeShared(name, group string, cfg *mesh.Config, seg int32) (NodeIndex, error) {
	if own, ok := s.shared[cfg]; ok {
		return s.addNode(name, group, own, seg, false) // validated with the first node
	}
	own := *cfg
	own.StaticPeers = slices.Clone(cfg.StaticPeers)
	i, err := s.addNode(name, group, &own, seg, true)
	if err == nil {
		if s.shared == nil {
			s.shared = make(map[*mesh.Config]*mesh.Config)
		}
		s.shared[cfg] = s.nodes[i].cfg
	}
	return i, err
}

// addNode declares a node with the configuration cfg, which it keeps (and
// validates if asked).
func (s *Sim) addNode(name, group string, cfg *mesh.Config, seg int32, validate bool) (NodeIndex, error) {
	if seg < 0 || int(seg) >= len(s.segs) {
		return -1, fmt.Errorf("sim: node %s: no segment %d", name, seg)
	}
	idx := NodeIndex(len(s.nodes))
	if idx >= maxNodes {
		return -1, fmt.Errorf("sim: node %s: a simulation holds at most %d nodes", name, maxNodes)
	}
	var id mesh.NodeID
	for {
		id = mesh.NodeID(s.rng.Uint64())
		if _, dup := s.byID[id]; id != 0 && !dup {
			break
		}
	}
	addr := nodeAddr(idx)
	if validate {
		cfg.Port = addr.Port
		if err := cfg.Validate(); err != nil {
			return -1, fmt.Errorf("sim: node %s: %w", name, err)
		}
	}
	s.nodes = append(s.nodes, node{name: name, group: group, id: id, addr: addr, cfg: cfg, seg: seg})
	s.byID[id] = idx
	s.segs[seg].members = append(s.segs[seg].members, idx)
	s.metrics.AddNode()
	return idx, nil
}

// Node i listens at 10.0.0.0/8 address i+1 (IPv4-mapped), port 49200: the
// address follows from the index, and the index from the address, without a
// table of a million entries.
const (
	listenPort = 49200
	maxNodes   = 1<<24 - 2 // 10.0.0.1 to 10.255.255.254
)

// nodeAddr returns the listen address of node idx.
func nodeAddr(idx NodeIndex) mesh.Addr {
	n := uint32(idx) + 1
	addr := mesh.Addr{Port: listenPort}
	addr.IP[10], addr.IP[11] = 0xff, 0xff
	addr.IP[12], addr.IP[13], addr.IP[14], addr.IP[15] = 10, byte(n>>16), byte(n>>8), byte(n)
	return addr
}

// nodeAt returns the node listening at a, if any.
func (s *Sim) nodeAt(a mesh.Addr) (NodeIndex, bool) {
	idx := NodeIndex(uint32(a.IP[13])<<16|uint32(a.IP[14])<<8|uint32(a.IP[15])) - 1
	if idx < 0 || int(idx) >= len(s.nodes) || s.nodes[idx].addr != a {
		return -1, false
	}
	return idx, true
}

// SetNetworkKey gives node i the named network key, before it starts. The
// simulator models what the key does at its transport, not in the engine:
// a dial between nodes with different keys (or one without) is refused
// after the handshake's round trips, as the real handshake refuses it, and
// a beacon reaches only nodes with the sender's key.
func (s *Sim) SetNetworkKey(i NodeIndex, name string) error {
	if name == "" {
		s.nodes[i].key = 0
		return nil
	}
	k := slices.Index(s.keys, name)
	if k < 0 {
		s.keys = append(s.keys, name)
		k = len(s.keys) - 1
	}
	s.nodes[i].key = int32(k + 1)
	return nil
}

// networkKey names the network key of node n, "" for none.
func (s *Sim) networkKey(n *node) string {
	if n.key == 0 {
		return ""
	}
	return s.keys[n.key-1]
}

// Lookup returns the index of the named node.
func (s *Sim) Lookup(name string) (NodeIndex, bool) {
	for i := range s.nodes {
		if s.nodes[i].name == name {
			return NodeIndex(i), true
		}
	}
	return -1, false
}

// NodeCount returns the number of nodes ever added.
func (s *Sim) NodeCount() int { return len(s.nodes) }

// Node describes node i.
func (s *Sim) Node(i NodeIndex) NodeInfo {
	n := &s.nodes[i]
	info := NodeInfo{Index: i, Name: n.name, Group: n.group, ID: n.id, Addr: n.addr, Segment: s.segs[n.seg].name,
		Alive: n.alive, Siphon: n.cfg.Misbehaviour().Siphon(), Partitioned: n.part != 0, MaxIn: n.cfg.MaxIn, MaxOut: n.cfg.MaxOut,
		Starts: n.starts, StartedAt: n.startedAt, NetworkKey: s.networkKey(n)}
	if n.eng != nil {
		info.Load = n.eng.Load()
		info.Stats = n.eng.Stats()
	}
	return info
}

// Engine returns the engine of a running node (nil otherwise), for tests that
// inspect protocol state.
func (s *Sim) Engine(i NodeIndex) *mesh.Engine {
	if !s.nodes[i].alive {
		return nil
	}
	return s.nodes[i].eng
}

// IndexOf returns the index of the node with id, if there is one.
func (s *Sim) IndexOf(id mesh.NodeID) (NodeIndex, bool) {
	i, ok := s.byID[id]
	return i, ok
}

// Start starts (or restarts) node i at time at with a new instance id.
func (s *Sim) Start(i NodeIndex, at mesh.Time) {
	s.push(event{at: at, kind: evStart, node: i})
}

// At runs fn at virtual time at, after the events already scheduled for that
// time.
func (s *Sim) At(at mesh.Time, fn func()) {
	if at < s.now {
		at = s.now
	}
	s.push(event{at: at, kind: evCall, fn: fn})
}

func (s *Sim) startNow(i NodeIndex) {
	n := &s.nodes[i]
	if n.alive {
		return
	}
	n.gen++
	n.starts++
	instance := s.rng.Uint64() | 1
	rng := rand.New(rand.NewPCG(s.seed^uint64(n.id), uint64(n.starts)))
	eng, err := mesh.NewShared(n.cfg, n.id, instance, rng)
	if err != nil {
		panic(err) // cfg was validated in AddNode
	}
	// Engines are called one at a time and their outputs carried out
	// before the next call (apply never calls an engine): they share one
	// outbox.
	eng.SetOutbox(&s.outbox)
	n.eng, n.alive, n.left, n.deaf, n.startedAt, n.linkedAt = eng, true, false, false, s.now, -1
	s.trace.record(s.now, evStart, i, 0, 0)
	s.handed(EventStart)
	if s.olog != nil {
		s.started(i)
	}
	s.apply(i, eng.Start(s.now))
	if s.olog != nil {
		s.relist(i)
	}
}

// Kill stops node i now: a crash is silent (peers notice by missing
// keepalives); a graceful kill lets the engine tell its neighbours first.
func (s *Sim) Kill(i NodeIndex, graceful bool) {
	n := &s.nodes[i]
	if !n.alive {
		return
	}
	if graceful {
		s.handed(EventLeave)
		s.apply(i, n.eng.Leave(s.now))
	}
	if s.olog != nil {
		s.stopping(i, graceful)
	}
	n.alive, n.left, n.killedAt = false, graceful, s.now
	n.gen++
	n.eng = nil
	s.trace.record(s.now, evStart, i, 1, 0)
}

// Partition cuts the given nodes off from everybody else: frames, dials and
// beacons between the two sides are lost until Heal. A node belongs to the
// partition it was put in last.
func (s *Sim) Partition(name string, members []NodeIndex) {
	label := s.parts.Label(name)
	for _, i := range members {
		s.nodes[i].part = label
		if s.olog != nil {
			s.nodeEvent(i, NodeMoved)
		}
	}
	s.recut()
	s.metrics.event(s.now, "partition", name)
}

// Heal ends the named partition, or all partitions when name is empty.
func (s *Sim) Heal(name string) error {
	healed, err := s.parts.Healing(name)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	for i := range s.nodes {
		if healed(s.nodes[i].part) {
			moved := s.nodes[i].part != 0
			s.nodes[i].part = 0
			if moved && s.olog != nil {
				s.nodeEvent(NodeIndex(i), NodeMoved)
			}
		}
	}
	s.recut()
	s.metrics.event(s.now, "heal", name)
	return nil
}

// Broadcast makes node i originate a message with a payload of size bytes.
func (s *Sim) Broadcast(i NodeIndex, size int) (mesh.MsgID, error) {
	n := &s.nodes[i]
	if !n.alive {
		return mesh.MsgID{}, fmt.Errorf("sim: node %s is not running", n.name)
	}
	payload := make([]byte, size)
	id, outs, err := n.eng.Broadcast(s.now, payload)
	if err != nil {
		return mesh.MsgID{}, err
	}
	s.handed(EventBroadcast)
	s.metrics.Broadcast(id, i, s.now, s.nodeState)
	s.apply(i, outs)
	return id, nil
}

// Run processes events up to and including time until, then sets the clock
// to until.
func (s *Sim) Run(until mesh.Time) {
	for {
		at, ok := s.events.peek()
		if !ok || at > until {
			break
		}
		ev := s.events.pop()
		s.now = ev.at
		s.prefetchAhead()
		s.dispatch(&ev)
	}
	if until > s.now {
		s.now = until
	}
}

// Retire ends the simulation: the caller will read what it reports (nodes,
// loads, links, topology, deliveries, counters, the trace) but run nothing
// more. Every engine lets go of what only later inputs would use
// (mesh.Engine.Retire), and the schedule of the events still pending goes
// with their packets: at a million nodes about 2 GB that the report can
// use instead.
func (s *Sim) Retire() {
	for i := range s.nodes {
		if e := s.nodes[i].eng; e != nil {
			e.Retire()
		}
	}
	s.events = schedule{}
	s.free = nil
}

// RunFor advances the clock by d.
func (s *Sim) RunFor(d time.Duration) { s.Run(s.now + d) }

// Pending reports how many events are scheduled.
func (s *Sim) Pending() int { return s.events.len() }

func (s *Sim) push(ev event) { s.events.push(ev) }

// ErrNoSuchNode is returned for unknown node names.
var ErrNoSuchNode = errors.New("sim: no such node")
