package mesh_test

import (
	"testing"
	"time"

	"p2pmesh/internal/adversary"
	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// Tree mode with a third of the nodes siphoners: no honest node keeps one as
// its tree parent, and broadcasts travel the tree (few redundant copies),
// whether the siphoners show that they accept no links (free riders) or
// accept links like honest nodes and relay nothing (caught by their
// children: on this seed, without that rule, two honest nodes keep a
// siphoner as parent and the mean RMR is 0.077). Siphoners that accept links
// start last here: one that became the oldest root is not caught (see
// treerelays.go).
func TestSiphonersAreNoTreeParents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		maxIn int
	}{{"free riders", 0}, {"accepting links", 5}} {
		t.Run(tc.name, func(t *testing.T) {
			honestCfg := mesh.DefaultConfig()
			honestCfg.Mode = mesh.ModeTree
			siphonCfg := honestCfg
			siphonCfg.Misbehave(adversary.Siphoner())
			siphonCfg.MaxIn = tc.maxIn
			s := newSimOrFail(t, 8, sim.DefaultNetwork())
			// Siphoners start last: not the oldest root (see treerelays.go).
			honest := startMix(t, s, 60, 3, honestCfg, siphonCfg, 5*time.Second)
			siphoner := map[mesh.NodeID]bool{}
			for i := range s.NodeCount() {
				if n := s.Node(sim.NodeIndex(i)); n.Group == "siphon" {
					siphoner[n.ID] = true
				}
			}
			s.RunFor(20 * time.Second)
			send := func(n int) {
				for k := range n {
					if _, err := s.Broadcast(honest[(k*7)%len(honest)], 100); err != nil {
						t.Fatal(err)
					}
					s.RunFor(200 * time.Millisecond)
				}
				s.RunFor(3 * time.Second)
			}
			send(10) // siphoners that accept links are caught by what they fail to relay
			first := len(s.Broadcasts())
			send(10)
			var rmr float64
			for _, r := range s.Broadcasts()[first:] {
				if r.Reliability != 1 {
					t.Fatalf("a broadcast reached %d of %d honest nodes", r.Delivered, r.Alive)
				}
				rmr += r.RMR
			}
			if rmr /= 10; rmr > 0.05 {
				t.Errorf("mean RMR %.3f, want below 0.05: payloads leave the tree", rmr)
			}
			for _, i := range honest {
				if _, parent := s.Engine(i).TreePosition(); siphoner[parent] {
					t.Errorf("honest node %d follows siphoner %s", i, parent)
				}
			}
		})
	}
}
