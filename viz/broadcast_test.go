package viz

import (
	"bytes"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r2"

	"p2pmesh/sim/report"
	"p2pmesh/sim/runner"
	"p2pmesh/sim/scenario"
)

// ringSpread is a broadcast from n0 over ringTopology's first snapshot:
// n1 and n5 at hop 1, n2 and n4 at hop 2 (n2 from n1, n4 from n5); n3 never
// got it; n6 had not started.
func ringSpread() (*report.Report, *report.Spread) {
	r := &report.Report{Scenario: "ring", Broadcasts: []report.Broadcast{{ID: "n0#1", Origin: "n0", SentAtMS: 6000,
		Running: 5, Alive: 5, Delivered: 4, Reliability: 0.8, LDH: 2}}}
	sp := &report.Spread{Broadcasts: []report.BroadcastSpread{{ID: "n0#1",
		LatencyMS: latencies(10),
		Parent:    []int32{-1, 0, 1, -1, 5, 0, -1},
		Hop:       []int{0, 1, 2, -1, 2, 1, -1},
		ArrivalMS: []float64{0, 10, 20, -1, 20, 10, -1}}}}
	return r, sp
}

// latencies is a made-up percentile curve starting at lo ms.
func latencies(lo float64) []float64 {
	out := make([]float64, 101)
	for q := range out {
		out[q] = lo + float64(q)/10
	}
	return out
}

func TestChooseBroadcasts(t *testing.T) {
	t.Parallel()
	r := sampleReport() // broadcast 8 (n7#7) is the worst, and an expectation names it
	got := chooseBroadcasts(r)
	if len(got) != 2 || got[0].index != 0 || got[0].why != "first" || got[1].index != 7 ||
		got[1].why != "worst, named by “reliability >= 1”" {
		t.Errorf("chosen %+v", got)
	}
	if chooseBroadcasts(&report.Report{}) != nil {
		t.Error("broadcasts chosen from a run without any")
	}
}

func TestBroadcastPNGColoursHopsAndMissed(t *testing.T) {
	t.Parallel()
	top := ringTopology()
	r, sp := ringSpread()
	l := NewLayout(top)
	var buf bytes.Buffer
	if err := BroadcastPNG(&buf, top, l, r, 0, &sp.Broadcasts[0], "first"); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, buf.Bytes())
	_, pos, _ := topologyImage(top, l, 0)
	for i, want := range map[int]string{1: "hop 1", 5: "hop 1", 2: "hop 2", 4: "hop 2", 3: "missed"} {
		col := missedColour
		if want != "missed" {
			col = hopColour(sp.Broadcasts[0].Hop[i], 2)
		}
		if !hasColour(img, pos[i], 4, col) {
			t.Errorf("n%d is not drawn as %s", i, want)
		}
	}
	v := newSpreadView(top, l, &r.Broadcasts[0], &sp.Broadcasts[0], "first")
	if v.counts.reached != 4 || v.counts.missed != 1 || v.counts.tree != 4 || v.top != 2 {
		t.Errorf("counts %+v, deepest %d", v.counts, v.top)
	}
	noSpread := report.BroadcastSpread{ID: "n0#1"}
	if err := BroadcastPNG(&buf, top, l, r, 0, &noSpread, "first"); err == nil {
		t.Error("no error for a broadcast not followed")
	}
}

