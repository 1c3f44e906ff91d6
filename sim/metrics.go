package sim

import (
	"slices"

	"p2pmesh/mesh"
)

// metrics follows every broadcast through the run and keeps the markers and
// samples of the time series.
type metrics struct {
	s       *Sim
	bcasts  []bcast
	byMsg   map[mesh.MsgID]int32
	recv    []uint64 // Data receptions per node, over all its lives
	deliv   []uint64 // deliveries per node
	dups    uint64   // application-level duplicate deliveries
	marks   []Mark
	samples []Sample
	// last is the broadcast looked up last: a flood looks up the same id
	// many times in a row.
	lastID  mesh.MsgID
	lastIdx int32
}

type bcast struct {
	id            mesh.MsgID
	origin        NodeIndex
	sentAt        mesh.Time
	transmissions uint64
	receptions    uint64
	deliveries    uint64
	maxHop        uint16
	got           []uint64 // bitset over node indices: delivered
	latency       []int64  // per delivery, nanoseconds
}

// Mark is an event worth marking on a time line: a kill, a partition, a heal.
type Mark struct {
	At    mesh.Time
	Kind  string
	Label string
}

// Sample is one point of the time series.
type Sample struct {
	At         mesh.Time
	Alive      int
	Links      int
	Components int
}

func (m *metrics) init(s *Sim) {
	m.s = s
	m.byMsg = make(map[mesh.MsgID]int32)
}

func (m *metrics) addNode() {
	m.recv = append(m.recv, 0)
	m.deliv = append(m.deliv, 0)
}

func (m *metrics) broadcast(id mesh.MsgID, origin NodeIndex, at mesh.Time) {
	m.byMsg[id] = int32(len(m.bcasts))
	m.bcasts = append(m.bcasts, bcast{id: id, origin: origin, sentAt: at, got: make([]uint64, (len(m.s.nodes)+63)/64)})
}

func (m *metrics) find(id mesh.MsgID) *bcast {
	if id == m.lastID && len(m.bcasts) > 0 {
		return &m.bcasts[m.lastIdx]
	}
	if k, ok := m.byMsg[id]; ok {
		m.lastID, m.lastIdx = id, k
		return &m.bcasts[k]
	}
	return nil
}

func (m *metrics) transmitted(msg *mesh.Message) {
	if b := m.find(msg.ID); b != nil {
		b.transmissions++
	}
}

func (m *metrics) received(i NodeIndex, msg *mesh.Message) {
	m.recv[i]++
	if b := m.find(msg.ID); b != nil {
		b.receptions++
	}
}

func (m *metrics) delivered(i NodeIndex, msg *mesh.Message, now mesh.Time) {
	m.deliv[i]++
	b := m.find(msg.ID)
	if b == nil {
		return
	}
	b.deliveries++
	if int(i)/64 < len(b.got) {
		w, bit := &b.got[i/64], uint64(1)<<(i%64)
		if *w&bit != 0 && m.s.nodes[i].startedAt <= b.sentAt {
			m.dups++ // the same life of the node delivered it twice
		}
		*w |= bit
	}
	if msg.Hops > b.maxHop {
		b.maxHop = msg.Hops
	}
	b.latency = append(b.latency, int64(now-b.sentAt))
}

func (m *metrics) event(at mesh.Time, kind, label string) {
	m.marks = append(m.marks, Mark{At: at, Kind: kind, Label: label})
}

// Mark records a marker on the time line (the runner uses it for snapshots
// and kills).
func (s *Sim) Mark(kind, label string) { s.metrics.event(s.now, kind, label) }

// Marks returns the markers recorded so far.
func (s *Sim) Marks() []Mark { return s.metrics.marks }

// Sample records a time-series point now and returns it.
func (s *Sim) Sample() Sample {
	t := s.Topology()
	smp := Sample{At: s.now, Alive: len(t.Nodes), Links: len(t.Edges), Components: s.Components(t)}
	s.metrics.samples = append(s.metrics.samples, smp)
	return smp
}

// Samples returns the time series recorded so far.
func (s *Sim) Samples() []Sample { return s.metrics.samples }

// DuplicateDeliveries counts messages an application received twice in one
// life of its node. The engine's seen-cache makes it zero.
func (s *Sim) DuplicateDeliveries() uint64 { return s.metrics.dups }

// NodeRedundant returns the redundant Data receptions of node i over all its
// lives.
func (s *Sim) NodeRedundant(i NodeIndex) uint64 { return s.metrics.recv[i] - s.metrics.deliv[i] }

// BroadcastResult is the outcome of one broadcast.
type BroadcastResult struct {
	ID     mesh.MsgID
	Origin NodeIndex
	SentAt mesh.Time
	// Alive counts the honest nodes other than the origin that were running
	// when the message was sent and are still running in the same life;
	// Delivered counts those of them that delivered it. Siphoners are not
	// counted: honest nodes owe them nothing.
	Alive, Delivered int
	Reliability      float64 // Delivered / Alive (1 when Alive is 0)
	Transmissions    uint64  // Data frames sent carrying it
	Redundant        uint64  // receptions that were not deliveries
	RMR              float64 // Transmissions/(n-1) - 1, n = nodes that have it
	LDH              int     // last delivery hop: the largest hop count
	LatencyP50       mesh.Time
	LatencyP99       mesh.Time
	LatencyMax       mesh.Time
}

// Broadcasts returns the result of every broadcast so far, judged now.
func (s *Sim) Broadcasts() []BroadcastResult {
	out := make([]BroadcastResult, 0, len(s.metrics.bcasts))
	for k := range s.metrics.bcasts {
		b := &s.metrics.bcasts[k]
		r := BroadcastResult{ID: b.id, Origin: b.origin, SentAt: b.sentAt, Transmissions: b.transmissions,
			LDH: int(b.maxHop)}
		for i := range s.nodes {
			n := &s.nodes[i]
			if NodeIndex(i) == b.origin || !n.alive || n.startedAt > b.sentAt || n.cfg.Siphon {
				continue
			}
			r.Alive++
			if i/64 < len(b.got) && b.got[i/64]&(1<<(i%64)) != 0 {
				r.Delivered++
			}
		}
		r.Reliability = 1
		if r.Alive > 0 {
			r.Reliability = float64(r.Delivered) / float64(r.Alive)
		}
		if b.receptions > b.deliveries {
			r.Redundant = b.receptions - b.deliveries
		}
		if n := b.deliveries + 1; n > 1 {
			r.RMR = float64(b.transmissions)/float64(n-1) - 1
		}
		if len(b.latency) > 0 {
			lat := slices.Clone(b.latency)
			slices.Sort(lat)
			r.LatencyP50 = percentile(lat, 50)
			r.LatencyP99 = percentile(lat, 99)
			r.LatencyMax = mesh.Time(lat[len(lat)-1])
		}
		out = append(out, r)
	}
	return out
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int64, p int) mesh.Time {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	if rank < 1 {
		rank = 1
	}
	return mesh.Time(sorted[rank-1])
}

// Delivered reports whether node i's application received message id.
func (s *Sim) Delivered(id mesh.MsgID, i NodeIndex) bool {
	b := s.metrics.find(id)
	return b != nil && int(i)/64 < len(b.got) && b.got[i/64]&(1<<(i%64)) != 0
}

// NodeDelivered returns the messages node i delivered over all its lives.
func (s *Sim) NodeDelivered(i NodeIndex) uint64 { return s.metrics.deliv[i] }
