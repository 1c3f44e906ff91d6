package viz

import (
	"fmt"
	"image/color"
	"io"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"p2pmesh/sim/report"
)

// LatencyFile is the latency picture RenderDir writes when spread.json is
// there.
const LatencyFile = "latency.png"

// Size of the latency picture in pixels.
const (
	latWidth  = 1200
	latHeight = 760
)

// LatencyPNG draws the delivery latencies of every broadcast of sp as
// cumulative distributions: one faint line per broadcast, the median over
// broadcasts of each percentile bold, and the worst broadcast (chosen as
// chooseBroadcasts does, from r) in its own colour.
func LatencyPNG(w io.Writer, r *report.Report, sp *report.Spread) error {
	img := newCanvas(latWidth, latHeight)
	dc := draw.New(img)
	var curves [][]float64
	for _, b := range sp.Broadcasts {
		if len(b.LatencyMS) == 101 {
			curves = append(curves, b.LatencyMS)
		}
	}
	worst := worstBroadcast(r.Broadcasts)
	if worst < 0 || worst >= len(sp.Broadcasts) || len(sp.Broadcasts[worst].LatencyMS) != 101 || len(curves) < 2 {
		worst = -1
	}
	body := heading(dc, fmt.Sprintf("%s — delivery latency", name(r)),
		fmt.Sprintf("cumulative share of each broadcast's deliveries against the time since it was sent · %s", plural(len(curves), "broadcast", "broadcasts")))
	body = pad(body, 10)
	if len(curves) == 0 {
		emptyPanel(body, "Delivery latency", "no deliveries in this run")
		return writePNG(w, img)
	}
	p := newPlot("", "latency (ms since the broadcast was sent)", "share of the broadcast's deliveries")
	styleLegend(p)
	p.Legend.Top, p.Legend.Left = false, false
	p.Add(grid())
	curve := func(lat []float64) plotter.XYs {
		xy := make(plotter.XYs, 0, 2*len(lat))
		for q, v := range lat {
			// A step: the share rises at the latency it reaches.
			if q > 0 {
				xy = append(xy, plotter.XY{X: v, Y: float64(q-1) / 100})
			}
			xy = append(xy, plotter.XY{X: v, Y: float64(q) / 100})
		}
		return xy
	}
	faint := color.RGBA{0x9c, 0xc3, 0xdf, 0xff}
	for k, c := range curves {
		l, _ := plotter.NewLine(curve(c))
		l.LineStyle = lineStyle(faint, 1)
		p.Add(l)
		if k == 0 {
			p.Legend.Add("one broadcast", l)
		}
	}
	median := make([]float64, 101)
	col := make([]float64, len(curves))
	for q := range median {
		for k, c := range curves {
			col[k] = c[q]
		}
		slices.Sort(col)
		median[q] = col[len(col)/2]
	}
	m, _ := plotter.NewLine(curve(median))
	m.LineStyle = lineStyle(okBlue, 2.5)
	p.Add(m)
	p.Legend.Add("median over the broadcasts", m)
	if worst >= 0 {
		wl, _ := plotter.NewLine(curve(sp.Broadcasts[worst].LatencyMS))
		wl.LineStyle = lineStyle(okVermilion, 2)
		p.Add(wl)
		p.Legend.Add("worst broadcast, "+sp.Broadcasts[worst].ID, wl)
	}
	p.Y.Min, p.Y.Max = 0, 1.02
	p.X.Min = 0
	p.X.Tick.Marker = niceTicks{Target: 12}
	p.Y.Tick.Marker = niceTicks{Target: 10}
	p.Draw(body)
	return writePNG(w, img)
}