// On a small known run (sim/runner/testdata/owed.yaml: n5 cut
// off by a partition before the send, n4 killed a millisecond after it, n6
// started later), the picture marks missed exactly the nodes spread.json
// records as owed that never delivered it: n5, not n4, which the snapshot
// before the send shows running.
func TestBroadcastPNGMarksOwedAndMissedOfARun(t *testing.T) {
	t.Parallel()
	sc, err := scenario.Load("../sim/runner/testdata/owed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Run(sc, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	top, r, sp := res.Topology, res.Report, &res.Spread.Broadcasts[0]
	l := NewLayout(top)
	v := newSpreadView(top, l, &r.Broadcasts[0], sp, "first")
	if v.s.Name != "before" || !stateOf(v.s, 4).running() {
		t.Fatalf("the picture's snapshot is %q with n4 %v: want n4 running before the send", v.s.Name, stateOf(v.s, 4))
	}
	var missed []int
	for i, m := range v.missed {
		if m {
			missed = append(missed, i)
		}
	}
	if !slices.Equal(missed, []int{5}) || !v.gone[4] || v.counts.missed != r.Broadcasts[0].Alive-r.Broadcasts[0].Delivered {
		t.Errorf("missed %v, n4 gone %v, counts %+v: want n5 missed, n4 stopped after the send", missed, v.gone[4], v.counts)
	}
	var buf bytes.Buffer
	if err := BroadcastPNG(&buf, top, l, r, 0, sp, "first"); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, buf.Bytes())
	_, pos, _ := topologyImage(top, l, 0)
	if !hasColour(img, pos[5], 4, missedColour) {
		t.Error("n5 (owed, missed) is not marked missed")
	}
	if hasColour(img, pos[4], 6, missedColour) || !hasColour(img, pos[4], 4, killedGrey) {
		t.Error("n4 (killed after the send) is not drawn as stopped, or is marked missed")
	}
}

func TestHopBandLabel(t *testing.T) {
	t.Parallel()
	hops := map[int]int{0: 1, 1: 2, 2: 30, 3: 1000}
	for _, c := range []struct {
		h, last int
		want    string
	}{
		{0, 0, "origin (hop 0)"},
		{0, 1, "origin, then hop 1: 2"},
		{0, 2, "origin, then hops 1–2: 32"},
		{2, 3, "hops 2–3: 1,030"},
		{3, 3, "hop 3: 1,000"},
	} {
		if got := hopBandLabel(c.h, c.last, hops); got != c.want {
			t.Errorf("hops %d–%d: %q, want %q", c.h, c.last, got, c.want)
		}
	}
}

func TestLatencyPNG(t *testing.T) {
	t.Parallel()
	r, sp := ringSpread()
	r.Broadcasts = append(r.Broadcasts, report.Broadcast{ID: "n1#1", Reliability: 1})
	sp.Broadcasts = append(sp.Broadcasts, report.BroadcastSpread{ID: "n1#1", LatencyMS: latencies(5)})
	img := decodePNG(t, renderChart(t, func(b *bytes.Buffer) error { return LatencyPNG(b, r, sp) }))
	if n := countColour(img, okVermilion); n < 50 {
		t.Errorf("the worst broadcast's line has %d pixels", n)
	}
}

