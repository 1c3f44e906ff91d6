package viz

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"p2pmesh/sim/report"
)

// Size of the redundancy picture in pixels.
const (
	redWidth  = 1400
	redHeight = 1350
)

// barsUpTo is the largest number of broadcasts drawn as grouped bars; more
// are drawn as lines.
const barsUpTo = 60

// redundancyImage draws the redundancy picture: per broadcast the payload
// transmissions against the ideal and the redundant receptions, its RMR and
// last delivery hop, and per node a histogram of redundant receptions.
func redundancyImage(r *report.Report) *vgimg.Canvas {
	img := newCanvas(redWidth, redHeight)
	dc := draw.New(img)
	var sent, redundant uint64
	ldh := 0
	for _, b := range r.Broadcasts {
		sent += b.Transmissions
		redundant += b.Redundant
		ldh = max(ldh, b.LDH)
	}
	body := heading(dc, fmt.Sprintf("%s — redundancy of the floods", name(r)),
		fmt.Sprintf("%s · %s payload transmissions, %s redundant receptions · mean RMR %.2f · deepest delivery %s",
			plural(len(r.Broadcasts), "broadcast", "broadcasts"), thousands(int(sent)),
			thousands(int(redundant)), meanRMR(r.Broadcasts), plural(ldh, "hop", "hops")))
	body = pad(body, 10)

	h := body.Max.Y - body.Min.Y
	row1 := body
	row1.Min.Y = body.Max.Y - h*0.40
	row2 := body
	row2.Max.Y, row2.Min.Y = row1.Min.Y-px(16), body.Max.Y-h*0.70
	row3 := body
	row3.Max.Y = row2.Min.Y - px(16)

	if len(r.Broadcasts) == 0 {
		emptyPanel(row1, "Payload transmissions per broadcast", "no broadcasts in this run")
		emptyPanel(row2, "RMR and last delivery hop per broadcast", "no broadcasts in this run")
	} else {
		transmissionsPlot(r.Broadcasts, float64(row1.Max.X-row1.Min.X)).Draw(row1)
		row := []*plot.Plot{rmrPlot(r.Broadcasts), ldhPlot(r.Broadcasts)}
		cells := plot.Align([][]*plot.Plot{row}, draw.Tiles{Rows: 1, Cols: 2, PadX: px(40)}, row2)
		for k, p := range row {
			p.Draw(cells[0][k])
		}
	}
	if len(r.Nodes) == 0 {
		emptyPanel(row3, "Redundant receptions per node", "no nodes in this run")
	} else {
		nodeRedundancyPlot(r.Nodes).Draw(row3)
	}
	return img
}

// transmissionsPlot shows, per broadcast, the payload frames sent, the ideal
// (one per node other than the origin running when it was sent, as
// reliability counts them) and the redundant receptions.
func transmissionsPlot(bs []report.Broadcast, widthVG float64) *plot.Plot {
	p := newPlot("Payload transmissions per broadcast, against the ideal of one per receiver", "broadcast (in the order sent)", "payload frames")
	styleLegend(p)
	p.Add(grid())
	ideal, sent, redundant := make(plotter.Values, len(bs)), make(plotter.Values, len(bs)), make(plotter.Values, len(bs))
	for k, b := range bs {
		ideal[k], sent[k], redundant[k] = idealReceivers(b), float64(b.Transmissions), float64(b.Redundant)
	}
	series := []struct {
		name string
		v    plotter.Values
		col  color.Color
	}{
		{"ideal: one per node running at the send (N − 1)", ideal, grey},
		{"payload transmissions (frames sent)", sent, okBlue},
		{"redundant receptions (dropped as already seen)", redundant, okVermilion},
	}
	if len(bs) <= barsUpTo {
		// Grouped bars, three per broadcast.
		w := vg.Length(widthVG) * 0.8 / vg.Length(len(bs)+1) / 3.6
		for k, s := range series {
			bc, _ := plotter.NewBarChart(s.v, w)
			bc.XMin = 1
			bc.Offset = w * vg.Length(k-1)
			bc.Color = s.col
			bc.LineStyle.Width = 0
			p.Add(bc)
			p.Legend.Add(s.name, bc)
		}
		p.X.Min, p.X.Max = 0.4, float64(len(bs))+0.6
	} else {
		for _, s := range series {
			xy := make(plotter.XYs, len(s.v))
			for k, v := range s.v {
				xy[k].X, xy[k].Y = float64(k+1), v
			}
			l, _ := plotter.NewLine(xy)
			l.LineStyle = lineStyle(s.col, 2)
			p.Add(l)
			p.Legend.Add(s.name, l)
		}
	}
	p.X.Tick.Marker = niceTicks{Target: 12, Integer: true}
	p.Y.Min = 0
	headroom(p, 0.3)
	return p
}

