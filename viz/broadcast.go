package viz

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"p2pmesh/sim/report"
)

// shownBroadcast is a broadcast drawn on its own, and why.
type shownBroadcast struct {
	index int    // in Report.Broadcasts
	why   string // "first", "worst", "named by an expectation"
}

// broadcastIDPattern finds broadcast names (origin#number) in text.
var broadcastIDPattern = regexp.MustCompile(`[^\s,;:()]+#[0-9]+`)

// chooseBroadcasts picks the broadcasts drawn on their own: the first, the
// worst (lowest reliability, then the slowest), and any a failing or
// passing expectation names, each once.
func chooseBroadcasts(r *report.Report) []shownBroadcast {
	if len(r.Broadcasts) == 0 {
		return nil
	}
	var out []shownBroadcast
	add := func(k int, why string) {
		for i := range out {
			if out[i].index == k {
				out[i].why += ", " + why
				return
			}
		}
		out = append(out, shownBroadcast{index: k, why: why})
	}
	add(0, "first")
	add(worstBroadcast(r.Broadcasts), "worst")
	byID := map[string]int{}
	for k, b := range r.Broadcasts {
		byID[b.ID] = k
	}
	for _, e := range r.Expectations {
		for _, id := range broadcastIDPattern.FindAllString(e.Detail, -1) {
			if k, ok := byID[id]; ok {
				add(k, "named by “"+e.Name+"”")
			}
		}
	}
	return out
}

// worstBroadcast is the index of the broadcast with the lowest
// reliability, the slowest among those (-1 without broadcasts).
func worstBroadcast(bs []report.Broadcast) int {
	worst := -1
	for k, b := range bs {
		if worst < 0 {
			worst = k
			continue
		}
		w := bs[worst]
		if b.Reliability < w.Reliability || b.Reliability == w.Reliability && b.LatencyMS.Max > w.LatencyMS.Max {
			worst = k
		}
	}
	return worst
}

// broadcastFile is the file name of broadcast b's picture.
func broadcastFile(b *report.Broadcast, k int) string {
	return "broadcast-" + slug(strings.ReplaceAll(b.ID, "#", "-"), k) + ".png"
}

// viridis is a perceptually uniform sequential colour map (matplotlib's
// viridis at nine stops), for hop counts.
var viridis = []color.RGBA{
	{0x44, 0x01, 0x54, 0xff}, {0x47, 0x2c, 0x7a, 0xff}, {0x3b, 0x51, 0x8b, 0xff}, {0x2c, 0x71, 0x8e, 0xff},
	{0x21, 0x90, 0x8d, 0xff}, {0x27, 0xad, 0x81, 0xff}, {0x5c, 0xc8, 0x63, 0xff}, {0xaa, 0xdc, 0x32, 0xff},
	{0xfd, 0xe7, 0x25, 0xff},
}

// hopColour is the colour of hop h of at most top hops.
func hopColour(h, top int) color.RGBA {
	if top <= 0 {
		return viridis[0]
	}
	f := float64(h) / float64(top) * float64(len(viridis)-1)
	i := int(math.Floor(f))
	if i >= len(viridis)-1 {
		return viridis[len(viridis)-1]
	}
	a, b, w := viridis[i], viridis[i+1], f-float64(i)
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-w) + float64(y)*w)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// faintLink draws the links under a broadcast's tree.
var faintLink = color.RGBA{0xe2, 0xe2, 0xe2, 0xff}

// missedColour marks a node that was owed the broadcast and never got it.
var missedColour = okVermilion

// spreadView is one broadcast over the topology prepared for drawing.
type spreadView struct {
	t      *report.Topology
	l      *Layout
	s      *report.Snapshot // the snapshot closest before the send
	b      *report.Broadcast
	sp     *report.BroadcastSpread
	why    string
	origin int
	top    int    // deepest hop
	missed []bool // owed it (spread.json's owed) and never delivered it
	gone   []bool // see counts.gone
	// judged says how missed was decided: from spread.json's record of the
	// nodes owed it, or (files written before it) from the snapshot.
	fromSnapshot bool
	// counts over the drawn nodes: reached (origin aside), missed, gone
	// (running at the snapshot before the send, not owed it at the end:
	// stopped or restarted since; the snapshot tells only when the
	// record is there), other (never running, siphoners, other keys), tree
	// links.
	counts struct{ reached, missed, gone, other, tree int }
}

