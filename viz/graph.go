package viz

import (
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/simple"

	"p2pmesh/sim/report"
)

// linkGraph adapts a topology's links to gonum's graph.Undirected. Node ids
// are positions in report.Topology.Nodes. Unlike gonum's map-backed graphs it
// iterates nodes and neighbours in ascending id order, which is what makes
// gonum's layouts, traversals and encoders deterministic over it.
type linkGraph struct {
	nodes []graph.Node   // members, ascending
	adj   [][]graph.Node // neighbours by id, ascending; nil for non-members
	in    []bool         // membership by id
	edges int
}

// newLinkGraph builds the undirected graph over the nodes 0..n-1 for which
// member is true (all of them when member is nil) and every link of the
// given edge lists whose ends are both members. Duplicate links, self-links
// and links naming unknown nodes are dropped.
func newLinkGraph(n int, member []bool, lists ...[][2]int) *linkGraph {
	g := &linkGraph{adj: make([][]graph.Node, n), in: make([]bool, n)}
	for i := range n {
		if member == nil || member[i] {
			g.in[i] = true
			g.nodes = append(g.nodes, simple.Node(i))
		}
	}
	ids := make([][]int64, n)
	for _, edges := range lists {
		for _, e := range edges {
			a, b := e[0], e[1]
			if a == b || a < 0 || b < 0 || a >= n || b >= n || !g.in[a] || !g.in[b] {
				continue
			}
			ids[a] = append(ids[a], int64(b))
			ids[b] = append(ids[b], int64(a))
		}
	}
	for i, list := range ids {
		slices.Sort(list)
		list = slices.Compact(list)
		g.edges += len(list)
		if len(list) == 0 {
			continue
		}
		ns := make([]graph.Node, len(list))
		for k, id := range list {
			ns[k] = simple.Node(id)
		}
		g.adj[i] = ns
	}
	g.edges /= 2
	return g
}

// unionGraph is the graph of every link seen in any snapshot of t.
func unionGraph(t *report.Topology, member []bool) *linkGraph {
	lists := make([][][2]int, len(t.Snapshots))
	for k := range t.Snapshots {
		lists[k] = t.Snapshots[k].Edges
	}
	return newLinkGraph(len(t.Nodes), member, lists...)
}

// subgraph is the graph induced by the member nodes.
func (g *linkGraph) subgraph(member []bool) *linkGraph {
	s := &linkGraph{adj: make([][]graph.Node, len(g.in)), in: make([]bool, len(g.in))}
	for _, v := range g.nodes {
		id := v.ID()
		if !member[id] {
			continue
		}
		s.in[id] = true
		s.nodes = append(s.nodes, v)
		for _, w := range g.adj[id] {
			if member[w.ID()] {
				s.adj[id] = append(s.adj[id], w)
				s.edges++
			}
		}
	}
	s.edges /= 2
	return s
}

// degree is the number of neighbours of node id.
func (g *linkGraph) degree(id int) int { return len(g.adj[id]) }

func (g *linkGraph) valid(id int64) bool { return id >= 0 && id < int64(len(g.in)) && g.in[id] }

// Node implements graph.Graph.
func (g *linkGraph) Node(id int64) graph.Node {
	if !g.valid(id) {
		return nil
	}
	return simple.Node(id)
}

// Nodes implements graph.Graph.
func (g *linkGraph) Nodes() graph.Nodes { return iterator.NewOrderedNodes(g.nodes) }

// From implements graph.Graph.
func (g *linkGraph) From(id int64) graph.Nodes {
	if !g.valid(id) {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(g.adj[id])
}

// HasEdgeBetween implements graph.Graph.
func (g *linkGraph) HasEdgeBetween(x, y int64) bool {
	if !g.valid(x) || !g.valid(y) {
		return false
	}
	_, ok := slices.BinarySearchFunc(g.adj[x], y, func(n graph.Node, id int64) int {
		return int(n.ID() - id)
	})
	return ok
}

// Edge implements graph.Graph.
func (g *linkGraph) Edge(u, v int64) graph.Edge { return g.EdgeBetween(u, v) }

// EdgeBetween implements graph.Undirected.
func (g *linkGraph) EdgeBetween(x, y int64) graph.Edge {
	if !g.HasEdgeBetween(x, y) {
		return nil
	}
	return simple.Edge{F: simple.Node(x), T: simple.Node(y)}
}
