package runner

import (
	"path/filepath"
	"strings"
	"testing"

	"p2pmesh/internal/longtest"
)

// Every shipped scenario's expectations hold (the large ones run in CI
// through p2psim instead, without the race detector's slowdown). Those of
// more than 100 nodes take seconds each under -race: long tests.
func TestShippedScenariosHold(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, f := range files {
		// The scale files are skipped by name before loading: loading
		// scale-1m.yaml alone builds a million nodes' settings (about 8 s
		// under -race).
		if strings.HasPrefix(filepath.Base(f), "scale-") {
			continue
		}
		sc := load(t, f)
		if strings.HasPrefix(sc.Name, "scale-") || len(sc.Nodes) > 1000 {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel() // each run has its own simulator and engines
			if len(sc.Nodes) > 100 {
				longtest.Skip(t)
			}
			res, err := Run(sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Failed {
				t.Errorf("%s: %s", e.Name, e.Detail)
			}
		})
	}
}
