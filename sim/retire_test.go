package sim

import (
	"slices"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// After Retire, everything a report reads is as it was (nodes, loads,
// links, topology, deliveries, counters, the trace), while the engines'
// passive lists and the pending events are gone.
func TestRetireKeepsWhatReportsRead(t *testing.T) {
	s := lan(t, 3, 60, mesh.DefaultConfig())
	s.RunFor(10 * time.Second)
	if _, err := s.Broadcast(7, 64); err != nil {
		t.Fatal(err)
	}
	s.RunFor(300 * time.Millisecond) // the flood still under way: events pending
	if s.Pending() == 0 {
		t.Fatal("nothing pending before Retire: the test checks nothing")
	}
	type view struct {
		nodes   []NodeInfo
		links   [][]mesh.LinkInfo
		stats   []mesh.Stats
		edges   int
		delivs  []uint64
		bcasts  []BroadcastResult
		counter Counters
		events  uint64
		digest  uint64
	}
	look := func() view {
		var v view
		for i := range NodeIndex(s.NodeCount()) {
			v.nodes = append(v.nodes, s.Node(i))
			e := s.Engine(i)
			v.links = append(v.links, e.Links(nil))
			v.stats = append(v.stats, e.Stats())
			v.delivs = append(v.delivs, s.NodeDelivered(i))
		}
		v.edges = len(s.Topology().Edges)
		v.bcasts = s.Broadcasts()
		v.counter = s.Counters()
		v.digest, v.events = s.TraceDigest()
		return v
	}
	known := 0
	for i := range NodeIndex(s.NodeCount()) {
		known += s.Engine(i).KnownPeers()
	}
	before := look()
	s.Retire()
	after := look()
	if !slices.Equal(before.nodes, after.nodes) ||
		!slices.EqualFunc(before.links, after.links, slices.Equal) || !slices.Equal(before.stats, after.stats) ||
		before.edges != after.edges || !slices.Equal(before.delivs, after.delivs) ||
		!slices.Equal(before.bcasts, after.bcasts) || before.counter != after.counter ||
		before.events != after.events || before.digest != after.digest {
		t.Fatal("Retire changed what a report reads")
	}
	for i := range NodeIndex(s.NodeCount()) {
		if n := s.Engine(i).KnownPeers(); n != 0 {
			t.Fatalf("node %d still knows %d peers after Retire", i, n)
		}
	}
	if known == 0 || s.Pending() != 0 {
		t.Fatalf("before Retire %d known peers in all, after it %d events pending", known, s.Pending())
	}
}
