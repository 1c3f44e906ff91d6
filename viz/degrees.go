package viz

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"p2pmesh/sim/report"
)

// Size of the degree picture in pixels.
const (
	degWidth  = 1400
	degHeight = 760
)

// degreesImage draws histograms of the incoming and outgoing links of every
// node alive at the end of the run, with the configured limits.
func degreesImage(r *report.Report) *vgimg.Canvas {
	img := newCanvas(degWidth, degHeight)
	dc := draw.New(img)
	var in, out []float64
	var maxIn, maxOut []int
	isolated := 0
	for _, n := range r.Nodes {
		if !n.Alive {
			continue
		}
		in = append(in, float64(n.LinksIn))
		out = append(out, float64(n.LinksOut))
		maxIn = append(maxIn, n.MaxIn)
		maxOut = append(maxOut, n.MaxOut)
		if n.LinksIn+n.LinksOut == 0 {
			isolated++
		}
	}
	sub := fmt.Sprintf("%s alive at the end of the run (of %s)", plural(len(in), "node", "nodes"), thousands(len(r.Nodes)))
	if len(in) > 0 {
		sub += fmt.Sprintf(" · mean %.2f incoming, %.2f outgoing links", mean(in), mean(out))
		if isolated > 0 {
			sub += fmt.Sprintf(" · %s without any link", plural(isolated, "node", "nodes"))
		}
	}
	body := pad(heading(dc, fmt.Sprintf("%s — links per node", name(r)), sub), 10)
	if len(in) == 0 {
		emptyPanel(body, "Links per node", "no node is alive at the end of the run")
		return img
	}
	row := []*plot.Plot{
		degreePlot("Incoming links per node", "incoming links", in, maxIn, okBlue),
		degreePlot("Outgoing links per node", "outgoing links", out, maxOut, okOrange),
	}
	// The same scales side by side.
	for _, p := range row[1:] {
		row[0].X.Max, row[0].Y.Max = max(row[0].X.Max, p.X.Max), max(row[0].Y.Max, p.Y.Max)
	}
	for _, p := range row[1:] {
		p.X.Max, p.Y.Max = row[0].X.Max, row[0].Y.Max
	}
	cells := plot.Align([][]*plot.Plot{row}, draw.Tiles{Rows: 1, Cols: 2, PadX: px(50)}, body)
	for k, p := range row {
		p.Draw(cells[0][k])
	}
	return img
}

// degreePlot is a histogram of link counts with the configured limit.
func degreePlot(title, xlabel string, v []float64, limits []int, fill color.Color) *plot.Plot {
	p := newPlot(title, xlabel, "nodes")
	styleLegend(p)
	p.Add(grid())
	h := intHistogram(v, 40, fill)
	p.Add(h)
	if l := binCounts(h); l != nil && len(h.Bins) <= 30 {
		p.Add(l)
	}
	p.Legend.Add(fmt.Sprintf("nodes (mean %.2f)", mean(v)), h)
	lo, hi := limits[0], limits[0]
	for _, l := range limits {
		lo, hi = min(lo, l), max(hi, l)
	}
	if hi > 0 {
		limit := vline{x: float64(hi) + 0.5, style: dashed(okBlack, 1.5)}
		text := fmt.Sprintf("limit %d", hi)
		if lo != hi {
			text = fmt.Sprintf("largest limit %d (limits %d–%d)", hi, lo, hi)
		}
		p.Add(limit)
		p.Legend.Add(text, limit)
		p.X.Max = max(p.X.Max, float64(hi)+1)
	}
	p.X.Min = min(p.X.Min, -0.5)
	p.X.Tick.Marker = niceTicks{Target: 12, Integer: true}
	p.Y.Tick.Marker = niceTicks{Target: 6, Integer: true}
	p.Y.Min = 0
	headroom(p, 0.25)
	return p
}

// vline is a vertical line across the whole data area.
type vline struct {
	x     float64
	style draw.LineStyle
}

// Plot implements plot.Plotter.
func (v vline) Plot(c draw.Canvas, p *plot.Plot) {
	x, _ := p.Transforms(&c)
	c.StrokeLine2(v.style, x(v.x), c.Min.Y, x(v.x), c.Max.Y)
}

// Thumbnail implements plot.Thumbnailer.
func (v vline) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(v.style, c.Min.X, y, c.Max.X, y)
}

// mean is the arithmetic mean (0 for no values).
func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// DegreesPNG draws, as a PNG, histograms of the incoming and outgoing link
// counts of every node alive at the end of the run, with the link limits.
func DegreesPNG(w io.Writer, r *report.Report) error {
	return writePNG(w, degreesImage(r))
}
