package runner

import (
	"testing"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/scenario"
)

// A LAN of 60 nodes started over 2 s is one mesh when it broadcasts at
// 15 s. Before newcomers with no link waited for the LAN's answer to a
// beg (mesh/discovery.go, awaitTheLAN), the last 11-22 of them linked only
// to each other at seeds 37, 91, 125 and 283 of 1-300, and stayed apart
// until rotation; the long suite runs seeds 1-300.
func TestLANStartedOverTwoSecondsIsOneMesh(t *testing.T) {
	t.Parallel()
	sc, err := scenario.Load("testdata/lan-join-islands.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seeds := []uint64{37, 91, 125, 283}
	if longtest.Enabled() {
		seeds = seeds[:0]
		for s := uint64(1); s <= 300; s++ {
			seeds = append(seeds, s)
		}
	}
	for _, seed := range seeds {
		sc.Seed = seed
		res, err := Run(sc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res.Failed {
			t.Errorf("seed %d: %s: %s", seed, x.Name, x.Detail)
		}
	}
}
