package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// A lone first node only listens and announces: it never dials, and its
// beacons slow down to one per BeaconMax.
func TestLoneNodeOnlyListensAndAnnounces(t *testing.T) {
	s := newLAN(t, 1, 1, mesh.DefaultConfig())
	s.RunFor(10 * time.Minute)
	c := s.Counters()
	if c.Dials != 0 {
		t.Fatalf("lone node dialed %d times", c.Dials)
	}
	if c.Beacons == 0 {
		t.Fatal("lone node never announced itself")
	}
	// Trickle: 1+2+4+8+16 s then every 32 s: about 5 + 600/32 beacons.
	if c.Beacons > 30 {
		t.Fatalf("lone node sent %d beacons in 10 minutes; want the pace to slow down to one per 32 s", c.Beacons)
	}
}

// Once a LAN has joined, discovery costs a few beacons per period for the
// whole segment, not one per node.
func TestBeaconsQuietDownAfterJoin(t *testing.T) {
	const n = 100
	s := newLAN(t, 2, n, mesh.DefaultConfig())
	s.RunFor(2 * time.Minute)
	before := s.Counters()
	s.RunFor(5 * time.Minute)
	after := s.Counters()
	perPeriod := float64(after.Beacons-before.Beacons) / (5 * 60 / 32.0)
	t.Logf("join: %d beacons; steady state: %.1f beacons per 32 s for %d nodes", before.Beacons, perPeriod, n)
	if perPeriod > 10 {
		t.Fatalf("%.1f beacons per 32 s in a settled segment of %d nodes; want a handful", perPeriod, n)
	}
}

// A full node that is not needy has nothing to offer and stays silent.
func TestFullNodeStopsBeaconing(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.MaxIn, cfg.MaxOut, cfg.MinLinks = 1, 1, 1
	s := newLAN(t, 3, 3, cfg)
	s.RunFor(time.Minute)
	for i := 0; i < 3; i++ {
		if l := s.Engine(sim.NodeIndex(i)).Load(); l.In != 1 || l.Out != 1 {
			t.Fatalf("node %d load %+v: want a ring of full nodes", i, l)
		}
	}
	before := s.Counters()
	s.RunFor(10 * time.Minute)
	if got := s.Counters().Beacons - before.Beacons; got > 2 {
		t.Fatalf("%d beacons from nodes with nothing to offer", got)
	}
}

// Known peers expire when nothing is heard of them for PeerTTL: a node that
// heard one beacon no longer dials that peer afterwards.
func TestKnownPeersExpire(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.Port = 9000
	cfg.PeerTTL = 10 * time.Second
	e, _ := mesh.New(cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	e.Start(0)
	peer := mesh.Addr{Port: 9000}
	peer.IP[15] = 2
	e.HandleBeacon(0, &mesh.Beacon{ID: 2, Instance: 5, Port: 9000, Load: mesh.Load{FreeIn: 5}}, peer)
	outs := e.HandleTimer(time.Second, mesh.TimerDial)
	if countKind(outs, mesh.OutDial) != 1 {
		t.Fatalf("want one dial, got %v", outs)
	}
	e.HandleDialFailed(2*time.Second, 2, peer) // first failure: backoff
	for now := 3 * time.Second; now <= 30*time.Second; now += time.Second {
		outs := e.HandleTimer(now, mesh.TimerMaintain)
		if now > 12*time.Second && countKind(outs, mesh.OutDial) > 0 {
			t.Fatalf("t=%v: dialed a peer not heard of for longer than PeerTTL", now)
		}
	}
}

// A restarted node is noticed by its new instance id: the link to its
// previous life is dropped at once.
func TestRestartIsNoticed(t *testing.T) {
	s := newLAN(t, 4, 6, mesh.DefaultConfig())
	s.RunFor(10 * time.Second)
	s.Kill(0, false)
	s.Start(0, s.Now()+100*time.Millisecond)
	s.RunFor(10 * time.Second)
	checkLinks(t, s)
	if c := components(s); c != 1 {
		t.Fatalf("%d components after restart", c)
	}
	if d := s.Engine(0).Load().Degree(); d < 2 {
		t.Fatalf("restarted node has %d links", d)
	}
}

func countKind(outs []mesh.Output, k mesh.OutputKind) int {
	n := 0
	for _, o := range outs {
		if o.Kind == k {
			n++
		}
	}
	return n
}
