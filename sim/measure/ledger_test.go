package measure

import (
	"slices"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// A broadcast is owed to the nodes running when it was sent (Running),
// whether or not they run to the end; reliability judges only those still
// running (Alive). Nodes not yet started and siphoners are owed nothing.
func TestLedgerCountsNodesRunningAtSend(t *testing.T) {
	var l Ledger
	for range 5 {
		l.AddNode()
	}
	state := []NodeState{{Alive: true}, {Alive: true}, {Alive: true}, {Alive: true, Siphon: true}, {}}
	node := func(i NodeIndex) NodeState { return state[i] }
	id := mesh.MsgID{Origin: 1, Seq: 1}
	l.Broadcast(id, 0, 0, node)
	l.Delivered(1, &mesh.Message{ID: id, Hops: 1}, time.Millisecond, 0)
	state[2].Alive = false // killed after the send
	state[4] = NodeState{Alive: true, StartedAt: time.Second}
	r := l.Results(node)[0]
	if r.Running != 2 || r.Alive != 1 || r.Delivered != 1 {
		t.Errorf("running %d, alive %d, delivered %d: want 2, 1, 1", r.Running, r.Alive, r.Delivered)
	}
	if l.Owed(0, node) != nil {
		t.Error("owed nodes of a broadcast not followed")
	}
}

// Owed lists the nodes reliability counts, node by node: a node killed
// right after the send, a node started after it, the origin and a siphoner
// are not owed it; of those owed, the ones without a delivery are what a
// picture marks missed.
func TestLedgerOwedIsWhatReliabilityCounts(t *testing.T) {
	l := Ledger{SpreadBudget: 100}
	for range 6 {
		l.AddNode()
	}
	state := []NodeState{{Alive: true}, {Alive: true}, {Alive: true}, {Alive: true, Siphon: true}, {}, {Alive: true}}
	node := func(i NodeIndex) NodeState { return state[i] }
	id := mesh.MsgID{Origin: 1, Seq: 1}
	l.Broadcast(id, 0, time.Second, node)
	l.Delivered(1, &mesh.Message{ID: id, Hops: 1}, time.Second+time.Millisecond, 0)
	state[2].Alive = false                                        // killed right after the send
	state[4] = NodeState{Alive: true, StartedAt: 2 * time.Second} // started after it
	owed := l.Owed(0, node)
	if want := []bool{false, true, false, false, false, true}; !slices.Equal(owed, want) {
		t.Errorf("owed %v, want %v", owed, want)
	}
	r := l.Results(node)[0]
	n := 0
	for _, o := range owed {
		if o {
			n++
		}
	}
	if n != r.Alive || r.Delivered != 1 {
		t.Errorf("%d owed, reliability counts %d (delivered %d)", n, r.Alive, r.Delivered)
	}
}

// A followed broadcast records, per node, the node it first got the payload
// from, its hop and its arrival; a later copy changes nothing.
func TestLedgerFollowsSpread(t *testing.T) {
	l := Ledger{SpreadBudget: 8}
	for range 4 {
		l.AddNode()
	}
	alive := func(NodeIndex) NodeState { return NodeState{Alive: true} }
	id := mesh.MsgID{Origin: 1, Seq: 1}
	l.Broadcast(id, 0, 0, alive)
	at := func(i, from NodeIndex, hops uint16, ms int) {
		msg := &mesh.Message{ID: id, Hops: hops}
		l.Received(i, from, msg)
		l.Delivered(i, msg, time.Duration(ms)*time.Millisecond, 0)
	}
	at(1, 0, 1, 10)
	at(2, 1, 2, 20)
	l.Received(1, 2, &mesh.Message{ID: id, Hops: 3}) // redundant
	sp := l.Spread(0)
	if sp == nil {
		t.Fatal("the broadcast was not followed")
	}
	if want := []int32{-1, 0, 1, -1}; !slices.Equal(sp.Parent, want) {
		t.Errorf("parents %v, want %v", sp.Parent, want)
	}
	if want := []uint16{0, 1, 2, 0}; !slices.Equal(sp.Hop, want) {
		t.Errorf("hops %v, want %v", sp.Hop, want)
	}
	if want := []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, -1}; !slices.Equal(sp.Arrival, want) {
		t.Errorf("arrivals %v, want %v", sp.Arrival, want)
	}
	// The budget of 8 entries covered this broadcast of 4 nodes and one
	// more; the third is not followed.
	l.Broadcast(mesh.MsgID{Origin: 1, Seq: 2}, 0, 0, alive)
	l.Broadcast(mesh.MsgID{Origin: 1, Seq: 3}, 0, 0, alive)
	if l.Spread(1) == nil || l.Spread(2) != nil {
		t.Errorf("followed: %v, %v; want the second only", l.Spread(1) != nil, l.Spread(2) != nil)
	}
}

