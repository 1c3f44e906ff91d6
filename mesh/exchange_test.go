package mesh_test

import (
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
	s := newSimOrFail(t, 13, sim.DefaultNetwork())
	for _, lan := range addChainedLANs(t, s, 3, 15, "g", func(int, int) mesh.Config { return mesh.DefaultConfig() }) {
		for _, idx := range lan {
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

// A full node that refuses a dialer names its neighbours with free slots
// first (a referral), and the dialer's next try goes to one of them, at
// once (dialing.go's refusals rule).
func TestFullNodeRefersRefusedDialer(t *testing.T) {
	b := newHand(t, 1, mesh.DefaultConfig())
	withRoom := map[mesh.NodeID]bool{10: true, 11: true}
	for p := mesh.NodeID(10); p < 15; p++ {
		load := mesh.Load{In: 5, Out: 5}
		if withRoom[p] {
			load = mesh.Load{In: 1, Out: 2, FreeIn: 4}
		}
		b.take(b.e.HandleLinkOpened(b.now, mesh.LinkID(p), mesh.Incoming, 0, peerAddr(p)))
		hello := mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: p, Instance: 1, Port: 9000, Load: load}}
		sendOf(t, b.take(b.e.HandleFrame(b.now, mesh.LinkID(p), &hello)), mesh.FrameWelcome)
	}
	b.take(b.e.HandleLinkOpened(b.now, 20, mesh.Incoming, 0, peerAddr(20)))
	// The dialer has MaxOut links: not short, so no room is made for it
	// (room.go).
	hello := mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 20, Instance: 2000, Port: 9000, Load: mesh.Load{In: 3, Out: 2, FreeIn: 2}}}
	outs := b.take(b.e.HandleFrame(b.now, 20, &hello))
	referral := sendOf(t, outs, mesh.FramePeers)
	reject := sendOf(t, outs, mesh.FrameReject)
	if reject.Reason != mesh.ReasonFull {
		t.Fatalf("refused with %v, want full", reject.Reason)
	}
	named := map[mesh.NodeID]bool{}
	for _, p := range referral.Peers {
		named[p.ID] = true
	}
	if len(named) != 2 || !named[10] || !named[11] {
		t.Fatalf("referral names %v, want exactly the neighbours with room (10 and 11)", referral.Peers)
	}

	// The dialer's side.
	a := newHand(t, 20, mesh.DefaultConfig())
	a.hearOffer(1, 1)
	if d := dials(a.until(time.Second)); len(d) != 1 || d[0] != 1 {
		t.Fatalf("dials %v, want node 1", d)
	}
	sendOf(t, a.take(a.e.HandleLinkOpened(a.now, 1, mesh.Outgoing, 1, peerAddr(1))), mesh.FrameHello)
	// The referral is the refusal, and fresh news of room: the dialer
	// dials one of the peers named at once, with no dial timer between.
	outs = a.take(a.e.HandleFrame(a.now, 1, referral))
	next := dials(outs)
	for _, p := range next {
		if !named[p] {
			next = nil
		}
	}
	if len(next) == 0 {
		t.Fatalf("on the referral the dialer dialed %v, want 10 or 11 (or both: it is needy) at once", dials(outs))
	}
	for _, o := range outs {
		if o.Kind == mesh.OutTimer && o.Timer == mesh.TimerDial {
			t.Fatalf("on the referral the dialer set a dial timer: %+v", outs)
		}
	}
	a.take(a.e.HandleFrame(a.now, 1, reject))
}

