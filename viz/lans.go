package viz

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"

	"gonum.org/v1/gonum/spatial/r2"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"p2pmesh/sim/report"
)

// LANsFile is the LAN-level picture RenderDir writes for runs on more than
// one LAN segment.
const LANsFile = "lans.png"

// lanLabelsUpTo is the most LANs whose names are written.
const lanLabelsUpTo = 40

// lanView is the overlay of one snapshot seen LAN by LAN: one mark per LAN,
// one line per pair of LANs linked, weighted by their links.
type lanView struct {
	names   []string // in the order of their first node
	running []int    // running nodes per LAN
	inside  []int    // links inside each LAN
	pairs   [][3]int // LAN a, LAN b, links between them; a < b
	cross   int      // links between LANs
	pos     []r2.Vec
	// The colour of each LAN and what it means: the snapshot's colouring
	// (as in its topology picture) when it is by side of a partition or by
	// component, each LAN taking the colour of most of its running nodes;
	// otherwise one colour per LAN, as the topology pictures colour LANs.
	colour  []color.RGBA
	heading string
	key     []lanKeyEntry
	split   int  // LANs whose running nodes are in more than one colour
	byLAN   bool // one colour per LAN (else by partition side or component)
}

// lanKeyEntry is one colour of the LAN picture's key and how many LANs
// have it.
type lanKeyEntry struct {
	label string
	color color.RGBA
	lans  int
	nodes int // running nodes (one colour per LAN)
}

// newLANView gathers snapshot k of t by LAN and lays the LANs out (gonum's
// EadesR2 over the LAN graph, seeded from the run's seed).
func newLANView(t *report.Topology, k int) *lanView {
	s := &t.Snapshots[k]
	v := &lanView{}
	index := map[string]int{}
	lan := make([]int, len(t.Nodes))
	for i, n := range t.Nodes {
		j, ok := index[n.Segment]
		if !ok {
			j = len(v.names)
			index[n.Segment] = j
			v.names = append(v.names, n.Segment)
			v.running = append(v.running, 0)
			v.inside = append(v.inside, 0)
		}
		lan[i] = j
		if stateOf(s, i).running() {
			v.running[j]++
		}
	}
	weights := map[[2]int]int{}
	for _, e := range s.Edges {
		if e[0] < 0 || e[1] < 0 || e[0] >= len(lan) || e[1] >= len(lan) {
			continue
		}
		a, b := lan[e[0]], lan[e[1]]
		if a == b {
			v.inside[a]++
			continue
		}
		weights[[2]int{min(a, b), max(a, b)}]++
		v.cross++
	}
	var edges [][2]int
	for p, w := range weights {
		v.pairs = append(v.pairs, [3]int{p[0], p[1], w})
		edges = append(edges, p)
	}
	slices.SortFunc(v.pairs, func(x, y [3]int) int {
		if c := cmp.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return cmp.Compare(x[1], y[1])
	})
	v.pos = make([]r2.Vec, len(v.names))
	place(newLinkGraph(len(v.names), nil, edges), t.Seed, v.pos)
	v.colourLANs(t, s, lan)
	return v
}

