package viz

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"p2pmesh/sim/report"
)

// Size of the time series picture in pixels.
const (
	tsWidth  = 1400
	tsHeight = 1300
)

// maxLabelRows is the number of rows of event labels above the panels;
// events whose label does not fit are marked by their line only.
const maxLabelRows = 4

// seriesColor draws the measured series; events get the colours.
var seriesColor = color.RGBA{0x22, 0x22, 0x22, 0xff}

// eventKinds are the events marked on the time line, in legend order, with
// their colours.
var eventKinds = []struct {
	kind  string
	color color.RGBA
}{
	{"start", okGreen},
	{"kill", okVermilion},
	{"leave", okOrange},
	{"restart", okSky},
	{"partition", okPurple},
	{"heal", okBlue},
	{"snapshot", grey},
}

// markedEvents are the events of r drawn on the time line, in time order
// (stable, so events at the same moment keep the report's order), events
// of one kind at the same moment merged into one (mergeEvents).
func markedEvents(r *report.Report) []report.Event {
	var out []report.Event
	for _, e := range r.Events {
		if eventColor(e.Kind) != nil {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b report.Event) int {
		switch {
		case a.AtMS < b.AtMS:
			return -1
		case a.AtMS > b.AtMS:
			return 1
		}
		return 0
	})
	var merged []report.Event
	for k := 0; k < len(out); {
		j := k
		var kinds []string
		for ; j < len(out) && out[j].AtMS == out[k].AtMS; j++ {
			if !slices.Contains(kinds, out[j].Kind) {
				kinds = append(kinds, out[j].Kind)
			}
		}
		for _, kind := range kinds {
			var same []report.Event
			for _, e := range out[k:j] {
				if e.Kind == kind {
					same = append(same, e)
				}
			}
			merged = append(merged, mergeEvents(same))
		}
		k = j
	}
	return merged
}

// nodesLabel matches event labels that count nodes ("5 nodes").
var nodesLabel = regexp.MustCompile(`^([0-9]+) nodes?$`)

// mergeEvents makes one labelled mark of events of one kind at one moment:
// counts of nodes add up ("10,000 nodes"), other labels are listed (the
// first few, then how many more).
func mergeEvents(es []report.Event) report.Event {
	if len(es) == 1 {
		return es[0]
	}
	out := report.Event{AtMS: es[0].AtMS, Kind: es[0].Kind}
	total, counts := 0, true
	var labels []string
	for _, e := range es {
		m := nodesLabel.FindStringSubmatch(e.Label)
		if m == nil {
			counts = false
		} else {
			n, _ := strconv.Atoi(m[1])
			total += n
		}
		if e.Label != "" && !slices.Contains(labels, e.Label) {
			labels = append(labels, e.Label)
		}
	}
	switch {
	case counts:
		out.Label = plural(total, "node", "nodes") + fmt.Sprintf(" (%d at once)", len(es))
	case len(labels) > 3:
		out.Label = fmt.Sprintf("%s and %d more", strings.Join(labels[:3], ", "), len(labels)-3)
	default:
		out.Label = strings.Join(labels, ", ")
	}
	return out
}

// eventColor is the colour of an event kind, nil for kinds not drawn.
func eventColor(kind string) color.Color {
	for _, k := range eventKinds {
		if k.kind == kind {
			return k.color
		}
	}
	return nil
}

// eventStyle is the line of an event: dotted for snapshots, dashed else.
func eventStyle(kind string, many bool) draw.LineStyle {
	st := dashed(eventColor(kind), 2)
	if kind == "snapshot" {
		st.Dashes = []vg.Length{px(2), px(3)}
	}
	if many {
		st.Width = px(1.2)
	}
	return st
}

// eventLines is a plotter drawing every event as a vertical line.
type eventLines struct {
	events []report.Event
}

