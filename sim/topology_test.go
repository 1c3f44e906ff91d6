package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim/measure"
)

// measure.NewTopology, fed with every link each running node reports (both ends,
// in any order), builds the simulator's own Topology.
func TestNewTopologyMatchesTheSimulators(t *testing.T) {
	s := lan(t, 3, 30, mesh.DefaultConfig())
	s.RunFor(10 * time.Second)
	s.Kill(4, false)
	s.Kill(9, true)
	want := s.Topology()

	var alive []NodeIndex
	var edges [][2]NodeIndex
	for i := range s.NodeCount() {
		eng := s.Engine(NodeIndex(i))
		if eng == nil {
			continue
		}
		alive = append(alive, NodeIndex(i))
		for _, l := range eng.Links(nil) {
			if j, ok := s.byID[l.Peer]; ok && s.Engine(j) != nil {
				edges = append(edges, [2]NodeIndex{NodeIndex(i), j}, [2]NodeIndex{j, NodeIndex(i)})
			}
		}
	}
	edges = append(edges, [2]NodeIndex{alive[0], alive[0]}) // a loop is ignored
	slices.Reverse(edges)
	got := measure.NewTopology(s.Now(), s.NodeCount(), alive, edges)

	if !slices.Equal(got.Nodes, want.Nodes) || !slices.Equal(got.Edges, want.Edges) {
		t.Fatalf("NewTopology: %d nodes, %d edges; the simulator's: %d nodes, %d edges",
			len(got.Nodes), len(got.Edges), len(want.Nodes), len(want.Edges))
	}
	for _, i := range alive {
		if !slices.Equal(got.Neighbours(i), want.Neighbours(i)) {
			t.Fatalf("neighbours of %d: %v, want %v", i, got.Neighbours(i), want.Neighbours(i))
		}
	}
	if g, w := s.Components(got), s.Components(want); g != w || g != 1 {
		t.Fatalf("components %d, want %d (and 1)", g, w)
	}
	if got.Neighbours(4) != nil {
		t.Fatal("a crashed node has neighbours")
	}
}

// BenchmarkComponents counts the components of a 100,000-node overlay of
// about ten links per node, as every time-series sample of scale-100k does.
func BenchmarkComponents(b *testing.B) {
	const n = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	alive := make([]NodeIndex, n)
	var edges [][2]NodeIndex
	for i := range alive {
		alive[i] = NodeIndex(i)
		for range 5 {
			edges = append(edges, [2]NodeIndex{NodeIndex(i), NodeIndex(rng.IntN(n))})
		}
	}
	t := measure.NewTopology(0, n, alive, edges)
	b.ReportAllocs()
	for b.Loop() {
		if c := t.HonestComponents(func(NodeIndex) bool { return false }); c != 1 {
			b.Fatalf("%d components", c)
		}
	}
}
