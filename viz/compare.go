package viz

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"p2pmesh/sim/report"
)

// CompareGroup is what one line of a comparison stands for: one run, or the
// runs of one scenario over several seeds, drawn as their mean with a band
// from the lowest to the highest value.
type CompareGroup struct {
	Label string
	Runs  []*report.Report
}

// GroupRuns puts runs of the same scenario (and file) together, in the
// order they first appear: those differ only by seed.
func GroupRuns(runs []*report.Report) []CompareGroup {
	var groups []CompareGroup
	index := map[string]int{}
	for _, r := range runs {
		key := r.Scenario + "\x00" + r.File
		k, ok := index[key]
		if !ok {
			k = len(groups)
			index[key] = k
			groups = append(groups, CompareGroup{Label: r.Scenario})
		}
		groups[k].Runs = append(groups[k].Runs, r)
	}
	for k := range groups {
		if n := len(groups[k].Runs); n > 1 {
			groups[k].Label = fmt.Sprintf("%s (%d seeds)", groups[k].Label, n)
		}
	}
	return groups
}

// compareColours tells the groups apart (Okabe–Ito, then greys).
var compareColours = []color.Color{okBlue, okVermilion, color.RGBA{0x00, 0x9e, 0x73, 0xff}, okPurple,
	color.RGBA{0xe6, 0x9f, 0x00, 0xff}, color.RGBA{0x56, 0xb4, 0xe9, 0xff}, okBlack, grey}

// band is a group's measure over time: at each time the lowest, mean and
// highest value over its runs (each run's value being its last sample at
// or before that time).
type band struct{ t, lo, mean, hi []float64 }

