package viz

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Helpers shared by the chart pictures: integer histograms, integer ticks,
// a light grid and a few line styles.

// niceTicks labels about Target evenly spaced round values (steps of 1, 2
// or 5 times a power of ten), only whole numbers when Integer is set, with
// unlabelled minor ticks between them.
type niceTicks struct {
	Target  int
	Integer bool
}

// Ticks implements plot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		if math.IsNaN(lo) || math.IsInf(lo, 0) {
			return nil
		}
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	raw := span / float64(max(t.Target, 2))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if t.Integer && step < 1 {
		step = 1
	}
	minor := step / 5
	if t.Integer && minor < 1 {
		minor = 0
	}
	if m := step / mag; m == 2 || (m == 5 && t.Integer && step == 5) {
		minor = step / 2
		if t.Integer && minor != math.Trunc(minor) {
			minor = 0
		}
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var out []plot.Tick
	first := math.Ceil(lo/step - 1e-9)
	for k := first; k*step <= hi+step*1e-9; k++ {
		v := k*step + 0 // no "-0"
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
	}
	if minor > 0 {
		for k := math.Ceil(lo/minor - 1e-9); k*minor <= hi+minor*1e-9; k++ {
			v := k * minor
			if r := v / step; math.Abs(r-math.Round(r)) > 1e-6 {
				out = append(out, plot.Tick{Value: v})
			}
		}
	}
	return out
}

// grid returns light horizontal grid lines.
func grid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	g.Horizontal = draw.LineStyle{Color: color.RGBA{0xe8, 0xe8, 0xe8, 0xff}, Width: px(1)}
	return g
}

// lineStyle is a solid line of the given colour, width in pixels.
func lineStyle(c color.Color, width float64) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: px(width)}
}

// dashed is a dashed line of the given colour, width in pixels.
func dashed(c color.Color, width float64) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: px(width), Dashes: []vg.Length{px(6), px(4)}}
}

// intHistogram counts whole-number values into at most maxBins bins of a
// whole-number width, each bin centred on the values it holds, from the
// smallest value to the largest.
func intHistogram(values []float64, maxBins int, fill color.Color) *plotter.Histogram {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	if len(values) == 0 {
		lo, hi = 0, 0
	}
	width := math.Max(1, math.Ceil((hi-lo+1)/float64(maxBins)))
	start := math.Floor(lo/width) * width
	n := int((hi-start)/width) + 1
	bins := make([]plotter.HistogramBin, n)
	for k := range bins {
		bins[k] = plotter.HistogramBin{Min: start + float64(k)*width - 0.5, Max: start + float64(k+1)*width - 0.5}
	}
	for _, v := range values {
		k := int((v - start) / width)
		if k >= 0 && k < n {
			bins[k].Weight++
		}
	}
	// A white outline keeps neighbouring bars apart.
	gap := 1.0
	if n <= 30 {
		gap = 4
	}
	return &plotter.Histogram{Bins: bins, Width: width, FillColor: fill, LineStyle: lineStyle(white, gap)}
}

// binCounts writes the count above every non-empty bin of h.
func binCounts(h *plotter.Histogram) *plotter.Labels {
	var xy plotter.XYs
	var text []string
	for _, b := range h.Bins {
		if b.Weight > 0 {
			xy = append(xy, plotter.XY{X: (b.Min + b.Max) / 2, Y: b.Weight})
			text = append(text, thousands(int(b.Weight)))
		}
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: text})
	if err != nil {
		return nil
	}
	for k := range l.TextStyle {
		l.TextStyle[k] = textStyle(sans, 10, okBlack)
		l.TextStyle[k].XAlign = draw.XCenter
	}
	l.Offset = vg.Point{Y: px(4)}
	return l
}

// headroom raises the top of p's y axis so a legend in the top corner stays
// clear of the data.
func headroom(p *plot.Plot, frac float64) {
	if p.Y.Max > p.Y.Min {
		p.Y.Max += (p.Y.Max - p.Y.Min) * frac
	}
}

// styleLegend puts p's legend in the top left corner of the data, the
// same way in every panel.
func styleLegend(p *plot.Plot) {
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = px(10)
	p.Legend.YOffs = -px(6)
	p.Legend.Padding = px(3)
	p.Legend.ThumbnailWidth = px(26)
}
