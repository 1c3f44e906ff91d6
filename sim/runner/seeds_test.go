package runner

import (
	"strings"
	"testing"

	"p2pmesh/sim/scenario"
)

// A bound with `seeds:` is judged at those seeds only; at another seed the
// run measures it, reports the value and passes it, saying why.
func TestBoundJudgedOnlyAtItsSeeds(t *testing.T) {
	sc, err := scenario.Parse("pinned.yaml", []byte(`name: pinned
seed: 4
timeline:
  - start: {count: 5}
  - at: 5s
    broadcast: {from: n0}
expect:
  - name: impossible at seed 4
    seeds: [4]
    alive: {max: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		seed   uint64
		ok     bool
		detail string
	}{{4, false, "running nodes = 5 (want <= 2)"}, {5, true, "not judged at seed 5, the bound is for seed 4 only: running nodes = 5 (want <= 2)"}} {
		res, err := Run(sc, Options{Seed: c.seed, HasSeed: true})
		if err != nil {
			t.Fatal(err)
		}
		e := res.Report.Expectations[0]
		if e.OK != c.ok || !strings.HasPrefix(e.Detail, c.detail) || e.Value != 5 {
			t.Errorf("seed %d: %+v, want OK %v, value 5, detail %q", c.seed, e, c.ok, c.detail)
		}
		if failed := len(res.Failed) > 0; failed == c.ok {
			t.Errorf("seed %d: failed %v", c.seed, res.Failed)
		}
	}
}
