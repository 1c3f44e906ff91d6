package viz

import (
	"fmt"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"p2pmesh/sim/report"
)

// NetworkFile is the picture of what the network did, drawn when the report
// has traffic (links with loss or limited bandwidth).
const NetworkFile = "network.png"

// Size of the network picture in pixels.
const (
	netWidth  = 1400
	netHeight = 1000
)

// NetworkPNG draws what the network did: the delivery latency of every
// broadcast (median and 99th percentile) against the time it was sent, and
// per node the longest a frame waited in its uplink's queue. Under limited
// bandwidth a mode that sends more queues longer, and its latency climbs.
func NetworkPNG(w io.Writer, r *report.Report) error {
	t := r.Summary.Traffic
	if t == nil {
		return fmt.Errorf("the report has no traffic (no loss, no bandwidth limit)")
	}
	img := newCanvas(netWidth, netHeight)
	dc := draw.New(img)
	body := heading(dc, fmt.Sprintf("%s — what the network did", name(r)),
		fmt.Sprintf("%s frames, %.1f MB sent · %s segments retransmitted · %s frames queued, largest uplink backlog %.0f kB, longest wait %s",
			thousands(int(t.Frames)), float64(t.Bytes)/1e6, thousands(int(t.Retransmitted)), thousands(int(t.Queued)),
			float64(t.MaxQueueBytes)/1e3, seconds(t.MaxWaitMS)))
	body = pad(body, 10)
	h := body.Max.Y - body.Min.Y
	top := body
	top.Min.Y = body.Max.Y - h*0.55
	bottom := body
	bottom.Max.Y = top.Min.Y - px(16)
	if len(r.Broadcasts) == 0 {
		emptyPanel(top, "Delivery latency per broadcast", "no broadcasts in this run")
	} else {
		latencyPlot(r.Broadcasts).Draw(top)
	}
	var waits []float64
	for _, n := range r.Nodes {
		if n.Traffic != nil {
			waits = append(waits, n.Traffic.MaxWaitMS)
		}
	}
	if len(waits) == 0 {
		emptyPanel(bottom, "Longest wait in each node's uplink queue", "bandwidth is unlimited: no queues")
	} else {
		waitPlot(waits).Draw(bottom)
	}
	return writePNG(w, img)
}

// latencyPlot draws each broadcast's median and 99th-percentile delivery
// latency against the time it was sent.
func latencyPlot(bs []report.Broadcast) *plot.Plot {
	p := newPlot("Delivery latency per broadcast", "sent at, virtual time (s)", "latency (ms)")
	p.Add(grid())
	var p50, p99 plotter.XYs
	for _, b := range bs {
		p50 = append(p50, plotter.XY{X: b.SentAtMS / 1000, Y: b.LatencyMS.P50})
		p99 = append(p99, plotter.XY{X: b.SentAtMS / 1000, Y: b.LatencyMS.P99})
	}
	for _, s := range []struct {
		label string
		xy    plotter.XYs
		c     draw.LineStyle
	}{{"99th percentile", p99, lineStyle(okVermilion, 2)}, {"median", p50, lineStyle(okBlue, 2)}} {
		l, sc, _ := plotter.NewLinePoints(s.xy)
		l.LineStyle = s.c
		sc.GlyphStyle = draw.GlyphStyle{Color: s.c.Color, Radius: px(2.5), Shape: draw.CircleGlyph{}}
		p.Add(l, sc)
		p.Legend.Add(s.label, l, sc)
	}
	styleLegend(p)
	p.Y.Min = 0
	p.X.Tick.Marker = niceTicks{Target: 12}
	headroom(p, 0.12)
	return p
}

// waitPlot is a histogram of the nodes' longest uplink waits.
func waitPlot(waits []float64) *plot.Plot {
	p := newPlot("Longest wait of a frame in each node's uplink queue", "longest wait (ms)", "nodes")
	hist, err := plotter.NewHist(plotter.Values(waits), 30)
	if err != nil {
		p.Add(noData{err.Error()})
		return p
	}
	hist.FillColor, hist.LineStyle = okSky, lineStyle(white, 1)
	p.Add(grid(), hist)
	p.Y.Min = 0
	p.Y.Tick.Marker = niceTicks{Target: 5, Integer: true}
	headroom(p, 0.08)
	return p
}

// networkChart is the entry RenderDir draws for NetworkPNG.
var networkChart = struct {
	file, title, alt, caption string
	draw                      func(io.Writer, *report.Report) error
}{NetworkFile, "The network", "Median and 99th-percentile delivery latency of every broadcast against the time it was sent; histogram of each node's longest uplink wait",
	"Top: delivery latency of each broadcast (median and 99th percentile) against the time it was sent. Bottom: the longest a frame waited in each node's uplink queue (limited bandwidth only).", NetworkPNG}
