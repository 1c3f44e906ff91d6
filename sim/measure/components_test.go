package measure

import (
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/graph/topo"
)

// Components finds what gonum's connected components find, in the order of
// each component's smallest node, over random sparse overlays with nodes
// not running, lone nodes and repeated edges.
func TestComponentsMatchGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := 1 + rng.IntN(60)
		var alive []NodeIndex
		for i := range n {
			if rng.IntN(5) > 0 {
				alive = append(alive, NodeIndex(i))
			}
		}
		var edges [][2]NodeIndex
		for range rng.IntN(2*n + 1) {
			if len(alive) > 0 {
				edges = append(edges, [2]NodeIndex{alive[rng.IntN(len(alive))], alive[rng.IntN(len(alive))]})
			}
		}
		top := NewTopology(0, n, alive, edges)
		got := top.Components()
		want := gonumComponents(top)
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("round %d: components %v, gonum's %v", round, got, want)
		}
		siphon := func(i NodeIndex) bool { return i%3 == 0 }
		honest := 0
		for _, c := range want {
			if slices.ContainsFunc(c, func(i NodeIndex) bool { return !siphon(i) }) {
				honest++
			}
		}
		if h := top.HonestComponents(siphon); h != honest {
			t.Fatalf("round %d: %d honest components, want %d", round, h, honest)
		}
	}
}

// gonumComponents is what Components returned when gonum's walk made it.
func gonumComponents(t *Topology) [][]NodeIndex {
	var out [][]NodeIndex
	t.makeNodes()
	for _, c := range topo.ConnectedComponents(topoGraph{t}) {
		ids := make([]NodeIndex, len(c))
		for k, n := range c {
			ids[k] = NodeIndex(n.ID())
		}
		slices.Sort(ids)
		out = append(out, ids)
	}
	slices.SortFunc(out, func(a, b []NodeIndex) int { return int(a[0] - b[0]) })
	return out
}
