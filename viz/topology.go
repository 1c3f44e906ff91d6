package viz

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strings"

	"gonum.org/v1/gonum/graph/topo"
	"gonum.org/v1/plot"
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

// nodeClass is how a node is drawn in a snapshot. The order is the drawing
// order: later classes are drawn on top.
type nodeClass int

const (
	classNotStarted nodeClass = iota
	classAlive
	classSiphon
	classPartitioned
	classKilled
	numClasses
)

// classStyle is the look of a node class: colour-blind-safe colours, each
// with its own marker shape as well so that no reader depends on colour.
var classStyle = [numClasses]struct {
	name  string
	color color.RGBA
	shape draw.GlyphDrawer
}{
	classNotStarted:  {"not started", grey, ringGlyph{}},
	classAlive:       {"alive", okBlue, draw.CircleGlyph{}},
	classSiphon:      {"siphon (alive)", okPurple, draw.BoxGlyph{}},
	classPartitioned: {"partitioned", okOrange, draw.PyramidGlyph{}},
	classKilled:      {"killed / left", okVermilion, xGlyph{}},
}

// classOf is the class of node i in snapshot s.
func classOf(t *report.Topology, s *report.Snapshot, i int) nodeClass {
	state := ""
	if i < len(s.States) {
		state = s.States[i]
	}
	switch state {
	case report.StateAlive:
		if i < len(t.Nodes) && t.Nodes[i].Siphon {
			return classSiphon
		}
		return classAlive
	case report.StatePartitioned:
		return classPartitioned
	case report.StateKilled:
		return classKilled
	}
	return classNotStarted
}

// running reports whether a node of class c is up (it may hold links).
func (c nodeClass) running() bool {
	return c == classAlive || c == classSiphon || c == classPartitioned
}

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
	class  []nodeClass
	degree []int
	minDeg int // over the drawn nodes that are running
	maxDeg int
	counts [numClasses]int // over all nodes, drawn or not
	comps  int
	rMin   vg.Length // marker radius of a node without links
	rMax   vg.Length // marker radius of the best-linked node
}

func newSnapshotView(t *report.Topology, l *Layout, k int) *snapshotView {
	s := &t.Snapshots[k]
	n := len(t.Nodes)
	v := &snapshotView{t: t, l: l, s: s, class: make([]nodeClass, n), degree: make([]int, n)}
	up := make([]bool, n)
	for i := range n {
		v.class[i] = classOf(t, s, i)
		v.counts[v.class[i]]++
		up[i] = v.class[i].running()
	}
	g := newLinkGraph(n, up, s.Edges)
	v.minDeg = -1
	for i := range n {
		v.degree[i] = g.degree(i)
		if l.Drawn[i] {
			v.maxDeg = max(v.maxDeg, v.degree[i])
			if up[i] && (v.minDeg < 0 || v.degree[i] < v.minDeg) {
				v.minDeg = v.degree[i]
			}
		}
	}
	v.minDeg = max(v.minDeg, 0)
	v.comps = len(topo.ConnectedComponents(g))
	// Markers shrink as the drawing fills up.
	spacing := float64(topoHeight) / math.Sqrt(float64(max(l.Count, 1)))
	v.rMax = px(math.Min(math.Max(0.2*spacing, 4), 14))
	v.rMin = v.rMax * 0.4
	return v
}

// radius is the marker radius of node i: its area grows linearly with its
// links, from the fewest to the most links of a running node in the drawing.
func (v *snapshotView) radius(i int) vg.Length { return v.radiusFor(v.degree[i]) }

func (v *snapshotView) radiusFor(deg int) vg.Length {
	f := 1.0
	if v.maxDeg > v.minDeg {
		f = math.Min(math.Max(float64(deg-v.minDeg)/float64(v.maxDeg-v.minDeg), 0), 1)
	}
	lo, hi := float64(v.rMin), float64(v.rMax)
	return vg.Length(math.Sqrt(lo*lo + (hi*hi-lo*lo)*f))
}