func newSpreadView(t *report.Topology, l *Layout, b *report.Broadcast, sp *report.BroadcastSpread, why string) *spreadView {
	v := &spreadView{t: t, l: l, b: b, sp: sp, why: why, origin: -1, fromSnapshot: len(sp.Owed) == 0}
	for k := range t.Snapshots {
		if v.s == nil || t.Snapshots[k].AtMS <= b.SentAtMS {
			v.s = &t.Snapshots[k]
		}
	}
	key := meshKey(t)
	originKey := key
	for i, n := range t.Nodes {
		if n.Name == b.Origin {
			v.origin, originKey = i, n.NetworkKey
		}
	}
	v.missed, v.gone = make([]bool, len(t.Nodes)), make([]bool, len(t.Nodes))
	for i, drawn := range l.Drawn {
		if !drawn {
			continue
		}
		hop := -1
		if i < len(sp.Hop) {
			hop = sp.Hop[i]
		}
		switch {
		case hop >= 0:
			v.top = max(v.top, hop)
			if i != v.origin {
				v.counts.reached++
			}
			if i < len(sp.Parent) && v.drawnLink(i, int(sp.Parent[i])) {
				v.counts.tree++
			}
		case v.owed(i, originKey):
			v.missed[i] = true
			v.counts.missed++
		case !v.fromSnapshot && i != v.origin && stateOf(v.s, i).running() && !t.Nodes[i].Siphon && t.Nodes[i].NetworkKey == originKey:
			v.gone[i] = true
			v.counts.gone++
		default:
			v.counts.other++
		}
	}
	return v
}

// owed reports whether node i was owed the broadcast: spread.json's record
// (what reliability counts); for files without one, a running honest node
// with the origin's key at the snapshot before the send.
func (v *spreadView) owed(i int, originKey string) bool {
	if len(v.sp.Owed) > 0 {
		return i < len(v.sp.Owed) && v.sp.Owed[i]
	}
	return i != v.origin && stateOf(v.s, i).running() && !v.t.Nodes[i].Siphon && v.t.Nodes[i].NetworkKey == originKey
}

func (v *spreadView) drawnLink(a, b int) bool {
	return a >= 0 && b >= 0 && a < len(v.l.Drawn) && b < len(v.l.Drawn) && a != b && v.l.Drawn[a] && v.l.Drawn[b]
}

// Plot implements plot.Plotter: the snapshot's links faint, the
// first-arrival tree bold, nodes by hop, missed nodes marked.
func (v *spreadView) Plot(c draw.Canvas, p *plot.Plot) {
	x, y := p.Transforms(&c)
	at := func(i int) vg.Point { return vg.Point{X: x(v.l.Pos[i].X), Y: y(v.l.Pos[i].Y)} }
	drawLANBlocks(c, v.l, x, y)
	strokeLinks(c, draw.LineStyle{Color: faintLink, Width: px(0.8)}, at, v.s.Edges, v.drawnLink)
	var tree [][2]int
	for i, parent := range v.sp.Parent {
		if parent >= 0 {
			tree = append(tree, [2]int{i, int(parent)})
		}
	}
	strokeLinks(c, draw.LineStyle{Color: treeLink, Width: px(1.6)}, at, tree, v.drawnLink)
	spacing := float64(topoHeight) / math.Sqrt(float64(max(v.l.Count, 1)))
	r := px(math.Min(math.Max(0.15*spacing, 3), 10))
	for i, drawn := range v.l.Drawn {
		switch {
		case !drawn || v.missed[i] || i < len(v.sp.Hop) && v.sp.Hop[i] >= 0:
		case v.gone[i]:
			c.DrawGlyph(draw.GlyphStyle{Color: killedGrey, Radius: r * 0.9, Shape: xGlyph{}}, at(i))
		default:
			c.DrawGlyph(draw.GlyphStyle{Color: lightGrey, Radius: r * 0.6, Shape: draw.CircleGlyph{}}, at(i))
		}
	}
	for i, drawn := range v.l.Drawn {
		if !drawn || i >= len(v.sp.Hop) || v.sp.Hop[i] < 0 {
			continue
		}
		c.DrawGlyph(draw.GlyphStyle{Color: white, Radius: r + px(1), Shape: draw.CircleGlyph{}}, at(i))
		c.DrawGlyph(draw.GlyphStyle{Color: hopColour(v.sp.Hop[i], v.top), Radius: r, Shape: draw.CircleGlyph{}}, at(i))
	}
	for i, m := range v.missed {
		if m {
			c.DrawGlyph(draw.GlyphStyle{Color: missedColour, Radius: r * 1.3, Shape: xGlyph{}}, at(i))
		}
	}
	if v.origin >= 0 && v.l.Drawn[v.origin] {
		c.DrawGlyph(draw.GlyphStyle{Color: okBlack, Radius: r * 2, Shape: ringGlyph{}}, at(v.origin))
		pt := at(v.origin)
		pt.X += r*2 + px(4)
		haloText(c, textStyle(sansBold, 11, okBlack), pt, "origin "+v.b.Origin)
	}
}