// Plot implements plot.Plotter.
func (e eventLines) Plot(c draw.Canvas, p *plot.Plot) {
	x, _ := p.Transforms(&c)
	many := len(e.events) > 30
	same := 0 // events of other kinds before this one at the same moment
	for k, ev := range e.events {
		if k > 0 && ev.AtMS == e.events[k-1].AtMS {
			same++
		} else {
			same = 0
		}
		// Events of different kinds at one moment side by side (those of
		// one kind are merged into one mark).
		xv := x(ev.AtMS/1000) + px(3)*vg.Length(same)
		if xv < c.Min.X || xv > c.Max.X {
			continue
		}
		c.StrokeLine2(eventStyle(ev.Kind, many), xv, c.Min.Y, xv, c.Max.Y)
	}
}

// Healing spans: from a disruption until the mesh healed, or until the end
// of the run when it did not.
var (
	healingColor  = color.NRGBA{0x56, 0xb4, 0xe9, 0x30} // sky blue, faint
	unhealedColor = color.NRGBA{0xd5, 0x5e, 0x00, 0x26} // vermilion, faint
)

// repairSpans shades the time each disruption took to heal.
type repairSpans struct {
	repairs []report.Repair
	end     float64 // seconds
}

// Plot implements plot.Plotter.
func (r repairSpans) Plot(c draw.Canvas, p *plot.Plot) {
	x, _ := p.Transforms(&c)
	for _, rp := range r.repairs {
		from, to, col := rp.AtMS/1000, rp.HealedAtMS/1000, healingColor
		if rp.RepairMS < 0 || rp.HealedAtMS < rp.AtMS {
			to, col = r.end, unhealedColor
		}
		x0, x1 := max(x(from), c.Min.X), min(x(to), c.Max.X)
		if x1 < x0+px(2) {
			x1 = x0 + px(2) // a quick repair still shows
		}
		fillSpan(c, x0, x1, col)
	}
}

// fillSpan shades the full height of c from x0 to x1.
func fillSpan(c draw.Canvas, x0, x1 vg.Length, col color.Color) {
	var box vg.Path
	box.Move(vg.Point{X: x0, Y: c.Min.Y})
	box.Line(vg.Point{X: x1, Y: c.Min.Y})
	box.Line(vg.Point{X: x1, Y: c.Max.Y})
	box.Line(vg.Point{X: x0, Y: c.Max.Y})
	box.Close()
	c.SetColor(col)
	c.Fill(box)
}

// partitionColor shades the time a partition lasted.
var partitionColor = color.NRGBA{0xcc, 0x79, 0xa7, 0x2e} // reddish purple, faint

// partitionSpans shades every partition from its start to its heal (or the
// end of the run). A heal without a label heals every partition.
type partitionSpans struct {
	events []report.Event
	end    float64 // seconds
}

// spans returns the partitions as [from, to] in seconds, in the order they
// began.
func (ps partitionSpans) spans() [][2]float64 {
	var out [][2]float64
	open := map[string]int{} // label -> index in out
	var order []string
	for _, e := range ps.events {
		switch e.Kind {
		case "partition":
			if _, ok := open[e.Label]; !ok {
				open[e.Label] = len(out)
				order = append(order, e.Label)
				out = append(out, [2]float64{e.AtMS / 1000, ps.end})
			}
		case "heal":
			for _, label := range order {
				if k, ok := open[label]; ok && (e.Label == "" || e.Label == label) {
					out[k][1] = e.AtMS / 1000
					delete(open, label)
				}
			}
		}
	}
	return out
}

// Plot implements plot.Plotter.
func (ps partitionSpans) Plot(c draw.Canvas, p *plot.Plot) {
	x, _ := p.Transforms(&c)
	for _, sp := range ps.spans() {
		x0, x1 := max(x(sp[0]), c.Min.X), min(x(sp[1]), c.Max.X)
		if x1 <= x0 {
			continue
		}
		fillSpan(c, x0, x1, partitionColor)
	}
}

