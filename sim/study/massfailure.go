// Package study runs families of scenarios that answer one question each,
// and tabulates the answers. The mass-failure study follows HyParView
// (Leitão, Pereira, Rodrigues, DSN 2007): a settled mesh loses a fraction of
// its nodes at once; how reliable are the first broadcasts after the
// failure, how long until the survivors are one component again, and do
// later broadcasts reach every survivor?
//
// Each run is an ordinary scenario, generated as YAML and played by
// sim/runner, so the study measures exactly what p2psim run would.
package study

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"p2pmesh/sim/report"
	"p2pmesh/sim/runner"
	"p2pmesh/sim/scenario"
)

// MassFailure configures the study.
type MassFailure struct {
	Nodes   []int // network sizes, such as 1000 and 10000
	Percent []int // percentages killed at once, such as 10, 20, ... 90
	Seed    uint64
	Mode    string // broadcast mode: "flood" or "tree"
	// LANs are the shapes: the largest LAN segment of each. Every network
	// size runs once per LAN size it exceeds, split into segments of that
	// size bridged by static peers (as scale-10k), and once as one LAN if
	// some LAN size holds it whole.
	LANs []int
	// Progress, if set, is called before each run.
	Progress func(nodes, lans, percent int)
}

// DefaultMassFailure is the study of the README: 1,000 and 10,000 nodes on
// one network (as HyParView's), and 10,000 on 10 LANs of 1,000; 10% to 90%
// killed.
func DefaultMassFailure() MassFailure {
	return MassFailure{
		Nodes:   []int{1000, 10000},
		Percent: []int{10, 20, 30, 40, 50, 60, 70, 80, 90},
		Seed:    1,
		Mode:    "flood",
		LANs:    []int{10000, 1000},
	}
}

// shapes returns the LAN sizes network size n runs with: n itself (one
// LAN) when some LAN size holds it, then each smaller LAN size, largest
// first.
func (m *MassFailure) shapes(n int) []int {
	var out []int
	for _, lan := range m.LANs {
		if lan >= n {
			out = append(out, n)
			break
		}
	}
	var split []int
	for _, lan := range m.LANs {
		if lan < n && !slices.Contains(split, lan) {
			split = append(split, lan)
		}
	}
	slices.Sort(split)
	slices.Reverse(split)
	return append(out, split...)
}

// Timeline of every run.
const (
	failAt       = 30 * time.Second // the mesh has settled
	firstCount   = 10               // broadcasts right after the failure
	firstEvery   = 100 * time.Millisecond
	laterAt      = 60 * time.Second // long after any repair
	laterCount   = 5
	laterEvery   = 200 * time.Millisecond
	runsUntil    = 65 * time.Second
	firstWindow  = firstCount * firstEvery
	laterWindowS = laterAt
)

// Row is the outcome of one run.
type Row struct {
	Nodes     int `json:"nodes"`
	LANs      int `json:"lans"` // LAN segments the nodes were on
	Percent   int `json:"percent_killed"`
	Survivors int `json:"survivors"`
	// FirstReliabilityMean and Min are over the broadcasts sent in the
	// first second after the failure, before anyone noticed it.
	FirstReliabilityMean float64 `json:"first_reliability_mean"`
	FirstReliabilityMin  float64 `json:"first_reliability_min"`
	// ConnectedMS is the time from the failure until the survivors were
	// one component again (to the sampling period, 500 ms); -1 when they
	// never were. 0: the failure never split them.
	ConnectedMS float64 `json:"connected_ms"`
	// RepairMS is the time until the mesh had healed completely: one
	// component, no link left to a dead node, every survivor at its
	// minimum degree (report.Repair); -1 when it never did.
	RepairMS float64 `json:"repair_ms"`
	// LaterReliabilityMin is over the broadcasts sent 30 s after the
	// failure.
	LaterReliabilityMin float64 `json:"later_reliability_min"`
	ComponentsFinal     int     `json:"components_final"`
	EngineEvents        uint64  `json:"engine_events"`
}