// A full node introduces the dialers it refuses to each other: a dialer
// refused just before that has free slots itself is named in the next
// referrals, as many times as it has free slots and for BeaconMin at most.
func TestFullNodeRefersDialersToEachOther(t *testing.T) {
	b := newHand(t, 1, mesh.DefaultConfig())
	for p := mesh.NodeID(10); p < 15; p++ {
		b.accept(mesh.LinkID(p), p, mesh.Load{In: 5, Out: 5})
	}
	// Dialers with MaxOut links (no room is made for them), free outgoing
	// slots, and free incoming ones: 20 has two.
	load := func(free uint8) mesh.Load { return mesh.Load{In: 5 - free, Out: 3 + free, FreeIn: free} }
	referred := func(id mesh.NodeID, free uint8) map[mesh.NodeID]bool {
		t.Helper()
		outs := helloFrom(b, mesh.LinkID(id), id, load(free))
		sendOf(t, outs, mesh.FrameReject)
		named := map[mesh.NodeID]bool{}
		for _, o := range outs {
			if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FramePeers {
				for _, p := range o.Frame.Peers {
					named[p.ID] = true
				}
			}
		}
		return named
	}
	if named := referred(20, 2); len(named) != 0 {
		t.Fatalf("first refused dialer referred to %v; nobody has room", named)
	}
	if named := referred(21, 0); !named[20] {
		t.Fatalf("referral names %v, want the dialer refused before (20)", named)
	}
	if named := referred(22, 1); !named[20] || named[21] {
		t.Fatalf("referral names %v, want 20 again but not 21, which has no room", named)
	}
	if named := referred(23, 1); named[20] || !named[22] {
		t.Fatalf("referral names %v, want 22 but not 20, named as often as it has free slots", named)
	}
	b.until(b.now + 1500*time.Millisecond)
	for p := mesh.NodeID(10); p < 15; p++ {
		ping := mesh.Frame{Type: mesh.FramePing, Load: mesh.Load{In: 5, Out: 5}}
		b.take(b.e.HandleFrame(b.now, mesh.LinkID(p), &ping))
	}
	if named := referred(24, 1); len(named) != 0 {
		t.Fatalf("referral names %v after BeaconMin; want nobody", named)
	}
	// A dialer that claims 255 free slots is named no more often than a
	// node of ours could have free slots (MaxIn).
	b.take(b.e.HandleLinkOpened(b.now, 30, mesh.Incoming, 0, peerAddr(30)))
	claim := mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 30, Instance: 3000, Port: 9000, Load: mesh.Load{In: 2, Out: 4, FreeIn: 255}}}
	sendOf(t, b.take(b.e.HandleFrame(b.now, 30, &claim)), mesh.FrameReject)
	times := 0
	for id := mesh.NodeID(31); id < 40; id++ {
		if referred(id, 0)[30] {
			times++
		}
	}
	if limit := mesh.DefaultConfig().MaxIn; times != limit {
		t.Fatalf("a dialer claiming 255 free slots was named %d times; want MaxIn (%d)", times, limit)
	}
}

// A referral is the refusal: only a full node refusing a dialer sends one,
// so the dialer gives up the connection on the referral itself, marks the
// peer full and tries a peer named in it; the Reject that follows finds the
// connection closed and changes nothing.
func TestReferralIsTheRefusal(t *testing.T) {
	a := newHand(t, 20, mesh.DefaultConfig())
	a.hearOffer(1, 1)
	if d := dials(a.until(time.Second)); len(d) != 1 || d[0] != 1 {
		t.Fatalf("dials %v, want node 1", d)
	}
	sendOf(t, a.take(a.e.HandleLinkOpened(a.now, 1, mesh.Outgoing, 1, peerAddr(1))), mesh.FrameHello)
	referral := mesh.Frame{Type: mesh.FramePeers, Peers: []mesh.PeerInfo{{ID: 10, Addr: peerAddr(10), FreeIn: 4}}}
	closed := false
	outs := a.take(a.e.HandleFrame(a.now, 1, &referral))
	for _, o := range outs {
		closed = closed || o.Kind == mesh.OutClose && o.Link == 1
	}
	if !closed {
		t.Fatal("the dialer kept the connection after the referral")
	}
	// It decides its next dial at once (dialing.go's refusals rule).
	next := dials(outs)
	reject := mesh.Frame{Type: mesh.FrameReject, Reason: mesh.ReasonFull}
	if outs := a.take(a.e.HandleFrame(a.now, 1, &reject)); len(outs) != 0 {
		t.Fatalf("the Reject after the referral caused %v, want nothing", outs)
	}
	next = append(next, dials(a.until(a.now+900*time.Millisecond))...)
	if len(next) != 1 || next[0] != 10 {
		t.Fatalf("after the referral the dialer tried %v, want 10 (named) and not 1 (full) within DialBackoff", next)
	}
}