// seriesPanel is one panel of the time series: a line over the samples.
func seriesPanel(title, ylabel string, xy plotter.XYs, r *report.Report, events []report.Event, xmax float64, integer bool) *plot.Plot {
	p := newPlot(title, "", ylabel)
	p.Add(partitionSpans{r.Events, xmax}, repairSpans{r.Repairs, xmax}, grid(), eventLines{events})
	if len(xy) > 0 {
		// A sample holds until the next: steps, so that a change shows
		// where it was measured, never before.
		l, _ := plotter.NewLine(xy)
		l.LineStyle = lineStyle(seriesColor, 2)
		l.StepStyle = plotter.PostStep
		p.Add(l)
	}
	if len(xy) == 1 {
		s, _ := plotter.NewScatter(xy)
		s.GlyphStyle = draw.GlyphStyle{Color: seriesColor, Radius: px(3), Shape: draw.CircleGlyph{}}
		p.Add(s)
	}
	p.X.Min, p.X.Max = 0, xmax
	p.X.Tick.Marker = niceTicks{Target: 12}
	p.Y.Min = 0
	if integer {
		p.Y.Tick.Marker = niceTicks{Target: 5, Integer: true}
	}
	headroom(p, 0.08)
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	return p
}

// reliabilityPanel shows the mean reliability of the broadcasts sent in
// every sampling interval.
func reliabilityPanel(r *report.Report, events []report.Event, xmax float64) *plot.Plot {
	p := newPlot("Broadcast reliability (mean over the broadcasts sent since the previous sample)", "virtual time (s)", "reliability")
	p.Add(partitionSpans{r.Events, xmax}, repairSpans{r.Repairs, xmax}, grid(), eventLines{events})
	// Points where broadcasts were sent; lines only between neighbouring
	// samples, so a stretch without broadcasts stays a gap.
	var runs []plotter.XYs
	var run plotter.XYs
	lo := 1.0
	for _, s := range r.Series {
		if s.Reliability == nil || math.IsNaN(*s.Reliability) {
			if len(run) > 0 {
				runs, run = append(runs, run), nil
			}
			continue
		}
		run = append(run, plotter.XY{X: s.AtMS / 1000, Y: *s.Reliability})
		lo = min(lo, *s.Reliability)
	}
	if len(run) > 0 {
		runs = append(runs, run)
	}
	for _, xy := range runs {
		l, sc, _ := plotter.NewLinePoints(xy)
		l.LineStyle = lineStyle(seriesColor, 1.2)
		sc.GlyphStyle = draw.GlyphStyle{Color: seriesColor, Radius: px(3.5), Shape: draw.CircleGlyph{}}
		p.Add(l, sc)
	}
	if len(runs) == 0 {
		p.Add(noData{"no broadcasts were sent"})
	}
	p.X.Min, p.X.Max = 0, xmax
	p.X.Tick.Marker = niceTicks{Target: 12}
	p.Y.Tick.Marker = niceTicks{Target: 5}
	p.Y.Min = math.Max(0, math.Min(0.9, math.Floor((lo-0.05)*20)/20))
	p.Y.Max = 1.02
	return p
}

// noData writes a message in the middle of an empty panel.
type noData struct{ msg string }

// Plot implements plot.Plotter.
func (n noData) Plot(c draw.Canvas, _ *plot.Plot) { notice(c, n.msg) }

// timeExtent is the end of the time axis in seconds.
func timeExtent(r *report.Report) float64 {
	end := r.DurationMS
	for _, s := range r.Series {
		end = max(end, s.AtMS)
	}
	for _, e := range r.Events {
		end = max(end, e.AtMS)
	}
	if !(end > 0) || math.IsInf(end, 0) {
		return 1
	}
	return end / 1000
}

// placedLabel is an event label put into a row above the panels.
type placedLabel struct {
	text string
	x    vg.Length
	row  int
	col  color.Color
}