// legend draws the key: hops, the tree, missed and other nodes.
func (v *spreadView) legend(c draw.Canvas) {
	l := newKey()
	l.Padding = px(6)
	hops := map[int]int{}
	for i, drawn := range v.l.Drawn {
		if drawn && i < len(v.sp.Hop) && v.sp.Hop[i] >= 0 {
			hops[v.sp.Hop[i]]++
		}
	}
	step := max(1, (v.top+12)/12)
	for h := 0; h <= v.top; h += step {
		label := hopBandLabel(h, min(h+step-1, v.top), hops)
		l.Add(label, marker{sty: draw.GlyphStyle{Color: hopColour(h, v.top), Radius: px(6), Shape: draw.CircleGlyph{}}})
	}
	l.Add(fmt.Sprintf("missed (owed it, never got it): %s", thousands(v.counts.missed)), marker{sty: draw.GlyphStyle{Color: missedColour, Radius: px(6), Shape: xGlyph{}}})
	if v.counts.gone > 0 {
		l.Add(fmt.Sprintf("down or restarted since: %s", thousands(v.counts.gone)), marker{sty: draw.GlyphStyle{Color: killedGrey, Radius: px(5), Shape: xGlyph{}}})
	}
	l.Add(fmt.Sprintf("not owed it (down, other): %s", thousands(v.counts.other)), marker{sty: draw.GlyphStyle{Color: lightGrey, Radius: px(4), Shape: draw.CircleGlyph{}}})
	l.Add(fmt.Sprintf("first-arrival tree: %s", plural(v.counts.tree, "link", "links")), linkThumb{draw.LineStyle{Color: treeLink, Width: px(2)}})
	l.Add("other links at the snapshot", linkThumb{draw.LineStyle{Color: faintLink, Width: px(2)}})
	col := &legendColumn{c: c, y: c.Max.Y}
	col.section("Colour: hop of first delivery", l)
	col.note("Each node's line leads to the node",
		"it first got the payload from. Links",
		fmt.Sprintf("and states: snapshot “%s”", v.s.Name),
		fmt.Sprintf("(t = %s), the last before the send.", seconds(v.s.AtMS)))
	col.y -= px(8)
	if v.origin < 0 || !v.l.Drawn[v.origin] {
		col.note(fmt.Sprintf("The origin, %s, is not in the sample.", v.b.Origin))
		col.y -= px(8)
	}
	if v.fromSnapshot {
		col.note("Missed: judged from that snapshot",
			"(spread.json has no record of the",
			"nodes owed it); reliability may differ.")
	} else {
		col.note("Owed it: the nodes its reliability",
			"counts (running at the send and, in",
			"the same life, at the end of the run).")
	}
}

// hopBandLabel names the key's entry for hops h to last (the origin's
// entry when h is 0) with the drawn nodes hops counts at each.
func hopBandLabel(h, last int, hops map[int]int) string {
	n := 0
	for k := max(h, 1); k <= last; k++ {
		n += hops[k]
	}
	switch {
	case h == 0 && last == 0:
		return "origin (hop 0)"
	case h == 0 && last == 1:
		return fmt.Sprintf("origin, then hop 1: %s", thousands(n))
	case h == 0:
		return fmt.Sprintf("origin, then hops 1–%d: %s", last, thousands(n))
	case last > h:
		return fmt.Sprintf("hops %d–%d: %s", h, last, thousands(n))
	}
	return fmt.Sprintf("hop %d: %s", h, thousands(n))
}

// broadcastImage draws one broadcast over the topology.
func broadcastImage(t *report.Topology, l *Layout, v *spreadView) *vgimg.Canvas {
	img := newCanvas(topoWidth, topoHeight)
	dc := draw.New(img)
	b := v.b
	lines := []string{
		fmt.Sprintf("%s — broadcast %s from %s at t = %s (%s)", orRun(t.Scenario), b.ID, b.Origin, seconds(b.SentAtMS), v.why),
		fmt.Sprintf("reached %s of the %s nodes still running (reliability %.4g) · deepest delivery %s · latency p50 %s ms, p99 %s ms, max %s ms",
			thousands(b.Delivered), thousands(b.Alive), b.Reliability, plural(b.LDH, "hop", "hops"),
			trimFloat(b.LatencyMS.P50), trimFloat(b.LatencyMS.P99), trimFloat(b.LatencyMS.Max)),
	}
	if l.Sampled {
		lines = append(lines, fmt.Sprintf("SAMPLE: %s of %s nodes drawn; the legend counts what is drawn", thousands(l.Count), thousands(len(t.Nodes))))
	}
	_, _, col := layoutDrawing(heading(dc, lines...), v, 0.03)
	v.legend(col)
	return img
}

// trimFloat writes v without trailing zeros.
func trimFloat(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%.3g", v), ".0") }

// BroadcastPNG draws broadcast k of r over the topology t laid out by l:
// nodes coloured by the hop at which they first delivered it, the
// first-arrival tree (each node's line to the node it first got the
// payload from) bold, the nodes that were owed it and never got it marked.
// sp must hold the broadcast's spread; why says why it is drawn.
func BroadcastPNG(w io.Writer, t *report.Topology, l *Layout, r *report.Report, k int, sp *report.BroadcastSpread, why string) error {
	if k < 0 || k >= len(r.Broadcasts) {
		return fmt.Errorf("viz: no broadcast %d (the report has %d)", k, len(r.Broadcasts))
	}
	if len(t.Snapshots) == 0 {
		return fmt.Errorf("viz: the topology has no snapshot")
	}
	if len(sp.Hop) == 0 {
		return fmt.Errorf("viz: broadcast %s was not followed node by node (too large a run)", r.Broadcasts[k].ID)
	}
	return writePNG(w, broadcastImage(t, l, newSpreadView(t, l, &r.Broadcasts[k], sp, why)))
}