// measureBand evaluates value over the samples of every run of g; value
// reports false where a sample has no value (reliability without a
// broadcast).
func measureBand(g CompareGroup, value func(report.Sample) (float64, bool)) band {
	var times []float64
	for _, r := range g.Runs {
		for _, s := range r.Series {
			if _, ok := value(s); ok {
				times = append(times, s.AtMS/1000)
			}
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	var b band
	for _, t := range times {
		lo, hi, sum, n := math.Inf(1), math.Inf(-1), 0.0, 0
		for _, r := range g.Runs {
			v, ok := 0.0, false
			for _, s := range r.Series {
				if s.AtMS/1000 > t {
					break
				}
				if x, has := value(s); has {
					v, ok = x, true
				}
			}
			if ok {
				lo, hi, sum, n = min(lo, v), max(hi, v), sum+v, n+1
			}
		}
		if n > 0 {
			b.t, b.lo, b.hi, b.mean = append(b.t, t), append(b.lo, lo), append(b.hi, hi), append(b.mean, sum/float64(n))
		}
	}
	return b
}

// steps turns samples into the corners of a step line: a value holds until
// the next sample.
func steps(t, v []float64) plotter.XYs {
	var xy plotter.XYs
	for k := range t {
		if k > 0 {
			xy = append(xy, plotter.XY{X: t[k], Y: v[k-1]})
		}
		xy = append(xy, plotter.XY{X: t[k], Y: v[k]})
	}
	return xy
}

// comparePanel draws one measure of every group on shared axes.
func comparePanel(title, ylabel string, groups []CompareGroup, value func(report.Sample) (float64, bool), integer bool) *plot.Plot {
	p := newPlot(title, "virtual time (s)", ylabel)
	p.Add(grid())
	p.Y.Tick.Marker = niceTicks{Target: 5, Integer: integer}
	p.X.Tick.Marker = niceTicks{Target: 10}
	for k, g := range groups {
		c := compareColours[k%len(compareColours)]
		b := measureBand(g, value)
		if len(b.t) == 0 {
			continue
		}
		if len(g.Runs) > 1 {
			hi, lo := steps(b.t, b.hi), steps(b.t, b.lo)
			slices.Reverse(lo)
			if poly, err := plotter.NewPolygon(append(hi, lo...)); err == nil {
				r, gg, bb, _ := c.RGBA()
				poly.Color = color.NRGBA{uint8(r >> 8), uint8(gg >> 8), uint8(bb >> 8), 0x50}
				poly.LineStyle.Width = 0
				p.Add(poly)
			}
		}
		line, err := plotter.NewLine(steps(b.t, b.mean))
		if err != nil {
			continue
		}
		line.LineStyle = lineStyle(c, 2)
		if k%2 == 1 {
			line.LineStyle.Dashes = []vg.Length{px(7), px(3)}
		}
		p.Add(line)
		label := g.Label
		if len(g.Runs) > 1 {
			label += ": mean, band min–max"
		}
		p.Legend.Add(label, line)
	}
	styleLegend(p)
	headroom(p, 0.25)
	p.X.Min, p.X.Max = 0, 0
	for _, g := range groups {
		for _, r := range g.Runs {
			p.X.Max = max(p.X.Max, r.DurationMS/1000)
		}
	}
	return p
}

// CompareOverTimePNG draws the runs over time on shared axes: running
// nodes, links, connected components and broadcast reliability, one line
// per group (a band from the lowest to the highest of its seeds).
func CompareOverTimePNG(w io.Writer, groups []CompareGroup) error {
	img := newCanvas(1200, 1400)
	dc := draw.New(img)
	var names []string
	for _, g := range groups {
		names = append(names, g.Label)
	}
	body := pad(heading(dc, "Runs compared over time", strings.Join(names, " · ")), 10)
	reliability := func(s report.Sample) (float64, bool) {
		if s.Reliability == nil {
			return 0, false
		}
		return *s.Reliability, true
	}
	panels := [][]*plot.Plot{
		{comparePanel("Running nodes", "nodes", groups, func(s report.Sample) (float64, bool) { return float64(s.Alive), true }, true)},
		{comparePanel("Links", "links", groups, func(s report.Sample) (float64, bool) { return float64(s.Links), true }, true)},
		{comparePanel("Connected components (1 = one mesh)", "components", groups, func(s report.Sample) (float64, bool) { return float64(s.Components), true }, true)},
		{comparePanel("Reliability of the broadcasts sent since the previous sample", "reliability", groups, reliability, false)},
	}
	rel := panels[3][0]
	rel.Y.Min, rel.Y.Max = 0, 1.3 // a share: 0 to 1, and room for the legend
	cells := plot.Align(panels, draw.Tiles{Rows: len(panels), Cols: 1, PadY: px(22)}, body)
	for k, row := range panels {
		row[0].Draw(cells[k][0])
	}
	return writePNG(w, img)
}

// CompareLatencyPNG draws each broadcast's median and 99th-percentile
// delivery latency against the time it was sent, one colour per group.
func CompareLatencyPNG(w io.Writer, groups []CompareGroup) error {
	img := newCanvas(1200, 600)
	dc := draw.New(img)
	body := pad(heading(dc, "Delivery latency of each broadcast", "filled: median (p50) · open: 99th percentile"), 10)
	p := newPlot("", "sent at, virtual time (s)", "latency (ms)")
	p.Add(grid())
	p.X.Tick.Marker = niceTicks{Target: 10}
	p.Y.Tick.Marker = niceTicks{Target: 6}
	for k, g := range groups {
		c := compareColours[k%len(compareColours)]
		var p50, p99 plotter.XYs
		for _, r := range g.Runs {
			for _, b := range r.Broadcasts {
				if b.Delivered == 0 {
					continue
				}
				p50 = append(p50, plotter.XY{X: b.SentAtMS / 1000, Y: b.LatencyMS.P50})
				p99 = append(p99, plotter.XY{X: b.SentAtMS / 1000, Y: b.LatencyMS.P99})
			}
		}
		if len(p50) == 0 {
			continue
		}
		s50, err := plotter.NewScatter(p50)
		if err != nil {
			return err
		}
		s50.GlyphStyle = draw.GlyphStyle{Color: c, Radius: px(4), Shape: draw.CircleGlyph{}}
		s99, err := plotter.NewScatter(p99)
		if err != nil {
			return err
		}
		s99.GlyphStyle = draw.GlyphStyle{Color: c, Radius: px(4), Shape: draw.RingGlyph{}}
		p.Add(s50, s99)
		p.Legend.Add(g.Label, s50)
	}
	styleLegend(p)
	headroom(p, 0.25)
	p.Draw(body)
	return writePNG(w, img)
}

// CompareRow is one summary measure across runs.
type CompareRow struct {
	Key    string
	Values []string
	// Differs is set when the runs' values are not all equal.
	Differs bool
}

// CompareSummaries tabulates the summaries of the runs (columns in their
// order) field by field, leaving out the text fields (the trace digest):
// each value with its change against the first run.
func CompareSummaries(runs []*report.Report) []CompareRow {
	if len(runs) == 0 {
		return nil
	}
	columns := make([][]summaryField, len(runs))
	for k, r := range runs {
		columns[k] = summaryFields(r.Summary)
	}
	var rows []CompareRow
	for f, field := range columns[0] {
		if !slices.ContainsFunc(columns, func(c []summaryField) bool { _, ok := numeric(c[f].value); return ok }) {
			continue // not a number, or no run has it (traffic)
		}
		row := CompareRow{Key: field.key}
		first, _ := numeric(field.value)
		for k := range runs {
			v, ok := numeric(columns[k][f].value)
			if !ok {
				row.Differs = true
				row.Values = append(row.Values, "–")
				continue
			}
			cell := formatValue(columns[k][f].value)
			if k > 0 && v != first {
				row.Differs = true
				if first != 0 {
					cell += fmt.Sprintf(" (%+.1f%%)", 100*(v-first)/math.Abs(first))
				} else {
					cell += " (" + number(v-first) + ")"
				}
			}
			row.Values = append(row.Values, cell)
		}
		rows = append(rows, row)
	}
	return rows
}

// numeric reads a number field.
func numeric(v reflect.Value) (float64, bool) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	}
	return 0, false
}
