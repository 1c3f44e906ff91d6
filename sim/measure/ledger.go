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
	// SpreadBudget is the number of node entries left for following
	// broadcasts node by node (Spread). The zero value follows none; the
	// simulator sets DefaultSpreadBudget. While the budget covers every
	// node, each broadcast is followed. Then a new broadcast takes the
	// entries of the followed broadcast that has done best so far (most
	// deliveries per node owed it at the send, then the quickest), the
	// first broadcast aside, provided at least two others are followed:
	// the worst so far stays followed, with the newest, so that the run's
	// first, worst and last broadcasts are the ones followed at scale.
	SpreadBudget int
	followed     []int32 // the broadcasts with a Spread, in the order sent
}

type bcast struct {
	id            mesh.MsgID
	origin        NodeIndex
	sentAt        mesh.Time
	transmissions uint64
	receptions    uint64
	deliveries    uint64
	maxHop        uint16
	lastDelivery  mesh.Time // the end of its lifetime: its last delivery anywhere
	running       int       // see BroadcastResult.Running
	got           []uint64  // bitset over node indices: delivered
	latency       []int64   // per delivery to a life begun by the send, nanoseconds
	spread        *Spread   // nil when not followed node by node
}

// Spread is how one broadcast spread, node by node: for every node (by
// index; nodes added after the broadcast are absent) the node it first got
// the payload from, the hop count it was delivered at and when. A node that
// never delivered it has Parent -1 and Arrival -1; the origin has Parent -1,
// Hop 0 and Arrival 0. Parent is also -1 where the sender is unknown.
type Spread struct {
	Parent  []int32
	Hop     []uint16
	Arrival []mesh.Time // since the broadcast was sent
}

// DefaultSpreadBudget is the number of node entries (14 bytes each) the
// ledger spends on Spreads: every broadcast of a run of 1,000 nodes up to
// 3,000 broadcasts; of a million nodes the first, the worst so far and the
// newest (see Ledger.SpreadBudget).
const DefaultSpreadBudget = 3_000_000

// NodeState is what judging a broadcast needs to know of a node: whether it
// is running, since when (its current life), whether it is a siphoner, and
// which network key it holds (0 for none; equal numbers, equal keys).
type NodeState struct {
	Alive     bool
	StartedAt mesh.Time
	// LinkedAt is when the node's current life first had a connection
	// open (a link could carry a message to it); negative: not yet.
	LinkedAt mesh.Time
	Siphon   bool
	Network  int32
}

// AddNode adds a node to the ledger; it gets the next index.
func (l *Ledger) AddNode() {
	l.recv = append(l.recv, 0)
	l.deliv = append(l.deliv, 0)
}

// Broadcast records that origin sent message id at time at; node(i) tells
// the state of node i now, to count the nodes the message is owed to.
func (l *Ledger) Broadcast(id mesh.MsgID, origin NodeIndex, at mesh.Time, node func(NodeIndex) NodeState) {
	if l.byMsg == nil {
		l.byMsg = make(map[mesh.MsgID]int32)
	}
	l.byMsg[id] = int32(len(l.bcasts))
	b := bcast{id: id, origin: origin, sentAt: at, lastDelivery: at, got: make([]uint64, (len(l.recv)+63)/64)}
	network := node(origin).Network
	for i := range l.recv {
		if n := node(NodeIndex(i)); NodeIndex(i) != origin && n.Alive && !n.Siphon && n.Network == network {
			b.running++
		}
	}
	if n := len(l.recv); n > 0 {
		var sp *Spread
		if n > l.SpreadBudget {
			sp = l.evictBest()
		}
		if n <= l.SpreadBudget {
			l.SpreadBudget -= n
			if sp == nil || len(sp.Parent) != n {
				sp = &Spread{Parent: make([]int32, n), Hop: make([]uint16, n), Arrival: make([]mesh.Time, n)}
			}
			for i := range n {
				sp.Parent[i], sp.Hop[i], sp.Arrival[i] = -1, 0, -1
			}
			sp.Arrival[origin] = 0
			b.spread = sp
			l.followed = append(l.followed, int32(len(l.bcasts)))
		}
	}
	l.bcasts = append(l.bcasts, b)
}

// evictBest stops following the broadcast that has done best so far among
// those followed, the first followed aside, when at least two others are
// followed, returns its entries to the budget (see SpreadBudget) and its
// Spread for reuse (nil when none is given up).
func (l *Ledger) evictBest() *Spread {
	if len(l.followed) < 3 {
		return nil
	}
	best := 1
	for k := 2; k < len(l.followed); k++ {
		if l.bcasts[l.followed[k]].doneBetter(&l.bcasts[l.followed[best]]) {
			best = k
		}
	}
	b := &l.bcasts[l.followed[best]]
	sp := b.spread
	l.SpreadBudget += len(sp.Parent)
	b.spread = nil
	l.followed = slices.Delete(l.followed, best, best+1)
	return sp
}

