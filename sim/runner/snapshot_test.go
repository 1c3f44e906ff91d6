package runner

import (
	"testing"

	"p2pmesh/sim/report"
	"p2pmesh/sim/scenario"
)

// Samples count their components on other goroutines; each count must land
// on its own sample. partition-heal is in two pieces from its partition at
// 15 s until it heals at 75 s, and in one once it has merged again.
func TestEachSampleGetsItsOwnComponentCount(t *testing.T) {
	t.Parallel()
	res, err := Run(load(t, "../../scenarios/partition-heal.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	series := res.Report.Series
	if len(series) < 20 {
		t.Fatalf("only %d samples", len(series))
	}
	split, whole := 0, 0
	for _, smp := range series {
		switch {
		case smp.AtMS >= 40_000 && smp.AtMS < 75_000:
			if smp.Components != 2 {
				t.Errorf("sample at %.0f ms: %d components during the partition, want 2", smp.AtMS, smp.Components)
			}
			split++
		case smp.AtMS >= 100_000:
			if smp.Components != 1 {
				t.Errorf("sample at %.0f ms: %d components after the merge, want 1", smp.AtMS, smp.Components)
			}
			whole++
		}
	}
	if split == 0 || whole == 0 {
		t.Fatalf("%d samples during the partition, %d after the merge", split, whole)
	}
}

// The default "joined" snapshot is the mesh before the scenario first acts
// on it, even when that first action is at the same instant: here a kill of
// half the nodes at 5 s, which the snapshot taken at 5 s must not show yet.
func TestJoinedSnapshotComesBeforeTheFirstAction(t *testing.T) {
	t.Parallel()
	sc, err := scenario.Parse("first-kill.yaml", []byte(`name: first-kill
seed: 3
timeline:
  - start: {count: 10, over: 1s}
  - at: 5s
    kill: {percent: 50, mode: crash}
  - at: 6s
    snapshot: after
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	alive := map[string]int{}
	for _, s := range res.Topology.Snapshots {
		for _, st := range s.States {
			if st == report.StateAlive {
				alive[s.Name]++
			}
		}
	}
	if alive["joined"] != 10 || alive["after"] != 5 {
		t.Fatalf("running nodes per snapshot %v: want joined 10 (before the kill at its instant), after 5", alive)
	}
}
