package runner

import "testing"

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