// rmrPlot shows the relative message redundancy of every broadcast.
func rmrPlot(bs []report.Broadcast) *plot.Plot {
	p := newPlot("Relative message redundancy (RMR: 0 = each node got the payload once)", "broadcast", "RMR")
	styleLegend(p)
	p.Add(grid())
	xy := make(plotter.XYs, len(bs))
	for k, b := range bs {
		xy[k].X, xy[k].Y = float64(k+1), b.RMR
	}
	l, s, _ := plotter.NewLinePoints(xy)
	l.LineStyle = lineStyle(okBlue, 1.5)
	s.GlyphStyle = draw.GlyphStyle{Color: okBlue, Radius: px(3.5), Shape: draw.CircleGlyph{}}
	if len(bs) > barsUpTo {
		p.Add(l) // points would merge
		p.Legend.Add("RMR of the broadcast", l)
	} else {
		p.Add(l, s)
		p.Legend.Add("RMR of the broadcast", l, s)
	}
	m := meanRMR(bs)
	mean := plotter.NewFunction(func(float64) float64 { return m })
	mean.LineStyle = dashed(okBlack, 1.2)
	p.Add(mean)
	p.Legend.Add(fmt.Sprintf("mean %.2f", m), mean)
	p.X.Tick.Marker = niceTicks{Target: 12, Integer: true}
	p.X.Min, p.X.Max = 0.5, float64(len(bs))+0.5
	p.Y.Min = min(0, p.Y.Min)
	headroom(p, 0.35)
	return p
}

// ldhPlot shows the last delivery hop (depth of the flood) of every
// broadcast.
func ldhPlot(bs []report.Broadcast) *plot.Plot {
	p := newPlot("Last delivery hop (how deep the flood went)", "broadcast", "hops")
	p.Add(grid())
	xy := make(plotter.XYs, len(bs))
	for k, b := range bs {
		xy[k].X, xy[k].Y = float64(k+1), float64(b.LDH)
	}
	l, s, _ := plotter.NewLinePoints(xy)
	l.LineStyle = lineStyle(okGreen, 1.5)
	s.GlyphStyle = draw.GlyphStyle{Color: okGreen, Radius: px(3.5), Shape: draw.BoxGlyph{}}
	if len(bs) > barsUpTo {
		// Many broadcasts: dots only, the hops fall into rows.
		s.GlyphStyle.Radius = px(2.2)
		p.Add(s)
	} else {
		p.Add(l, s)
	}
	p.X.Tick.Marker = niceTicks{Target: 12, Integer: true}
	p.Y.Tick.Marker = niceTicks{Target: 5, Integer: true}
	p.X.Min, p.X.Max = 0.5, float64(len(bs))+0.5
	p.Y.Min = 0
	headroom(p, 0.1)
	return p
}

// nodeGroup is a kind of node in the per-node histograms.
type nodeGroup struct {
	label string
	color color.RGBA
	of    func(n *report.Node, key string) bool
}

// nodeGroups split the nodes of a run for the per-node histograms: honest
// nodes running at the end, honest nodes killed or gone, siphoners, nodes
// with another network key or none.
var nodeGroups = []nodeGroup{
	{"honest, running at the end", okBlue, func(n *report.Node, key string) bool { return !n.Siphon && n.NetworkKey == key && n.Alive }},
	{"honest, killed or left", killedGrey, func(n *report.Node, key string) bool { return !n.Siphon && n.NetworkKey == key && !n.Alive }},
	{"siphoners", okPurple, func(n *report.Node, _ string) bool { return n.Siphon }},
	{"another network key or none", okGreen, func(n *report.Node, key string) bool { return !n.Siphon && n.NetworkKey != key }},
}

