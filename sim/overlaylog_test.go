package sim

import (
	"maps"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// replayEdges applies the log's link events up to and including time at.
func replayEdges(log *OverlayLog, at mesh.Time) map[[2]NodeIndex]bool {
	edges := map[[2]NodeIndex]bool{}
	for _, e := range log.LinkEvents {
		if e.At > at {
			break
		}
		if e.Up {
			edges[[2]NodeIndex{e.A, e.B}] = true
		} else {
			delete(edges, [2]NodeIndex{e.A, e.B})
		}
	}
	return edges
}

// The overlay rebuilt from the log equals the simulator's topology at every
// moment checked, through joins, crashes, leaves, restarts, a partition and
// broadcasts.
func TestOverlayLogRebuildsTheTopology(t *testing.T) {
	s, err := New(3, DefaultNetwork())
	if err != nil {
		t.Fatal(err)
	}
	s.RecordOverlay(1 << 20)
	seg := s.AddSegment("lan")
	const n = 200
	for i := range n {
		idx, err := s.AddNode(string(rune('a'+i%26))+string(rune('a'+i/26)), "", mesh.DefaultConfig(), seg)
		if err != nil {
			t.Fatal(err)
		}
		s.Start(idx, time.Duration(i)*50*time.Millisecond)
	}
	check := func() {
		t.Helper()
		topo := s.Topology()
		want := map[[2]NodeIndex]bool{}
		for _, e := range topo.Edges {
			a, b := e[0], e[1]
			if b < a {
				a, b = b, a
			}
			want[[2]NodeIndex{a, b}] = true
		}
		got := replayEdges(s.OverlayLog(), s.Now())
		if !maps.Equal(got, want) {
			for e := range got {
				if !want[e] {
					t.Logf("extra edge %v", e)
				}
			}
			for e := range want {
				if !got[e] {
					t.Logf("missing %v", e)
				}
			}
			t.Fatalf("at %v: log gives %d edges, the topology %d", s.Now(), len(got), len(want))
		}
	}
	for step := range 60 {
		s.RunFor(500 * time.Millisecond)
		check()
		switch step {
		case 12:
			if _, err := s.Broadcast(3, 100); err != nil {
				t.Fatal(err)
			}
		case 16:
			for i := NodeIndex(0); i < 15; i++ {
				s.Kill(i, i%2 == 0)
			}
			check()
		case 25:
			for i := NodeIndex(0); i < 10; i++ {
				s.Start(i, s.Now())
			}
		case 30:
			s.Partition("half", []NodeIndex{20, 21, 22, 23, 24, 25, 26, 27, 28, 29})
		case 40:
			if err := s.Heal("half"); err != nil {
				t.Fatal(err)
			}
		case 45:
			if _, err := s.Broadcast(30, 100); err != nil {
				t.Fatal(err)
			}
		}
	}
	log := s.OverlayLog()
	if log.Truncated || len(log.LinkEvents) == 0 {
		t.Fatalf("truncated %v, %d events", log.Truncated, len(log.LinkEvents))
	}
}

// With small limits the log stops and says so.
func TestOverlayLogStopsAtItsLimit(t *testing.T) {
	s := lan(t, 1, 20, mesh.DefaultConfig())
	s.RecordOverlay(10)
	s.RunFor(5 * time.Second)
	if _, err := s.Broadcast(0, 10); err != nil {
		t.Fatal(err)
	}
	s.RunFor(time.Second)
	log := s.OverlayLog()
	if !log.Truncated || len(log.LinkEvents) != 10 || log.TruncatedAt == 0 {
		t.Fatalf("truncated %v at %v, %d link events", log.Truncated, log.TruncatedAt, len(log.LinkEvents))
	}
}
