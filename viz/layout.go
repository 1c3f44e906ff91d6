package viz

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/layout"
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
	// DegreeMin and DegreeMax are the fewest and the most links of a
	// drawn running node over every snapshot: the one size scale of the
	// run's pictures.
	DegreeMin, DegreeMax int
}

// layoutSeed mixes the run's seed so that the layout draws differ from the
// simulator's own.
const layoutSeed = 0x76697a2d6c61796f // "viz-layo"

// NewLayout computes the positions of the nodes of t with gonum's
// force-directed EadesR2 layout, seeded from t.Seed.
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
	place(g, t.Seed, l.Pos)
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
func sample(t *report.Topology, size int) (center, lans int, drawn []bool) {
	full := unionGraph(t, nil)
	n := len(t.Nodes)
	drawn = make([]bool, n)
	rng := rand.New(rand.NewPCG(t.Seed, layoutSeed))
	// The LANs, in the order of their first node.
	index := map[string]int{}
	var members [][]int
	for i := range n {
		k, ok := index[t.Nodes[i].Segment]
		if !ok {
			k = len(members)
			index[t.Nodes[i].Segment] = k
			members = append(members, nil)
		}
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
		count := 0
		for k, m := range chosen {
			share := (size - count) / (len(chosen) - k)
			in := make([]bool, n)
			for _, i := range m {
				in[i] = true
			}
			_, got := neighbourhood(full.subgraph(in), m, share, rng, drawn)
			count += got
		}
		return -1, len(chosen), drawn
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	center, _ = neighbourhood(full, all, size, rng, drawn)
	return center, 0, drawn
}

// sampleLANs is the most LANs a sample spans.
const sampleLANs = 12

// neighbourhood marks in drawn up to size of the given nodes of g: the
// breadth-first neighbourhood of one drawn from rng among those with links,
// continued from the next unmarked node while it is smaller. It returns the
// node it began from and the number it marked.
func neighbourhood(g *linkGraph, nodes []int, size int, rng *rand.Rand, drawn []bool) (center, count int) {
	var linked []int
	for _, i := range nodes {
		if g.degree(i) > 0 {
			linked = append(linked, i)
		}
	}
	center = nodes[0]
	if len(linked) > 0 {
		center = linked[rng.IntN(len(linked))]
	}
	bf := traverse.BreadthFirst{Visit: func(v graph.Node) {
		if count < size && !drawn[v.ID()] {
			drawn[v.ID()] = true
			count++
		}
	}}
	until := func(graph.Node, int) bool { return count >= size }
	bf.Walk(g, g.Node(int64(center)), until)
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
