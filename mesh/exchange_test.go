package mesh_test

import (
	"fmt"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// Peer exchange spreads knowledge beyond one LAN: three segments whose
// beacons never cross, bridged only by one node per segment with a static
// peer in the previous one, become one mesh, and nodes link across segments
// they never heard a beacon from.
func TestPeerExchangeJoinsSegments(t *testing.T) {
	s, _ := sim.New(13, sim.DefaultNetwork())
	var first []sim.NodeIndex
	for g := 0; g < 3; g++ {
		seg := s.AddSegment(fmt.Sprintf("lan%d", g))
		for i := 0; i < 15; i++ {
			cfg := mesh.DefaultConfig()
			if i == 0 && g > 0 {
				cfg.StaticPeers = []mesh.Addr{s.Node(first[g-1]).Addr}
			}
			idx, err := s.AddNode(fmt.Sprintf("g%dn%d", g, i), "", cfg, seg)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = append(first, idx)
			}
			s.Start(idx, 0)
		}
	}
	runChecked(t, s, 40*time.Second, time.Second)
	if c := components(s); c != 1 {
		t.Fatalf("%d components, want 1", c)
	}
	// Count links between different segments beyond the two static ones.
	topo := s.Topology()
	cross := 0
	for _, e := range topo.Edges {
		if s.Node(e[0]).Segment != s.Node(e[1]).Segment {
			cross++
		}
	}
	if cross <= 2 {
		t.Fatalf("only %d links cross segments: peer exchange did not spread addresses", cross)
	}
	broadcastAndCheck(t, s, 20)
}
