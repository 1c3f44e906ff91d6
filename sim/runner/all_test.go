package runner

import (
	"path/filepath"
	"strings"
	"testing"
)

// Every shipped scenario's expectations hold (the large ones run in CI
// through p2psim instead, without the race detector's slowdown).
func TestShippedScenariosHold(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, f := range files {
		sc := load(t, f)
		if strings.HasPrefix(sc.Name, "scale-") || len(sc.Nodes) > 1000 {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
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