// colourLANs colours the LANs (see lanView.colour). lan is each node's LAN.
func (v *lanView) colourLANs(t *report.Topology, s *report.Snapshot, lan []int) {
	n := len(t.Nodes)
	up, role, all := make([]bool, n), make([]nodeRole, n), make([]bool, n)
	key := meshKey(t)
	for i := range n {
		up[i], role[i], all[i] = stateOf(s, i).running(), roleOf(t, i, key), true
	}
	c := newColouring(t, s, up, role, newLinkGraph(n, up, s.Edges), all)
	v.colour = make([]color.RGBA, len(v.names))
	none := -1 // the key's entry for LANs without a running node
	noneEntry := func() int {
		if none < 0 {
			none = len(v.key)
			v.key = append(v.key, lanKeyEntry{label: "no running node", color: otherColour})
		}
		return none
	}
	if c.mode != byPartition && c.mode != byComponent {
		v.heading, v.byLAN = "Colour: LAN", true
		if len(v.names) > len(groupPalette) {
			v.heading += " (colours repeat)"
		}
		for j, name := range v.names {
			e := len(v.key)
			if v.running[j] == 0 {
				e = noneEntry()
			} else {
				v.key = append(v.key, lanKeyEntry{label: name, color: groupPalette[j%len(groupPalette)], nodes: v.running[j]})
			}
			v.colour[j] = v.key[e].color
			v.key[e].lans++
		}
		return
	}
	// By partition side or component: the colour most of a LAN's running
	// nodes have (ties: the first in the colouring's order).
	v.heading = c.heading
	count := make([][]int, len(v.names))
	for j := range count {
		count[j] = make([]int, len(c.groups))
	}
	for i := range n {
		if c.of[i] >= 0 {
			count[lan[i]][c.of[i]]++
		}
	}
	entry := make([]int, len(c.groups)) // colouring group -> key entry + 1
	for j := range v.names {
		best, kinds := -1, 0
		for g, k := range count[j] {
			if k > 0 {
				kinds++
				if best < 0 || k > count[j][best] {
					best = g
				}
			}
		}
		if kinds > 1 {
			v.split++
		}
		e := 0
		switch {
		case best < 0:
			e = noneEntry()
		case entry[best] == 0:
			v.key = append(v.key, lanKeyEntry{label: c.groups[best].label, color: c.groups[best].color})
			entry[best] = len(v.key)
			e = len(v.key) - 1
		default:
			e = entry[best] - 1
		}
		v.colour[j] = v.key[e].color
		v.key[e].lans++
	}
}

// legend draws the LAN picture's key into the column c.
func (v *lanView) legend(c draw.Canvas) {
	col := &legendColumn{c: c, y: c.Max.Y}
	key := newKey()
	for k, e := range v.key {
		if k >= 14 {
			key.Add(fmt.Sprintf("… %d more", len(v.key)-k), marker{sty: draw.GlyphStyle{Color: white, Radius: px(7), Shape: draw.CircleGlyph{}}})
			break
		}
		count := plural(e.lans, "LAN", "LANs")
		if v.byLAN && e.label != "no running node" {
			count = plural(e.nodes, "running node", "running nodes")
		}
		key.Add(fmt.Sprintf("%s: %s", e.label, count), marker{sty: draw.GlyphStyle{Color: e.color, Radius: px(7), Shape: draw.CircleGlyph{}}, halo: true})
	}
	col.section(v.heading, key)
	if v.byLAN {
		col.note("The colours of the LANs' nodes in",
			"the topology pictures, when those",
			"are coloured by LAN.")
		col.y -= px(12)
	}
	if !v.byLAN {
		col.note("As in the topology pictures; each",
			"LAN takes the colour most of its",
			"running nodes have there.")
		if v.split > 0 {
			col.note(fmt.Sprintf("%s have running nodes", plural(v.split, "LAN", "LANs")),
				"of more than one colour.")
		}
		col.y -= px(12)
	}
	lines := newKey()
	lines.Add("links between two LANs", linkThumb{draw.LineStyle{Color: crossLANLink, Width: px(4)}})
	col.section("Lines (width: how many)", lines)
	col.note("One disc per LAN, its area for",
		"its running nodes; LANs placed by",
		"a force-directed layout (gonum",
		"EadesR2) of the LAN graph.")
}

