package study

import (
	"slices"
	"strings"
	"testing"

	"p2pmesh/sim/scenario"
)

func TestGeneratedScenariosParse(t *testing.T) {
	m := DefaultMassFailure()
	for _, n := range []int{50, 1000, 2500} {
		text := m.Scenario(n, 1000, 40) // 2,500 nodes: the segmented form
		if n == 2500 && !strings.Contains(text, "segment: lan2") {
			t.Fatalf("2,500 nodes on LANs of 1,000: no third LAN\n%s", text)
		}
		sc, err := scenario.Parse("gen.yaml", []byte(text))
		if err != nil {
			t.Fatalf("%d nodes: %v\n%s", n, err, text)
		}
		if got := len(sc.Timeline); got == 0 {
			t.Fatalf("%d nodes: empty timeline", n)
		}
	}
}

// A small study: even after 90% of 200 nodes crash, the survivors re-form
// one component and later broadcasts reach all of them.
func TestMassFailureSurvivorsHeal(t *testing.T) {
	t.Parallel()
	m := DefaultMassFailure()
	m.Nodes, m.Percent = []int{200}, []int{50, 90}
	rows, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Survivors != r.Nodes-r.Nodes*r.Percent/100 {
			t.Errorf("%d%%: %d survivors of %d", r.Percent, r.Survivors, r.Nodes)
		}
		if r.RepairMS < 0 || r.ComponentsFinal != 1 {
			t.Errorf("%d%% killed: survivors not one component (repair %v ms, %d components)", r.Percent, r.RepairMS, r.ComponentsFinal)
		}
		if r.LaterReliabilityMin != 1 {
			t.Errorf("%d%% killed: later broadcasts reached only %.4f of the survivors", r.Percent, r.LaterReliabilityMin)
		}
		if r.FirstReliabilityMean <= 0 || r.FirstReliabilityMean > 1 {
			t.Errorf("%d%% killed: first reliability %v out of range", r.Percent, r.FirstReliabilityMean)
		}
	}
	table := Markdown(rows)
	if !strings.Contains(table, "| 200 | 1 | 90% |") {
		t.Errorf("table lacks the 90%% row:\n%s", table)
	}
	t.Logf("\n%s", table)
}

func TestValidate(t *testing.T) {
	for _, m := range []MassFailure{
		{Percent: []int{10}, LANs: []int{1000}, Mode: "flood"},
		{Nodes: []int{100}, LANs: []int{1000}, Mode: "flood"},
		{Nodes: []int{100}, Percent: []int{100}, LANs: []int{1000}, Mode: "flood"},
		{Nodes: []int{5}, Percent: []int{10}, LANs: []int{1000}, Mode: "flood"},
		{Nodes: []int{100}, Percent: []int{10}, LANs: []int{1000}, Mode: "gossip"},
		{Nodes: []int{100}, Percent: []int{10}, Mode: "flood"},
		{Nodes: []int{100}, Percent: []int{10}, LANs: []int{5}, Mode: "flood"},
	} {
		if err := m.Validate(); err == nil {
			t.Errorf("%+v accepted", m)
		}
	}
}

// The default study runs 1,000 nodes as one LAN, and 10,000 both as one LAN
// and as 10 LANs of 1,000.
func TestShapes(t *testing.T) {
	m := DefaultMassFailure()
	for n, want := range map[int][]int{1000: {1000}, 10000: {10000, 1000}, 20000: {10000, 1000}, 500: {500}} {
		if got := m.shapes(n); !slices.Equal(got, want) {
			t.Errorf("%d nodes: shapes %v, want %v", n, got, want)
		}
	}
}
