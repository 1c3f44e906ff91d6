package viz

import (
	"math"
	"testing"

	"gonum.org/v1/plot/plotter"
)

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lo, hi  float64
		target  int
		integer bool
		want    []string
	}{
		{0, 60, 12, false, []string{"0", "5", "10", "15", "20", "25", "30", "35", "40", "45", "50", "55", "60"}},
		{-0.5, 6.5, 12, true, []string{"0", "1", "2", "3", "4", "5", "6"}},
		{0.9, 1.02, 5, false, []string{"0.90", "0.95", "1.00"}},
		{0, 2, 12, true, []string{"0", "1", "2"}},
		{1000, 1300, 12, true, []string{"1000", "1050", "1100", "1150", "1200", "1250", "1300"}},
	} {
		var got []string
		for _, tk := range (niceTicks{Target: c.target, Integer: c.integer}).Ticks(c.lo, c.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
			if c.integer && tk.Value != math.Trunc(tk.Value) {
				t.Errorf("[%v, %v]: tick at %v on an integer axis", c.lo, c.hi, tk.Value)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("[%v, %v]: labels %v, want %v", c.lo, c.hi, got, c.want)
			continue
		}
		for k := range got {
			if got[k] != c.want[k] {
				t.Errorf("[%v, %v]: labels %v, want %v", c.lo, c.hi, got, c.want)
				break
			}
		}
	}
	// Degenerate ranges do not hang or panic.
	for _, r := range [][2]float64{{1, 1}, {2, 1}, {0, math.Inf(1)}} {
		_ = (niceTicks{Target: 5}).Ticks(r[0], r[1])
	}
}

func TestIntHistogram(t *testing.T) {
	t.Parallel()
	h := intHistogram([]float64{3, 3, 4, 7}, 40, okBlue)
	if len(h.Bins) != 5 || h.Width != 1 {
		t.Fatalf("%d bins of width %v, want 5 of 1 (3 to 7)", len(h.Bins), h.Width)
	}
	if h.Bins[0].Min != 2.5 || h.Bins[0].Weight != 2 || h.Bins[4].Weight != 1 {
		t.Errorf("bins %+v", h.Bins)
	}
	wide := intHistogram([]float64{0, 999}, 40, okBlue)
	if len(wide.Bins) > 40 || wide.Width != math.Trunc(wide.Width) {
		t.Errorf("%d bins of width %v", len(wide.Bins), wide.Width)
	}
	var total float64
	for _, b := range wide.Bins {
		total += b.Weight
	}
	if total != 2 {
		t.Errorf("%v values counted, want 2", total)
	}
	if empty := intHistogram(nil, 40, okBlue); len(empty.Bins) != 1 {
		t.Errorf("%d bins for no values", len(empty.Bins))
	}
}

func TestBinCounts(t *testing.T) {
	t.Parallel()
	h := &plotter.Histogram{Bins: []plotter.HistogramBin{{Min: 0, Max: 1, Weight: 2}, {Min: 1, Max: 2}, {Min: 2, Max: 3, Weight: 1500}}}
	l := binCounts(h)
	if l == nil || len(l.Labels) != 2 || l.Labels[1] != "1,500" {
		t.Errorf("labels %v", l)
	}
}
