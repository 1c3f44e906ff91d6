package viz

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"p2pmesh/sim/report"
)

// Size of the topology picture in pixels: a square drawing with a legend
// column on its right and the title above.
const (
	topoWidth   = 1300
	topoHeight  = 1120
	topoLegendW = 290
)

// linkBatch is the number of links stroked at once.
const linkBatch = 4

// labelUpTo is the largest number of drawn nodes that get their names
// written next to them.
const labelUpTo = 40

// nodeState is the state of a node in a snapshot.
type nodeState int

const (
	stateNotStarted nodeState = iota
	stateRunning
	statePartitioned
	stateKilled
)

// stateOf is the state of node i in snapshot s.
func stateOf(s *report.Snapshot, i int) nodeState {
	if i < len(s.States) {
		switch s.States[i] {
		case report.StateAlive:
			return stateRunning
		case report.StatePartitioned:
			return statePartitioned
		case report.StateKilled:
			return stateKilled
		}
	}
	return stateNotStarted
}

// running reports whether a node in state st is up (it may hold links).
func (st nodeState) running() bool { return st == stateRunning || st == statePartitioned }

// The marks of nodes that are not running, whatever the colouring.
var (
	killedStyle     = markStyle{"killed / left", killedGrey, xGlyph{}}
	notStartedStyle = markStyle{"not started", grey, ringGlyph{}}
	killedGrey      = color.RGBA{0x4d, 0x4d, 0x4d, 0xff}
)

// markStyle is a named marker.
type markStyle struct {
	name  string
	color color.RGBA
	shape draw.GlyphDrawer
}

// roleShape is the marker of a running node of each role; the colouring
// gives its colour.
var roleShape = [numRoles]markStyle{
	roleHonest:   {"honest node", okBlack, draw.CircleGlyph{}},
	roleSiphon:   {"siphoner (serves nobody)", okBlack, draw.BoxGlyph{}},
	roleOtherKey: {"another network key or none", okBlack, draw.PyramidGlyph{}},
}

// Link colours: inside a LAN, between LANs, and the broadcast tree's.
var (
	crossLANLink = color.RGBA{0x70, 0x70, 0x70, 0xff}
	treeLink     = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
)

// xGlyph is a bold ×, the marker of a dead node.
type xGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (xGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: sty.Radius * 0.55})
	r := sty.Radius * 0.85
	var p vg.Path
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y + r})
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y - r})
	c.Stroke(p)
}

// ringGlyph is a bold hollow circle, the marker of a node not started.
type ringGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (ringGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	w := max(sty.Radius*0.3, px(1.5))
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: w})
	var p vg.Path
	p.Move(vg.Point{X: pt.X + sty.Radius - w/2, Y: pt.Y})
	p.Arc(pt, sty.Radius-w/2, 0, 2*math.Pi)
	p.Close()
	c.Stroke(p)
}

// snapshotView is one snapshot prepared for drawing.
type snapshotView struct {
	t      *report.Topology
	l      *Layout
	s      *report.Snapshot
	state  []nodeState
	role   []nodeRole
	degree []int
	colour *colouring
	comps  int
	lans   bool // the run has more than one LAN segment
	// Counts over the whole network (the title) and over what is drawn
	// (the legend).
	states, drawnStates [stateKilled + 1]int
	roles               [numRoles]int
	links               struct{ inLAN, crossLAN, tree int } // drawn
	crossLAN            int                                 // links between LANs in the whole network
	rMin, rMax          vg.Length                           // marker radii of the fewest and most links
}