// Validate reports bad settings.
func (m *MassFailure) Validate() error {
	if len(m.Nodes) == 0 || len(m.Percent) == 0 {
		return fmt.Errorf("mass-failure study: give at least one network size and one percentage")
	}
	for _, n := range m.Nodes {
		if n < 10 {
			return fmt.Errorf("mass-failure study: network size %d: want at least 10 nodes", n)
		}
	}
	for _, p := range m.Percent {
		if p < 1 || p > 99 {
			return fmt.Errorf("mass-failure study: %d%% killed: want 1 to 99", p)
		}
	}
	if len(m.LANs) == 0 {
		return fmt.Errorf("mass-failure study: give at least one LAN size")
	}
	for _, lan := range m.LANs {
		if lan < 10 {
			return fmt.Errorf("mass-failure study: LAN size %d: want at least 10", lan)
		}
	}
	if m.Mode != "flood" && m.Mode != "tree" {
		return fmt.Errorf("mass-failure study: mode %q: want flood or tree", m.Mode)
	}
	return nil
}

// Run plays every combination of size and percentage.
func (m *MassFailure) Run() ([]Row, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var rows []Row
	for _, n := range m.Nodes {
		for _, lan := range m.shapes(n) {
			for _, p := range m.Percent {
				if m.Progress != nil {
					m.Progress(n, lanCount(n, lan), p)
				}
				row, err := m.run(n, lan, p)
				if err != nil {
					return rows, err
				}
				rows = append(rows, row)
			}
		}
	}
	return rows, nil
}

// lanCount is how many LANs n nodes take with LANs of size lan.
func lanCount(n, lan int) int { return (n + lan - 1) / lan }

// runName names the run of n nodes on LANs of size lan with percent killed.
func runName(n, lan, percent int) string {
	if lans := lanCount(n, lan); lans > 1 {
		return fmt.Sprintf("mass-failure-%d-%dlans-%d", n, lans, percent)
	}
	return fmt.Sprintf("mass-failure-%d-%d", n, percent)
}

func (m *MassFailure) run(n, lan, percent int) (Row, error) {
	name := runName(n, lan, percent)
	sc, err := scenario.Parse(name+".yaml", []byte(m.Scenario(n, lan, percent)))
	if err != nil {
		return Row{}, fmt.Errorf("study: generated scenario %s: %w", name, err)
	}
	res, err := runner.Run(sc, runner.Options{})
	if err != nil {
		return Row{}, fmt.Errorf("study: %s: %w", name, err)
	}
	row := rowOf(n, percent, res.Report)
	row.LANs = lanCount(n, lan)
	return row, nil
}

// FirstScenario returns the scenario file of the study's first run.
func (m *MassFailure) FirstScenario() string {
	return m.Scenario(m.Nodes[0], m.shapes(m.Nodes[0])[0], m.Percent[0])
}

