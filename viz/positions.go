package viz

import (
	"math"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/traverse"
	"gonum.org/v1/gonum/spatial/r2"

	"p2pmesh/sim/report"
)

// Positions places every node of t in the unit square, for the interactive
// replay. Up to SampleAbove nodes these are the positions of the topology
// pictures, so that page and pictures agree. Beyond, a force layout of every
// node would take minutes (about 14 µs a node and step, hundreds of steps),
// so the LANs are placed by the force layout of the graph of LANs (linked
// where any of their nodes are) and each LAN's nodes fill a disc around its
// place in breadth-first order over the links, neighbours near each other.
func Positions(t *report.Topology) []r2.Vec {
	if len(t.Nodes) <= SampleAbove {
		return NewLayout(t).Pos
	}
	n := len(t.Nodes)
	lanOf := make([]int, n)
	lans := map[string]int{}
	var members [][]int
	for i, node := range t.Nodes {
		k, ok := lans[node.Segment]
		if !ok {
			k = len(members)
			lans[node.Segment] = k
			members = append(members, nil)
		}
		lanOf[i] = k
		members[k] = append(members[k], i)
	}
	g := unionGraph(t, nil)
	var lanEdges [][2]int
	for i := range n {
		for _, v := range g.adj[i] {
			if a, b := lanOf[i], lanOf[v.ID()]; a < b {
				lanEdges = append(lanEdges, [2]int{a, b})
			}
		}
	}
	centres := PlaceGraph(len(members), lanEdges, t.Seed)
	// The closest two LANs bound the discs' size; the largest LAN gets the
	// largest disc, the others by area.
	gap := 1.0
	for a := range centres {
		for b := a + 1; b < len(centres); b++ {
			gap = min(gap, math.Hypot(centres[a].X-centres[b].X, centres[a].Y-centres[b].Y))
		}
	}
	largest := 0
	for _, m := range members {
		largest = max(largest, len(m))
	}
	pos := make([]r2.Vec, n)
	order := make([]int, 0, largest)
	seen := make([]bool, n)
	for k, m := range members {
		order = order[:0]
		inLAN := func(v graph.Node) bool { return lanOf[v.ID()] == k }
		bf := traverse.BreadthFirst{Traverse: func(e graph.Edge) bool { return inLAN(e.To()) },
			Visit: func(v graph.Node) { seen[v.ID()] = true; order = append(order, int(v.ID())) }}
		for _, i := range m {
			if !seen[i] {
				bf.Walk(g, g.Node(int64(i)), nil)
			}
		}
		radius := 0.45 * gap * math.Sqrt(float64(len(m))/float64(largest))
		spiral(order, centres[k], radius, pos)
	}
	var all []graph.Node
	for i := range n {
		all = append(all, g.Node(int64(i)))
	}
	fit(all, pos, r2.Box{Max: r2.Vec{X: 1, Y: 1}})
	return pos
}

// spiral puts the nodes of order on a sunflower (Vogel) spiral of the given
// radius around centre, the first in the middle: evenly spread over the
// disc, consecutive nodes near each other.
func spiral(order []int, centre r2.Vec, radius float64, pos []r2.Vec) {
	golden := math.Pi * (3 - math.Sqrt(5))
	for j, i := range order {
		r := radius * math.Sqrt((float64(j)+0.5)/float64(len(order)))
		a := float64(j) * golden
		pos[i] = r2.Vec{X: centre.X + r*math.Cos(a), Y: centre.Y + r*math.Sin(a)}
	}
}

// PlaceGraph lays out a graph of n nodes and the given edges (pairs of node
// numbers) in the unit square, as the topology pictures are laid out.
func PlaceGraph(n int, edges [][2]int, seed uint64) []r2.Vec {
	pos := make([]r2.Vec, n)
	if n > 0 {
		place(newLinkGraph(n, nil, edges), seed, pos)
	}
	return pos
}
