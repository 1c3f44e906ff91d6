package mesh

import (
	"testing"
	"time"
)

// A LAN is named by the smallest tag heard by beacon; a node that speaks
// before hearing any names it after itself, and takes a smaller name when
// it hears one.
func TestLANTagSmallestHeardWins(t *testing.T) {
	e := loneEngine(t, nil)
	now := Time(0)
	e.Start(now)
	if e.lanTag() != 0 {
		t.Fatalf("a new node has LAN tag %d, want none", e.lanTag())
	}
	hear := func(id NodeID, tag LANTag) {
		now += time.Millisecond
		b := Beacon{ID: id, Instance: uint64(id), Port: 7000, LAN: tag}
		e.HandleBeacon(now, &b, Addr{IP: [16]byte{10, 0, 0, byte(id)}})
	}
	hear(2, 0) // a node without a name names nothing
	if e.lanTag() != 0 {
		t.Fatalf("tag %d after a beacon without one", e.lanTag())
	}
	hear(3, 500)
	hear(4, 700)
	if e.lanTag() != 500 {
		t.Fatalf("tag %d after hearing 500 and 700, want 500", e.lanTag())
	}
	hear(5, 300)
	if e.lanTag() != 300 {
		t.Fatalf("tag %d after hearing 300, want the smaller 300", e.lanTag())
	}

	lone := loneEngine(t, nil)
	lone.Start(0)
	lone.nOut = 2 // joined: at its minimum degree
	if tag := lone.beaconLANTag(); tag != tagOf(lone.id) || tag == 0 {
		t.Fatalf("a node speaking first names its LAN %d, want %d", tag, tagOf(lone.id))
	}
	needy := loneEngine(t, nil)
	needy.Start(0)
	if tag := needy.beaconLANTag(); tag != 0 {
		t.Fatalf("a needy node names its LAN %d, want no name", tag)
	}
}

// Where a peer named in an exchange is, for the receiver: a peer on the
// LAN of a neighbour elsewhere is elsewhere, and so is a peer a neighbour
// on our LAN knows to be elsewhere; the rest stays unplaced.
func TestRelayedPlaces(t *testing.T) {
	tests := []struct{ told, neighbour, want Place }{
		{PlaceSameLAN, PlaceOtherLAN, PlaceOtherLAN},
		{PlaceOtherLAN, PlaceSameLAN, PlaceOtherLAN},
		{PlaceOtherLAN, PlaceOtherLAN, PlaceUnknown}, // could be ours
		{PlaceSameLAN, PlaceSameLAN, PlaceUnknown},   // second hand: kept among the unplaced
		{PlaceUnknown, PlaceSameLAN, PlaceUnknown},
		{PlaceSameLAN, PlaceUnknown, PlaceUnknown},
		{PlaceOtherLAN, PlaceUnknown, PlaceUnknown},
	}
	for _, tc := range tests {
		if got := relayed(tc.told, tc.neighbour, false); got != tc.want {
			t.Errorf("relayed(%d, from %d) = %d, want %d", tc.told, tc.neighbour, got, tc.want)
		}
	}
	// A node linked off its LAN places its LAN neighbours' LAN peers on its
	// LAN: it names them across (elsewhere.go). The rest is as above.
	for _, tc := range tests {
		want := tc.want
		if tc.told == PlaceSameLAN && tc.neighbour == PlaceSameLAN {
			want = PlaceSameLAN
		}
		if got := relayed(tc.told, tc.neighbour, true); got != want {
			t.Errorf("relayed(%d, from %d) by a node linked elsewhere = %d, want %d", tc.told, tc.neighbour, got, want)
		}
	}
}

