package study

import (
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"

	"p2pmesh/sim"
)

// The Volkmann tree is a tree within the link bound, with the root's
// maxLinks children and maxLinks-1 below every other inner node, and the
// known least sums of distances (the Wiener index) of small cases.
func TestVolkmannTreeIsTheTreeOfLeastDistances(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ n, links, wiener int }{
		{1, 10, 0},
		{2, 10, 1},
		{5, 10, 4 + 6*2},            // a star: 4 pairs at 1 hop, 6 at 2
		{7, 3, 6 + 7*2 + 6*3 + 2*4}, // root 3 children, 3 grandchildren: pairs at 1, 2, 3, 4 hops
		{4, 1, -1},                  // under two links a node only a pair links
	} {
		g := VolkmannTree(c.n, c.links)
		if got := g.Nodes().Len(); got != c.n {
			t.Fatalf("n=%d: %d nodes", c.n, got)
		}
		if c.wiener < 0 {
			if g.Edges().Len() != 1 {
				t.Errorf("n=%d links=%d: %d edges, want 1", c.n, c.links, g.Edges().Len())
			}
			continue
		}
		if got := g.Edges().Len(); got != max(c.n-1, 0) || len(topo.ConnectedComponents(g)) != min(c.n, 1) {
			t.Errorf("n=%d: %d edges, %d components: not a tree", c.n, got, len(topo.ConnectedComponents(g)))
		}
		if w := wiener(g); w != c.wiener {
			t.Errorf("n=%d links=%d: Wiener index %d, want %d", c.n, c.links, w, c.wiener)
		}
	}
	g := VolkmannTree(1000, 10)
	for nodes := g.Nodes(); nodes.Next(); {
		if d := g.From(nodes.Node().ID()).Len(); d > 10 {
			t.Fatalf("node %d has %d links", nodes.Node().ID(), d)
		}
	}
	if d := g.From(0).Len(); d != 10 {
		t.Errorf("root has %d links, want 10", d)
	}
	// No breadth-first tree of another fan-out does better (gonum's
	// gen.Tree shape, every node with the same number of children).
	if w, other := wiener(VolkmannTree(200, 4)), wiener(sameFanOut(200, 3)); w >= other {
		t.Errorf("Volkmann %d, same fan-out %d", w, other)
	}
}

// The bound itself: every sender's message crosses as many hops as the tree
// has between it and each node, so the median is the sum of a few frames'
// delays; with fixed delays it is exact.
func TestIdealTreeBoundOfFixedDelays(t *testing.T) {
	t.Parallel()
	// 11 nodes, a star of 10 links: from the root every node is 1 hop
	// (10 ms), from a leaf one node is 1 hop and nine are 2 (p50 and p99
	// 20 ms).
	r := IdealTreeBound(11, 10, sim.FixedLatency(10*time.Millisecond), 1, 2, 0)
	want := (10.0 + 10*20.0) / 11
	if math.Abs(r.P50-want) > 1e-9 || math.Abs(r.P99-want) > 1e-9 || r.RMR != 0 || r.Depth != 2 {
		t.Errorf("p50 %.3f, p99 %.3f (want %.3f both), RMR %.3f, depth %d", r.P50, r.P99, want, r.RMR, r.Depth)
	}
}

// No tree of 6 nodes within the link bound has a smaller sum of distances
// than the Volkmann tree: every labelled tree, by its Prüfer sequence.
// (Run once with 7 and 8 nodes too, 14,070 and 201,600 trees at 3 links,
// 255,920 at 4: the least sums 46, 65 and 58, the Volkmann tree's.)
func TestNoTreeHasFewerDistancesThanVolkmanns(t *testing.T) {
	t.Parallel()
	const n = 6
	for _, links := range []int{2, 3, 4} {
		least, trees := -1, 0
		seq := make([]int, n-2)
		var each func(k int)
		each = func(k int) {
			if k < n-2 {
				for v := range n {
					seq[k] = v
					each(k + 1)
				}
				return
			}
			if g := pruferTree(n, seq, links); g != nil {
				trees++
				if w := wiener(g); least < 0 || w < least {
					least = w
				}
			}
		}
		each(0)
		if w := wiener(VolkmannTree(n, links)); w != least || trees == 0 {
			t.Errorf("%d links a node: the least sum of distances over %d trees is %d, the Volkmann tree's %d", links, trees, least, w)
		}
	}
}

// pruferTree decodes the labelled tree of n nodes with Prüfer sequence
// seq, or returns nil when a node of it would have more than maxLinks
// links.
func pruferTree(n int, seq []int, maxLinks int) *simple.UndirectedGraph {
	deg := make([]int, n)
	for i := range deg {
		deg[i] = 1
	}
	for _, v := range seq {
		if deg[v]++; deg[v] > maxLinks {
			return nil
		}
	}
	g := simple.NewUndirectedGraph()
	for i := range n {
		g.AddNode(simple.Node(i))
	}
	link := func(u, v int) {
		g.SetEdge(g.NewEdge(simple.Node(u), simple.Node(v)))
		deg[u]--
		deg[v]--
	}
	for _, v := range seq {
		for u := range n {
			if deg[u] == 1 {
				link(u, v)
				break
			}
		}
	}
	var last []int
	for u := range n {
		if deg[u] == 1 {
			last = append(last, u)
		}
	}
	link(last[0], last[1])
	return g
}

// wiener is g's Wiener index, the sum of hops between its pairs of nodes:
// half the sum of their farness.
func wiener(g *simple.UndirectedGraph) int {
	sum := 0.0
	for _, f := range farness(g) {
		sum += f
	}
	return int(sum) / 2
}

func sameFanOut(n, fanOut int) *simple.UndirectedGraph {
	g := simple.NewUndirectedGraph()
	for i := range n {
		g.AddNode(simple.Node(i))
	}
	for i := 1; i < n; i++ {
		g.SetEdge(g.NewEdge(simple.Node((i-1)/fanOut), simple.Node(i)))
	}
	return g
}