func newSnapshotView(t *report.Topology, l *Layout, k int) *snapshotView {
	s := &t.Snapshots[k]
	n := len(t.Nodes)
	v := &snapshotView{t: t, l: l, s: s, state: make([]nodeState, n), role: make([]nodeRole, n), degree: make([]int, n)}
	up := make([]bool, n)
	key := meshKey(t)
	for i := range n {
		v.state[i] = stateOf(s, i)
		v.role[i] = roleOf(t, i, key)
		up[i] = v.state[i].running()
		v.states[v.state[i]]++
		if l.Drawn[i] {
			v.drawnStates[v.state[i]]++
			if up[i] {
				v.roles[v.role[i]]++
			}
		}
		v.lans = v.lans || t.Nodes[i].Segment != t.Nodes[0].Segment
	}
	g := newLinkGraph(n, up, s.Edges)
	for i := range n {
		v.degree[i] = g.degree(i)
	}
	v.colour = newColouring(t, s, up, v.role, g, l.Drawn)
	v.comps = s.Components
	if v.comps == 0 {
		v.comps = len(meshComponents(up, v.role, g))
	}
	for _, e := range s.Edges {
		cross := v.lans && e[0] >= 0 && e[1] >= 0 && e[0] < n && e[1] < n && t.Nodes[e[0]].Segment != t.Nodes[e[1]].Segment
		if cross {
			v.crossLAN++
		}
		if v.drawnLink(e[0], e[1]) {
			if cross {
				v.links.crossLAN++
			} else {
				v.links.inLAN++
			}
		}
	}
	for i, p := range s.TreeParent {
		if v.drawnLink(i, int(p)) {
			v.links.tree++
		}
	}
	// Markers shrink as the drawing fills up.
	spacing := float64(topoHeight) / math.Sqrt(float64(max(l.Count, 1)))
	v.rMax = px(math.Min(math.Max(0.2*spacing, 4), 14))
	v.rMin = v.rMax * 0.4
	return v
}

// drawnLink reports whether a link between a and b is in the picture.
func (v *snapshotView) drawnLink(a, b int) bool {
	return a >= 0 && b >= 0 && a < len(v.l.Drawn) && b < len(v.l.Drawn) && a != b && v.l.Drawn[a] && v.l.Drawn[b]
}

// radius is the marker radius of node i: its area grows linearly with its
// links, from none to the most of any node in the run (Layout.DegreeMax).
func (v *snapshotView) radius(i int) vg.Length { return v.radiusFor(v.degree[i]) }

func (v *snapshotView) radiusFor(deg int) vg.Length {
	// The scale starts at no links, so that 9 and 10 links look alike.
	f := 1.0
	if hi := v.l.DegreeMax; hi > 0 {
		f = math.Min(math.Max(float64(deg)/float64(hi), 0), 1)
	}
	lo, hi := float64(v.rMin), float64(v.rMax)
	return vg.Length(math.Sqrt(lo*lo + (hi*hi-lo*lo)*f))
}

// strokeLinks draws the links for which keep is true in one style, a few
// at a time: the rasteriser's cost grows faster than linearly with the
// size of one path.
func strokeLinks(c draw.Canvas, sty draw.LineStyle, at func(int) vg.Point, edges [][2]int, keep func(a, b int) bool) {
	c.SetLineStyle(sty)
	links := make(vg.Path, 0, 2*linkBatch)
	for _, e := range edges {
		if !keep(e[0], e[1]) {
			continue
		}
		links.Move(at(e[0]))
		links.Line(at(e[1]))
		if len(links) == 2*linkBatch {
			c.Stroke(links)
			links = links[:0]
		}
	}
	if len(links) > 0 {
		c.Stroke(links)
	}
}

// treeEdges is the snapshot's broadcast tree as links (child, parent).
func (v *snapshotView) treeEdges() [][2]int {
	var out [][2]int
	for i, p := range v.s.TreeParent {
		if p >= 0 {
			out = append(out, [2]int{i, int(p)})
		}
	}
	return out
}

