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

// The simulator hands offers only to engines that hear them
// (mesh.OutHearOffers): a node whose every slot is in use is handed calls
// only, and one with a free slot everything. In a LAN of small nodes (two
// slots each way) most fill up, and an offer then reaches only the others.
func TestOffersSkipNodesThatHearNone(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.MaxIn, cfg.MaxOut = 2, 2
	s := lan(t, 3, 30, cfg)
	s.RunFor(20 * time.Second)
	deaf, sender := 0, NodeIndex(-1)
	for i := range s.nodes {
		full := s.Node(NodeIndex(i)).Load == mesh.Load{In: 2, Out: 2}
		if s.nodes[i].deaf != full {
			t.Fatalf("%s: load %+v, handed offers: %v", s.nodes[i].name, s.Node(NodeIndex(i)).Load, !s.nodes[i].deaf)
		}
		if full {
			deaf++
		} else {
			sender = NodeIndex(i)
		}
	}
	if deaf == 0 || sender < 0 {
		t.Fatalf("%d of 30 nodes have every slot in use: the test shows nothing", deaf)
	}
	offer := mesh.Beacon{ID: 999, Instance: 1, Port: 7946, Load: mesh.Load{FreeIn: 1}}
	call := mesh.Beacon{ID: 999, Instance: 1, Port: 7946, Flags: mesh.HelloNeedy}
	for _, tc := range []struct {
		b    mesh.Beacon
		want int
	}{{offer, 30 - 1 - deaf}, {call, 30 - 1}} { // sent by a node that hears offers
		before := s.counters.BeaconReceptions
		pkt := s.newPacket()
		pkt.beacon = tc.b
		s.deliverBeacon(&event{node: sender, pkt: pkt})
		if got := int(s.counters.BeaconReceptions - before); got != tc.want {
			t.Errorf("a beacon (offer %v) reached %d engines, want %d", tc.b.Offer(), got, tc.want)
		}
	}
}