// placeLabels puts the event labels left-aligned at their line, each in
// the first row where it does not overlap the previous label; labels that
// fit in no row are dropped (their line remains).
func placeLabels(events []report.Event, x func(float64) vg.Length, right vg.Length) (labels []placedLabel, rows, dropped int) {
	sty := textStyle(sans, 10, okBlack)
	var ends [maxLabelRows]vg.Length
	for k := range ends {
		ends[k] = -1e9
	}
	for _, ev := range events {
		text := ev.Kind
		if ev.Label != "" {
			text += ": " + ev.Label
		}
		xv := x(ev.AtMS/1000) + px(3)
		w := sty.Width(text)
		if xv+w > right {
			xv = max(right-w, xv-w-px(6)) // near the right edge: to the left of the line
		}
		placed := false
		for row := range maxLabelRows {
			if xv > ends[row]+px(8) {
				ends[row] = xv + w
				labels = append(labels, placedLabel{text: text, x: xv, row: row, col: eventColor(ev.Kind)})
				rows = max(rows, row+1)
				placed = true
				break
			}
		}
		if !placed {
			dropped++
		}
	}
	return labels, rows, dropped
}

// timeSeriesImage draws the time series picture: running nodes, links,
// connected components and reliability against virtual time, in stacked
// panels sharing the time axis, with the run's events as vertical lines.
func timeSeriesImage(r *report.Report) *vgimg.Canvas {
	img := newCanvas(tsWidth, tsHeight)
	dc := draw.New(img)
	events := markedEvents(r)
	sub := fmt.Sprintf("%s over %s of virtual time · sampled %s", plural(len(r.Nodes), "node", "nodes"),
		seconds(r.DurationMS), plural(len(r.Series), "time", "times"))
	body := pad(heading(dc, fmt.Sprintf("%s — the run over time", name(r)), sub), 10)
	body = eventLegend(body, events, r.Repairs)

	if len(r.Series) == 0 {
		emptyPanel(body, "Time series", "no samples in this run")
		return img
	}
	xmax := timeExtent(r)
	alive, links, comps := make(plotter.XYs, len(r.Series)), make(plotter.XYs, len(r.Series)), make(plotter.XYs, len(r.Series))
	for k, s := range r.Series {
		t := s.AtMS / 1000
		alive[k] = plotter.XY{X: t, Y: float64(s.Alive)}
		links[k] = plotter.XY{X: t, Y: float64(s.Links)}
		comps[k] = plotter.XY{X: t, Y: float64(s.Components)}
	}
	compTitle := "Connected components (1 = one mesh)"
	compTop, startup := componentScale(r.Series)
	if compTop > 0 {
		compTitle = fmt.Sprintf("Connected components (1 = one mesh; up to %d while the nodes first joined, above the scale)", startup)
	}
	compPanel := seriesPanel(compTitle, "components", comps, r, events, xmax, true)
	if compTop > 0 {
		compPanel.Y.Max = compTop
	}
	panels := [][]*plot.Plot{
		{seriesPanel("Running nodes", "nodes", alive, r, events, xmax, true)},
		{seriesPanel("Links", "links", links, r, events, xmax, true)},
		{compPanel},
		{reliabilityPanel(r, events, xmax)},
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: px(22)}

	// First find where the time axis lies, to know how many rows of
	// labels the events need; then draw below those rows.
	lineH := textStyle(sans, 10, okBlack).Height("Xg") + px(3)
	probe := plot.Align(panels, tiles, body)
	top := panels[0][0].DataCanvas(probe[0][0])
	x, _ := panels[0][0].Transforms(&top)
	labels, rows, dropped := placeLabels(events, x, body.Max.X)
	strip := body
	area := body
	area.Max.Y -= lineH*vg.Length(rows) + px(4)
	strip.Min.Y = area.Max.Y
	cells := plot.Align(panels, tiles, area)
	for k, row := range panels {
		row[0].Draw(cells[k][0])
	}
	for _, l := range labels {
		sty := textStyle(sans, 10, l.col)
		sty.YAlign = draw.YTop
		strip.FillText(sty, vg.Point{X: l.x, Y: strip.Max.Y - lineH*vg.Length(l.row)}, l.text)
	}
	if dropped > 0 {
		note := textStyle(sans, 10, grey)
		note.XAlign, note.YAlign = draw.XRight, draw.YBottom
		dc.FillText(note, vg.Point{X: dc.Max.X - px(10), Y: dc.Min.Y + px(4)},
			fmt.Sprintf("%s not labelled (too close together); the line colour gives the kind", plural(dropped, "event", "events")))
	}
	return img
}