// The peer exchange of a new link rides on its handshake: the dialer's on
// its Hello, the acceptor's on its Welcome, and no Peers frame follows
// either (two engine events fewer per link, at scale-100k five per node).
// Each end learns the peers the other named: the acceptor once it accepts,
// the dialer from the Welcome. A dial of a static address, which does not
// know yet whom it reaches nor on which LAN, sends its exchange after the
// Welcome instead.
func TestHandshakeCarriesPeerExchange(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	noPeersFrame := func(outs []mesh.Output, what string) {
		t.Helper()
		for _, o := range outs {
			if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FramePeers {
				t.Fatalf("%s sent a Peers frame on link %d, want the exchange in the handshake", what, o.Link)
			}
		}
	}
	named := func(f *mesh.Frame, id mesh.NodeID) bool {
		for _, p := range f.Peers {
			if p.ID == id {
				return true
			}
		}
		return false
	}

	// The acceptor names what it knows on its Welcome and learns what the
	// Hello names.
	b := newHand(t, 2, cfg)
	b.hearOffer(30, 5)
	b.take(b.e.HandleLinkOpened(b.now, 10, mesh.Incoming, 0, peerAddr(10)))
	hello := mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 10, Instance: 1000, Port: 9000, Load: mesh.Load{Out: 1, FreeIn: 5}},
		Peers: []mesh.PeerInfo{{ID: 40, Addr: peerAddr(40), FreeIn: 3}}}
	outs := b.take(b.e.HandleFrame(b.now, 10, &hello))
	if w := sendOf(t, outs, mesh.FrameWelcome); !named(w, 30) {
		t.Fatalf("the Welcome names %v, want the known peer 30", w.Peers)
	}
	noPeersFrame(outs, "the acceptor")
	if n := b.e.KnownPeers(); n != 3 {
		t.Fatalf("the acceptor knows %d peers, want 3 (30, the dialer 10, and 40 named in its Hello)", n)
	}

	// The dialer names its neighbour on its Hello, and dials the peer the
	// Welcome names.
	a := newHand(t, 1, cfg)
	a.hearOffer(2, 5)
	a.until(time.Second)
	a.link(2, 2, mesh.Load{In: 1, FreeIn: 4})
	a.hearOffer(3, 5)
	if d := dials(a.until(2 * time.Second)); len(d) != 1 || d[0] != 3 {
		t.Fatalf("dialed %v, want 3", d)
	}
	outs = a.take(a.e.HandleLinkOpened(a.now, 3, mesh.Outgoing, 3, peerAddr(3)))
	if h := sendOf(t, outs, mesh.FrameHello); !named(h, 2) {
		t.Fatalf("the Hello names %v, want the neighbour 2", h.Peers)
	}
	welcome := mesh.Frame{Type: mesh.FrameWelcome, Hello: mesh.Hello{ID: 3, Instance: 300, Port: 9000, Load: mesh.Load{In: 1, FreeIn: 4}},
		Peers: []mesh.PeerInfo{{ID: 40, Addr: peerAddr(40), FreeIn: 3}}}
	noPeersFrame(a.take(a.e.HandleFrame(a.now, 3, &welcome)), "the dialer")
	if d := dials(a.until(3 * time.Second)); len(d) != 1 || d[0] != 40 {
		t.Fatalf("dialed %v after the Welcome, want 40, which it named", d)
	}

	// A static dial says nothing on its Hello and exchanges after the
	// Welcome.
	scfg := cfg
	scfg.StaticPeers = []mesh.Addr{peerAddr(50)}
	c := newHand(t, 5, scfg)
	c.hearOffer(30, 5)
	outs = c.take(c.e.HandleLinkOpened(c.now, 50, mesh.Outgoing, 0, peerAddr(50)))
	if h := sendOf(t, outs, mesh.FrameHello); len(h.Peers) != 0 {
		t.Fatalf("a static dial's Hello names %v, want none", h.Peers)
	}
	welcome = mesh.Frame{Type: mesh.FrameWelcome, Hello: mesh.Hello{ID: 50, Instance: 500, Port: 9000, Load: mesh.Load{In: 1, FreeIn: 4}}}
	if p := sendOf(t, c.take(c.e.HandleFrame(c.now, 50, &welcome)), mesh.FramePeers); !named(p, 30) {
		t.Fatalf("the static dialer's exchange names %v, want 30", p.Peers)
	}
}
