package viz

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"p2pmesh/sim/sweep"
)

// A sweep's pictures: one measure against one swept parameter, the mean
// over the seeds as a line with the range from the smallest to the largest
// value as a band around it, one line per value of a second parameter.

const (
	sweepWidth  = 1000
	sweepHeight = 620
	sweepLegend = 240 // pixels for the legend, right of the plot
)

// SweepPNG draws measure against the parameter in column x of r, one line
// per value of column lines (-1: one line). Parameters other than these two
// are pooled into the bands, and the subtitle says so.
func SweepPNG(w io.Writer, r *sweep.Result, measure string, x, lines int) error {
	img := newCanvas(sweepWidth, sweepHeight)
	dc := draw.New(img)
	by := []int{x}
	if lines >= 0 {
		by = append(by, lines)
	}
	spreads := r.Spreads(measure, by)
	seeds := len(r.Seeds)
	sub := fmt.Sprintf("line: mean over %d seed(s); band or whiskers: min to max", seeds)
	var pooled []string
	for c := range r.Columns {
		if c != x && c != lines {
			pooled = append(pooled, r.ColumnLabel(c))
		}
	}
	if len(pooled) > 0 {
		sub += "; pooled over " + strings.Join(pooled, ", ")
	}
	label := measureLabel(measure)
	body := pad(heading(dc, fmt.Sprintf("%s: %s against %s", r.Name, label, r.ColumnLabel(x)), sub), 10)

	// The x positions: the values themselves when they are all numbers,
	// else evenly spaced and labelled.
	var xs []string
	for _, s := range spreads {
		if !slices.Contains(xs, s.Values[0]) {
			xs = append(xs, s.Values[0])
		}
	}
	numeric := true
	pos := map[string]float64{}
	for _, v := range xs {
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err != nil {
			numeric = false
			break
		}
		pos[v] = f
	}
	if !numeric {
		for i, v := range xs {
			pos[v] = float64(i)
		}
	}

	p := newPlot("", r.ColumnLabel(x), label)
	p.Add(plotter.NewGrid())
	if numeric {
		integer := true
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range pos {
			integer = integer && v == math.Trunc(v)
			lo, hi = min(lo, v), max(hi, v)
		}
		p.X.Tick.Marker = niceTicks{Target: 10, Integer: integer}
		margin := max((hi-lo)*0.04, 0.5)
		p.X.Min, p.X.Max = lo-margin, hi+margin
	} else {
		var ticks []plot.Tick
		for i, v := range xs {
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: v})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.5, float64(len(xs))-0.5
	}
	p.Y.Tick.Marker = niceTicks{Target: 8}

	var lineVals []string
	for _, s := range spreads {
		v := ""
		if lines >= 0 {
			v = s.Values[1]
		}
		if !slices.Contains(lineVals, v) {
			lineVals = append(lineVals, v)
		}
	}
	colors := lineColors(lineVals)
	// With many lines the bands would hide each other: each line's range
	// is drawn as whiskers instead, set slightly apart.
	bands := len(lineVals) <= 3
	dodge := 0.0
	if !bands {
		span := 1.0
		if numeric && len(xs) > 1 {
			span = (p.X.Max - p.X.Min) / float64(len(xs))
		}
		dodge = span * 0.3 / float64(len(lineVals))
	}
	never, drawn := 0, 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, lv := range lineVals {
		c := colors[k]
		shift := dodge * (float64(k) - float64(len(lineVals)-1)/2)
		var mean, top, bottom plotter.XYs
		for _, s := range spreads {
			never += s.Never
			if (lines >= 0 && s.Values[1] != lv) || s.N == 0 {
				continue
			}
			xpos := pos[s.Values[0]] + shift
			mean = append(mean, plotter.XY{X: xpos, Y: s.Mean})
			top = append(top, plotter.XY{X: xpos, Y: s.Max})
			bottom = append(bottom, plotter.XY{X: xpos, Y: s.Min})
			lo, hi = min(lo, s.Min), max(hi, s.Max)
		}
		if len(mean) == 0 {
			continue
		}
		drawn++
		band := append(append(plotter.XYs(nil), top...), reversed(bottom)...)
		if poly, err := plotter.NewPolygon(band); err == nil && len(mean) > 1 && bands {
			poly.Color = fade(c, 0x40)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		if len(mean) == 1 || !bands || !bandFlat(top, bottom) {
			// Whiskers show the range at each value, also where a band
			// of one point would be invisible.
			for i := range top {
				if top[i].Y == bottom[i].Y {
					continue
				}
				if wl, err := plotter.NewLine(plotter.XYs{bottom[i], top[i]}); err == nil {
					wl.Color, wl.Width = fade(c, 0xa0), px(1.5)
					p.Add(wl)
				}
			}
		}
		name := "all runs"
		if lines >= 0 {
			name = lv
		}
		addLine(p, mean, c, false, name)
	}
	// Runs that failed (an expectation, or an error) are marked where
	// their value lies, so a bad region of the grid shows.
	var failed plotter.XYs
	for _, row := range r.Rows {
		if row.Status == sweep.StatusOK {
			continue
		}
		if v, ok := row.Measure(measure); ok && !sweep.Never(measure, v) && !math.IsNaN(v) {
			failed = append(failed, plotter.XY{X: pos[row.Values[x]], Y: v})
		}
	}
	if len(failed) > 0 {
		if sc, err := plotter.NewScatter(failed); err == nil {
			sc.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{0xcc, 0x00, 0x00, 0xff}, Radius: px(7), Shape: failedGlyph{}}
			p.Add(sc)
			p.Legend.Add(fmt.Sprintf("failed run (%d)", len(failed)), sc)
		}
	}
	if hi > lo {
		margin := (hi - lo) * 0.08
		p.Y.Min, p.Y.Max = lo-margin, hi+margin
	} else if !math.IsInf(lo, 0) {
		p.Y.Min, p.Y.Max = lo-1, hi+1
	}
	// The legend goes to the right of the plot, where it hides no data.
	plotArea, legendArea := body, body
	plotArea.Max.X -= px(sweepLegend)
	legendArea.Min.X = plotArea.Max.X + px(12)
	legendArea.Max.Y -= px(30)
	if lines >= 0 {
		// The legend's title: the parameter its values belong to.
		sty := textStyle(sansBold, 10.5, okBlack)
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
		legendArea.FillText(sty, vg.Point{X: legendArea.Min.X, Y: legendArea.Max.Y}, r.ColumnLabel(lines))
		legendArea.Max.Y -= sty.Height(r.ColumnLabel(lines)) + px(6)
	}
	leg := p.Legend
	leg.Left, leg.Top = true, true
	p.Legend = plot.NewLegend()
	p.Draw(plotArea)
	leg.Draw(legendArea)
	dcv := p.DataCanvas(plotArea)
	switch {
	case drawn == 0 && never > 0:
		notice(dcv, "no run healed")
	case drawn == 0:
		notice(dcv, "no run has this measure")
	case never > 0:
		sty := textStyle(sans, 11, okVermilion)
		sty.XAlign, sty.YAlign = draw.XRight, draw.YTop
		dcv.FillText(sty, dcv.Max, fmt.Sprintf("%d run(s) never healed: not drawn", never))
	}
	return writePNG(w, img)
}

