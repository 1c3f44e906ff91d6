package sim

import (
	"testing"
	"time"

	"p2pmesh/mesh"
)

func lan(t testing.TB, seed uint64, n int, cfg mesh.Config) *Sim {
	t.Helper()
	s, err := NewLAN(seed, n, cfg)
	if err != nil {
		t.Fatal(err)
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
