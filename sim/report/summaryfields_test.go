package report

import (
	"slices"
	"testing"
)

func TestSummaryFieldsFlattenNestedFigures(t *testing.T) {
	var names []string
	for _, f := range SummaryFields() {
		names = append(names, f.Name)
	}
	for _, want := range []string{"broadcasts", "reliability_min", "traffic.frames", "traffic.max_wait_ms", "trace_digest"} {
		if !slices.Contains(names, want) {
			t.Errorf("SummaryFields lacks %q (has %v)", want, names)
		}
	}
	if slices.Contains(names, "traffic") {
		t.Error("traffic is listed as a figure of its own, not by its fields")
	}
}

func TestSummaryFieldValueUnderANilPointer(t *testing.T) {
	s := &Summary{Broadcasts: 3}
	with := &Summary{Traffic: &Traffic{Frames: 42}}
	for _, f := range SummaryFields() {
		switch f.Name {
		case "broadcasts":
			if v, ok := f.Value(s); !ok || v.Int() != 3 {
				t.Errorf("broadcasts = %v, %v; want 3", v, ok)
			}
		case "traffic.frames":
			if _, ok := f.Value(s); ok {
				t.Error("a summary without traffic has traffic.frames")
			}
			if v, ok := f.Value(with); !ok || v.Uint() != 42 {
				t.Errorf("traffic.frames = %v, %v; want 42", v, ok)
			}
		}
	}
}