// reportMeshKey is the network key most nodes of r hold.
func reportMeshKey(nodes []report.Node) string {
	t := &report.Topology{Nodes: make([]report.TopoNode, len(nodes))}
	for i, n := range nodes {
		t.Nodes[i].NetworkKey = n.NetworkKey
	}
	return meshKey(t)
}

// nodeRedundancyPlot is a histogram of the redundant receptions of every
// node over the run, its bars stacked by node group.
func nodeRedundancyPlot(nodes []report.Node) *plot.Plot {
	p := newPlot(fmt.Sprintf("Redundant receptions per node over the run (%s)", plural(len(nodes), "node", "nodes")),
		"redundant receptions of the node", "nodes")
	styleLegend(p)
	p.Legend.Left = false
	p.Add(grid())
	all := make([]float64, len(nodes))
	for i, n := range nodes {
		all[i] = float64(n.Redundant)
	}
	key := reportMeshKey(nodes)
	var present []nodeGroup
	var values [][]float64
	for _, g := range nodeGroups {
		var v []float64
		for i := range nodes {
			if g.of(&nodes[i], key) {
				v = append(v, all[i])
			}
		}
		if len(v) > 0 {
			present = append(present, g)
			values = append(values, v)
		}
	}
	// Stacked: the bars of the first k groups together, in the colour of
	// the k-th, drawn from the most groups down.
	total := intHistogram(all, 40, okBlue)
	var hists []*plotter.Histogram
	for k := range present {
		var v []float64
		for _, g := range values[:k+1] {
			v = append(v, g...)
		}
		h := *total
		h.Bins = binsOf(total.Bins, v)
		h.FillColor = present[k].color
		hists = append(hists, &h)
	}
	for k := len(hists) - 1; k >= 0; k-- {
		p.Add(hists[k])
	}
	if len(present) > 1 {
		for k, g := range present {
			p.Legend.Add(fmt.Sprintf("%s (%s)", g.label, thousands(len(values[k]))), hists[k])
		}
	}
	p.Y.Tick.Marker = niceTicks{Target: 5, Integer: true}
	p.X.Tick.Marker = niceTicks{Target: 12, Integer: true}
	p.Y.Min = 0
	headroom(p, 0.15)
	return p
}

// binsOf counts values into copies of bins.
func binsOf(bins []plotter.HistogramBin, values []float64) []plotter.HistogramBin {
	out := make([]plotter.HistogramBin, len(bins))
	for k, b := range bins {
		out[k] = plotter.HistogramBin{Min: b.Min, Max: b.Max}
	}
	for _, v := range values {
		for k := range out {
			if v >= out[k].Min && v < out[k].Max {
				out[k].Weight++
				break
			}
		}
	}
	return out
}

// idealReceivers is the ideal number of payload transmissions of b: one
// per node other than the origin running when it was sent (as reliability
// counts them), or, in a report older than that count, one per delivery.
func idealReceivers(b report.Broadcast) float64 {
	if b.Running == 0 {
		return float64(b.Delivered)
	}
	return float64(b.Running)
}

// meanRMR is the mean RMR of the broadcasts (0 without any).
func meanRMR(bs []report.Broadcast) float64 {
	if len(bs) == 0 {
		return 0
	}
	var sum float64
	for _, b := range bs {
		sum += b.RMR
	}
	return sum / float64(len(bs))
}

// name is the scenario name, or a stand-in.
func name(r *report.Report) string {
	if r.Scenario == "" {
		return "run"
	}
	return r.Scenario
}

// pad shrinks c by n pixels on every side.
func pad(c draw.Canvas, n float64) draw.Canvas {
	c.Min.X += px(n)
	c.Min.Y += px(n)
	c.Max.X -= px(n)
	c.Max.Y -= px(n)
	return c
}

// RedundancyPNG draws the redundancy picture of r as a PNG: per broadcast
// the payload transmissions against the ideal N−1 and the redundant
// receptions, RMR and last delivery hop, and a histogram of redundant
// receptions per node.
func RedundancyPNG(w io.Writer, r *report.Report) error {
	return writePNG(w, redundancyImage(r))
}
