package mesh_test

import (
	"testing"
	"time"

	"p2pmesh/internal/adversary"
	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// Siphoners take links and serve none. Honest nodes still join with at least
// their minimum degree, form one component among themselves, give each
// siphoner no more than MaxFreeRiders of their slots, and keep delivering.
func TestSiphonersDoNotStarveHonestNodes(t *testing.T) {
	honestCfg := mesh.DefaultConfig()
	siphonCfg := mesh.DefaultConfig()
	siphonCfg.Misbehave(adversary.Siphoner())
	siphonCfg.MaxIn = 0
	s := newSimOrFail(t, 11, sim.DefaultNetwork())
	honest := startMix(t, s, 50, 5, honestCfg, siphonCfg, 0)
	runChecked(t, s, 40*time.Second, time.Second)
	var buf []mesh.LinkInfo
	for _, i := range honest {
		e := s.Engine(i)
		if d := e.Load().Degree(); d < 2 {
			t.Fatalf("honest node %d has %d links", i, d)
		}
		riders := 0
		for _, l := range e.Links(buf[:0]) {
			if l.Dir == mesh.Incoming && !l.PeerLoad.OffersLinks() {
				riders++
			}
		}
		if riders > honestCfg.MaxFreeRiders {
			t.Fatalf("honest node %d serves %d free riders, cap %d", i, riders, honestCfg.MaxFreeRiders)
		}
	}
	// The honest nodes alone are connected: siphoners are leaves.
	topo := s.Topology()
	honestSet := map[sim.NodeIndex]bool{}
	for _, i := range honest {
		honestSet[i] = true
	}
	reach := map[sim.NodeIndex]bool{honest[0]: true}
	queue := []sim.NodeIndex{honest[0]}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range topo.Neighbours(n) {
			if honestSet[m] && !reach[m] {
				reach[m] = true
				queue = append(queue, m)
			}
		}
	}
	if len(reach) != len(honest) {
		t.Fatalf("honest nodes split: %d of %d reachable among themselves", len(reach), len(honest))
	}
	id, err := s.Broadcast(honest[0], 100)
	if err != nil {
		t.Fatal(err)
	}
	s.RunFor(5 * time.Second)
	for _, i := range honest[1:] {
		if !s.Delivered(id, i) {
			t.Fatalf("honest node %d missed the broadcast", i)
		}
	}
}

func TestFreeRiderRefusedAtCap(t *testing.T) {
	e := newEngine(t, 1)
	from := mesh.Addr{Port: 9000}
	rider := func(id mesh.NodeID) mesh.Hello {
		return mesh.Hello{ID: id, Instance: 1, Port: 9000, Load: mesh.Load{Out: 3}}
	}
	// First free rider is admitted, the second refused.
	e.HandleLinkOpened(0, 10, mesh.Incoming, 0, from)
	h := rider(2)
	sendOf(t, e.HandleFrame(time.Millisecond, 10, &mesh.Frame{Type: mesh.FrameHello, Hello: h}), mesh.FrameWelcome)
	e.HandleLinkOpened(0, 11, mesh.Incoming, 0, from)
	h = rider(3)
	rej := sendOf(t, e.HandleFrame(2*time.Millisecond, 11, &mesh.Frame{Type: mesh.FrameHello, Hello: h}), mesh.FrameReject)
	if rej.Reason != mesh.ReasonFreeRider {
		t.Fatalf("reason %v, want free-rider", rej.Reason)
	}
	// An honest peer is still welcome.
	e.HandleLinkOpened(0, 12, mesh.Incoming, 0, from)
	h = mesh.Hello{ID: 4, Instance: 1, Port: 9000, Load: mesh.Load{FreeIn: 5}}
	sendOf(t, e.HandleFrame(3*time.Millisecond, 12, &mesh.Frame{Type: mesh.FrameHello, Hello: h}), mesh.FrameWelcome)
}

func TestConfigRejectsSiphoningLimits(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.MaxIn, cfg.MaxOut = 2, 5
	if err := cfg.Validate(); err == nil {
		t.Fatal("max_in < max_out accepted")
	}
}