// Plot implements plot.Plotter: links first, then nodes class by class.
func (v *snapshotView) Plot(c draw.Canvas, p *plot.Plot) {
	x, y := p.Transforms(&c)
	at := func(i int) vg.Point { return vg.Point{X: x(v.l.Pos[i].X), Y: y(v.l.Pos[i].Y)} }
	// Links go to the rasteriser a few at a time: its cost grows faster
	// than linearly with the size of one path.
	c.SetLineStyle(draw.LineStyle{Color: lightGrey, Width: px(0.9)})
	links := make(vg.Path, 0, 2*linkBatch)
	for _, e := range v.s.Edges {
		a, b := e[0], e[1]
		if a < 0 || b < 0 || a >= len(v.l.Drawn) || b >= len(v.l.Drawn) || !v.l.Drawn[a] || !v.l.Drawn[b] {
			continue
		}
		links.Move(at(a))
		links.Line(at(b))
		if len(links) == 2*linkBatch {
			c.Stroke(links)
			links = links[:0]
		}
	}
	if len(links) > 0 {
		c.Stroke(links)
	}
	halo := draw.GlyphStyle{Color: white, Shape: draw.CircleGlyph{}}
	for cls := range numClasses {
		st := classStyle[cls]
		for i, drawn := range v.l.Drawn {
			if !drawn || v.class[i] != cls {
				continue
			}
			pt, r := at(i), v.radius(i)
			if !cls.running() {
				// No links to size it by: a middling marker.
				r = max(r, (v.rMin+v.rMax)/2)
			}
			if cls.running() {
				halo.Radius = r + px(1.2)
				c.DrawGlyph(halo, pt)
			}
			c.DrawGlyph(draw.GlyphStyle{Color: st.color, Radius: r, Shape: st.shape}, pt)
		}
	}
	if v.l.Count > labelUpTo {
		return
	}
	sty := textStyle(sans, 9.5, okBlack)
	sty.YAlign = draw.YCenter
	under := sty
	under.Color = white
	for i, drawn := range v.l.Drawn {
		if !drawn {
			continue
		}
		pt := at(i)
		pt.X += v.radius(i) + px(3)
		// A white halo keeps the name readable over links.
		for _, d := range [][2]float64{{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, 1}, {-1, 1}, {1, -1}} {
			c.FillText(under, vg.Point{X: pt.X + px(d[0]), Y: pt.Y + px(d[1])}, v.t.Nodes[i].Name)
		}
		c.FillText(sty, pt, v.t.Nodes[i].Name)
	}
}

