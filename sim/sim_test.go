package sim

import (
	"fmt"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// lan builds a simulation with n nodes in one segment, all started at 0.
func lan(t testing.TB, seed uint64, n int, cfg mesh.Config) *Sim {
	t.Helper()
	s, err := New(seed, DefaultNetwork())
	if err != nil {
		t.Fatal(err)
	}
	seg := s.AddSegment("lan")
	for i := 0; i < n; i++ {
		idx, err := s.AddNode(fmt.Sprintf("n%d", i), "", cfg, seg)
		if err != nil {
			t.Fatal(err)
		}
		s.Start(idx, 0)
	}
	return s
}

func TestQuickJoinAndBroadcast(t *testing.T) {
	s := lan(t, 1, 20, mesh.DefaultConfig())
	s.RunFor(10 * time.Second)
	smp := s.Sample()
	t.Logf("sample %+v events %d", smp, s.EngineEvents)
	for i := 0; i < s.NodeCount(); i++ {
		ni := s.Node(NodeIndex(i))
		t.Logf("%s load %+v", ni.Name, ni.Load)
	}
	if _, err := s.Broadcast(0, 64); err != nil {
		t.Fatal(err)
	}
	s.RunFor(2 * time.Second)
	for _, r := range s.Broadcasts() {
		t.Logf("%+v", r)
	}
}