func TestMergeEvents(t *testing.T) {
	t.Parallel()
	r := &report.Report{}
	for k := range 19 {
		r.Events = append(r.Events, report.Event{AtMS: 0, Kind: "start", Label: fmt.Sprintf("%d nodes", []int{1000, 1}[k%2])})
	}
	r.Events = append(r.Events, report.Event{AtMS: 0, Kind: "partition", Label: "east"},
		report.Event{AtMS: 5, Kind: "kill", Label: "a"}, report.Event{AtMS: 5, Kind: "kill", Label: "b"})
	var got []string
	for _, e := range markedEvents(r) {
		got = append(got, fmt.Sprintf("%v %s: %s", e.AtMS, e.Kind, e.Label))
	}
	want := []string{"0 start: 10,009 nodes (19 at once)", "0 partition: east", "5 kill: a, b"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestComponentScale(t *testing.T) {
	t.Parallel()
	series := func(cs ...int) []report.Sample {
		var out []report.Sample
		for _, c := range cs {
			out = append(out, report.Sample{Components: c})
		}
		return out
	}
	if top, peak := componentScale(series(21, 9, 1, 1, 3, 1)); peak != 21 || top < 3 || top > 4 {
		t.Errorf("top %v, peak %d: want the axis cut near 3 and the peak 21", top, peak)
	}
	if top, _ := componentScale(series(4, 1, 3)); top != 0 {
		t.Error("the axis is cut for a small start-up peak")
	}
	if top, _ := componentScale(series(5, 4)); top != 0 {
		t.Error("the axis is cut for a run that never became one mesh")
	}
}

func TestPartitionSpans(t *testing.T) {
	t.Parallel()
	ps := partitionSpans{events: []report.Event{
		{AtMS: 1000, Kind: "partition", Label: "a"}, {AtMS: 2000, Kind: "partition", Label: "b"},
		{AtMS: 3000, Kind: "heal", Label: "a"}, {AtMS: 4000, Kind: "partition", Label: "c"}, {AtMS: 5000, Kind: "heal"},
		{AtMS: 6000, Kind: "partition", Label: "d"},
	}, end: 9}
	want := [][2]float64{{1, 3}, {2, 5}, {4, 5}, {6, 9}}
	if got := ps.spans(); !slices.Equal(got, want) {
		t.Errorf("spans %v, want %v", got, want)
	}
}

func TestLANView(t *testing.T) {
	t.Parallel()
	v := newLANView(lansTopology(3, 8), 0)
	if !slices.Equal(v.names, []string{"0", "1", "2"}) || !slices.Equal(v.running, []int{8, 8, 8}) {
		t.Errorf("LANs %v with %v running", v.names, v.running)
	}
	if want := [][3]int{{0, 1, 2}, {0, 2, 2}, {1, 2, 2}}; !slices.Equal(v.pairs, want) || v.cross != 6 {
		t.Errorf("pairs %v (%d links), want %v", v.pairs, v.cross, want)
	}
	var buf bytes.Buffer
	if err := LANsPNG(&buf, lansTopology(3, 8), 0); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, buf.Bytes())
}

// The LAN picture colours what the topology pictures colour: each LAN in
// its own colour, the same as its nodes', when the mesh is one component;
// by component (of most of the LAN's nodes) when it is in several.
func TestLANViewColours(t *testing.T) {
	t.Parallel()
	top := lansTopology(3, 8)
	// lanColours renders the LAN picture once and reads each disc's colour.
	lanColours := func(top *report.Topology) []color.RGBA {
		img, pos := lansImage(top, 0)
		var buf bytes.Buffer
		if err := writePNG(&buf, img); err != nil {
			t.Fatal(err)
		}
		decoded := decodePNG(t, buf.Bytes())
		out := make([]color.RGBA, len(pos))
		for j := range pos {
			out[j] = white
			for _, c := range groupPalette {
				if hasColour(decoded, pos[j], 3, c) {
					out[j] = c
					break
				}
			}
		}
		return out
	}
	all := make([]bool, len(top.Nodes))
	for i := range all {
		all[i] = true
	}
	nodes := newSnapshotView(top, &Layout{Drawn: all, Pos: make([]r2.Vec, len(all)), Count: len(all)}, 0).colour
	// One picture is read below (the discs are drawn in v.colour either
	// way); here the colours it would draw.
	drawn := newLANView(top, 0).colour
	for j := range 3 {
		if got, want := drawn[j], nodes.colour(j*8); got != want || want != groupPalette[j] {
			t.Errorf("LAN %d drawn %v, its nodes %v: want the LAN's colour %v", j, got, want, groupPalette[j])
		}
	}
	// Cut LAN 2 off: two components, LANs 0 and 1 the larger.
	s := &top.Snapshots[0]
	s.Edges = slices.DeleteFunc(s.Edges, func(e [2]int) bool { return (e[0] >= 16) != (e[1] >= 16) })
	v := newLANView(top, 0)
	if v.heading != "Colour: connected component" || len(v.key) != 2 || v.key[0].lans != 2 || v.key[1].lans != 1 {
		t.Errorf("key %q %+v: want component 1 with 2 LANs, component 2 with 1", v.heading, v.key)
	}
	drawn = lanColours(top)
	for j, want := range []color.RGBA{groupPalette[0], groupPalette[0], groupPalette[1]} {
		if got := drawn[j]; got != want {
			t.Errorf("LAN %d drawn %v, want its component's %v", j, got, want)
		}
	}
}

// The ideal of the redundancy picture is one payload per node running
// when the message was sent, not per node still running at the end.
func TestRedundancyBaselineCountsNodesRunningAtSend(t *testing.T) {
	t.Parallel()
	b := report.Broadcast{Running: 199, Alive: 100, Delivered: 100}
	if got := idealReceivers(b); got != 199 {
		t.Errorf("ideal %v, want the 199 running at the send", got)
	}
	if got := idealReceivers(report.Broadcast{Delivered: 7}); got != 7 {
		t.Errorf("ideal of an old report %v, want its deliveries", got)
	}
	if !strings.Contains(nodeGroups[1].label, "killed") {
		t.Error("the histogram does not set killed nodes apart")
	}
}