// Plot implements plot.Plotter: links first (the tree's and those between
// LANs over the others), then the nodes that are not running, then the
// running ones, then names.
func (v *snapshotView) Plot(c draw.Canvas, p *plot.Plot) {
	x, y := p.Transforms(&c)
	at := func(i int) vg.Point { return vg.Point{X: x(v.l.Pos[i].X), Y: y(v.l.Pos[i].Y)} }
	tree := v.s.TreeParent != nil
	base := lightGrey
	if tree {
		base = color.RGBA{0xdc, 0xdc, 0xdc, 0xff}
	}
	drawLANBlocks(c, v.l, x, y)
	cross := func(a, b int) bool { return v.lans && v.t.Nodes[a].Segment != v.t.Nodes[b].Segment }
	strokeLinks(c, draw.LineStyle{Color: base, Width: px(0.9)}, at, v.s.Edges, func(a, b int) bool { return v.drawnLink(a, b) && !cross(a, b) })
	strokeLinks(c, draw.LineStyle{Color: crossLANLink, Width: px(1), Dashes: []vg.Length{px(4), px(3)}}, at, v.s.Edges, func(a, b int) bool { return v.drawnLink(a, b) && cross(a, b) })
	if tree {
		w := px(1.8)
		if v.l.Count > 200 {
			w = px(1.1) // a thinner tree where nodes crowd
		}
		strokeLinks(c, draw.LineStyle{Color: treeLink, Width: w}, at, v.treeEdges(), v.drawnLink)
	}
	r0 := (v.rMin + v.rMax) / 2 // nodes without links to size them by
	for i, drawn := range v.l.Drawn {
		switch {
		case !drawn:
		case v.state[i] == stateKilled:
			c.DrawGlyph(draw.GlyphStyle{Color: killedStyle.color, Radius: r0, Shape: killedStyle.shape}, at(i))
		case v.state[i] == stateNotStarted:
			c.DrawGlyph(draw.GlyphStyle{Color: notStartedStyle.color, Radius: r0, Shape: notStartedStyle.shape}, at(i))
		}
	}
	halo := draw.GlyphStyle{Color: white, Shape: draw.CircleGlyph{}}
	for i, drawn := range v.l.Drawn {
		if !drawn || !v.state[i].running() {
			continue
		}
		pt, r := at(i), v.radius(i)
		halo.Radius = r + px(1.2)
		c.DrawGlyph(halo, pt)
		if v.role[i] == roleOtherKey {
			r *= 1.4 // a triangle covers less than a disc
		}
		c.DrawGlyph(draw.GlyphStyle{Color: v.colour.colour(i), Radius: r, Shape: roleShape[v.role[i]].shape}, pt)
	}
	if v.l.Count <= labelUpTo {
		for i, drawn := range v.l.Drawn {
			if drawn {
				pt := at(i)
				pt.X += v.radius(i) + px(3)
				haloText(c, textStyle(sans, 9.5, okBlack), pt, v.t.Nodes[i].Name)
			}
		}
	}
}

// haloText writes text at pt with a white halo that keeps it readable over
// links.
func haloText(c draw.Canvas, sty text.Style, pt vg.Point, s string) {
	sty.YAlign = draw.YCenter
	under := sty
	under.Color = white
	for _, d := range [][2]float64{{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, 1}, {-1, 1}, {1, -1}} {
		c.FillText(under, vg.Point{X: pt.X + px(d[0]), Y: pt.Y + px(d[1])}, s)
	}
	c.FillText(sty, pt, s)
}

