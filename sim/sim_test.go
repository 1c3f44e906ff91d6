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

// Every node is found at its own address, and nobody at addresses that are
// not a node's.
func TestNodesAreFoundByAddress(t *testing.T) {
	s := lan(t, 1, 300, mesh.DefaultConfig())
	for i := range NodeIndex(300) {
		if got, ok := s.nodeAt(s.Node(i).Addr); !ok || got != i {
			t.Fatalf("node %d: found %d, %v", i, got, ok)
		}
	}
	for _, a := range []mesh.Addr{nodeAddr(300), nodeAddr(-1), {Port: listenPort}, func() mesh.Addr { a := nodeAddr(5); a.Port++; return a }()} {
		if i, ok := s.nodeAt(a); ok {
			t.Fatalf("%v: found node %d", a, i)
		}
	}
}
