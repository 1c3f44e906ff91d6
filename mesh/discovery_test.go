package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/internal/longtest"
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
	t.Parallel()
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
	e := newEngineOrFail(t, cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
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
// previous life is dropped as soon as the restarted node's Hello arrives
// (or its beacon, once the old link has gone quiet: claims.go).
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

// A LAN whose nodes all join within a few seconds costs a few beacons per
// interval, not one per newcomer: each beacon reaches every node of the
// segment, so newcomers announcing themselves would cost the square of its
// size. Newcomers dial the offers they hear and the peers they are referred
// to; once joined, nodes stop dialing for more links (rotation is off here,
// as it keeps a few dials going on purpose).
func TestLANJoinWaveCostsFewBeaconsAndDials(t *testing.T) {
	longtest.Skip(t) // a thousand nodes: seconds under the race detector
	const n = 1000
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	s, err := sim.New(3, sim.DefaultNetwork())
	if err != nil {
		t.Fatal(err)
	}
	seg := s.AddSegment("lan")
	for i := 0; i < n; i++ {
		idx, _ := s.AddNode("n", "", cfg, seg)
		s.Start(idx, time.Duration(i)*4*time.Second/n)
	}
	s.RunFor(30 * time.Second)
	join := s.Counters()
	t.Logf("join of %d nodes over 4 s: %d beacons, %d receptions, %d dials, %d connections",
		n, join.Beacons, join.BeaconReceptions, join.Dials, join.ConnectionsOpened)
	if c := components(s); c != 1 {
		t.Fatalf("%d components after the join", c)
	}
	if d := minDegree(s); d < 2 {
		t.Fatalf("a node has %d links after the join", d)
	}
	// Before: 126 beacons (76 receptions per node) and 51 dials per node.
	if per := float64(join.BeaconReceptions) / n; per > 40 {
		t.Fatalf("%.0f beacon receptions per node during the join; want at most 40", per)
	}
	if per := float64(join.Dials) / n; per > 25 {
		t.Fatalf("%.1f dials per node during the join; want at most 25", per)
	}
	s.RunFor(30 * time.Second)
	settled := s.Counters()
	dials := settled.Dials - join.Dials
	t.Logf("settled, 30 s: %d beacons, %d dials", settled.Beacons-join.Beacons, dials)
	// Before: 57 dials per node per 30 s, nearly all refused: the nodes
	// still short of outgoing links dialed full peers on stale news.
	if dials > n {
		t.Fatalf("%d dials in 30 s of a settled LAN of %d nodes; want fewer than one per node", dials, n)
	}
}

// A newcomer below its minimum degree that heard of a peer with room dials
// it and keeps quiet; it begs (a needy beacon, so that full nodes make room)
// only when it heard of nobody with room lately.
func TestNeedyNodeDialsOffersInsteadOfBegging(t *testing.T) {
	h := newHand(t, 1, mesh.DefaultConfig())
	h.until(100 * time.Millisecond)
	h.hearOffer(2, 5)
	outs := h.until(time.Second) // the dial decision, then the first speaking point
	if d := dials(outs); len(d) != 1 || d[0] != 2 {
		t.Fatalf("dials %v, want the peer that offered", d)
	}
	if n := countKind(outs, mesh.OutBeacon); n != 0 {
		t.Fatalf("%d beacons from a newcomer whose dial is in flight", n)
	}
	// The dial fails, and the offer grows old: the node begs.
	h.take(h.e.HandleDialFailed(h.now, 2, peerAddr(2)))
	begged := false
	for h.now < 20*time.Second && !begged {
		for _, o := range h.until(h.now + 10*time.Millisecond) {
			switch {
			case o.Kind == mesh.OutDial:
				h.take(h.e.HandleDialFailed(h.now, o.Peer, o.Addr))
			case o.Kind == mesh.OutBeacon && o.Beacon.Flags&mesh.HelloNeedy != 0:
				begged = true
			}
		}
	}
	if !begged {
		t.Fatal("a needy node that knows nobody with room did not beg")
	}
}

// A node that had its minimum degree and lost it begs at once, even though
// it knows peers with room: they may have died with its links.
func TestNodeThatLostItsLinksBegs(t *testing.T) {
	h := newHand(t, 1, mesh.DefaultConfig())
	h.hearOffer(2, 5)
	h.hearOffer(3, 5)
	h.linkDials(2, mesh.Load{In: 1, FreeIn: 4}) // both offers, one after the other
	h.alive(10*time.Second, 2, 3)               // the beacon interval grows
	h.hearOffer(4, 5)
	h.take(h.e.HandleLinkClosed(h.now, 2)) // below the minimum again
	begged := false
	for _, o := range h.until(h.now + time.Second) {
		begged = begged || o.Kind == mesh.OutBeacon && o.Beacon.Flags&mesh.HelloNeedy != 0
	}
	if !begged {
		t.Fatal("a node that lost its links did not beg within BeaconMin")
	}
}

// hearOffersOf returns the OutHearOffers outputs in outs: what each said.
func hearOffersOf(outs []mesh.Output) []bool {
	var said []bool
	for _, o := range outs {
		if o.Kind == mesh.OutHearOffers {
			said = append(said, o.Hear)
		}
	}
	return said
}

// A node whose every slot is in use says it hears no offers, and ignores
// one it is handed all the same; it still answers a needy node's call
// (it makes room); once a link goes it hears offers again.
func TestFullNodeHearsOnlyCalls(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	h := newHand(t, 1, cfg)
	for p := mesh.NodeID(2); p < 7; p++ {
		h.hearOffer(p, 5)
	}
	var lids []mesh.LinkID
	for _, p := range h.linkDials(cfg.MaxOut, mesh.Load{In: 1, Out: 1, FreeIn: 4}) {
		lids = append(lids, mesh.LinkID(p))
	}
	var said []bool
	for p := mesh.NodeID(10); p < 10+mesh.NodeID(cfg.MaxIn); p++ {
		said = append(said, hearOffersOf(h.accept(mesh.LinkID(p), p, mesh.Load{In: 1, Out: 3, FreeIn: 4}))...)
		lids = append(lids, mesh.LinkID(p))
	}
	if len(said) != 1 || said[0] {
		t.Fatalf("filling every slot said %v, want one \"hear no offers\"", said)
	}

	known := h.e.KnownPeers()
	if outs := h.hearOffer(50, 5); len(outs) != 0 || h.e.KnownPeers() != known {
		t.Fatalf("an offer to a full node gave %v and %d known peers (%d before), want it ignored", outs, h.e.KnownPeers(), known)
	}
	call := mesh.Beacon{ID: 60, Instance: 6000, Port: 9000, Flags: mesh.HelloNeedy}
	if call.Offer() {
		t.Fatal("a needy node's beacon is an offer, want a call")
	}
	h.alive(h.now+10*time.Second, lids...) // the offers' Trickle interval is long over
	h.take(h.e.HandleBeacon(h.now, &call, peerAddr(60)))
	var answered bool
	for _, o := range h.until(h.now + 2*cfg.BeaconMin) {
		answered = answered || o.Kind == mesh.OutBeacon
	}
	if !answered {
		t.Fatal("a full node did not answer a needy node's call within 2 BeaconMin")
	}

	outs := h.take(h.e.HandleLinkClosed(h.now, 10))
	if said := hearOffersOf(outs); len(said) != 1 || !said[0] {
		t.Fatalf("losing a link said %v, want one \"hear offers\"", said)
	}
	known = h.e.KnownPeers()
	h.hearOffer(50, 5)
	if h.e.KnownPeers() != known+1 {
		t.Fatalf("knows %d peers after an offer, want %d: a node with a free slot hears offers", h.e.KnownPeers(), known+1)
	}
}

// A node with no link that hears the beg of another node with no link,
// and of nobody with links, waits BeaconMin (and a dial timer's jitter)
// before it dials it: the LAN's
// nodes answer a beg within BeaconMin, and a cohort of newcomers that
// dialed the first of them to beg became an island (awaitTheLAN). A node
// with links that answers meanwhile is dialed at once; a node that has
// heard one with links dials a lone beggar as before.
func TestLoneNodeAwaitsTheLANBeforeDialingALoneBeggar(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	beg := func(h *hand, id mesh.NodeID, load mesh.Load, flags mesh.HelloFlags) []mesh.Output {
		b := mesh.Beacon{ID: id, Instance: uint64(id) * 100, Port: 9000, Load: load, Flags: flags}
		return h.take(h.e.HandleBeacon(h.now, &b, peerAddr(id)))
	}
	lone := mesh.Load{FreeIn: uint8(cfg.MaxIn)}
	dialedBy := func(h *hand, until time.Duration) []mesh.NodeID {
		return dials(h.until(until))
	}

	// Nobody answers: the lone beggar is dialed BeaconMin after its beg.
	h := newHand(t, 1, cfg)
	h.until(100 * time.Millisecond)
	heard := h.now
	if d := append(dials(beg(h, 20, lone, mesh.HelloNeedy)), dialedBy(h, heard+cfg.BeaconMin-time.Millisecond)...); len(d) != 0 {
		t.Fatalf("a lone node dialed %v within BeaconMin of a lone node's beg, want no dial", d)
	}
	if d := dialedBy(h, heard+cfg.BeaconMin*5/4); len(d) != 1 || d[0] != 20 {
		t.Fatalf("BeaconMin (and a dial timer's jitter) after the beg the lone node dialed %v, want the beggar (20)", d)
	}

	// A node with links answers meanwhile: it is dialed, not the beggar.
	h = newHand(t, 1, cfg)
	h.until(100 * time.Millisecond)
	heard = h.now
	beg(h, 20, lone, mesh.HelloNeedy)
	h.until(heard + cfg.BeaconMin/2)
	beg(h, 30, mesh.Load{In: uint8(cfg.MaxIn), Out: 4}, 0) // a full node's answer
	if d := dialedBy(h, heard+cfg.BeaconMin-time.Millisecond); len(d) == 0 || d[0] != 30 {
		t.Fatalf("after a full node with links answered, the lone node dialed %v first, want 30", d)
	}

	// A lone node that has heard a node with links dials a beggar as before.
	h = newHand(t, 1, cfg)
	h.until(100 * time.Millisecond)
	beg(h, 30, mesh.Load{In: uint8(cfg.MaxIn), Out: 4}, 0)
	h.until(h.now + cfg.BeaconMin/2)
	heard = h.now
	beg(h, 20, lone, mesh.HelloNeedy)
	if d := dialedBy(h, heard+cfg.BeaconMin/2); len(d) == 0 || d[0] != 20 {
		t.Fatalf("a lone node that knows the mesh dialed %v after a lone node's beg, want the beggar (20) at once", d)
	}
}