// Plot implements plot.Plotter: the links between LANs, heavier for more,
// then one disc per LAN, its area for its running nodes.
func (v *lanView) Plot(c draw.Canvas, p *plot.Plot) {
	x, y := p.Transforms(&c)
	at := func(j int) vg.Point { return vg.Point{X: x(v.pos[j].X), Y: y(v.pos[j].Y)} }
	most := 1
	for _, pr := range v.pairs {
		most = max(most, pr[2])
	}
	maxRunning := 1
	for _, n := range v.running {
		maxRunning = max(maxRunning, n)
	}
	spacing := float64(topoHeight) / math.Sqrt(float64(max(len(v.names), 1)))
	rMax := math.Min(math.Max(0.3*spacing, 5), 40)
	wMax := math.Min(math.Max(0.15*spacing, 1.5), 14)
	for _, pr := range v.pairs {
		w := math.Max(wMax*math.Sqrt(float64(pr[2])/float64(most)), 0.6)
		c.StrokeLine2(draw.LineStyle{Color: crossLANLink, Width: px(w)}, at(pr[0]).X, at(pr[0]).Y, at(pr[1]).X, at(pr[1]).Y)
	}
	radius := make([]vg.Length, len(v.names))
	for j := range v.names {
		radius[j] = px(math.Max(rMax*math.Sqrt(float64(v.running[j])/float64(maxRunning)), 2))
	}
	if len(v.pairs) <= 40 {
		sty := textStyle(sansBold, 12, okBlack)
		sty.XAlign = draw.XCenter
		var placed []vg.Rectangle
		for _, pr := range v.pairs {
			s := thousands(pr[2])
			pt, box := v.countPlace(sty, s, at(pr[0]), at(pr[1]), at, radius, placed)
			placed = append(placed, box)
			haloText(c, sty, pt, s)
		}
	}
	for j := range v.names {
		r := radius[j]
		c.DrawGlyph(draw.GlyphStyle{Color: white, Radius: r + px(1.5), Shape: draw.CircleGlyph{}}, at(j))
		c.DrawGlyph(draw.GlyphStyle{Color: v.colour[j], Radius: r, Shape: draw.CircleGlyph{}}, at(j))
	}
	if len(v.names) <= lanLabelsUpTo {
		for j, name := range v.names {
			r := radius[j] + px(4)
			sty := textStyle(sansBold, 11, okBlack)
			label := fmt.Sprintf("%s (%s)", name, plural(v.running[j], "node", "nodes"))
			half := sty.Height(label) / 2 // haloText centres the text on pt
			pt := at(j)
			switch v.labelSide(j) {
			case 0: // right
				pt.X += r
			case 1: // below
				pt.Y -= r + half
				sty.XAlign = draw.XCenter
			case 2: // above
				pt.Y += r + half
				sty.XAlign = draw.XCenter
			default: // left
				pt.X -= r
				sty.XAlign = draw.XRight
			}
			haloText(c, sty, pt, label)
		}
	}
}

// countPlace finds where on the line from a to b its count s goes: the
// point nearest the middle, among points from 0.2 to 0.8 of the way, whose
// label clears every LAN's disc and the counts already placed; the middle
// if none does. It returns the point and the label's box.
func (v *lanView) countPlace(sty text.Style, s string, a, b vg.Point, at func(int) vg.Point, radius []vg.Length, placed []vg.Rectangle) (vg.Point, vg.Rectangle) {
	w, h := sty.Width(s)+px(4), sty.Height(s)+px(2)
	boxAt := func(pt vg.Point) vg.Rectangle {
		return vg.Rectangle{Min: vg.Point{X: pt.X - w/2, Y: pt.Y - h/2}, Max: vg.Point{X: pt.X + w/2, Y: pt.Y + h/2}}
	}
	clear := func(box vg.Rectangle) bool {
		for j := range v.names {
			// The nearest point of the box to the disc's centre.
			o := at(j)
			nx := max(box.Min.X, min(o.X, box.Max.X))
			ny := max(box.Min.Y, min(o.Y, box.Max.Y))
			if math.Hypot(float64(nx-o.X), float64(ny-o.Y)) < float64(radius[j]+px(3)) {
				return false
			}
		}
		for _, p := range placed {
			if box.Min.X < p.Max.X && p.Min.X < box.Max.X && box.Min.Y < p.Max.Y && p.Min.Y < box.Max.Y {
				return false
			}
		}
		return true
	}
	for _, f := range []float64{0.5, 0.44, 0.56, 0.38, 0.62, 0.32, 0.68, 0.26, 0.74, 0.2, 0.8} {
		pt := vg.Point{X: a.X + vg.Length(f)*(b.X-a.X), Y: a.Y + vg.Length(f)*(b.Y-a.Y)}
		if box := boxAt(pt); clear(box) {
			return pt, box
		}
	}
	mid := vg.Point{X: (a.X + b.X) / 2, Y: (a.Y + b.Y) / 2}
	return mid, boxAt(mid)
}

