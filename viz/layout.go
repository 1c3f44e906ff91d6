package viz

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/layout"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
	"gonum.org/v1/gonum/graph/traverse"
	"gonum.org/v1/gonum/spatial/r2"

	"p2pmesh/sim/report"
)

// Sampling of large topologies: a run with more than SampleAbove nodes is
// drawn as a sample of SampleSize nodes.
const (
	SampleAbove = 2000
	SampleSize  = 1000
)

// Layout is where the nodes of one run are drawn. It is computed once per run
// over the union of the links of all snapshots, so a node keeps its place in
// every snapshot and pictures of one run compare side by side.
type Layout struct {
	// Pos is the position of each node of report.Topology.Nodes, scaled
	// into the unit square; meaningful only where Drawn is set.
	Pos []r2.Vec
	// Drawn marks the nodes that are drawn: all of them, unless Sampled.
	Drawn []bool
	// Count is the number of drawn nodes.
	Count int
	// Sampled is set when the run is too large to draw whole: then only
	// the breadth-first neighbourhood of the node Center (over all
	// snapshots' links) is drawn, SampleSize nodes in all.
	Sampled bool
	Center  int
	// LANs is the number of LAN segments the sample spans, when the run
	// has more than one: it then takes a neighbourhood in each.
	LANs int
	// blocks is where each LAN is drawn, when the run has more than one
	// (placeByLAN); nil otherwise.
	blocks []lanBlock
	// DegreeMin and DegreeMax are the fewest and the most links of a
	// drawn running node over every snapshot: the one size scale of the
	// run's pictures.
	DegreeMin, DegreeMax int
}

// layoutSeed mixes the run's seed so that the layout draws differ from the
// simulator's own.
const layoutSeed = 0x76697a2d6c61796f // "viz-layo"

// NewLayout computes the positions of the nodes of t with gonum's
// force-directed EadesR2 layout, seeded from t.Seed; a sample of a run on
// several LANs LAN by LAN (placeByLAN).
func NewLayout(t *report.Topology) *Layout {
	n := len(t.Nodes)
	l := &Layout{Pos: make([]r2.Vec, n), Drawn: make([]bool, n), Center: -1}
	if n == 0 {
		return l
	}
	var g *linkGraph
	if n > SampleAbove {
		l.Sampled = true
		l.Center, l.LANs, l.Drawn = sample(t, SampleSize)
		g = unionGraph(t, l.Drawn)
	} else {
		for i := range l.Drawn {
			l.Drawn[i] = true
		}
		g = unionGraph(t, nil)
	}
	l.Count = len(g.nodes)
	if l.LANs > 1 {
		l.blocks = placeByLAN(g, t, l.Drawn, t.Seed, l.Pos)
	} else {
		place(g, t.Seed, l.Pos)
	}
	l.DegreeMin, l.DegreeMax = degreeRange(t, l.Drawn)
	return l
}

// degreeRange is the fewest and the most links of a drawn running node
// over every snapshot of t.
func degreeRange(t *report.Topology, drawn []bool) (lo, hi int) {
	lo = -1
	deg := make([]int, len(t.Nodes))
	for k := range t.Snapshots {
		s := &t.Snapshots[k]
		clear(deg)
		for _, e := range s.Edges {
			if a, b := e[0], e[1]; a != b && a >= 0 && b >= 0 && a < len(deg) && b < len(deg) {
				deg[a]++
				deg[b]++
			}
		}
		for i, d := range deg {
			if drawn[i] && stateOf(s, i).running() {
				hi = max(hi, d)
				if lo < 0 || d < lo {
					lo = d
				}
			}
		}
	}
	return max(lo, 0), hi
}

