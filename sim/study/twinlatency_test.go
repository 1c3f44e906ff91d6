package study

import (
	"path/filepath"
	"sync"
	"testing"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/scenario"
)

// Issue 18, point 3, on burst-100: at every seed, the tree's latency (the
// means over the broadcasts of each broadcast's p50 and p99, as the
// README's "Flood versus tree" table takes them) is within 1.25 times its
// flood twin's, the same network, seed and timeline flooded. Seeds 1-40
// here (about 0.2 CPU-s a run without the race detector); over seeds
// 1-300 (BENCHMARKS.md, "burst-100 within 1.25x of flooding") it held at
// 298, the worst p99 ratio 1.27. multi-1000 is not within it, and cannot
// be by any scheme within RMR 0.1 (TestTreeBoundOfTheShippedScenarios,
// README "Known limit").
func TestTreeBurstWithinItsFloodTwin(t *testing.T) {
	longtest.Skip(t)
	const seeds, workers, bound = 40, 2, 1.25
	load := func(mode string) *scenario.Scenario {
		sc, err := scenario.Load(filepath.Join("..", "..", "scenarios", mode+"-burst-100.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	tree, flood := load("tree"), load("flood")
	type pair struct{ tree, flood BoundRow }
	got := make([]pair, seeds+1)
	errs := make([]error, seeds+1)
	next := make(chan uint64)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range next {
				tr, _, err := TreeBound{Scenario: tree, Seed: seed, MeasureOnly: true}.Run()
				if err != nil {
					errs[seed] = err
					continue
				}
				fl, _, err := TreeBound{Scenario: flood, Seed: seed, MeasureOnly: true}.Run()
				errs[seed] = err
				got[seed] = pair{tr, fl}
			}
		}()
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		next <- seed
	}
	close(next)
	wg.Wait()
	worst50, worst99 := 0.0, 0.0
	for seed := uint64(1); seed <= seeds; seed++ {
		if errs[seed] != nil {
			t.Fatalf("seed %d: %v", seed, errs[seed])
		}
		p := got[seed]
		r50, r99 := p.tree.P50/p.flood.P50, p.tree.P99/p.flood.P99
		worst50, worst99 = max(worst50, r50), max(worst99, r99)
		if r50 > bound || r99 > bound {
			t.Errorf("seed %d: tree p50 / p99 %.1f / %.1f ms against flooding's %.1f / %.1f: %.3f / %.3f times, want at most %.2f",
				seed, p.tree.P50, p.tree.P99, p.flood.P50, p.flood.P99, r50, r99, bound)
		}
		if p.tree.RMR >= 0.1 {
			t.Errorf("seed %d: tree RMR %.3f, want below 0.1", seed, p.tree.RMR)
		}
	}
	t.Logf("seeds 1-%d: worst ratio p50 %.3f, p99 %.3f", seeds, worst50, worst99)
}
