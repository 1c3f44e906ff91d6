package measure

import (
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/graph/topo"
)

// A node's eccentricity is the most hops to a node it reaches: on the path
// 0-1-2-3 with 4 off it and 5 not running, 3 from an end, 2 from the
// middle, 0 for the lone node and for one not running.
func TestEccentricity(t *testing.T) {
	top := NewTopology(0, 6, []NodeIndex{0, 1, 2, 3, 4}, [][2]NodeIndex{{0, 1}, {1, 2}, {2, 1}, {3, 2}})
	for i, want := range []int{3, 2, 2, 3, 0, 0} {
		if got := top.Eccentricity(NodeIndex(i)); got != want {
			t.Errorf("eccentricity of %d = %d, want %d", i, got, want)
		}
	}
}

// randomTopology is an overlay of n nodes, about one in ten of them not
// running, with links random running nodes report: perNode tries a node
// (so about 2*perNode links a node), loops and repeats included.
func randomTopology(rng *rand.Rand, n, perNode int) *Topology {
	var alive []NodeIndex
	for i := range n {
		if rng.IntN(10) > 0 {
			alive = append(alive, NodeIndex(i))
		}
	}
	var edges [][2]NodeIndex
	for _, i := range alive {
		for range perNode {
			edges = append(edges, [2]NodeIndex{i, alive[rng.IntN(len(alive))]})
		}
	}
	return NewTopology(0, n, alive, edges)
}

// Components finds what gonum's topo.ConnectedComponents finds over the
// same topology, each component sorted and the components in the order of
// their first node; HonestComponents counts those of them with an honest
// node.
func TestComponentsMatchGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for run := range 200 {
		n := 1 + rng.IntN(300)
		top := randomTopology(rng, n, rng.IntN(3))
		var want [][]NodeIndex
		for _, c := range topo.ConnectedComponents(topoGraph{top}) {
			ids := make([]NodeIndex, len(c))
			for k, v := range c {
				ids[k] = NodeIndex(v.ID())
			}
			slices.Sort(ids)
			want = append(want, ids)
		}
		slices.SortFunc(want, func(a, b []NodeIndex) int { return int(a[0] - b[0]) })
		got := top.Components()
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("run %d: components %v, want %v", run, got, want)
		}

		siphon := make([]bool, n)
		for i := range siphon {
			siphon[i] = rng.IntN(4) == 0
		}
		honest := 0
		for _, c := range want {
			if slices.ContainsFunc(c, func(i NodeIndex) bool { return !siphon[i] }) {
				honest++
			}
		}
		if h := top.HonestComponents(func(i NodeIndex) bool { return siphon[i] }); h != honest {
			t.Fatalf("run %d: %d honest components, want %d", run, h, honest)
		}
	}
}

// BenchmarkComponents counts the components of a 100,000-node overlay of
// about four links a node (nine in ten nodes running; a giant component
// and a few thousand small ones), as a scale-100k sample counts them
// (honest) and as the repair check lists them (list).
func BenchmarkComponents(b *testing.B) {
	top := randomTopology(rand.New(rand.NewPCG(1, 2)), 100_000, 2)
	b.Run("honest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			top.HonestComponents(func(NodeIndex) bool { return false })
		}
	})
	b.Run("list", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			top.Components()
		}
	})
}
