package scenario

import (
	"slices"
	"testing"
)

// An expectation's `seeds:` (one seed or a list) says at which seeds its
// bounds are judged; without it they are judged at every seed.
func TestExpectationSeeds(t *testing.T) {
	src := head + "expect:\n" +
		"  - components: {max: 1}\n" +
		"  - seeds: 4\n    latency_p99: {max: 500ms}\n" +
		"  - name: pinned\n    seeds: [4, 9]\n    rmr: {max: 0.1}\n"
	sc, err := Parse("seeds.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		seeds  []uint64
		judged []uint64
	}{{nil, []uint64{1, 4, 9}}, {[]uint64{4}, []uint64{4}}, {[]uint64{4, 9}, []uint64{4, 9}}} {
		e := sc.Expect[i]
		if !slices.Equal(e.Seeds, c.seeds) {
			t.Errorf("%s: seeds %v, want %v", e.Name, e.Seeds, c.seeds)
		}
		for _, seed := range []uint64{1, 4, 9} {
			if got, want := e.JudgedAt(seed), slices.Contains(c.judged, seed); got != want {
				t.Errorf("%s: JudgedAt(%d) = %v, want %v", e.Name, seed, got, want)
			}
		}
	}
	if sc.Expect[1].Name != "latency_p99 <= 500ms" {
		t.Errorf("label %q: seeds is not part of the measure", sc.Expect[1].Name)
	}
}