// doneBetter reports whether b has done better so far than c: a larger
// share of deliveries per node owed it at the send, or the same share and
// a quicker last delivery.
func (b *bcast) doneBetter(c *bcast) bool {
	x, y := b.deliveries*uint64(max(c.running, 1)), c.deliveries*uint64(max(b.running, 1))
	if x != y {
		return x > y
	}
	return b.lastDelivery-b.sentAt < c.lastDelivery-c.sentAt
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

// Received records a Data frame carrying msg arriving at node i from node
// from (-1: unknown).
func (l *Ledger) Received(i, from NodeIndex, msg *mesh.Message) {
	l.recv[i]++
	if b := l.find(msg.ID); b != nil {
		b.receptions++
		if sp := b.spread; sp != nil && int(i) < len(sp.Arrival) && sp.Arrival[i] < 0 {
			sp.Parent[i] = from // the last sender before the delivery
		}
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
	b.lastDelivery = max(b.lastDelivery, now)
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
	if startedAt <= b.sentAt {
		// A node that started after the send got a copy kept for
		// newcomers (unsent.go): not a delivery the broadcast's latency
		// speaks of, and not one reliability counts.
		b.latency = append(b.latency, int64(now-b.sentAt))
	}
	if sp := b.spread; sp != nil && int(i) < len(sp.Arrival) && sp.Arrival[i] < 0 {
		sp.Arrival[i], sp.Hop[i] = now-b.sentAt, msg.Hops
	}
}

// Latencies returns the delivery latencies of the broadcast with index k
// (in the order sent), in the order of delivery; the slice is the ledger's.
// Only deliveries to nodes whose life began by the send count: a node that
// started later, and got a copy the origin kept for newcomers, has none.
func (l *Ledger) Latencies(k int) []int64 { return l.bcasts[k].latency }

// Spread returns how the broadcast with index k spread node by node, or nil
// when it was not followed (see SpreadBudget); the result is the ledger's.
func (l *Ledger) Spread(k int) *Spread { return l.bcasts[k].spread }

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
			LDH: int(b.maxHop), Running: b.running}
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
			if !b.owedTo(NodeIndex(i), n, network) {
				continue
			}
			r.Alive++
			if got {
				r.Delivered++
			}
			if n.LinkedAt >= 0 && n.LinkedAt <= b.lastDelivery {
				r.Reachable++
				if got {
					r.ReachableDelivered++
				}
			}
		}
		r.Reliability, r.ReliabilityReachable = 1, 1
		if r.Alive > 0 {
			r.Reliability = float64(r.Delivered) / float64(r.Alive)
		}
		if r.Reachable > 0 {
			r.ReliabilityReachable = float64(r.ReachableDelivered) / float64(r.Reachable)
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
			r.LatencyP50 = mesh.Time(NearestRank(lat, 50))
			r.LatencyP99 = mesh.Time(NearestRank(lat, 99))
			r.LatencyMax = mesh.Time(lat[len(lat)-1])
		}
		out = append(out, r)
	}
	return out
}

// owedTo reports whether reliability counts broadcast b as owed to node i
// in state n, network being the origin's key: a node other than the origin,
// with the origin's network key, honest, running now in a life that began
// no later than the send. A node that was running at the send and has
// stopped or restarted since is not counted, delivered or not.
func (b *bcast) owedTo(i NodeIndex, n NodeState, network int32) bool {
	return i != b.origin && n.Network == network && n.Alive && n.StartedAt <= b.sentAt && !n.Siphon
}

// Owed returns, for the broadcast with index k when it is followed node by
// node (see Spread), whether each node of its Spread is owed it as
// reliability counts now (BroadcastResult.Alive is how many are); nil when
// it is not followed. node(i) tells the state of node i now.
func (l *Ledger) Owed(k int, node func(NodeIndex) NodeState) []bool {
	b := &l.bcasts[k]
	if b.spread == nil {
		return nil
	}
	network := node(b.origin).Network
	out := make([]bool, len(b.spread.Parent))
	for i := range out {
		out[i] = b.owedTo(NodeIndex(i), node(NodeIndex(i)), network)
	}
	return out
}

// NearestRank is the nearest-rank p-th percentile of sorted values (0 for
// none): the value at rank ceil(p/100 * len), at least the first. Every
// latency percentile of a report is this one.
func NearestRank[T int64 | float64](sorted []T, p int) T {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max((p*len(sorted)+99)/100, 1)-1]
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
	// Reachable counts the nodes of Alive that could be reached: their
	// life had a connection open before the message's last delivery
	// anywhere (while it was still travelling). A node that restarts as a
	// message is sent and links only after the message has spread is not
	// owed it. ReachableDelivered counts those of them that delivered it.
	Reachable, ReachableDelivered int
	// Running counts the honest nodes other than the origin, with its
	// network key, that were running when the message was sent: the
	// receivers it was owed to then, whether or not they ran to the end.
	Running int
	// Foreign counts the nodes with another network key than the origin's
	// that delivered it: a mesh closed by a key keeps it at 0.
	Foreign     int
	Reliability float64 // Delivered / Alive (1 when Alive is 0)
	// ReliabilityReachable is ReachableDelivered / Reachable (1 when
	// Reachable is 0).
	ReliabilityReachable float64
	Transmissions        uint64  // Data frames sent carrying it
	Redundant            uint64  // receptions that were not deliveries
	RMR                  float64 // Transmissions/(n-1) - 1, n = nodes that have it
	LDH                  int     // last delivery hop: the largest hop count
	// The delivery latencies' percentiles, over the deliveries to nodes
	// whose life began by the send (see Ledger.Latencies).
	LatencyP50 mesh.Time
	LatencyP99 mesh.Time
	LatencyMax mesh.Time
}