// Scenario returns the scenario file of one run: n nodes on LANs of at most
// lan nodes, percent of them killed.
func (m *MassFailure) Scenario(n, lan, percent int) string {
	var b strings.Builder
	lans := lanCount(n, lan)
	fmt.Fprintf(&b, "name: %s\n", runName(n, lan, percent))
	fmt.Fprintf(&b, "description: %d nodes on %d LAN(s), %d%% crash at once (generated by p2psim study mass-failure)\n", n, lans, percent)
	fmt.Fprintf(&b, "seed: %d\nduration: %v\n", m.Seed, runsUntil)
	fmt.Fprintf(&b, "node:\n  mode: %s\n", m.Mode)
	b.WriteString("network:\n  latency: {dist: uniform, min: 1ms, max: 5ms}\n")
	if lans > 1 {
		b.WriteString("  cross_latency: {dist: uniform, min: 10ms, max: 30ms}\n  segments: [")
		for i := range lans {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "lan%d", i)
		}
		b.WriteString("]\n")
	}
	b.WriteString("sample_every: 500ms\ntimeline:\n")
	for i := range lans {
		size := min(lan, n-i*lan)
		if lans == 1 {
			fmt.Fprintf(&b, "  - at: 0s\n    start: {count: %d, over: 10s}\n", size)
			continue
		}
		rest := size
		if i > 0 {
			fmt.Fprintf(&b, "  - at: 0s\n    start: {count: 1, segment: lan%d, prefix: l%dn, static_peer: l%dn0}\n", i, i, i-1)
			rest--
		}
		fmt.Fprintf(&b, "  - at: 0s\n    start: {count: %d, over: 10s, segment: lan%d, prefix: l%dn}\n", rest, i, i)
	}
	fmt.Fprintf(&b, "  - at: %v\n    kill: {percent: %d, mode: crash}\n", failAt, percent)
	fmt.Fprintf(&b, "  - at: %v\n    broadcast: {from: random, count: %d, every: %v}\n", failAt, firstCount, firstEvery)
	fmt.Fprintf(&b, "  - at: %v\n    broadcast: {from: random, count: %d, every: %v}\n", laterAt, laterCount, laterEvery)
	return b.String()
}

// rowOf reads one run's report.
func rowOf(n, percent int, r *report.Report) Row {
	row := Row{Nodes: n, Percent: percent, Survivors: r.Summary.AliveFinal, RepairMS: -1, ConnectedMS: -1,
		FirstReliabilityMin: 1, LaterReliabilityMin: 1,
		ComponentsFinal: r.Summary.ComponentsFinal, EngineEvents: r.Summary.EngineEvents}
	failMS := float64(failAt / time.Millisecond)
	var firstSum float64
	var firsts int
	for _, b := range r.Broadcasts {
		switch {
		case b.SentAtMS >= failMS && b.SentAtMS < failMS+float64(firstWindow/time.Millisecond):
			firstSum += b.Reliability
			firsts++
			row.FirstReliabilityMin = min(row.FirstReliabilityMin, b.Reliability)
		case b.SentAtMS >= float64(laterWindowS/time.Millisecond):
			row.LaterReliabilityMin = min(row.LaterReliabilityMin, b.Reliability)
		}
	}
	if firsts > 0 {
		row.FirstReliabilityMean = firstSum / float64(firsts)
	}
	for _, sm := range r.Series {
		if sm.AtMS >= failMS && sm.Components == 1 {
			row.ConnectedMS = sm.AtMS - failMS
			break
		}
	}
	for _, rp := range r.Repairs {
		if rp.Kind == "kill" {
			row.RepairMS = rp.RepairMS
		}
	}
	if row.RepairMS >= 0 && (row.ConnectedMS < 0 || row.ConnectedMS > row.RepairMS) {
		row.ConnectedMS = row.RepairMS // healed implies connected; samples are coarser
	}
	return row
}

// Markdown renders rows as a Markdown table.
func Markdown(rows []Row) string {
	var b strings.Builder
	b.WriteString("| nodes | LANs | killed | survivors | first broadcasts after the failure: reliability mean (min) | one component again after | fully healed after | broadcasts 30 s later: reliability min | components at the end |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %d | %d | %d%% | %d | %.4f (%.4f) | %s | %s | %.4f | %d |\n", r.Nodes, r.LANs, r.Percent, r.Survivors,
			r.FirstReliabilityMean, r.FirstReliabilityMin, seconds(r.ConnectedMS), seconds(r.RepairMS), r.LaterReliabilityMin, r.ComponentsFinal)
	}
	return b.String()
}

// seconds formats a duration in milliseconds, -1 meaning never.
func seconds(ms float64) string {
	if ms < 0 {
		return "never"
	}
	return fmt.Sprintf("%.1f s", ms/1000)
}
