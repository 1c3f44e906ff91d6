package runner

import (
	"slices"
	"testing"

	"p2pmesh/sim/scenario"
)

// spread.json records, per followed broadcast, the nodes owed it as its
// reliability counts them (testdata/owed.yaml: n5 owed and missed, n4
// killed after the send and n6 started after it not owed).
func TestSpreadRecordsTheNodesOwed(t *testing.T) {
	sc, err := scenario.Load("testdata/owed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, sp := res.Report.Broadcasts[0], res.Spread.Broadcasts[0]
	if want := []bool{false, true, true, true, false, true, false}; !slices.Equal(sp.Owed, want) {
		t.Fatalf("owed %v, want %v (n0 the origin, n4 killed after the send, n6 started after it)", sp.Owed, want)
	}
	var missed []int
	owed := 0
	for i, o := range sp.Owed {
		if o {
			owed++
			if sp.Hop[i] < 0 {
				missed = append(missed, i)
			}
		}
	}
	if !slices.Equal(missed, []int{5}) || sp.Hop[4] >= 0 {
		t.Errorf("missed %v, n4 at hop %d: want n5 only, and n4 never reached", missed, sp.Hop[4])
	}
	if owed != b.Alive || owed-len(missed) != b.Delivered || b.Running != 5 {
		t.Errorf("%d owed, %d missed; the report: running %d, alive %d, delivered %d", owed, len(missed), b.Running, b.Alive, b.Delivered)
	}
}