// title is the heading of the picture: counts over the whole network.
func (v *snapshotView) title() []string {
	scenario := v.t.Scenario
	if scenario == "" {
		scenario = "run"
	}
	lines := []string{fmt.Sprintf("%s — snapshot %q at t = %s", scenario, v.s.Name, seconds(v.s.AtMS))}
	parts := []string{plural(len(v.t.Nodes), "node", "nodes")}
	var states []string
	for _, st := range []struct {
		n    int
		name string
	}{
		{v.states[stateRunning] + v.states[statePartitioned], "running"},
		{v.states[statePartitioned], "cut off by a partition"},
		{v.states[stateKilled], "killed or left"},
		{v.states[stateNotStarted], "not started"},
	} {
		if st.n > 0 {
			states = append(states, fmt.Sprintf("%s %s", thousands(st.n), st.name))
		}
	}
	if len(states) > 0 {
		parts[0] += " (" + strings.Join(states, ", ") + ")"
	}
	links := plural(len(v.s.Edges), "link", "links")
	if v.lans {
		links += fmt.Sprintf(" (%s between LANs)", thousands(v.crossLAN))
	}
	parts = append(parts, links, plural(v.comps, "connected component", "connected components"))
	lines = append(lines, strings.Join(parts, " · "))
	if v.l.Sampled {
		how := "the breadth-first neighbourhood"
		if v.l.Center >= 0 && v.l.Center < len(v.t.Nodes) {
			how += " of " + v.t.Nodes[v.l.Center].Name
		}
		if v.l.LANs > 1 {
			how = fmt.Sprintf("neighbourhoods in %d LANs", v.l.LANs)
		}
		lines = append(lines, fmt.Sprintf("SAMPLE: %s of %s nodes drawn (%s, over all snapshots' links); the legend counts what is drawn",
			thousands(v.l.Count), thousands(len(v.t.Nodes)), how))
	}
	return lines
}

// marker is a legend thumbnail: one node marker.
type marker struct {
	sty  draw.GlyphStyle
	halo bool
}

// Thumbnail implements plot.Thumbnailer.
func (m marker) Thumbnail(c *draw.Canvas) {
	pt := c.Center()
	if m.halo {
		c.DrawGlyph(draw.GlyphStyle{Color: white, Radius: m.sty.Radius + px(1.2), Shape: draw.CircleGlyph{}}, pt)
	}
	c.DrawGlyph(m.sty, pt)
}

// linkThumb is the legend thumbnail of a link.
type linkThumb struct{ sty draw.LineStyle }

// Thumbnail implements plot.Thumbnailer.
func (l linkThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.sty, c.Min.X, y, c.Max.X, y)
}

