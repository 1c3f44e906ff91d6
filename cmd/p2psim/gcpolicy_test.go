package main

import (
	"testing"

	"p2pmesh/sim/scenario"
)

func TestLargeRunsKeepATighterHeap(t *testing.T) {
	small := &scenario.Scenario{Nodes: make([]scenario.NodeDecl, 1000)}
	large := &scenario.Scenario{Nodes: make([]scenario.NodeDecl, largeRunNodes)}
	noEnv := func(string) string { return "" }
	userSet := func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	}
	for _, c := range []struct {
		name string
		scs  []*scenario.Scenario
		env  func(string) string
		want int
	}{
		{"small runs keep the default", []*scenario.Scenario{small}, noEnv, 0},
		{"a large run anywhere in the list", []*scenario.Scenario{small, large}, noEnv, largeRunGOGC},
		{"the user's GOGC wins", []*scenario.Scenario{large}, userSet, 0},
	} {
		if got := gcPercentFor(c.scs, c.env); got != c.want {
			t.Errorf("%s: GOGC %d, want %d", c.name, got, c.want)
		}
	}
}
