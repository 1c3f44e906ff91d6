package mesh

import (
	"math/rand/v2"
	"testing"
)

// loneEngine returns the engine of node 1, not started, listening on port 1,
// with the default configuration changed by edit (nil changes nothing): the
// subject of tests that drive one engine's internals by hand.
func loneEngine(t *testing.T, edit func(*Config)) *Engine {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Port = 1
	if edit != nil {
		edit(&cfg)
	}
	e, err := New(cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return e
}
