package viz

import (
	"bytes"
	"slices"
	"testing"

	"p2pmesh/sim/report"
)

func seriesRun(name string, seed uint64, alive ...int) *report.Report {
	r := &report.Report{Scenario: name, Seed: seed, DurationMS: float64(len(alive)) * 1000}
	for k, a := range alive {
		r.Series = append(r.Series, report.Sample{AtMS: float64(k) * 1000, Alive: a})
	}
	r.Summary.AliveFinal = alive[len(alive)-1]
	return r
}

// Seeds of one scenario are one group, drawn as min, mean and max at every
// sample time; the summary table marks what differs, against the first run.
func TestCompareGroupsSeedsIntoBands(t *testing.T) {
	t.Parallel()
	runs := []*report.Report{seriesRun("a", 1, 10, 20, 30), seriesRun("b", 1, 5, 5, 5), seriesRun("a", 2, 30, 20)}
	groups := GroupRuns(runs)
	if len(groups) != 2 || len(groups[0].Runs) != 2 || groups[0].Label != "a (2 seeds)" || groups[1].Label != "b" {
		t.Fatalf("groups %+v", groups)
	}
	b := measureBand(groups[0], func(s report.Sample) (float64, bool) { return float64(s.Alive), true })
	// At 2 s the second seed has ended: its last sample (20) holds.
	if !slices.Equal(b.lo, []float64{10, 20, 20}) || !slices.Equal(b.hi, []float64{30, 20, 30}) || !slices.Equal(b.mean, []float64{20, 20, 25}) {
		t.Fatalf("band lo %v mean %v hi %v", b.lo, b.mean, b.hi)
	}
	rows := CompareSummaries(runs)
	var alive CompareRow
	for _, r := range rows {
		if r.Key == "alive_final" {
			alive = r
		}
		if r.Key == "trace_digest" {
			t.Error("the trace digest is compared")
		}
	}
	if !alive.Differs || !slices.Equal(alive.Values, []string{"30", "5 (-83.3%)", "20 (-33.3%)"}) {
		t.Fatalf("alive_final row %+v", alive)
	}
	for _, draw := range []func(*bytes.Buffer, []CompareGroup) error{
		func(b *bytes.Buffer, g []CompareGroup) error { return CompareOverTimePNG(b, g) },
		func(b *bytes.Buffer, g []CompareGroup) error { return CompareLatencyPNG(b, g) },
	} {
		var buf bytes.Buffer
		if err := draw(&buf, groups); err != nil || buf.Len() == 0 {
			t.Fatalf("drawing: %v", err)
		}
	}
}