// failedGlyph is a bold ×, visible over a line's point mark.
type failedGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (failedGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: px(2.5)})
	r := sty.Radius
	for _, d := range []vg.Length{r, -r} {
		var path vg.Path
		path.Move(vg.Point{X: pt.X - r, Y: pt.Y - d})
		path.Line(vg.Point{X: pt.X + r, Y: pt.Y + d})
		c.Stroke(path)
	}
}

// measureLabel is how a measure is named on a picture: an expectation's
// value by the expectation's name.
func measureLabel(measure string) string {
	if e, ok := strings.CutPrefix(measure, sweep.ExpectPrefix); ok {
		return e
	}
	return measure
}

// lineColors gives each line a colour: the palette for a few lines, a
// blue-to-red scale for many lines of ordered numbers.
func lineColors(values []string) []color.Color {
	out := make([]color.Color, len(values))
	numeric := len(values) > len(sizeColors)
	for _, v := range values {
		if _, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64); err != nil {
			numeric = false
		}
	}
	if !numeric {
		for i := range out {
			out[i] = sizeColors[i%len(sizeColors)]
		}
		return out
	}
	// From blue to vermilion: dark enough at every step to be seen on
	// white (a diverging scale fades to white in its middle).
	for i := range out {
		f := float64(i) / float64(len(values)-1)
		mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a)*(1-f) + float64(b)*f)) }
		out[i] = color.RGBA{mix(okBlue.R, okVermilion.R), mix(okBlue.G, okVermilion.G), mix(okBlue.B, okVermilion.B), 0xff}
	}
	return out
}

func reversed(xy plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	for i, p := range xy {
		out[len(xy)-1-i] = p
	}
	return out
}

func bandFlat(top, bottom plotter.XYs) bool {
	for i := range top {
		if top[i].Y != bottom[i].Y {
			return false
		}
	}
	return true
}

// fade returns c with the given opacity.
func fade(c color.Color, alpha uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), alpha}
}