// Peers known to be elsewhere take the share of the passive list kept for
// peers off our LAN from unplaced ones, even with fewer free slots, and a
// LAN's beacons do not push them out.
func TestPassiveListPrefersPeersElsewhere(t *testing.T) {
	e := loneEngine(t, func(c *Config) { c.PassiveSize = 8 }) // 2 kept for peers off our LAN
	addr := func(i int) Addr { return Addr{IP: [16]byte{10, 0, 0, byte(i)}, Port: 7000} }
	count := func() (lan, unknown, elsewhere int) {
		for _, p := range e.known.list {
			switch p.place {
			case PlaceSameLAN:
				lan++
			case PlaceOtherLAN:
				elsewhere++
			default:
				unknown++
			}
		}
		return
	}
	for i := 2; i < 8; i++ {
		e.now = Time(i) * time.Millisecond
		e.heardOf(NodeID(i), addr(i), 1, Load{FreeIn: 3}, newsBeacon)
	}
	for i := 100; i < 102; i++ { // unplaced second-hand news, with room
		e.heardOf(NodeID(i), addr(i), 0, Load{FreeIn: 5}, newsExchange)
	}
	if lan, unknown, elsewhere := count(); lan != 6 || unknown != 2 || elsewhere != 0 {
		t.Fatalf("before: %d LAN, %d unplaced, %d elsewhere", lan, unknown, elsewhere)
	}
	for i := 200; i < 203; i++ { // full peers known to be elsewhere
		e.heardOfAt(NodeID(i), addr(i), 0, Load{}, newsExchange, PlaceOtherLAN)
	}
	if lan, unknown, elsewhere := count(); elsewhere != 2 || lan+unknown+elsewhere != 8 {
		t.Fatalf("after peers elsewhere: %d LAN, %d unplaced, %d elsewhere; want 2 elsewhere", lan, unknown, elsewhere)
	}
	for i := 10; i < 30; i++ {
		e.now = Time(i) * time.Millisecond
		e.heardOf(NodeID(i), addr(i), 1, Load{FreeIn: 5}, newsBeacon)
	}
	if _, _, elsewhere := count(); elsewhere != 2 {
		t.Fatalf("after more LAN news: %d peers elsewhere, want 2", elsewhere)
	}
}

// A peer elsewhere this node failed to dial gives up its place in the
// passive list's share for peers off our LAN to a peer elsewhere it has
// not tried, even one with fewer free slots: after a mass failure the
// share held dead peers with the free slots of stale news, which LAN
// neighbours kept naming, and the live ones a referral named with their
// true one or two slots could not get in (seed 3 of many-lans-mass-failure
// with the periodic exchange postponed by other exchanges).
func TestPassiveListGivesUpPeersElsewhereItFailedToReach(t *testing.T) {
	e := loneEngine(t, func(c *Config) { c.PassiveSize = 8 }) // 2 kept for peers off our LAN
	addr := func(i int) Addr { return Addr{IP: [16]byte{10, 0, 0, byte(i)}, Port: 7000} }
	for i := 2; i < 8; i++ {
		e.heardOf(NodeID(i), addr(i), 1, Load{FreeIn: 3}, newsBeacon)
	}
	for i := 200; i < 202; i++ { // stale news of peers elsewhere with room
		e.heardOfAt(NodeID(i), addr(i), 0, Load{FreeIn: 5}, newsExchange, PlaceOtherLAN)
	}
	e.heardOfAt(300, addr(300), 0, Load{FreeIn: 1}, newsExchange, PlaceOtherLAN)
	if e.known.index(300) >= 0 {
		t.Fatal("a peer elsewhere with fewer free slots replaced one with more that nothing speaks against")
	}
	e.now = time.Second
	e.known.failed(201, e.now, e.cfg.DialBackoff, e.cfg.PassiveSize) // dead
	e.now += 5 * time.Second
	e.heardOfAt(201, addr(201), 0, Load{FreeIn: 5}, newsExchange, PlaceOtherLAN) // named again by a LAN neighbour
	e.heardOfAt(300, addr(300), 0, Load{FreeIn: 1}, newsExchange, PlaceOtherLAN)
	if e.known.index(300) < 0 || e.known.index(201) >= 0 || e.known.index(200) < 0 {
		t.Fatalf("known %v: want the peer elsewhere not tried (300) in place of the one this node failed to dial (201)", e.known.ids)
	}
}

// A node places a node telling another name of its LAN on its LAN: the
// name it gave up for a smaller one (that node has not heard the new name
// yet), or a larger one heard by beacon, given by newcomers that joined
// without hearing ours (seed 3 of the ten-LAN mass failure: lan0's nodes
// took 79 such newcomers, and every LAN peer those named, for nodes
// elsewhere). Other names are elsewhere.
func TestOtherNamesOfOurLAN(t *testing.T) {
	for _, tc := range []struct {
		heard []LANTag // by beacon, in this order
		tag   LANTag   // the LAN's name then
		ours  []LANTag
	}{
		{[]LANTag{500, 300}, 300, []LANTag{300, 500}}, // renamed
		{[]LANTag{500, 900}, 500, []LANTag{500, 900}}, // a larger name heard
	} {
		e := loneEngine(t, nil)
		e.Start(0)
		for k, tag := range tc.heard {
			id := NodeID(2 + k)
			b := Beacon{ID: id, Instance: uint64(id), Port: 7000, LAN: tag}
			e.HandleBeacon(Time(id)*time.Millisecond, &b, Addr{IP: [16]byte{10, 0, 0, byte(id)}})
		}
		if e.lanTag() != tc.tag {
			t.Fatalf("heard %v: tag %d, want %d", tc.heard, e.lanTag(), tc.tag)
		}
		want := map[LANTag]Place{700: PlaceOtherLAN, 0: PlaceUnknown}
		for _, n := range tc.ours {
			want[n] = PlaceSameLAN
		}
		for tag, place := range want {
			if got := e.placeOf(tag); got != place {
				t.Errorf("heard %v: a node telling tag %d is at place %d, want %d", tc.heard, tag, got, place)
			}
		}
	}
}

