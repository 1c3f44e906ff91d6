package measure

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/traverse"

	"p2pmesh/mesh"
)

// Topology is the overlay at one moment: the running nodes and the links
// between them that at least one end considers established.
type Topology struct {
	At    mesh.Time
	Nodes []NodeIndex // running nodes, ascending
	Edges [][2]NodeIndex
	// adjacency in compressed rows: the neighbours of Nodes[k] are
	// adj[off[k]:off[k+1]]; pos maps a node index to k (-1 if not running).
	off []int32
	adj []NodeIndex
	pos []int32
}

// NewTopology builds the overlay at time at of n nodes, of which alive
// (ascending) are running, from the links each running node reports: edges
// holds pairs of running nodes, in any order and with repeats (both ends of
// a link usually report it).
func NewTopology(at mesh.Time, n int, alive []NodeIndex, edges [][2]NodeIndex) *Topology {
	keys := make([]uint64, 0, len(edges))
	for _, e := range edges {
		if e[0] != e[1] {
			keys = AppendEdge(keys, e[0], e[1])
		}
	}
	return TopologyOfEdges(at, n, slices.Clone(alive), keys)
}

// AppendEdge appends the key of the undirected edge a–b, for
// TopologyOfEdges.
func AppendEdge(keys []uint64, a, b NodeIndex) []uint64 {
	if a > b {
		a, b = b, a
	}
	return append(keys, uint64(a)<<32|uint64(b))
}

