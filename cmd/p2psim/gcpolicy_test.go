package main

import (
	"testing"

	"p2pmesh/sim/scenario"
)

func TestHeapGoalFollowsRunSizeAndWorkers(t *testing.T) {
	small := &scenario.Scenario{Nodes: make([]scenario.NodeDecl, 1000)}
	medium := &scenario.Scenario{Nodes: make([]scenario.NodeDecl, parallelRunsMaxNodes)}
	large := &scenario.Scenario{Nodes: make([]scenario.NodeDecl, largeRunNodes)}
	noEnv := func(string) string { return "" }
	userSet := func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	}
	for _, c := range []struct {
		name    string
		scs     []*scenario.Scenario
		workers int
		env     func(string) string
		want    int
	}{
		{"small runs keep the default", []*scenario.Scenario{small}, 1, noEnv, 0},
		{"a large run anywhere in the list", []*scenario.Scenario{small, large}, 1, noEnv, largeRunGOGC},
		{"a large run in a sweep", []*scenario.Scenario{small, large}, 2, noEnv, largeRunGOGC},
		{"small runs side by side loosen the goal", []*scenario.Scenario{small}, 2, noEnv, parallelRunsGOGC},
		{"medium runs side by side keep the default", []*scenario.Scenario{medium}, 2, noEnv, 0},
		{"the user's GOGC wins", []*scenario.Scenario{large}, 1, userSet, 0},
		{"the user's GOGC wins in a sweep", []*scenario.Scenario{small}, 2, userSet, 0},
	} {
		if got := gcPercentFor(c.scs, c.workers, c.env); got != c.want {
			t.Errorf("%s: GOGC %d, want %d", c.name, got, c.want)
		}
	}
}
