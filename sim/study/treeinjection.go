package study

// Multi-point injection (issue 18, point 3): a message enters the shared
// tree at more points than its sender. The nodes its first copies reach
// within a few hops push it, besides over the tree's links, over some of
// their other links too; every node pushes its first copy over its tree
// links but the one it came over, and over the links its injection rule
// names. Its cost is each extra send plus the duplicates where the fronts
// meet on the tree; its gain, that the fronts enter other branches of the
// tree without climbing to their common ancestor.
//
// The extra links are one-way (a node that got its copy from the tree does
// not push it back over them), so this cannot be written as a dissemination
// graph: it is played as events, each frame's delay drawn as the other
// schemes draw it (the same draw for the same frame), each node acting on
// its first copy only.

import (
	"container/heap"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/traverse"

	"p2pmesh/sim"
	"p2pmesh/sim/measure"
)

// injector names the links, beyond the shared tree's, over which node x
// pushes its first copy of a message: it came from peer from after hops
// hops (1 at the sender's neighbours). pick draws for random choices.
type injector func(t *treeView, x, from int64, hops int, pick *rand.Rand) []int64

// treeView is one shared tree on one overlay, with what an injection rule
// may know: each node's depth below the root and the root's child above it
// (its branch).
type treeView struct {
	o      *overlay
	tree   *simple.UndirectedGraph
	root   int64
	depth  map[int64]int
	branch map[int64]int64
	// Each node's peers over the tree's links and over its other links
	// (sorted), and over all its links.
	treePeers, offPeers, peers map[int64][]int64
}

func newTreeView(o *overlay, root int64) *treeView {
	t := &treeView{o: o, tree: o.tree(root), root: root, depth: map[int64]int{root: 0}, branch: map[int64]int64{root: root}}
	// gonum's breadth-first walk down the tree: each link it follows leads
	// from a node to its child (the walk also offers the link back up to
	// the parent, which is already placed).
	walk := traverse.BreadthFirst{Traverse: func(e graph.Edge) bool {
		x, y := e.From().ID(), e.To().ID()
		if _, placed := t.depth[y]; !placed {
			t.depth[y] = t.depth[x] + 1
			t.branch[y] = t.branch[x]
			if x == root {
				t.branch[y] = y
			}
		}
		return true
	}}
	walk.Walk(t.tree, simple.Node(root), nil)
	t.treePeers, t.offPeers, t.peers = map[int64][]int64{}, map[int64][]int64{}, map[int64][]int64{}
	for nodes := o.g.Nodes(); nodes.Next(); {
		x := nodes.Node().ID()
		for nb := o.g.From(x); nb.Next(); {
			y := nb.Node().ID()
			t.peers[x] = append(t.peers[x], y)
			if t.tree.HasEdgeBetween(x, y) {
				t.treePeers[x] = append(t.treePeers[x], y)
			} else {
				t.offPeers[x] = append(t.offPeers[x], y)
			}
		}
		slices.Sort(t.peers[x])
		slices.Sort(t.treePeers[x])
		slices.Sort(t.offPeers[x])
	}
	return t
}

// offTree returns x's overlay links that are not tree links, without the
// one to peer skip.
func (t *treeView) offTree(x, skip int64) []int64 {
	out := make([]int64, 0, len(t.offPeers[x]))
	for _, y := range t.offPeers[x] {
		if y != skip {
			out = append(out, y)
		}
	}
	return out
}

// Injection rules, by the hops a node's first copy took.

// floodWithin: a node whose copy took fewer than h hops pushes it over
// every link (h = 2: the sender's neighbours flood too).
func floodWithin(h int) injector {
	return func(t *treeView, x, from int64, hops int, _ *rand.Rand) []int64 {
		if hops >= h {
			return nil
		}
		return t.offTree(x, from)
	}
}

// someWithin: a node whose copy took fewer than h hops pushes it over k
// of its other links that keep(t, x, y) accepts, drawn at random.
func someWithin(h, k int, keep func(t *treeView, x, y int64) bool) injector {
	return func(t *treeView, x, from int64, hops int, pick *rand.Rand) []int64 {
		if hops >= h {
			return nil
		}
		return t.some(x, from, k, keep, pick)
	}
}

// some returns k of x's off-tree links but the one to skip that keep
// accepts (all of them for k = 0), drawn at random.
func (t *treeView) some(x, skip int64, k int, keep func(t *treeView, x, y int64) bool, pick *rand.Rand) []int64 {
	c := slices.DeleteFunc(t.offTree(x, skip), func(y int64) bool { return !keep(t, x, y) })
	if k == 0 {
		return c
	}
	pick.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	return c[:min(k, len(c))]
}

// Which links a rule may pick: any (random rays), those into another
// branch of the tree (below another child of the root) than x's own, or
// those to nodes closer to the root than x (a hop of the climb skipped).
func anyLink(*treeView, int64, int64) bool   { return true }
func crossLink(t *treeView, x, y int64) bool { return t.branch[y] != t.branch[x] }
func upLink(t *treeView, x, y int64) bool    { return t.depth[y] < t.depth[x] }

// rays: the sender's neighbours push their copy over k of their other
// links, drawn at random among those into other branches of the tree when
// cross (else among all), and each node whose copy came over such a link,
// in fewer than h hops, over one more: k rays from each neighbour, h-1
// hops long, each ray's node entering the tree where it lands.
func rays(h, k int, cross bool) injector {
	keep := anyLink
	if cross {
		keep = crossLink
	}
	return func(t *treeView, x, from int64, hops int, pick *rand.Rand) []int64 {
		if hops >= h || hops > 1 && t.tree.HasEdgeBetween(x, from) {
			return nil
		}
		if hops > 1 {
			return t.some(x, from, 1, keep, pick)
		}
		return t.some(x, from, k, keep, pick)
	}
}

