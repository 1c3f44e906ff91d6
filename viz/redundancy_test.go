package viz

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/report"
)

func renderChart(t testing.TB, draw func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := draw(&buf); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, buf.Bytes())
	return buf.Bytes()
}

// sampleCharts holds the charts of sampleReport(), drawn once and read by
// several tests.
var sampleCharts sync.Map // chart name → PNG bytes

// sampleChart is the PNG that draw makes of sampleReport(), rendered once
// per test binary.
func sampleChart(t testing.TB, name string, draw func(io.Writer, *report.Report) error) []byte {
	t.Helper()
	if b, ok := sampleCharts.Load(name); ok {
		return b.([]byte)
	}
	b := renderChart(t, func(buf *bytes.Buffer) error { return draw(buf, sampleReport()) })
	sampleCharts.Store(name, b)
	return b
}

// tableChart draws the chart of one case of a table of charts: the
// "sample" case is the shared sampleChart, the others are drawn (twice in
// the long tests).
func tableChart(t testing.TB, name, chart string, draw func(io.Writer, *report.Report) error, r *report.Report) []byte {
	t.Helper()
	if name == "sample" {
		return sampleChart(t, chart, draw)
	}
	return renderDeterministic(t, func(b *bytes.Buffer) error { return draw(b, r) })
}

// quickCase skips a case of a table of charts in the quick suite, which
// draws only the "sample" case of each (a chart costs seconds under the
// race detector); the long tests draw them all.
func quickCase(t *testing.T, name string) {
	t.Helper()
	if name != "sample" {
		longtest.Skip(t)
	}
}

// renderDeterministic renders a chart with draw and, in the long tests,
// renders it a second time and checks that both are byte-identical. A
// rendering costs seconds under the race detector (every pixel the
// rasterizer, the PNG encoder and decoder touch is an instrumented memory
// access), so the quick suite draws each chart once.
func renderDeterministic(t testing.TB, draw func(*bytes.Buffer) error) []byte {
	t.Helper()
	a := renderChart(t, draw)
	if longtest.Enabled() {
		if b := renderChart(t, draw); !bytes.Equal(a, b) {
			t.Error("two renderings differ")
		}
	}
	return a
}

func TestRedundancyPNG(t *testing.T) {
	t.Parallel()
	many := sampleReport()
	for k := range 150 { // more than barsUpTo: lines instead of bars
		many.Broadcasts = append(many.Broadcasts, report.Broadcast{ID: fmt.Sprint(k), Delivered: 29, Transmissions: 90, Redundant: 61, RMR: 2.1, LDH: 5})
	}
	none := sampleReport()
	none.Broadcasts, none.Nodes = nil, nil
	for name, r := range map[string]*report.Report{"sample": sampleReport(), "many": many, "none": none, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			quickCase(t, name)
			a := tableChart(t, name, "redundancy", RedundancyPNG, r)
			if name == "sample" {
				checkRich(t, decodePNG(t, a))
			}
		})
	}
}

func TestRedundancyColours(t *testing.T) {
	t.Parallel()
	// The three series of the top panel are all there.
	img := decodePNG(t, sampleChart(t, "redundancy", RedundancyPNG))
	for _, c := range []struct {
		name string
		col  [4]uint8
	}{{"ideal", [4]uint8{grey.R, grey.G, grey.B, 255}}, {"transmissions", [4]uint8{okBlue.R, okBlue.G, okBlue.B, 255}}, {"redundant", [4]uint8{okVermilion.R, okVermilion.G, okVermilion.B, 255}}} {
		if n := countColour(img, rgbaOf(c.col)); n < 500 {
			t.Errorf("%s: only %d pixels of its colour", c.name, n)
		}
	}
}

func TestMeanRMR(t *testing.T) {
	t.Parallel()
	if meanRMR(nil) != 0 {
		t.Error("mean of nothing")
	}
	if got := meanRMR([]report.Broadcast{{RMR: 1}, {RMR: 2}}); got != 1.5 {
		t.Errorf("mean = %v", got)
	}
}

func BenchmarkRedundancy(b *testing.B) {
	r := sampleReport()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := RedundancyPNG(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
}
