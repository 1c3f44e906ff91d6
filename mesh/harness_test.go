package mesh_test

import (
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// Rule tests run small meshes in the simulator, in virtual time.

func newLAN(t testing.TB, seed uint64, n int, cfg mesh.Config) *sim.Sim {
	t.Helper()
	s, err := sim.NewLAN(seed, n, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkLinks fails the test if any running node is above its limits, is
// linked to itself, or holds two links to one peer.
func checkLinks(t testing.TB, s *sim.Sim) {
	t.Helper()
	var buf []mesh.LinkInfo
	for i := 0; i < s.NodeCount(); i++ {
		e := s.Engine(sim.NodeIndex(i))
		if e == nil {
			continue
		}
		cfg := e.Config()
		load := e.Load()
		if int(load.In) > cfg.MaxIn || int(load.Out) > cfg.MaxOut {
			t.Fatalf("t=%v node %d load %+v exceeds %d in / %d out", s.Now(), i, load, cfg.MaxIn, cfg.MaxOut)
		}
		buf = e.Links(buf[:0])
		seen := map[mesh.NodeID]bool{}
		for _, l := range buf {
			if l.Peer == e.ID() {
				t.Fatalf("t=%v node %d is linked to itself", s.Now(), i)
			}
			if seen[l.Peer] {
				t.Fatalf("t=%v node %d has two links to %s", s.Now(), i, l.Peer)
			}
			seen[l.Peer] = true
		}
	}
}

// runChecked advances the simulation by d in steps, checking link rules at
// every step.
func runChecked(t testing.TB, s *sim.Sim, d, step time.Duration) {
	t.Helper()
	end := s.Now() + d
	for s.Now() < end {
		s.Run(min(s.Now()+step, end))
		checkLinks(t, s)
	}
}

func components(s *sim.Sim) int { return len(s.Topology().Components()) }

// minDegree is the smallest number of links of a running node.
func minDegree(s *sim.Sim) int {
	m := -1
	for i := 0; i < s.NodeCount(); i++ {
		if e := s.Engine(sim.NodeIndex(i)); e != nil {
			if d := e.Load().Degree(); m < 0 || d < m {
				m = d
			}
		}
	}
	return m
}

// broadcastAndCheck sends one message from node from and requires every
// running node to deliver it exactly once.
func broadcastAndCheck(t testing.TB, s *sim.Sim, from sim.NodeIndex) sim.BroadcastResult {
	t.Helper()
	if _, err := s.Broadcast(from, 100); err != nil {
		t.Fatal(err)
	}
	s.RunFor(5 * time.Second)
	rs := s.Broadcasts()
	r := rs[len(rs)-1]
	if r.Reliability != 1 {
		t.Fatalf("broadcast from %d reached %d of %d nodes", from, r.Delivered, r.Alive)
	}
	if d := s.DuplicateDeliveries(); d != 0 {
		t.Fatalf("%d duplicate deliveries to applications", d)
	}
	return r
}
