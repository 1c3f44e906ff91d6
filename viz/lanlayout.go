package viz

import (
	"image/color"
	"math"

	"gonum.org/v1/gonum/spatial/r2"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"p2pmesh/sim/report"
)

// A sample of a large run on several LAN segments (Layout.LANs > 1) is
// laid out LAN by LAN: each LAN's drawn nodes get a square block of their
// own, laid out (place: gonum's EadesR2,
// component by component) over the links inside that LAN only, and the
// blocks stand on a ring in the order of the LANs' first nodes (on a grid
// beyond ringLANsUpTo LANs). So every picture of the run shows the LANs
// apart: whether a LAN's running nodes are linked among themselves, and
// the links between LANs as lines from block to block. (One layout over
// all links of a thousand nodes in ten LANs mixes the LANs once they are
// well linked to each other, and scatters them when most nodes are dead.
// A whole run of a few LANs is left to it: there the force layout
// gathers each LAN by itself and puts the nodes that link LANs between
// them, which blocks would not.)

// lanBlock is where one LAN's nodes are drawn: Box in the layout's unit
// square.
type lanBlock struct {
	name string
	box  r2.Box
}

// ringLANsUpTo is the most LANs placed on a ring; more stand on a grid.
const ringLANsUpTo = 12

// lanGap is the free space between neighbouring blocks, as a fraction of
// the largest block's side.
const lanGap = 0.4

// lanBlockMin is the smallest block side, as a fraction of the largest:
// a block's side grows with the square root of its drawn nodes.
const lanBlockMin = 0.4

// segmentsOf numbers the LAN segments of t in the order of their first
// node: it returns each node's LAN and the LANs' names.
func segmentsOf(t *report.Topology) (lan []int, names []string) {
	index := map[string]int{}
	lan = make([]int, len(t.Nodes))
	for i, n := range t.Nodes {
		k, ok := index[n.Segment]
		if !ok {
			k = len(names)
			index[n.Segment] = k
			names = append(names, n.Segment)
		}
		lan[i] = k
	}
	return lan, names
}

// placeByLAN lays out the drawn nodes of g LAN by LAN (see above) into
// pos, scaled into the unit square, and returns the blocks of the LANs
// with drawn nodes.
func placeByLAN(g *linkGraph, t *report.Topology, drawn []bool, seed uint64, pos []r2.Vec) []lanBlock {
	lan, names := segmentsOf(t)
	count := make([]int, len(names))
	for i, d := range drawn {
		if d {
			count[lan[i]]++
		}
	}
	var present []int // the LANs with drawn nodes
	most := 0
	for k, c := range count {
		if c > 0 {
			present = append(present, k)
			most = max(most, c)
		}
	}
	centres, side := lanCentres(len(present))
	blocks := make([]lanBlock, len(present))
	member := make([]bool, len(drawn))
	for j, k := range present {
		for i := range member {
			member[i] = drawn[i] && lan[i] == k
		}
		sub := g.subgraph(member)
		place(sub, seed, pos) // into the unit square
		s := side * math.Max(math.Sqrt(float64(count[k])/float64(most)), lanBlockMin)
		half := r2.Vec{X: s / 2, Y: s / 2}
		box := r2.Box{Min: r2.Sub(centres[j], half), Max: r2.Add(centres[j], half)}
		for _, v := range sub.nodes {
			p := pos[v.ID()]
			pos[v.ID()] = r2.Vec{X: box.Min.X + p.X*s, Y: box.Min.Y + p.Y*s}
		}
		blocks[j] = lanBlock{name: names[k], box: box}
	}
	// Scale everything into the unit square, blocks and nodes alike.
	lo := r2.Vec{X: math.Inf(1), Y: math.Inf(1)}
	hi := r2.Vec{X: math.Inf(-1), Y: math.Inf(-1)}
	for _, b := range blocks {
		lo.X, lo.Y = math.Min(lo.X, b.box.Min.X), math.Min(lo.Y, b.box.Min.Y)
		hi.X, hi.Y = math.Max(hi.X, b.box.Max.X), math.Max(hi.Y, b.box.Max.Y)
	}
	size := r2.Sub(hi, lo)
	scale := 1 / math.Max(math.Max(size.X, size.Y), 1e-300)
	off := r2.Scale(0.5, r2.Sub(r2.Vec{X: 1, Y: 1}, r2.Scale(scale, size)))
	to := func(p r2.Vec) r2.Vec { return r2.Add(off, r2.Scale(scale, r2.Sub(p, lo))) }
	for _, v := range g.nodes {
		pos[v.ID()] = to(pos[v.ID()])
	}
	for j := range blocks {
		blocks[j].box = r2.Box{Min: to(blocks[j].box.Min), Max: to(blocks[j].box.Max)}
	}
	return blocks
}

// lanCentres places k blocks: their centres and the side of the largest,
// on a ring starting at the top and going clockwise, or on a grid in rows
// from the top left when k > ringLANsUpTo. The scale is arbitrary.
func lanCentres(k int) ([]r2.Vec, float64) {
	out := make([]r2.Vec, k)
	switch {
	case k == 1:
		return out, 1
	case k <= ringLANsUpTo:
		// Neighbours on a ring of radius 1 are 2 sin(π/k) apart.
		start := math.Pi / 2 // the first LAN at the top
		if k == 2 {
			start = math.Pi // two side by side
		}
		for j := range out {
			a := start - 2*math.Pi*float64(j)/float64(k)
			out[j] = r2.Vec{X: math.Cos(a), Y: math.Sin(a)}
		}
		return out, math.Min(2*math.Sin(math.Pi/float64(k))/(1+lanGap), 1.2)
	}
	cols := int(math.Ceil(math.Sqrt(float64(k))))
	for j := range out {
		out[j] = r2.Vec{X: float64(j % cols), Y: -float64(j / cols)}
	}
	return out, 1 / (1 + lanGap)
}

// lanFrame is the colour of the hairline around each LAN's block.
var lanFrame = color.RGBA{0xd8, 0xd8, 0xd8, 0xff}

// drawLANBlocks frames each LAN's block of l and writes its name above it
// (nothing for a run on one LAN). x and y map the unit square to c.
func drawLANBlocks(c draw.Canvas, l *Layout, x, y func(float64) vg.Length) {
	if len(l.blocks) == 0 {
		return
	}
	pad := px(6)
	sty := textStyle(sansBold, 11, okBlack)
	sty.XAlign = draw.XCenter
	for _, b := range l.blocks {
		c.SetLineStyle(draw.LineStyle{Color: lanFrame, Width: px(1)}) // after the last label's colour
		lo := vg.Point{X: x(b.box.Min.X) - pad, Y: y(b.box.Min.Y) - pad}
		hi := vg.Point{X: x(b.box.Max.X) + pad, Y: y(b.box.Max.Y) + pad}
		c.Stroke(vg.Rectangle{Min: lo, Max: hi}.Path())
		if len(l.blocks) <= lanLabelsUpTo {
			haloText(c, sty, vg.Point{X: (lo.X + hi.X) / 2, Y: hi.Y + px(9)}, b.name)
		}
	}
}
