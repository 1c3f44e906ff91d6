package viz

import (
	"bytes"
	"testing"

	"p2pmesh/sim/report"
)

// The network picture draws both latency lines and the uplink waits of a
// run with traffic; a run without traffic has no such picture.
func TestNetworkPNG(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	if err := NetworkPNG(&bytes.Buffer{}, r); err == nil {
		t.Fatal("drew a network picture for a report without traffic")
	}
	r.Summary.Traffic = &report.Traffic{Frames: 900, Bytes: 90_000, Queued: 300, MaxQueueBytes: 4000, MaxWaitMS: 40}
	for k := range r.Broadcasts {
		b := &r.Broadcasts[k]
		b.SentAtMS, b.LatencyMS = float64(1000+100*k), report.Latency{P50: float64(10 + 5*k), P99: float64(30 + 9*k)}
	}
	for k := range r.Nodes {
		r.Nodes[k].Traffic = &report.Traffic{MaxWaitMS: float64(k % 7 * 5)}
	}
	img := decodePNG(t, renderChart(t, func(b *bytes.Buffer) error { return NetworkPNG(b, r) }))
	for _, c := range []struct {
		name string
		col  [4]uint8
	}{{"median", [4]uint8{okBlue.R, okBlue.G, okBlue.B, 255}}, {"p99", [4]uint8{okVermilion.R, okVermilion.G, okVermilion.B, 255}},
		{"waits", [4]uint8{okSky.R, okSky.G, okSky.B, 255}}} {
		if n := countColour(img, rgbaOf(c.col)); n < 200 {
			t.Errorf("%s: only %d pixels of its colour", c.name, n)
		}
	}
}
