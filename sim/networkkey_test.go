package sim

import (
	"testing"
	"time"

	"p2pmesh/mesh"
)

// The network key at the simulated transport: nodes with different keys (or
// one without) never link and never hear each other's beacons, and their
// broadcasts are judged within their own key.
func TestNetworkKeysSplitTheLAN(t *testing.T) {
	s := lan(t, 7, 12, mesh.DefaultConfig())
	key := func(i int) string {
		switch {
		case i < 6:
			return "members"
		case i < 9:
			return "strangers"
		}
		return ""
	}
	for i := range 12 {
		if err := s.SetNetworkKey(NodeIndex(i), key(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(15 * time.Second)
	topo := s.Topology()
	for _, e := range topo.Edges {
		if key(int(e[0])) != key(int(e[1])) {
			t.Errorf("link between %s (%q) and %s (%q)", s.Node(e[0]).Name, key(int(e[0])), s.Node(e[1]).Name, key(int(e[1])))
		}
	}
	if c := s.Components(topo); c != 3 {
		t.Errorf("%d components, want 3 (one per key and the keyless nodes)", c)
	}
	for _, from := range []NodeIndex{0, 6, 9} {
		if _, err := s.Broadcast(from, 32); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(2 * time.Second)
	want := map[NodeIndex]int{0: 5, 6: 2, 9: 2}
	for _, r := range s.Broadcasts() {
		if r.Reliability != 1 || r.Foreign != 0 || r.Alive != want[r.Origin] {
			t.Errorf("broadcast from %s: %+v; want reliability 1 among its %d key-mates, no foreign delivery", s.Node(r.Origin).Name, r, want[r.Origin])
		}
	}
	if got := s.Node(3).NetworkKey; got != "members" {
		t.Errorf("node 3 reports network key %q", got)
	}
}

// A static peer with another key is dialed and refused, again and again,
// without ever linking.
func TestStaticPeerWithAnotherKeyIsRefused(t *testing.T) {
	s, err := New(1, DefaultNetwork())
	if err != nil {
		t.Fatal(err)
	}
	seg := s.AddSegment("a")
	other := s.AddSegment("b") // no beacons across: only the static dial
	a, err := s.AddNode("a", "", mesh.DefaultConfig(), seg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mesh.DefaultConfig()
	cfg.StaticPeers = []mesh.Addr{s.Node(a).Addr}
	b, err := s.AddNode("b", "", cfg, other)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.SetNetworkKey(a, "k1")
	_ = s.SetNetworkKey(b, "k2")
	s.Start(a, 0)
	s.Start(b, 0)
	s.RunFor(10 * time.Second)
	if n := len(s.Topology().Edges); n != 0 {
		t.Errorf("%d links between nodes with different keys", n)
	}
	if c := s.Counters(); c.KeyRefused == 0 || c.ConnectionsOpened != 0 {
		t.Errorf("counters %+v: want refused dials and no connection", c)
	}
}

// The ledger counts deliveries across keys as foreign, outside reliability.
func TestLedgerCountsForeignDeliveries(t *testing.T) {
	var l Ledger
	for range 4 {
		l.AddNode()
	}
	id := mesh.MsgID{Origin: 1, Seq: 1}
	net := []int32{1, 1, 1, 2}
	state := func(i NodeIndex) NodeState { return NodeState{Alive: true, Network: net[i]} }
	l.Broadcast(id, 0, 0, state)
	msg := &mesh.Message{ID: id, Hops: 1}
	l.Delivered(1, msg, time.Millisecond, 0)
	l.Delivered(3, msg, time.Millisecond, 0) // node 3 has another key
	r := l.Results(state)[0]
	if r.Alive != 2 || r.Running != 2 || r.Delivered != 1 || r.Foreign != 1 || r.Reliability != 0.5 {
		t.Errorf("result %+v: want 1 of 2 key-mates and 1 foreign delivery", r)
	}
}