// componentScale decides the top of the component axis. While the nodes
// first join, the count is high (each newcomer alone); what matters comes
// after the mesh first became one. When the start-up peak is more than
// twice what follows, the axis is cut at what follows (at least 3) and
// componentScale returns its top and the peak; else 0, 0.
func componentScale(series []report.Sample) (top float64, peak int) {
	first := -1
	for k, s := range series {
		if s.Components == 1 {
			first = k
			break
		}
	}
	if first < 0 {
		return 0, 0
	}
	before, after := 0, 0
	for k, s := range series {
		if k < first {
			before = max(before, s.Components)
		} else {
			after = max(after, s.Components)
		}
	}
	if before <= 2*max(after, 3) {
		return 0, 0
	}
	return float64(max(after, 3)) * 1.15, before
}

// eventLegend draws one line naming the colours of the event kinds present
// (and of the healing spans, if any) and returns the canvas below it.
func eventLegend(c draw.Canvas, events []report.Event, repairs []report.Repair) draw.Canvas {
	if len(events) == 0 && len(repairs) == 0 {
		return c
	}
	sty := textStyle(sans, 10.5, okBlack)
	sty.YAlign = draw.YCenter
	type entry struct {
		name string
		draw func(x, y vg.Length)
	}
	var entries []entry
	for _, k := range eventKinds {
		if slices.ContainsFunc(events, func(e report.Event) bool { return e.Kind == k.kind }) {
			st := eventStyle(k.kind, false)
			entries = append(entries, entry{k.kind, func(x, y vg.Length) { c.StrokeLine2(st, x, y, x+px(26), y) }})
		}
	}
	swatch := func(col color.Color) func(x, y vg.Length) {
		return func(x, y vg.Length) {
			var box vg.Path
			box.Move(vg.Point{X: x, Y: y - px(7)})
			box.Line(vg.Point{X: x + px(26), Y: y - px(7)})
			box.Line(vg.Point{X: x + px(26), Y: y + px(7)})
			box.Line(vg.Point{X: x, Y: y + px(7)})
			box.Close()
			c.SetColor(col)
			c.Fill(box)
		}
	}
	if slices.ContainsFunc(events, func(e report.Event) bool { return e.Kind == "partition" }) {
		entries = append(entries, entry{"partitioned", swatch(partitionColor)})
	}
	if len(repairs) > 0 {
		entries = append(entries, entry{"healing (disruption until healed)", swatch(healingColor)})
		if slices.ContainsFunc(repairs, func(r report.Repair) bool { return r.RepairMS < 0 }) {
			entries = append(entries, entry{"never healed", swatch(unhealedColor)})
		}
	}
	intro := "Marks:"
	total := sty.Width(intro) + px(10)
	for _, e := range entries {
		total += px(30) + sty.Width(e.name) + px(18)
	}
	x := c.Center().X - total/2
	y := c.Max.Y - px(8)
	c.FillText(sty, vg.Point{X: x, Y: y}, intro)
	x += sty.Width(intro) + px(10)
	for _, e := range entries {
		e.draw(x, y)
		x += px(30)
		c.FillText(sty, vg.Point{X: x, Y: y}, e.name)
		x += sty.Width(e.name) + px(18)
	}
	c.Max.Y -= px(24)
	return c
}

// TimeSeriesPNG draws the time series of r as a PNG: running nodes, links,
// connected components and broadcast reliability against virtual time in
// stacked panels, with kills, leaves, restarts, partitions, heals, starts
// and snapshots marked as labelled vertical lines.
func TimeSeriesPNG(w io.Writer, r *report.Report) error {
	return writePNG(w, timeSeriesImage(r))
}