// labelSide says where LAN j's name goes so that no line to another LAN
// runs through it: 0 right of its disc, 1 below, 2 above, 3 left; the
// first of those (in that order) at least 40° from every line of j, else
// the one farthest from its nearest line.
func (v *lanView) labelSide(j int) int {
	var dirs []float64 // the angles of j's lines
	for _, pr := range v.pairs {
		if pr[0] != j && pr[1] != j {
			continue
		}
		o := pr[0] + pr[1] - j
		dirs = append(dirs, math.Atan2(v.pos[o].Y-v.pos[j].Y, v.pos[o].X-v.pos[j].X))
	}
	best, bestGap := 0, -1.0
	for side, angle := range []float64{0, -math.Pi / 2, math.Pi / 2, math.Pi} {
		gap := math.Pi
		for _, d := range dirs {
			diff := math.Abs(math.Remainder(angle-d, 2*math.Pi))
			gap = math.Min(gap, diff)
		}
		if gap >= 40*math.Pi/180 {
			return side
		}
		if gap > bestGap {
			best, bestGap = side, gap
		}
	}
	return best
}

// LANsPNG draws snapshot k of t LAN by LAN: one disc per LAN segment, its
// area for the LAN's running nodes, and one line per pair of LANs linked,
// its width for the number of links between them. It fails when k is not a
// snapshot of t.
func LANsPNG(w io.Writer, t *report.Topology, k int) error {
	if k < 0 || k >= len(t.Snapshots) {
		return fmt.Errorf("viz: no snapshot %d (the topology has %d)", k, len(t.Snapshots))
	}
	img, _ := lansImage(t, k)
	return writePNG(w, img)
}

// lansImage draws snapshot k LAN by LAN and returns the canvas and the
// pixel position of each LAN's disc (in lanView's order).
func lansImage(t *report.Topology, k int) (*vgimg.Canvas, []image.Point) {
	v := newLANView(t, k)
	s := &t.Snapshots[k]
	inside := 0
	for _, n := range v.inside {
		inside += n
	}
	running := 0
	for _, n := range v.running {
		running += n
	}
	img := newCanvas(topoWidth, topoHeight)
	dc := draw.New(img)
	body := heading(dc, fmt.Sprintf("%s — the LANs at snapshot %q, t = %s", orRun(t.Scenario), s.Name, seconds(s.AtMS)),
		fmt.Sprintf("%s with %s running nodes · %s inside LANs · %s between LANs, over %s",
			plural(len(v.names), "LAN", "LANs"), thousands(running), plural(inside, "link", "links"),
			plural(v.cross, "link", "links"), plural(len(v.pairs), "pair of LANs", "pairs of LANs")),
		"one disc per LAN (area: its running nodes); one line per pair of LANs linked (width: the links between them)")
	side := min(body.Max.X-body.Min.X-px(topoLegendW), body.Max.Y-body.Min.Y) - px(20)
	area := body
	area.Min.X += px(10)
	area.Max.X = area.Min.X + side
	area.Max.Y -= px(5)
	area.Min.Y = area.Max.Y - side
	const margin = 0.08
	p := squarePlot(v, margin)
	p.X.Max = 1 + 2.5*margin // names to the right
	p.Draw(area)
	col := body
	col.Min.X = area.Max.X + px(24)
	col.Max.Y = area.Max.Y
	v.legend(col)
	data := p.DataCanvas(area)
	x, y := p.Transforms(&data)
	pos := make([]image.Point, len(v.names))
	for j, q := range v.pos {
		pos[j] = toPixel(vg.Point{X: x(q.X), Y: y(q.Y)})
	}
	return img, pos
}