// Reachable reliability owes a message only to the nodes whose life had a
// connection open before its last delivery: a node that restarted as the
// message was sent and linked after it had spread is left out, a node that
// linked while it travelled is owed it.
func TestLedgerOwesReachableNodesOnly(t *testing.T) {
	var l Ledger
	for range 4 {
		l.AddNode()
	}
	ms := time.Millisecond
	state := []NodeState{
		{Alive: true, LinkedAt: 0},
		{Alive: true, LinkedAt: 0},
		{Alive: true, StartedAt: 100 * ms, LinkedAt: 105 * ms}, // restarted at the send, linked during it
		{Alive: true, StartedAt: 100 * ms, LinkedAt: 300 * ms}, // linked after the last delivery
	}
	node := func(i NodeIndex) NodeState { return state[i] }
	id := mesh.MsgID{Origin: 1, Seq: 1}
	l.Broadcast(id, 0, 100*ms, node)
	l.Delivered(1, &mesh.Message{ID: id, Hops: 1}, 120*ms, 0) // the last delivery
	r := l.Results(node)[0]
	if r.Alive != 3 || r.Delivered != 1 || r.Reachable != 2 || r.ReachableDelivered != 1 {
		t.Errorf("alive %d delivered %d reachable %d reachable delivered %d: want 3 1 2 1",
			r.Alive, r.Delivered, r.Reachable, r.ReachableDelivered)
	}
	if r.ReliabilityReachable != 0.5 || r.Reliability != 1.0/3 {
		t.Errorf("reliability %v, reachable %v: want 1/3 and 1/2", r.Reliability, r.ReliabilityReachable)
	}
}

// Beyond the budget, a new broadcast takes the entries of the followed one
// that has done best so far (the first aside, two others kept): the
// first, the worst so far and the newest stay followed.
func TestLedgerKeepsFollowingTheFirstTheWorstAndTheNewest(t *testing.T) {
	l := Ledger{SpreadBudget: 12} // three broadcasts of 4 nodes
	for range 4 {
		l.AddNode()
	}
	alive := func(NodeIndex) NodeState { return NodeState{Alive: true} }
	send := func(seq uint64, reached ...NodeIndex) {
		id := mesh.MsgID{Origin: 1, Seq: seq}
		l.Broadcast(id, 0, 0, alive)
		for _, i := range reached {
			l.Delivered(i, &mesh.Message{ID: id, Hops: 1}, time.Millisecond, 0)
		}
	}
	followed := func() []int {
		var out []int
		for k := range l.bcasts {
			if l.Spread(k) != nil {
				out = append(out, k)
			}
		}
		return out
	}
	send(0, 1, 2, 3)
	send(1, 1, 2, 3) // best so far
	send(2, 1)       // the worst
	send(3, 1, 2)
	if got := followed(); !slices.Equal(got, []int{0, 2, 3}) {
		t.Errorf("followed %v after 4 broadcasts, want [0 2 3]: broadcast 1 did best", got)
	}
	send(4)
	if got := followed(); !slices.Equal(got, []int{0, 2, 4}) {
		t.Errorf("followed %v after 5 broadcasts, want the first, the worst (2) and the newest (4)", got)
	}
	if l.SpreadBudget != 0 {
		t.Errorf("budget left %d, want 0", l.SpreadBudget)
	}
	// Broadcast 4 took broadcast 3's entries, cleared: nobody got it yet.
	if sp := l.Spread(4); !slices.Equal(sp.Arrival, []time.Duration{0, -1, -1, -1}) || !slices.Equal(sp.Hop, []uint16{0, 0, 0, 0}) {
		t.Errorf("the newest broadcast's spread starts with arrivals %v, hops %v", sp.Arrival, sp.Hop)
	}
}

// A node that starts after a broadcast was sent and gets it from a copy the
// origin kept for newcomers delivers it (its application has it), but that
// is no latency of the broadcast: in flood-churn.yaml one such catch-up,
// 2.6 s after the send, made a broadcast's p99 2.6 s where every node
// running at the send had it within 21 ms.
func TestLedgerLatencyCountsOnlyNodesRunningAtTheSend(t *testing.T) {
	var l Ledger
	for range 4 {
		l.AddNode()
	}
	state := []NodeState{{Alive: true}, {Alive: true}, {Alive: true}, {}}
	node := func(i NodeIndex) NodeState { return state[i] }
	id := mesh.MsgID{Origin: 1, Seq: 1}
	sent := 10 * time.Second
	l.Broadcast(id, 0, sent, node)
	l.Delivered(1, &mesh.Message{ID: id, Hops: 1}, sent+10*time.Millisecond, 0)
	l.Delivered(2, &mesh.Message{ID: id, Hops: 2}, sent+20*time.Millisecond, 0)
	state[3] = NodeState{Alive: true, StartedAt: sent + time.Second, LinkedAt: sent + 2*time.Second}
	l.Delivered(3, &mesh.Message{ID: id, Hops: 1}, sent+2600*time.Millisecond, state[3].StartedAt)
	r := l.Results(node)[0]
	if r.LatencyMax != 20*time.Millisecond || r.LatencyP99 != 20*time.Millisecond || len(l.Latencies(0)) != 2 {
		t.Errorf("latency p99 %v, max %v over %d deliveries; want 20ms over the 2 nodes running at the send", r.LatencyP99, r.LatencyMax, len(l.Latencies(0)))
	}
	if !l.HasDelivered(id, 3) || r.Alive != 2 || r.Delivered != 2 {
		t.Errorf("the newcomer delivered it: %v; alive %d, delivered %d (want true, 2, 2)", l.HasDelivered(id, 3), r.Alive, r.Delivered)
	}
}
