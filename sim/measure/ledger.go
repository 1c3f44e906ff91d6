package measure

import (
	"slices"

	"p2pmesh/mesh"
)

// Ledger follows every broadcast of a run: the payload transmissions and
// receptions it caused, the nodes that delivered it, at which hop and how
// long after it was sent. The simulator keeps one; so does a run of the same
// scenario on real sockets (package p2pmesh/sim/realnet), so that both judge
// broadcasts by the same rules. Nodes are numbered 0, 1, … in the order they
// were added. A Ledger is not safe for concurrent use.
type Ledger struct {
	bcasts []bcast
	byMsg  map[mesh.MsgID]int32
	recv   []uint64 // Data receptions per node, over all its lives
	deliv  []uint64 // deliveries per node
	dups   uint64   // application-level duplicate deliveries
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

// NodeState is what judging a broadcast needs to know of a node: whether it
// is running, since when (its current life), whether it is a siphoner, and
// which network key it holds (0 for none; equal numbers, equal keys).
type NodeState struct {
	Alive     bool
	StartedAt mesh.Time
	Siphon    bool
	Network   int32
}

// AddNode adds a node to the ledger; it gets the next index.
func (l *Ledger) AddNode() {
	l.recv = append(l.recv, 0)
	l.deliv = append(l.deliv, 0)
}

// Broadcast records that origin sent message id at time at.
func (l *Ledger) Broadcast(id mesh.MsgID, origin NodeIndex, at mesh.Time) {
	if l.byMsg == nil {
		l.byMsg = make(map[mesh.MsgID]int32)
	}
	l.byMsg[id] = int32(len(l.bcasts))
	l.bcasts = append(l.bcasts, bcast{id: id, origin: origin, sentAt: at, got: make([]uint64, (len(l.recv)+63)/64)})
}

func (l *Ledger) find(id mesh.MsgID) *bcast {
	if id == l.lastID && len(l.bcasts) > 0 {
		return &l.bcasts[l.lastIdx]
	}
	if k, ok := l.byMsg[id]; ok {
		l.lastID, l.lastIdx = id, k
		return &l.bcasts[k]
	}
	return nil
}

// Transmitted records a Data frame carrying msg handed to a link.
func (l *Ledger) Transmitted(msg *mesh.Message) {
	if b := l.find(msg.ID); b != nil {
		b.transmissions++
	}
}

// Received records a Data frame carrying msg arriving at node i.
func (l *Ledger) Received(i NodeIndex, msg *mesh.Message) {
	l.recv[i]++
	if b := l.find(msg.ID); b != nil {
		b.receptions++
	}
}

// Delivered records that node i, in the life it started at startedAt,
// handed msg to its application at time now.
func (l *Ledger) Delivered(i NodeIndex, msg *mesh.Message, now, startedAt mesh.Time) {
	l.deliv[i]++
	b := l.find(msg.ID)
	if b == nil {
		return
	}
	b.deliveries++
	if int(i)/64 < len(b.got) {
		w, bit := &b.got[i/64], uint64(1)<<(i%64)
		if *w&bit != 0 && startedAt <= b.sentAt {
			l.dups++ // the same life of the node delivered it twice
		}
		*w |= bit
	}
	if msg.Hops > b.maxHop {
		b.maxHop = msg.Hops
	}
	b.latency = append(b.latency, int64(now-b.sentAt))
}

// DuplicateDeliveries counts messages an application received twice in one
// life of its node.
func (l *Ledger) DuplicateDeliveries() uint64 { return l.dups }

// NodeRedundant returns the redundant Data receptions of node i over all its
// lives.
func (l *Ledger) NodeRedundant(i NodeIndex) uint64 { return l.recv[i] - l.deliv[i] }

// NodeDelivered returns the messages node i delivered over all its lives.
func (l *Ledger) NodeDelivered(i NodeIndex) uint64 { return l.deliv[i] }

// HasDelivered reports whether node i's application received message id.
func (l *Ledger) HasDelivered(id mesh.MsgID, i NodeIndex) bool {
	b := l.find(id)
	return b != nil && int(i)/64 < len(b.got) && b.got[i/64]&(1<<(i%64)) != 0
}

// Results judges every broadcast so far; node(i) tells the state of node i
// now.
func (l *Ledger) Results(node func(NodeIndex) NodeState) []BroadcastResult {
	out := make([]BroadcastResult, 0, len(l.bcasts))
	for k := range l.bcasts {
		b := &l.bcasts[k]
		r := BroadcastResult{ID: b.id, Origin: b.origin, SentAt: b.sentAt, Transmissions: b.transmissions,
			LDH: int(b.maxHop)}
		network := node(b.origin).Network
		for i := range l.recv {
			if NodeIndex(i) == b.origin {
				continue
			}
			got := i/64 < len(b.got) && b.got[i/64]&(1<<(i%64)) != 0
			n := node(NodeIndex(i))
			if n.Network != network {
				if got {
					r.Foreign++
				}
				continue
			}
			if !n.Alive || n.StartedAt > b.sentAt || n.Siphon {
				continue
			}
			r.Alive++
			if got {
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

// BroadcastResult is the outcome of one broadcast.
type BroadcastResult struct {
	ID     mesh.MsgID
	Origin NodeIndex
	SentAt mesh.Time
	// Alive counts the honest nodes other than the origin that were running
	// when the message was sent and are still running in the same life,
	// among those with the origin's network key (or none, as the origin);
	// Delivered counts those of them that delivered it. Siphoners are not
	// counted: honest nodes owe them nothing; nor are nodes with another
	// network key: they belong to another mesh.
	Alive, Delivered int
	// Foreign counts the nodes with another network key than the origin's
	// that delivered it: a mesh closed by a key keeps it at 0.
	Foreign       int
	Reliability   float64 // Delivered / Alive (1 when Alive is 0)
	Transmissions uint64  // Data frames sent carrying it
	Redundant     uint64  // receptions that were not deliveries
	RMR           float64 // Transmissions/(n-1) - 1, n = nodes that have it
	LDH           int     // last delivery hop: the largest hop count
	LatencyP50    mesh.Time
	LatencyP99    mesh.Time
	LatencyMax    mesh.Time
}