// sample picks size nodes of t deterministically: the breadth-first
// neighbourhood, over the union of all snapshots' links, of a node drawn from
// the seed among those with links, continued from the next unvisited node
// if that neighbourhood is smaller. A run on several LANs is sampled in
// each: up to sampleLANs LANs spread over the run's (in the order of their
// first node), an equal share of neighbourhood inside each, so that the
// sample shows the LANs and the links between them; center is then -1.
// Each LAN's neighbourhood grows from the ends of links between the chosen
// LANs (up to a fifth of its share; see crossLANEnds), so that the links
// between LANs are drawn too.
func sample(t *report.Topology, size int) (center, lans int, drawn []bool) {
	full := unionGraph(t, nil)
	n := len(t.Nodes)
	drawn = make([]bool, n)
	rng := rand.New(rand.NewPCG(t.Seed, layoutSeed))
	// The LANs, in the order of their first node.
	lan, names := segmentsOf(t)
	members := make([][]int, len(names))
	for i, k := range lan {
		members[k] = append(members[k], i)
	}
	if len(members) > 1 {
		chosen := members
		if len(members) > sampleLANs {
			chosen = make([][]int, sampleLANs)
			for k := range chosen {
				chosen[k] = members[k*len(members)/sampleLANs]
			}
		}
		ends := crossLANEnds(t, lan, chosen, size/len(chosen)/5, rng)
		count := 0
		for k, m := range chosen {
			share := (size - count) / (len(chosen) - k)
			in := make([]bool, n)
			for _, i := range m {
				in[i] = true
			}
			_, got := neighbourhood(full.subgraph(in), m, ends[lan[m[0]]], share, rng, drawn)
			count += got
		}
		return -1, len(chosen), drawn
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	center, _ = neighbourhood(full, all, nil, size, rng, drawn)
	return center, 0, drawn
}

// crossLANEnds picks, for the LANs of chosen (lan gives each node's), up to
// quota nodes each that end links between two chosen LANs, by whole links:
// those seen in the most snapshots first (the links that lasted), ties in
// an order drawn from rng. The result is indexed by LAN.
func crossLANEnds(t *report.Topology, lan []int, chosen [][]int, quota int, rng *rand.Rand) map[int][]int {
	isChosen := map[int]bool{}
	for _, m := range chosen {
		isChosen[lan[m[0]]] = true
	}
	seen := map[[2]int]int{} // link -> snapshots it is in
	for k := range t.Snapshots {
		for _, e := range t.Snapshots[k].Edges {
			a, b := min(e[0], e[1]), max(e[0], e[1])
			if a >= 0 && b < len(lan) && lan[a] != lan[b] && isChosen[lan[a]] && isChosen[lan[b]] {
				seen[[2]int{a, b}]++
			}
		}
	}
	links := make([][2]int, 0, len(seen))
	for e := range seen {
		links = append(links, e)
	}
	slices.SortFunc(links, func(x, y [2]int) int {
		if c := cmp.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return cmp.Compare(x[1], y[1])
	})
	rng.Shuffle(len(links), func(i, j int) { links[i], links[j] = links[j], links[i] })
	slices.SortStableFunc(links, func(x, y [2]int) int { return cmp.Compare(seen[y], seen[x]) })
	ends := map[int][]int{}
	picked := map[int]bool{}
	for _, e := range links {
		a, b := e[0], e[1]
		if len(ends[lan[a]]) >= quota || len(ends[lan[b]]) >= quota {
			continue
		}
		for _, i := range e {
			if !picked[i] {
				picked[i] = true
				ends[lan[i]] = append(ends[lan[i]], i)
			}
		}
	}
	return ends
}

// sampleLANs is the most LANs a sample spans.
const sampleLANs = 12

// neighbourhood marks in drawn up to size of the given nodes of g: the
// breadth-first neighbourhood of the nodes from, together, or when from is
// empty of one drawn from rng among those with links, continued from the
// next unmarked node while it is smaller. It returns the node it began from
// (the first of from, if any) and the number it marked.
func neighbourhood(g *linkGraph, nodes, from []int, size int, rng *rand.Rand, drawn []bool) (center, count int) {
	var linked []int
	for _, i := range nodes {
		if g.degree(i) > 0 {
			linked = append(linked, i)
		}
	}
	center = nodes[0]
	switch {
	case len(from) > 0:
		center = from[0]
	case len(linked) > 0:
		center = linked[rng.IntN(len(linked))]
	}
	bf := traverse.BreadthFirst{Visit: func(v graph.Node) {
		if id := v.ID(); id < int64(len(drawn)) && count < size && !drawn[id] {
			drawn[id] = true
			count++
		}
	}}
	until := func(graph.Node, int) bool { return count >= size }
	if len(from) > 0 {
		// One walk from all of them at once: from a source outside g
		// whose neighbours they are.
		src := &sourcedGraph{linkGraph: g, src: int64(len(drawn))}
		for _, i := range from {
			src.from = append(src.from, simple.Node(i))
		}
		bf.Walk(src, simple.Node(src.src), until)
	} else {
		bf.Walk(g, g.Node(int64(center)), until)
	}
	for _, i := range nodes {
		if count >= size {
			break
		}
		if !drawn[i] {
			bf.Walk(g, g.Node(int64(i)), until)
		}
	}
	return center, count
}

// sourcedGraph is g with one more node, src, linked to the nodes from: a
// breadth-first walk from src visits them first, then their neighbourhood.
type sourcedGraph struct {
	*linkGraph
	src  int64
	from []graph.Node
}

// From implements traverse.Graph.
func (s *sourcedGraph) From(id int64) graph.Nodes {
	if id == s.src {
		return iterator.NewOrderedNodes(s.from)
	}
	return s.linkGraph.From(id)
}

// Edge implements traverse.Graph.
func (s *sourcedGraph) Edge(u, v int64) graph.Edge {
	if u == s.src || v == s.src {
		return simple.Edge{F: simple.Node(u), T: simple.Node(v)}
	}
	return s.linkGraph.Edge(u, v)
}

// Layout parameters. EadesR2 springs have a natural length of 1; the
// repulsion of 1 keeps neighbours about that far apart.
const (
	eadesRepulsion = 1.0
	eadesTheta     = 0.6 // Barnes-Hut approximation
	// The largest move of any node in one step, as a fraction of the
	// typical spacing of nodes, cools from moveFirst to moveLast.
	moveFirst = 1.0
	moveLast  = 0.01
)

// eadesSteps is the number of layout steps for a component of n nodes:
// more for small ones, where they are cheap.
func eadesSteps(n int) int { return min(1000, 300+60000/max(n, 1)) }

// place lays out g and stores the positions, scaled into the unit square,
// in pos. Every connected component is laid out on its own with EadesR2 and
// the components are then packed in rows, largest first, so that islands
// and unlinked nodes neither fly off nor squeeze the rest.
func place(g *linkGraph, seed uint64, pos []r2.Vec) {
	comps := topo.ConnectedComponents(g)
	type piece struct {
		nodes []graph.Node
		side  float64
	}
	pieces := make([]piece, len(comps))
	for k, c := range comps {
		slices.SortFunc(c, func(a, b graph.Node) int { return cmp.Compare(a.ID(), b.ID()) })
		pieces[k] = piece{nodes: c, side: math.Sqrt(float64(len(c)))}
		switch len(c) {
		case 1:
			pos[c[0].ID()] = r2.Vec{X: 0.5, Y: 0.5}
		case 2:
			pos[c[0].ID()] = r2.Vec{X: 0, Y: 0.5}
			pos[c[1].ID()] = r2.Vec{X: 1, Y: 0.5}
		default:
			member := make([]bool, len(g.in))
			for _, v := range c {
				member[v.ID()] = true
			}
			sub := g
			if len(comps) > 1 {
				sub = g.subgraph(member)
			}
			eades(sub, seed, pos)
			fit(c, pos, r2.Box{Max: r2.Vec{X: 1, Y: 1}})
		}
	}
	if len(pieces) == 1 {
		return
	}
	// Shelf packing, largest first; ties keep the component order.
	slices.SortStableFunc(pieces, func(a, b piece) int { return len(b.nodes) - len(a.nodes) })
	var area float64
	for _, pc := range pieces {
		area += (pc.side + 0.5) * (pc.side + 0.5)
	}
	width := max(math.Sqrt(area)*1.15, pieces[0].side)
	var x, y, rowH float64
	for _, pc := range pieces {
		if x > 0 && x+pc.side > width {
			x, y, rowH = 0, y+rowH+0.5, 0
		}
		box := r2.Box{Min: r2.Vec{X: x, Y: -y - pc.side}, Max: r2.Vec{X: x + pc.side, Y: -y}}
		if len(pc.nodes) == 1 {
			box.Min.X += pc.side / 2
			box.Max.X = box.Min.X
		}
		for _, v := range pc.nodes {
			p := pos[v.ID()]
			pos[v.ID()] = r2.Vec{X: box.Min.X + p.X*(box.Max.X-box.Min.X), Y: box.Min.Y + p.Y*(box.Max.Y-box.Min.Y)}
		}
		x += pc.side + 0.5
		rowH = max(rowH, pc.side)
	}
	fit(g.nodes, pos, r2.Box{Max: r2.Vec{X: 1, Y: 1}})
}

// eades lays out a connected graph with gonum's EadesR2. A step moves every
// node by its force times a rate. The rate is steered after every step: so
// that no node moves further than a fraction of the typical spacing, which
// cools from moveFirst to moveLast (this keeps the crowded random start from
// exploding and lets the layout settle), and below the inverse of the
// stiffest node's springs, above which they would overshoot. Should the
// layout still diverge it stops and keeps the last good positions.
func eades(g *linkGraph, seed uint64, pos []r2.Vec) {
	n := len(g.nodes)
	steps := eadesSteps(n)
	e := layout.EadesR2{
		Updates:   steps,
		Repulsion: eadesRepulsion,
		Rate:      1e-4,
		Theta:     eadesTheta,
		Src:       rand.NewPCG(seed, layoutSeed),
	}
	opt := layout.NewOptimizerR2(g, e.Update)
	good := false
steps:
	for k := 0; opt.Update(); k++ {
		lo := r2.Vec{X: math.Inf(1), Y: math.Inf(1)}
		hi := r2.Vec{X: math.Inf(-1), Y: math.Inf(-1)}
		var moved float64
		for _, v := range g.nodes {
			p := opt.Coord2(v.ID())
			if !(math.Abs(p.X) < 1e9 && math.Abs(p.Y) < 1e9) { // also false for NaN
				break steps
			}
			moved = max(moved, r2.Norm(r2.Sub(p, pos[v.ID()])))
			lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
			hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
		}
		for _, v := range g.nodes {
			pos[v.ID()] = opt.Coord2(v.ID())
		}
		if !good {
			// The first step only placed the nodes at random.
			good = true
			continue
		}
		f := float64(k) / float64(steps)
		spacing := r2.Norm(r2.Sub(hi, lo)) / math.Sqrt(float64(n))
		if target := spacing * moveFirst * math.Pow(moveLast/moveFirst, f); moved > 0 {
			e.Rate *= math.Min(target/moved, 1.5)
		}
		stiff := 1.0
		for _, v := range g.nodes {
			p := pos[v.ID()]
			var sum float64
			for _, w := range g.adj[v.ID()] {
				sum += max(1+math.Log(r2.Norm(r2.Sub(p, pos[w.ID()]))), 0.1)
			}
			stiff = max(stiff, sum)
		}
		e.Rate = min(e.Rate, 1/stiff)
	}
	if !good {
		// Nothing usable: a circle in node order.
		for k, v := range g.nodes {
			a := 2 * math.Pi * float64(k) / float64(n)
			pos[v.ID()] = r2.Vec{X: math.Cos(a), Y: math.Sin(a)}
		}
		return
	}
	pullInStragglers(g, pos)
}

// Stragglers: a node that the crowded random start threw far out can be left
// there when the layout cools before its springs pull it back; it then sits
// alone at the edge of the picture, squeezing everything else. A node
// farther from the centre than stragglerReach times the radius that holds
// stragglerQuantile of the nodes is moved to the mean position of its
// neighbours, as a spring layout at rest would have it.
const (
	stragglerQuantile = 0.95
	stragglerReach    = 1.3
	stragglerRounds   = 3
)

func pullInStragglers(g *linkGraph, pos []r2.Vec) {
	n := len(g.nodes)
	if n < 20 {
		return
	}
	for range stragglerRounds {
		var c r2.Vec
		for _, v := range g.nodes {
			c = r2.Add(c, pos[v.ID()])
		}
		c = r2.Scale(1/float64(n), c)
		radii := make([]float64, n)
		for k, v := range g.nodes {
			radii[k] = r2.Norm(r2.Sub(pos[v.ID()], c))
		}
		sorted := slices.Clone(radii)
		slices.Sort(sorted)
		limit := stragglerReach * sorted[int(stragglerQuantile*float64(n-1))]
		moved := false
		for k, v := range g.nodes {
			nb := g.adj[v.ID()]
			if radii[k] <= limit || len(nb) == 0 {
				continue
			}
			var m r2.Vec
			for _, w := range nb {
				m = r2.Add(m, pos[w.ID()])
			}
			pos[v.ID()] = r2.Scale(1/float64(len(nb)), m)
			moved = true
		}
		if !moved {
			return
		}
	}
}

// fit scales the positions of nodes into box, centred, keeping the aspect
// ratio.
func fit(nodes []graph.Node, pos []r2.Vec, box r2.Box) {
	if len(nodes) == 0 {
		return
	}
	lo := r2.Vec{X: math.Inf(1), Y: math.Inf(1)}
	hi := r2.Vec{X: math.Inf(-1), Y: math.Inf(-1)}
	for _, v := range nodes {
		p := pos[v.ID()]
		lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
		hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
	}
	size, want := r2.Sub(hi, lo), box.Size()
	scale := 0.0
	if size.X > 0 || size.Y > 0 {
		scale = math.Min(want.X/math.Max(size.X, 1e-300), want.Y/math.Max(size.Y, 1e-300))
	}
	mid, centre := r2.Scale(0.5, r2.Add(lo, hi)), r2.Scale(0.5, r2.Add(box.Min, box.Max))
	for _, v := range nodes {
		pos[v.ID()] = r2.Add(centre, r2.Scale(scale, r2.Sub(pos[v.ID()], mid)))
	}
}