// climb: a node whose copy came from below or beside it (a peer at least
// as deep in the tree) pushes it over up to k (0: all) of its other links
// to nodes closer to the root: the climb to the root takes the quickest of
// many upward paths, as flooding would, and each node it passes sends the
// message down its own subtree.
func climb(k int) injector {
	return func(t *treeView, x, from int64, _ int, pick *rand.Rand) []int64 {
		if t.depth[from] < t.depth[x] {
			return nil
		}
		return t.some(x, from, k, upLink, pick)
	}
}

// topFlood: the nodes at most h below the root push over every link: the
// message enters each branch of the tree a level lower than the tree's
// own links would take it.
func topFlood(h int) injector {
	return func(t *treeView, x, from int64, _ int, _ *rand.Rand) []int64 {
		if t.depth[x] > h {
			return nil
		}
		return t.offTree(x, from)
	}
}

// both: the links of rules a and b.
func both(a, b injector) injector {
	return func(t *treeView, x, from int64, hops int, pick *rand.Rand) []int64 {
		c := append(a(t, x, from, hops, pick), b(t, x, from, hops, pick)...)
		slices.Sort(c)
		return slices.Compact(c)
	}
}

// frameEvent is a copy arriving at node to from node from.
type frameEvent struct {
	at       float64
	to, from int64
	hops     int
}

type frameQueue []frameEvent

func (q frameQueue) Len() int           { return len(q) }
func (q frameQueue) Less(i, j int) bool { return q[i].at < q[j].at }
func (q frameQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *frameQueue) Push(x any)        { *q = append(*q, x.(frameEvent)) }
func (q *frameQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// inject plays one message from sender over tree view t: the sender pushes
// over every link (the engine's rule for a node's first message), every
// node its first copy over its tree links but the one it came over and
// over the links rule names. It returns the mean p50 and p99 (ms) over the
// draws, the mean RMR and the deepest first delivery (hops).
func (m *model) inject(t *treeView, sender sim.NodeIndex, rule injector, rootAtOnce bool) (p50, p99, rmr float64, depth int) {
	src := int64(sender)
	n := t.o.g.Nodes().Len()
	for draw := range m.draws {
		d := delays{UndirectedGraph: t.o.g, m: m, draw: uint64(draw) + 1, directed: true}
		pick := rand.New(rand.NewPCG(m.seed, uint64(draw)<<32|uint64(sender)))
		first := make(map[int64]float64, n)
		q := &frameQueue{}
		sends := 0
		push := func(x, y int64, at float64, hops int) {
			w, _ := d.Weight(x, y)
			sends++
			heap.Push(q, frameEvent{at: at + w, to: y, from: x, hops: hops})
		}
		first[src] = 0
		for _, y := range t.peers[src] {
			push(src, y, 0, 1)
		}
		if rootAtOnce && t.root != src {
			heap.Push(q, frameEvent{at: 0, to: t.root, from: src, hops: t.depth[src]})
		}
		for q.Len() > 0 {
			ev := heap.Pop(q).(frameEvent)
			if _, seen := first[ev.to]; seen {
				continue
			}
			first[ev.to] = ev.at
			depth = max(depth, ev.hops)
			x := ev.to
			for _, y := range t.treePeers[x] {
				if y != ev.from {
					push(x, y, ev.at, ev.hops+1)
				}
			}
			if rule != nil {
				for _, y := range rule(t, x, ev.from, ev.hops, pick) {
					push(x, y, ev.at, ev.hops+1)
				}
			}
		}
		lat := make([]float64, 0, len(first))
		for x, at := range first {
			if x != src {
				lat = append(lat, at)
			}
		}
		slices.Sort(lat)
		p50 += measure.NearestRank(lat, 50) / float64(m.draws)
		p99 += measure.NearestRank(lat, 99) / float64(m.draws)
		if len(lat) > 0 {
			rmr += (float64(sends)/float64(len(lat)) - 1) / float64(m.draws)
		}
	}
	return p50, p99, rmr, depth
}

// injectionSchemes are the variants the study plays on the run's tree, the
// first the engine's own rule (the sender's links only).
var injectionSchemes = []struct {
	name       string
	rule       injector
	rootAtOnce bool // the root has it at the send, for nothing: what the climb costs
}{
	{name: "root of the run, sender's links (played)"},
	{name: "+ the root at once (no climb, free)", rootAtOnce: true},
	{name: "+ hop-1 nodes flood", rule: floodWithin(2)},
	{name: "+ hops 1-2 nodes flood", rule: floodWithin(3)},
	{name: "+ hop-1 nodes 2 random links", rule: someWithin(2, 2, anyLink)},
	{name: "+ hops 1-2 nodes 1 random link", rule: someWithin(3, 1, anyLink)},
	{name: "+ hops 1-3 nodes 1 random link", rule: someWithin(4, 1, anyLink)},
	{name: "+ hop-1 nodes 2 cross-branch links", rule: someWithin(2, 2, crossLink)},
	{name: "+ hops 1-2 nodes 1 cross-branch link", rule: someWithin(3, 1, crossLink)},
	{name: "+ rays: hop-1 nodes 2 links, 5 hops out", rule: rays(6, 2, false)},
	{name: "+ cross rays: hop-1 nodes 2 links, 5 hops out", rule: rays(6, 2, true)},
	{name: "+ hops 1-3 nodes 2 links up", rule: someWithin(4, 2, upLink)},
	{name: "+ climb: links up of a node reached from below", rule: climb(0)},
	{name: "+ climb + root and its children flood", rule: both(climb(0), topFlood(1))},
	{name: "+ climb + hop-1 nodes flood", rule: both(climb(0), floodWithin(2))},
}
