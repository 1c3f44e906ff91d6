package runner

import (
	"bytes"
	"testing"

	"p2pmesh/sim/scenario"
)

// A run over shaped links (loss, bandwidth, a slow segment, a WAN) reports
// its traffic, per node and in total, and the same seed gives the same
// bytes.
func TestShapedLinksReportTrafficDeterministically(t *testing.T) {
	sc, err := scenario.Parse("shaped.yaml", []byte(`name: shaped
seed: 3
network:
  segments: [east, west]
  loss: 0.05
  bandwidth: 10Mbit
  per_segment:
    west: {bandwidth: 1Mbit, latency: 3ms}
  between:
    - {segments: [east, west], latency: 30ms, loss: 0.1}
timeline:
  - start: {count: 12, segment: east}
  - start: {count: 8, segment: west, static_peer: random}
  - at: 8s
    broadcast: {from: random, count: 10, every: 100ms, size: 2000}
expect:
  - reliability: {min: 1.0}
`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range a.Failed {
		t.Errorf("%s: %s", e.Name, e.Detail)
	}
	tr := a.Report.Summary.Traffic
	if tr == nil || tr.Frames == 0 || tr.Retransmitted == 0 || tr.Queued == 0 || tr.MaxQueueBytes == 0 {
		t.Fatalf("traffic %+v: want frames, retransmissions and queues", tr)
	}
	var frames uint64
	for _, n := range a.Report.Nodes {
		if n.Traffic == nil {
			t.Fatalf("node %s has no traffic", n.Name)
		}
		frames += n.Traffic.Frames
	}
	if frames != tr.Frames {
		t.Errorf("nodes sent %d frames, the total says %d", frames, tr.Frames)
	}
	b, _ := Run(sc, Options{})
	if !bytes.Equal(reportJSON(t, a), reportJSON(t, b)) {
		t.Fatal("same seed, different reports")
	}
}