// TopologyOfEdges builds a Topology from the running nodes (ascending; the
// Topology keeps the slice) and the keys of their edges (see AppendEdge),
// with repeats: NewTopology without a copy, for a caller that takes
// snapshots often. It sorts keys in place and keeps no reference to them.
func TopologyOfEdges(at mesh.Time, n int, alive []NodeIndex, keys []uint64) *Topology {
	t := &Topology{At: at, Nodes: alive, pos: make([]int32, n)}
	for i := range t.pos {
		t.pos[i] = -1
	}
	for k, i := range alive {
		t.pos[i] = int32(k)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	t.Edges = make([][2]NodeIndex, len(keys))
	deg := make([]int32, len(t.Nodes)+1)
	for k, key := range keys {
		a, b := NodeIndex(key>>32), NodeIndex(uint32(key))
		t.Edges[k] = [2]NodeIndex{a, b}
		deg[t.pos[a]]++
		deg[t.pos[b]]++
	}
	t.off = make([]int32, len(t.Nodes)+1)
	for k := range t.Nodes {
		t.off[k+1] = t.off[k] + deg[k]
	}
	t.adj = make([]NodeIndex, t.off[len(t.Nodes)])
	fill := slices.Clone(t.off[:len(t.Nodes)])
	for _, e := range t.Edges {
		pa, pb := t.pos[e[0]], t.pos[e[1]]
		t.adj[fill[pa]] = e[1]
		fill[pa]++
		t.adj[fill[pb]] = e[0]
		fill[pb]++
	}
	return t
}

// Neighbours returns the running neighbours of node i.
func (t *Topology) Neighbours(i NodeIndex) []NodeIndex {
	if int(i) >= len(t.pos) || t.pos[i] < 0 {
		return nil
	}
	k := t.pos[i]
	return t.adj[t.off[k]:t.off[k+1]]
}

// Eccentricity returns the largest number of hops from node i to a running
// node it reaches (gonum's shortest paths over this topology); 0 for a node
// that is not running or has no link.
func (t *Topology) Eccentricity(i NodeIndex) int {
	if int(i) >= len(t.pos) || t.pos[i] < 0 {
		return 0
	}
	paths := path.DijkstraFrom(simple.Node(i), topoGraph{t})
	ecc := 0.0
	for _, j := range t.Nodes {
		if w := paths.WeightTo(int64(j)); !math.IsInf(w, 1) {
			ecc = max(ecc, w)
		}
	}
	return int(ecc)
}

// Components returns the connected components, each a list of node indices
// in ascending order, the components in the order of their first node:
// gonum's breadth-first walk over every node (traverse.BreadthFirst.WalkAll,
// what topo.ConnectedComponents does depth-first) marks where each
// component begins and ends. All components share one backing array.
func (t *Topology) Components() [][]NodeIndex {
	ids := make([]NodeIndex, 0, len(t.Nodes))
	var ends []int
	var w traverse.BreadthFirst
	w.WalkAll(newWalkGraph(t), nil,
		func() { ends = append(ends, len(ids)) },
		func(n graph.Node) { ids = append(ids, NodeIndex(n.ID())) })
	out := make([][]NodeIndex, len(ends))
	from := 0
	for k, end := range ends {
		out[k] = ids[from:end:end]
		slices.Sort(out[k])
		from = end
	}
	slices.SortFunc(out, func(a, b []NodeIndex) int { return int(a[0] - b[0]) })
	return out
}

// HonestComponents counts the connected components of t that hold at least
// one node that is not a siphoner, found by gonum's breadth-first walk as
// in Components, without listing them.
func (t *Topology) HonestComponents(siphon func(NodeIndex) bool) int {
	n := 0
	honest := false
	var w traverse.BreadthFirst
	w.WalkAll(newWalkGraph(t),
		func() { honest = false },
		func() {
			if honest {
				n++
			}
		},
		func(v graph.Node) {
			if !honest && !siphon(NodeIndex(v.ID())) {
				honest = true
			}
		})
	return n
}

// topoGraph adapts a Topology to gonum's graph.Undirected without copying
// it. Its nodes are pointers into the topology's own slices (see node), so
// handing gonum a node allocates nothing.
type topoGraph struct{ t *Topology }

func (g topoGraph) Node(id int64) graph.Node {
	if id < 0 || id >= int64(len(g.t.pos)) || g.t.pos[id] < 0 {
		return nil
	}
	return (*node)(&g.t.Nodes[g.t.pos[id]])
}

func (g topoGraph) Nodes() graph.Nodes { return &nodeIter{list: g.t.Nodes} }

func (g topoGraph) From(id int64) graph.Nodes {
	return &nodeIter{list: g.t.Neighbours(NodeIndex(id))}
}

func (g topoGraph) HasEdgeBetween(x, y int64) bool {
	return slices.Contains(g.t.Neighbours(NodeIndex(x)), NodeIndex(y))
}

func (g topoGraph) Edge(u, v int64) graph.Edge { return g.EdgeBetween(u, v) }

func (g topoGraph) EdgeBetween(x, y int64) graph.Edge {
	if !g.HasEdgeBetween(x, y) {
		return nil
	}
	return simple.Edge{F: simple.Node(x), T: simple.Node(y)}
}

// walkGraph is a topoGraph whose From hands out one iterator, reset at
// every call, instead of a new one: for gonum's traversals
// (traverse.BreadthFirst, traverse.DepthFirst), which finish with one
// node's neighbours before they ask for the next node's, and which one
// goroutine runs. A walk over 100,000 nodes then allocates one iterator,
// not 100,000.
type walkGraph struct {
	topoGraph
	from nodeIter
}

func newWalkGraph(t *Topology) *walkGraph { return &walkGraph{topoGraph: topoGraph{t}} }

func (g *walkGraph) From(id int64) graph.Nodes {
	g.from = nodeIter{list: g.t.Neighbours(NodeIndex(id))}
	return &g.from
}

// node is a graph.Node that points at a node index held in one of the
// topology's slices (Nodes, adj): a pointer fits in an interface without
// the allocation that boxing an index (simple.Node) costs.
type node NodeIndex

func (n *node) ID() int64 { return int64(*n) }

// nodeIter iterates over a slice of node indices, handing out nodes that
// point into it.
type nodeIter struct {
	list []NodeIndex
	i    int
}

func (it *nodeIter) Next() bool {
	if it.i >= len(it.list) {
		return false
	}
	it.i++
	return true
}
func (it *nodeIter) Node() graph.Node {
	if it.i == 0 || it.i > len(it.list) {
		return nil
	}
	return (*node)(&it.list[it.i-1])
}
func (it *nodeIter) Len() int { return len(it.list) - it.i }
func (it *nodeIter) Reset()   { it.i = 0 }