// title is the heading of the picture.
func (v *snapshotView) title() []string {
	scenario := v.t.Scenario
	if scenario == "" {
		scenario = "run"
	}
	lines := []string{fmt.Sprintf("%s — snapshot %q at t = %s", scenario, v.s.Name, seconds(v.s.AtMS))}
	parts := []string{plural(len(v.t.Nodes), "node", "nodes")}
	var states []string
	for _, cls := range []nodeClass{classAlive, classSiphon, classPartitioned, classKilled, classNotStarted} {
		if n := v.counts[cls]; n > 0 {
			states = append(states, fmt.Sprintf("%s %s", thousands(n), classStyle[cls].name))
		}
	}
	if len(states) > 0 {
		parts[0] += " (" + strings.Join(states, ", ") + ")"
	}
	parts = append(parts, plural(len(v.s.Edges), "link", "links"), plural(v.comps, "connected component", "connected components"))
	lines = append(lines, strings.Join(parts, " · "))
	if v.l.Sampled {
		center := ""
		if v.l.Center >= 0 && v.l.Center < len(v.t.Nodes) {
			center = " of " + v.t.Nodes[v.l.Center].Name
		}
		lines = append(lines, fmt.Sprintf("SAMPLE: %s of %s nodes drawn — the breadth-first neighbourhood%s over all snapshots' links; the counts above are for the whole network",
			thousands(v.l.Count), thousands(len(v.t.Nodes)), center))
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
type linkThumb struct{}

// Thumbnail implements plot.Thumbnailer.
func (linkThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle{Color: lightGrey, Width: px(2)}, c.Min.X, y, c.Max.X, y)
}

// legend draws the key into the column c.
func (v *snapshotView) legend(c draw.Canvas) {
	sty := textStyle(sansBold, 11.5, okBlack)
	sty.YAlign = draw.YTop
	y := c.Max.Y
	c.FillText(sty, vg.Point{X: c.Min.X, Y: y}, "Nodes")
	y -= sty.Height("Nodes") + px(8)

	l := plot.NewLegend()
	l.TextStyle = textStyle(sans, 11, okBlack)
	l.Top, l.Left = true, true
	l.Padding = px(10)
	l.ThumbnailWidth = px(28)
	r := max(min(v.rMax, px(9)), px(5))
	for _, cls := range []nodeClass{classAlive, classSiphon, classPartitioned, classKilled, classNotStarted} {
		if v.counts[cls] == 0 && cls != classAlive {
			continue
		}
		st := classStyle[cls]
		l.Add(fmt.Sprintf("%s (%s)", st.name, thousands(v.counts[cls])),
			marker{sty: draw.GlyphStyle{Color: st.color, Radius: r, Shape: st.shape}, halo: cls.running()})
	}
	l.Add(fmt.Sprintf("link (%s)", thousands(len(v.s.Edges))), linkThumb{})
	lc := c
	lc.Max.Y = y
	l.Draw(lc)
	y -= l.Rectangle(lc).Size().Y + px(26)

	// Size key: marker radius against links.
	c.FillText(sty, vg.Point{X: c.Min.X, Y: y}, "Size: links in this snapshot")
	y -= sty.Height("S") + px(8)
	key := plot.NewLegend()
	key.TextStyle = l.TextStyle
	key.Top, key.Left = true, true
	key.Padding = px(10)
	key.ThumbnailWidth = l.ThumbnailWidth
	for _, d := range degreeKey(v.minDeg, v.maxDeg) {
		key.Add(plural(d, "link", "links"), marker{sty: draw.GlyphStyle{Color: okBlue, Radius: v.radiusFor(d), Shape: draw.CircleGlyph{}}})
	}
	lc.Max.Y = y
	key.Draw(lc)
	y -= key.Rectangle(lc).Size().Y + px(26)

	note := textStyle(sans, 10, grey)
	note.YAlign = draw.YTop
	for _, line := range []string{
		"Every snapshot of this run uses the",
		"same positions: a force-directed",
		"layout (gonum EadesR2) over the",
		"links of all snapshots.",
	} {
		c.FillText(note, vg.Point{X: c.Min.X, Y: y}, line)
		y -= note.Height(line) + px(2)
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

	side := min(body.Max.X-body.Min.X-px(topoLegendW), body.Max.Y-body.Min.Y-px(10))
	area := body
	area.Min.X += px(10)
	area.Max.X = area.Min.X + side
	area.Max.Y -= px(5)
	area.Min.Y = area.Max.Y - side

	p := plot.New()
	p.HideAxes()
	p.BackgroundColor = nil
	const margin = 0.03
	p.X.Min, p.X.Max = -margin, 1+margin
	p.Y.Min, p.Y.Max = -margin, 1+margin
	p.Add(v)
	// A hairline frame around the drawing.
	area.SetLineStyle(draw.LineStyle{Color: color.RGBA{0xe4, 0xe4, 0xe4, 0xff}, Width: px(1)})
	area.Stroke(area.Rectangle.Path())
	p.Draw(area)

	col := body
	col.Min.X = area.Max.X + px(24)
	col.Max.Y = area.Max.Y
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

// toPixel converts a point of a picture to image coordinates.
func toPixel(pt vg.Point) image.Point {
	return image.Point{
		X: int(math.Floor(float64(pt.X / vg.Inch * dpi))),
		Y: int(math.Floor(float64(topoHeight) - float64(pt.Y/vg.Inch*dpi))),
	}
}

// TopologyPNG draws snapshot k of t as a PNG picture: nodes at the
// positions of l, coloured and shaped by state and sized by their links,
// links as thin grey lines, a legend and a title with the counts. It fails
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
