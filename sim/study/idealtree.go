package study

// The ideal shared tree bounds every shared tree, on any overlay the nodes
// could build: a tree over n nodes in which no node has more than
// maxLinks links (tree links are overlay links, so the engine's 5 incoming
// and 5 outgoing bound them) has the least sum of hop distances between
// all its pairs of nodes when it is the Volkmann tree: the root has
// maxLinks children, every other inner node maxLinks-1, filled level by
// level (Fischermann, Hoffmann, Rautenbach, Székely and Volkmann, "Wiener
// index versus maximum degree in trees", Discrete Applied Mathematics 122,
// 2002). A message from a random sender therefore crosses, on average, no
// fewer hops in any shared tree than in this one, and each hop costs a
// frame's delay, drawn anew as the simulator draws it.

import (
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"

	"p2pmesh/sim"
)

// VolkmannTree returns the tree over nodes 0..n-1 with at most maxLinks
// links a node and the least sum of distances between its pairs: node 0
// has children 1..maxLinks, and every later node maxLinks-1 children, in
// breadth-first order. (gonum's gen.Tree gives every node the same number
// of children, so its root would have one link fewer than this one.)
func VolkmannTree(n, maxLinks int) *simple.UndirectedGraph {
	g := simple.NewUndirectedGraph()
	for i := range n {
		g.AddNode(simple.Node(i))
	}
	if maxLinks < 2 {
		if n > 1 {
			g.SetEdge(g.NewEdge(simple.Node(0), simple.Node(1)))
		}
		return g
	}
	next := 1 // the next node to hang below a parent
	for parent := 0; next < n; parent++ {
		children := maxLinks - 1
		if parent == 0 {
			children = maxLinks
		}
		for ; children > 0 && next < n; children-- {
			g.SetEdge(g.NewEdge(simple.Node(parent), simple.Node(next)))
			next++
		}
	}
	return g
}

// IdealTreeBound is the best any shared tree can do over n nodes with at
// most maxLinks links a node: the mean over senders of a message's p50 and
// p99 delivery latency over the Volkmann tree, each frame's delay drawn
// from lat (draws draws a sender, as the tree bound's other rows draw
// them). The senders are every node, or at most senders of them evenly
// spaced in the tree's breadth-first order (so each level in proportion).
func IdealTreeBound(n, maxLinks int, lat sim.Latency, seed uint64, draws, senders int) BoundRow {
	m := newModel(lat, seed, draws)
	d := dissemination{g: VolkmannTree(n, maxLinks)}
	row := BoundRow{Scheme: "ideal shared tree (Volkmann, any overlay)"}
	if senders <= 0 || senders > n {
		senders = n
	}
	for k := range senders {
		p50, p99, rmr, depth := m.spread(d, sim.NodeIndex(k*n/senders))
		row.P50 += p50 / float64(senders)
		row.P99 += p99 / float64(senders)
		row.RMR += rmr / float64(senders)
		row.Depth = max(row.Depth, depth)
	}
	row.PairHops = meanPairHops(farness(d.g))
	return row
}

// farness returns each node's farness in g, the sum of its hops to every
// node it reaches (gonum's, over all shortest paths).
func farness(g graph.Undirected) map[int64]float64 {
	return network.Farness(g, path.DijkstraAllPaths(g))
}

// meanPairHops is the mean number of hops between two nodes of a connected
// graph whose nodes have farness far.
func meanPairHops(far map[int64]float64) float64 {
	n := len(far)
	if n < 2 {
		return 0
	}
	sum := 0.0
	for _, f := range far {
		sum += f
	}
	return sum / float64(n*(n-1))
}