// legend draws the key into the column c: what colours, shapes, lines
// and sizes mean, with counts of what is drawn.
func (v *snapshotView) legend(c draw.Canvas) {
	col := &legendColumn{c: c, y: c.Max.Y}
	section := col.section
	r := max(min(v.rMax, px(8)), px(5))
	drawn := "drawn"
	if !v.l.Sampled {
		drawn = ""
	}
	count := func(n int) string {
		if drawn == "" {
			return thousands(n)
		}
		return thousands(n) + " " + drawn
	}

	key := newKey()
	for k, g := range v.colour.groups {
		if k >= 14 {
			key.Add(fmt.Sprintf("… %d more", len(v.colour.groups)-k), marker{sty: draw.GlyphStyle{Color: white, Radius: r, Shape: draw.CircleGlyph{}}})
			break
		}
		label := fmt.Sprintf("%s: %s", g.label, count(g.drawn))
		if v.colour.islands {
			label += " · " + islandsText(g.islands)
		}
		key.Add(label, marker{sty: draw.GlyphStyle{Color: g.color, Radius: r, Shape: draw.CircleGlyph{}}, halo: true})
	}
	title := v.colour.heading
	if v.colour.reused {
		title += " (colours repeat)"
	}
	section(title, key)
	if v.colour.islands {
		col.note("An island: running nodes of a LAN",
			"linked by links inside it (counted",
			"over all nodes, drawn or not).")
		col.y -= px(16)
	}

	shapes := newKey()
	for role := range numRoles {
		if n := v.roles[role]; n > 0 || role == roleHonest {
			shapes.Add(fmt.Sprintf("%s: %s", roleShape[role].name, count(n)), marker{sty: draw.GlyphStyle{Color: grey, Radius: r, Shape: roleShape[role].shape}, halo: true})
		}
	}
	for _, st := range []struct {
		sty markStyle
		n   int
	}{{killedStyle, v.drawnStates[stateKilled]}, {notStartedStyle, v.drawnStates[stateNotStarted]}} {
		if st.n > 0 {
			shapes.Add(fmt.Sprintf("%s: %s", st.sty.name, count(st.n)), marker{sty: draw.GlyphStyle{Color: st.sty.color, Radius: r, Shape: st.sty.shape}})
		}
	}
	section("Shape: role (running) or state", shapes)

	lines := newKey()
	if v.lans {
		lines.Add(fmt.Sprintf("link inside a LAN: %s", count(v.links.inLAN)), linkThumb{draw.LineStyle{Color: lightGrey, Width: px(2)}})
		lines.Add(fmt.Sprintf("link between LANs: %s", count(v.links.crossLAN)), linkThumb{draw.LineStyle{Color: crossLANLink, Width: px(1.5), Dashes: []vg.Length{px(5), px(3)}}})
	} else {
		lines.Add(fmt.Sprintf("link: %s", count(v.links.inLAN)), linkThumb{draw.LineStyle{Color: lightGrey, Width: px(2)}})
	}
	if v.s.TreeParent != nil {
		lines.Add(fmt.Sprintf("broadcast tree (to the parent): %s", count(v.links.tree)), linkThumb{draw.LineStyle{Color: treeLink, Width: px(2.2)}})
	}
	section("Lines", lines)

	sizes := newKey()
	for _, d := range degreeKey(v.l.DegreeMin, v.l.DegreeMax) {
		sizes.Add(plural(d, "link", "links"), marker{sty: draw.GlyphStyle{Color: grey, Radius: v.radiusFor(d), Shape: draw.CircleGlyph{}}})
	}
	section("Size: links (one scale for the run)", sizes)

	if v.l.blocks != nil {
		col.note("Every snapshot of this run uses the",
			"same positions: one framed block per",
			"LAN, laid out (gonum EadesR2) over",
			"the links inside it in all snapshots.")
	} else {
		col.note("Every snapshot of this run uses the",
			"same positions: a force-directed",
			"layout (gonum EadesR2) over the",
			"links of all snapshots.")
	}
}

// islandsText says how a LAN's running nodes hang together.
func islandsText(n int) string {
	switch n {
	case 0:
		return "none running"
	case 1:
		return "all linked"
	}
	return fmt.Sprintf("%d islands", n)
}

// legendColumn is a legend column filled from the top: titled keys, then
// notes.
type legendColumn struct {
	c draw.Canvas
	y vg.Length // where the next entry goes
}

// newKey is an empty key in the house style.
func newKey() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(sans, 10.5, okBlack)
	l.Top, l.Left = true, true
	l.Padding = px(8)
	l.ThumbnailWidth = px(26)
	return &l
}

// section writes a bold title and the key l below it.
func (lc *legendColumn) section(title string, l *plot.Legend) {
	head := textStyle(sansBold, 11.5, okBlack)
	head.YAlign = draw.YTop
	lc.c.FillText(head, vg.Point{X: lc.c.Min.X, Y: lc.y}, title)
	lc.y -= head.Height(title) + px(6)
	at := lc.c
	at.Max.Y = lc.y
	l.Draw(at)
	lc.y -= l.Rectangle(at).Size().Y + px(18)
}

// note writes lines of small grey text.
func (lc *legendColumn) note(lines ...string) {
	sty := textStyle(sans, 10, grey)
	sty.YAlign = draw.YTop
	for _, line := range lines {
		lc.c.FillText(sty, vg.Point{X: lc.c.Min.X, Y: lc.y}, line)
		lc.y -= sty.Height(line) + px(2)
	}
}

// degreeKey picks up to three link counts for the size key: the fewest and
// the most links of a running node, and one between.
func degreeKey(lo, hi int) []int {
	switch {
	case hi <= lo:
		return []int{hi}
	case hi-lo == 1:
		return []int{lo, hi}
	}
	return []int{lo, (lo + hi + 1) / 2, hi}
}

