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

// Twenty nodes on one LAN form one mesh within 10 s, every node within its
// link limits and linked, and a broadcast reaches each of the other 19
// exactly once.
func TestQuickJoinAndBroadcast(t *testing.T) {
	cfg := mesh.DefaultConfig()
	s := lan(t, 1, 20, cfg)
	s.RunFor(10 * time.Second)
	if smp := s.Sample(); smp.Alive != 20 || smp.Components != 1 {
		t.Fatalf("after 10 s: %+v, want 20 nodes alive in one component", smp)
	}
	for i := 0; i < s.NodeCount(); i++ {
		ni := s.Node(NodeIndex(i))
		if int(ni.Load.In) > cfg.MaxIn || int(ni.Load.Out) > cfg.MaxOut || ni.Load.Degree() == 0 {
			t.Errorf("%s: %d in, %d out (limits %d and %d)", ni.Name, ni.Load.In, ni.Load.Out, cfg.MaxIn, cfg.MaxOut)
		}
	}
	if _, err := s.Broadcast(0, 64); err != nil {
		t.Fatal(err)
	}
	s.RunFor(2 * time.Second)
	bs := s.Broadcasts()
	if len(bs) != 1 {
		t.Fatalf("%d broadcasts recorded, want 1", len(bs))
	}
	if b := bs[0]; b.Alive != 19 || b.Delivered != 19 || b.Reliability != 1 {
		t.Errorf("broadcast reached %d of %d (reliability %v), want all 19 others", b.Delivered, b.Alive, b.Reliability)
	}
	if d := s.DuplicateDeliveries(); d != 0 {
		t.Errorf("%d duplicate deliveries, want none", d)
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
