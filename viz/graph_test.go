package viz

import (
	"slices"
	"testing"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/topo"
)

func ids(it graph.Nodes) []int64 {
	var out []int64
	for it.Next() {
		out = append(out, it.Node().ID())
	}
	return out
}

func TestLinkGraph(t *testing.T) {
	t.Parallel()
	// Duplicates in both directions, a self-link, links to unknown nodes
	// and across two lists all collapse into one simple graph.
	g := newLinkGraph(5, nil,
		[][2]int{{0, 1}, {1, 0}, {2, 2}, {3, 9}, {-1, 2}, {1, 3}},
		[][2]int{{0, 1}, {3, 1}, {3, 2}})
	if g.edges != 3 {
		t.Errorf("edges = %d, want 3", g.edges)
	}
	if got := ids(g.Nodes()); !slices.Equal(got, []int64{0, 1, 2, 3, 4}) {
		t.Errorf("Nodes = %v", got)
	}
	if got := ids(g.From(1)); !slices.Equal(got, []int64{0, 3}) {
		t.Errorf("From(1) = %v, want [0 3] in order", got)
	}
	if got := ids(g.From(7)); len(got) != 0 {
		t.Errorf("From(unknown) = %v", got)
	}
	for _, c := range []struct {
		x, y int64
		want bool
	}{{0, 1, true}, {1, 0, true}, {2, 3, true}, {0, 2, false}, {2, 2, false}, {0, 9, false}} {
		if got := g.HasEdgeBetween(c.x, c.y); got != c.want {
			t.Errorf("HasEdgeBetween(%d, %d) = %v", c.x, c.y, got)
		}
		if got := g.EdgeBetween(c.x, c.y) != nil; got != c.want {
			t.Errorf("EdgeBetween(%d, %d) = %v", c.x, c.y, got)
		}
	}
	if g.Node(4) == nil || g.Node(5) != nil || g.Node(-1) != nil {
		t.Error("Node does not follow membership")
	}
	if n := len(topo.ConnectedComponents(g)); n != 2 {
		t.Errorf("%d components, want 2 ({0,1,2,3} and {4})", n)
	}
}

func TestLinkGraphMembers(t *testing.T) {
	t.Parallel()
	member := []bool{true, true, false, true}
	edges := [][2]int{{0, 1}, {1, 2}, {2, 3}, {0, 3}}
	g := newLinkGraph(4, member, edges)
	if got := ids(g.Nodes()); !slices.Equal(got, []int64{0, 1, 3}) {
		t.Errorf("Nodes = %v", got)
	}
	if g.edges != 2 || g.HasEdgeBetween(1, 2) {
		t.Errorf("links to a non-member were kept: %d edges", g.edges)
	}
	full := newLinkGraph(4, nil, edges)
	sub := full.subgraph(member)
	if !slices.Equal(ids(sub.Nodes()), ids(g.Nodes())) || sub.edges != g.edges {
		t.Errorf("subgraph differs from the graph built with members: %d edges", sub.edges)
	}
	for _, id := range []int64{0, 1, 3} {
		if !slices.Equal(ids(sub.From(id)), ids(g.From(id))) {
			t.Errorf("From(%d) differs", id)
		}
	}
}

func TestUnionGraph(t *testing.T) {
	t.Parallel()
	top := ringTopology()
	g := unionGraph(top, nil)
	// The ring of the first snapshot contains every link of the second.
	if g.edges != 6 {
		t.Errorf("union has %d links, want 6", g.edges)
	}
	if g.degree(6) != 0 || g.degree(0) != 2 {
		t.Errorf("degrees %d %d", g.degree(6), g.degree(0))
	}
}