// Places "elsewhere" made under an old name of our LAN do not outlive it:
// a node that gives up the name it was sure of for a smaller one takes
// back every place elsewhere it made (its passive list, its links, the
// refused dialers its referrals name), and the peers that a neighbour
// still telling the old name says are elsewhere stay unplaced, while a
// neighbour telling the current name is believed. In a LAN of 500 started
// at once, places made under the old name, passed on by exchange and
// rumour, had 10,026 of the 16,000 passive-list entries "elsewhere" at
// 10 s (unplaceElsewhere, lan.go).
func TestPlacesElsewhereUnderAnOldNameAreTakenBack(t *testing.T) {
	e := loneEngine(t, nil)
	now := Time(0)
	e.Start(now)
	addr := func(id NodeID) Addr { return Addr{IP: [16]byte{10, 0, 0, byte(id)}, Port: 7000} }
	hear := func(id NodeID, tag LANTag) {
		now += time.Millisecond
		b := Beacon{ID: id, Instance: uint64(id), Port: 7000, LAN: tag}
		e.HandleBeacon(now, &b, addr(id))
	}
	link := LinkID(0)
	neighbour := func(id NodeID, tag LANTag) LinkID {
		now += time.Millisecond
		link++
		hello := Frame{Type: FrameHello, Hello: Hello{ID: id, Instance: uint64(id), Port: 7000, LAN: tag, Load: Load{In: 2, Out: 2, FreeIn: 3}}}
		e.HandleAccepted(now, link, addr(id), &hello)
		if i := e.linkIndex(link); i < 0 || e.links[i].state != linkEstablished {
			t.Fatalf("link to %d not established", id)
		}
		return link
	}
	tells := func(l LinkID, tag LANTag, peers ...PeerInfo) {
		now += time.Millisecond
		e.HandleFrame(now, l, &Frame{Type: FramePeers, LAN: tag, Peers: peers})
	}
	peer := func(id NodeID, p Place) PeerInfo { return PeerInfo{ID: id, Addr: addr(id), FreeIn: 2, Place: p} }
	place := func(id NodeID) Place {
		if k := e.known.index(id); k >= 0 {
			return e.known.list[k].place
		}
		t.Fatalf("peer %d not known", id)
		return 0
	}

	hear(2, 500) // the LAN is 500, and the node sure of it
	// A neighbour telling 300 is elsewhere while the LAN is 500, and so
	// are the peers on its LAN it names.
	n10 := neighbour(10, 300)
	tells(n10, 300, peer(20, PlaceSameLAN), peer(21, PlaceSameLAN))
	e.waiting = &waitingDialers{{peer: peer(22, PlaceOtherLAN), at: now}}
	for _, id := range []NodeID{10, 20, 21} {
		if place(id) != PlaceOtherLAN {
			t.Fatalf("under the name 500: peer %d at place %d, want elsewhere", id, place(id))
		}
	}
	// 300 is a name of our LAN after all: the node takes it, and with it
	// back the places it made under 500.
	hear(3, 300)
	if e.lanTag() != 300 {
		t.Fatalf("tag %d, want 300", e.lanTag())
	}
	for _, id := range []NodeID{10, 20, 21} {
		if place(id) == PlaceOtherLAN {
			t.Errorf("after the rename: peer %d still placed elsewhere", id)
		}
	}
	if i := e.linkIndex(n10); e.links[i].elsewhere() {
		t.Error("after the rename: the link to 10 still crosses LANs")
	}
	if p := e.waiting[0].peer.Place; p == PlaceOtherLAN {
		t.Error("after the rename: a refused dialer is still named as elsewhere")
	}
	// A neighbour still telling 500 took the LAN's nodes telling 300 for
	// nodes elsewhere: what it says is elsewhere stays unplaced. One
	// telling 300 is believed.
	n11 := neighbour(11, 500)
	tells(n11, 500, peer(30, PlaceOtherLAN), peer(31, PlaceSameLAN))
	if place(30) != PlaceUnknown || place(31) != PlaceUnknown {
		t.Errorf("from a neighbour telling the old name: peers at places %d and %d, want unplaced (%d)", place(30), place(31), PlaceUnknown)
	}
	n12 := neighbour(12, 300)
	tells(n12, 300, peer(40, PlaceOtherLAN))
	if place(40) != PlaceOtherLAN {
		t.Errorf("from a neighbour telling the current name: peer elsewhere at place %d, want elsewhere", place(40))
	}
}
