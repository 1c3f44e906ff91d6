package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

func TestLargeLANJoinsIntoOneComponent(t *testing.T) {
	t.Parallel()
	s := newLAN(t, 5, 200, mesh.DefaultConfig())
	runChecked(t, s, 30*time.Second, time.Second)
	if c := components(s); c != 1 {
		t.Fatalf("%d components after joining, want 1", c)
	}
	if d := minDegree(s); d < 2 {
		t.Fatalf("a node has only %d links", d)
	}
}

// After half the nodes crash at once, the survivors detect the dead links,
// re-form one component with at least two links each, and a broadcast reaches
// every one of them.
func TestHealsAfterMassFailure(t *testing.T) {
	t.Parallel()
	for _, graceful := range []bool{false, true} {
		s := newLAN(t, 6, 100, mesh.DefaultConfig())
		s.RunFor(20 * time.Second)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, i := range rng.Perm(100)[:50] {
			s.Kill(sim.NodeIndex(i), graceful)
		}
		runChecked(t, s, 30*time.Second, time.Second)
		if c := components(s); c != 1 {
			t.Fatalf("graceful=%v: survivors form %d components", graceful, c)
		}
		if d := minDegree(s); d < 2 {
			t.Fatalf("graceful=%v: a survivor has %d links", graceful, d)
		}
		for i := 0; i < 100; i++ {
			if s.Engine(sim.NodeIndex(i)) != nil {
				broadcastAndCheck(t, s, sim.NodeIndex(i))
				break
			}
		}
	}
}

// A crashed peer is noticed by missing keepalives within DeadAfter plus one
// maintenance period; a peer that leaves is noticed within one latency.
func TestDeadLinkDetection(t *testing.T) {
	for _, tc := range []struct {
		graceful bool
		within   time.Duration
	}{
		{false, 3*time.Second + time.Second + 100*time.Millisecond},
		{true, 50 * time.Millisecond},
	} {
		s := newLAN(t, 8, 2, mesh.DefaultConfig())
		s.RunFor(5 * time.Second)
		if s.Engine(0).Load().Degree() != 1 {
			t.Fatal("nodes did not link")
		}
		s.Kill(1, tc.graceful)
		killed := s.Now()
		for s.Engine(0).Load().Degree() != 0 {
			s.RunFor(10 * time.Millisecond)
			if s.Now()-killed > tc.within {
				t.Fatalf("graceful=%v: link to the dead peer still up after %v", tc.graceful, s.Now()-killed)
			}
		}
	}
}

// When every node is full, a newcomer still gets its minimum degree: full
// nodes evict a well-connected peer to make room for it.
func TestNeedyNodeGetsRoomInFullMesh(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.MaxIn, cfg.MaxOut = 2, 2
	s := newSimOrFail(t, 9, sim.DefaultNetwork())
	seg := s.AddSegment("lan")
	for i := 0; i < 12; i++ {
		idx, _ := s.AddNode("n", "", cfg, seg)
		s.Start(idx, 0)
	}
	s.RunFor(30 * time.Second)
	full := 0
	for i := 0; i < 12; i++ {
		if s.Engine(sim.NodeIndex(i)).Load().FreeIn == 0 {
			full++
		}
	}
	late, _ := s.AddNode("late", "", cfg, seg)
	s.Start(late, s.Now())
	runChecked(t, s, 20*time.Second, 100*time.Millisecond)
	t.Logf("%d of 12 nodes were full when the newcomer arrived", full)
	if d := s.Engine(late).Load().Degree(); d < 2 {
		t.Fatalf("newcomer has %d links, want at least 2", d)
	}
	if c := components(s); c != 1 {
		t.Fatalf("%d components", c)
	}
}

// Two halves that healed apart during a partition merge again once it ends:
// rotation keeps the overlay mixing, so satisfied groups do not stay islands.
func TestPartitionHeals(t *testing.T) {
	t.Parallel()
	s := newLAN(t, 14, 60, mesh.DefaultConfig())
	s.RunFor(20 * time.Second)
	var half []sim.NodeIndex
	for i := 0; i < 30; i++ {
		half = append(half, sim.NodeIndex(i))
	}
	s.Partition("p", half)
	s.RunFor(3 * time.Minute) // longer than PeerTTL: the halves forget each other
	if c := components(s); c != 2 {
		t.Fatalf("%d components during the partition, want 2", c)
	}
	if err := s.Heal("p"); err != nil {
		t.Fatal(err)
	}
	healed := s.Now()
	for components(s) != 1 {
		s.RunFor(time.Second)
		if s.Now()-healed > 2*time.Minute {
			t.Fatal("still split two minutes after the partition healed")
		}
	}
	t.Logf("one component again %v after healing", s.Now()-healed)
	broadcastAndCheck(t, s, 0)
}

