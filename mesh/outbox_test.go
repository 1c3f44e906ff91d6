package mesh_test

import (
	"math/rand/v2"
	"testing"

	"p2pmesh/mesh"
)

// Engines that share an outbox write their outputs into it; each input
// starts it afresh, and an engine given nil goes back to its own.
func TestSharedOutbox(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.Port = 9000
	var box mesh.Outbox
	a, err := mesh.NewShared(&cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := mesh.NewShared(&cfg, 2, 2, rand.New(rand.NewPCG(2, 1)))
	if err != nil {
		t.Fatal(err)
	}
	a.SetOutbox(&box)
	b.SetOutbox(&box)
	outA := a.Start(0)
	if len(outA) == 0 {
		t.Fatal("no outputs from Start")
	}
	outB := b.Start(0)
	if len(outB) == 0 || &outA[:1][0] != &outB[:1][0] {
		t.Fatal("the two engines do not write into the same outbox")
	}
	a.SetOutbox(nil)
	own := a.HandleTimer(0, mesh.TimerMaintain)
	again := b.HandleTimer(0, mesh.TimerMaintain)
	if cap(own) > 0 && cap(again) > 0 && &own[:1][0] == &again[:1][0] {
		t.Fatal("an engine given nil still writes into the shared outbox")
	}
	if got := a.Config(); got.MaxIn != cfg.MaxIn || got.Port != 9000 {
		t.Fatalf("Config() = %+v", got)
	}
}

// NewShared refuses what New refuses.
func TestNewSharedValidates(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.MaxIn = 1
	if _, err := mesh.NewShared(&cfg, 1, 1, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Fatal("an invalid configuration was accepted")
	}
	cfg = mesh.DefaultConfig()
	if _, err := mesh.NewShared(&cfg, 0, 1, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Fatal("node id 0 was accepted")
	}
}