// topologyImage draws snapshot k and returns the canvas, the pixel
// position of every drawn node and the drawing area (image coordinates,
// origin top left).
func topologyImage(t *report.Topology, l *Layout, k int) (*vgimg.Canvas, []image.Point, image.Rectangle) {
	img := newCanvas(topoWidth, topoHeight)
	dc := draw.New(img)
	v := newSnapshotView(t, l, k)
	body := heading(dc, v.title()...)

	p, area, col := layoutDrawing(body, v, 0.03)
	v.legend(col)

	data := p.DataCanvas(area)
	x, y := p.Transforms(&data)
	pos := make([]image.Point, len(t.Nodes))
	for i, drawn := range l.Drawn {
		if drawn {
			pos[i] = toPixel(vg.Point{X: x(l.Pos[i].X), Y: y(l.Pos[i].Y)})
		}
	}
	box := image.Rectangle{Min: toPixel(vg.Point{X: area.Min.X, Y: area.Max.Y}), Max: toPixel(vg.Point{X: area.Max.X, Y: area.Min.Y})}
	return img, pos, box
}

// layoutDrawing draws a plotter of unit-square positions into a square
// area at the left of body, framed by a hairline, and returns the plot, the
// area and the column to its right for a legend. margin is how far beyond
// the unit square the plot reaches.
func layoutDrawing(body draw.Canvas, drawing plot.Plotter, margin float64) (*plot.Plot, draw.Canvas, draw.Canvas) {
	side := min(body.Max.X-body.Min.X-px(topoLegendW), body.Max.Y-body.Min.Y-px(10))
	area := body
	area.Min.X += px(10)
	area.Max.X = area.Min.X + side
	area.Max.Y -= px(5)
	area.Min.Y = area.Max.Y - side
	p := squarePlot(drawing, margin)
	area.SetLineStyle(draw.LineStyle{Color: color.RGBA{0xe4, 0xe4, 0xe4, 0xff}, Width: px(1)})
	area.Stroke(area.Rectangle.Path())
	p.Draw(area)
	col := body
	col.Min.X = area.Max.X + px(24)
	col.Max.Y = area.Max.Y
	return p, area, col
}

// squarePlot is a plot without axes of the unit square and margin around
// it, holding drawing.
func squarePlot(drawing plot.Plotter, margin float64) *plot.Plot {
	p := plot.New()
	p.HideAxes()
	p.BackgroundColor = nil
	p.X.Min, p.X.Max = -margin, 1+margin
	p.Y.Min, p.Y.Max = -margin, 1+margin
	p.Add(drawing)
	return p
}

// toPixel converts a point of a picture to image coordinates.
func toPixel(pt vg.Point) image.Point {
	return image.Point{
		X: int(math.Floor(float64(pt.X / vg.Inch * dpi))),
		Y: int(math.Floor(float64(topoHeight) - float64(pt.Y/vg.Inch*dpi))),
	}
}

// TopologyPNG draws snapshot k of t as a PNG picture: nodes at the
// positions of l, coloured by what the snapshot is about (see colourMode),
// shaped by role or state and sized by their links on one scale for the
// run, links as thin lines (those between LANs dashed, the broadcast tree
// bold), a legend that counts what is drawn and a title that counts the
// whole network. It fails
// when k is not a snapshot of t.
func TopologyPNG(w io.Writer, t *report.Topology, l *Layout, k int) error {
	if k < 0 || k >= len(t.Snapshots) {
		return fmt.Errorf("viz: no snapshot %d (the topology has %d)", k, len(t.Snapshots))
	}
	if len(l.Pos) != len(t.Nodes) {
		return fmt.Errorf("viz: layout of %d nodes for a topology of %d", len(l.Pos), len(t.Nodes))
	}
	img, _, _ := topologyImage(t, l, k)
	return writePNG(w, img)
}