// A full node makes room for a needy newcomer by evicting the incoming peer
// with the most links, judging by the load each peer last reported. A peer
// whose other links just died must not be evicted on its old count: it
// tells its neighbours its new load at once.
func TestEvictionSparesANodeThatJustLostItsLinks(t *testing.T) {
	at := func(b byte) mesh.Addr { a := mesh.Addr{Port: 9000}; a.IP[15] = b; return a }
	hello := func(id mesh.NodeID, load mesh.Load, flags mesh.HelloFlags) *mesh.Frame {
		return &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: id, Instance: uint64(id) * 100, Port: 9000, Load: load, Flags: flags}}
	}
	// Node 10 dialed node 20 and took links from nodes 11 and 12.
	v := newEngine(t, 10)
	dialTo(t, v, 20, at(20))
	v.HandleLinkOpened(time.Second, 1, mesh.Outgoing, 20, at(20))
	v.HandleFrame(time.Second, 1, &mesh.Frame{Type: mesh.FrameWelcome, Hello: mesh.Hello{ID: 20, Instance: 2000, Port: 9000, Load: mesh.Load{In: 5}}})
	for i, id := range []mesh.NodeID{11, 12} {
		link := mesh.LinkID(2 + i)
		v.HandleLinkOpened(time.Second, link, mesh.Incoming, 0, at(byte(id)))
		v.HandleFrame(time.Second, link, hello(id, mesh.Load{Out: 1, FreeIn: 5}, 0))
	}
	if d := v.Load().Degree(); d != 3 {
		t.Fatalf("setup: node 10 has %d links", d)
	}
	// Node 20 is full: node 10 (3 links, by its Hello) and four peers with
	// two links each came in.
	full := func() *mesh.Engine {
		e := newEngine(t, 20)
		e.HandleLinkOpened(time.Second, 1, mesh.Incoming, 0, at(10))
		e.HandleFrame(time.Second, 1, hello(10, mesh.Load{In: 2, Out: 1, FreeIn: 3}, 0))
		for i := range 4 {
			link, id := mesh.LinkID(2+i), mesh.NodeID(30+i)
			e.HandleLinkOpened(time.Second, link, mesh.Incoming, 0, at(byte(id)))
			e.HandleFrame(time.Second, link, hello(id, mesh.Load{In: 1, Out: 1, FreeIn: 4}, 0))
		}
		if l := e.Load(); l.In != 5 {
			t.Fatalf("setup: node 20 has load %+v", l)
		}
		return e
	}
	needy := func(e *mesh.Engine, now time.Duration) {
		e.HandleLinkOpened(now, 99, mesh.Incoming, 0, at(99))
		e.HandleFrame(now, 99, hello(99, mesh.Load{FreeIn: 5}, mesh.HelloNeedy))
	}
	// Without news, node 20 evicts node 10 for the needy node 99.
	stale := full()
	needy(stale, 1500*time.Millisecond)
	if linked(stale, 10) {
		t.Fatal("control: node 20 did not evict node 10 on its old count; the test shows nothing")
	}
	// Node 10 loses its links to 11 and 12 and says so at once.
	var ping *mesh.Frame
	for _, link := range []mesh.LinkID{2, 3} {
		for _, o := range v.HandleLinkClosed(1200*time.Millisecond, link) {
			if o.Kind == mesh.OutSend && o.Link == 1 && o.Frame.Type == mesh.FramePing {
				f := o.Frame
				ping = &f
			}
		}
	}
	if ping == nil || ping.Load.Degree() != 1 {
		t.Fatalf("node 10 did not tell node 20 of its one remaining link: %+v", ping)
	}
	told := full()
	told.HandleFrame(1300*time.Millisecond, 1, ping)
	needy(told, 1500*time.Millisecond)
	if !linked(told, 10) {
		t.Fatal("node 20 evicted node 10, its last link")
	}
}

// An idle link is pinged only as often as DeadAfter needs: with the
// default DeadAfter of three keepalive intervals, every other maintenance
// round, so that the peer hears from the node at least every two and a
// quarter intervals; with a DeadAfter under three intervals, every round.
func TestIdleLinkIsPingedAsOftenAsDeadAfterNeeds(t *testing.T) {
	for _, c := range []struct {
		name      string
		deadAfter time.Duration
		pings     int // in 20 s
		maxGap    time.Duration
	}{
		{"default", 3 * time.Second, 10, 2 * time.Second},
		{"short dead_after", 2500 * time.Millisecond, 20, time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := mesh.DefaultConfig()
			cfg.DeadAfter = c.deadAfter
			cfg.RotateInterval = 0
			h := newHand(t, 1, cfg)
			h.accept(7, 7, mesh.Load{Out: 1, FreeIn: 5})
			var sent []time.Duration
			for h.now < 20*time.Second {
				for _, o := range h.alive(h.now+100*time.Millisecond, 7) {
					if o.Kind == mesh.OutSend && o.Link == 7 && o.Frame.Type == mesh.FramePing {
						sent = append(sent, h.now)
					}
				}
			}
			if len(sent) < c.pings-1 || len(sent) > c.pings+1 {
				t.Fatalf("%d pings in 20 s of an idle link, at %v; want about %d", len(sent), sent, c.pings)
			}
			for k := 1; k < len(sent); k++ {
				if gap := sent[k] - sent[k-1]; gap > c.maxGap+100*time.Millisecond {
					t.Fatalf("pings %v apart (at %v); want at most %v, DeadAfter is %v", gap, sent, c.maxGap, c.deadAfter)
				}
			}
		})
	}
}
