package mesh

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// A busy LAN must not crowd peers learnt from elsewhere out of the passive
// list: a share of it stays reserved for them.
func TestPassiveListKeepsRemotePeers(t *testing.T) {
	e := loneEngine(t, func(c *Config) { c.PassiveSize = 8 }) // 2 reserved for remote peers
	addr := func(i int) Addr { return Addr{IP: [16]byte{10, 0, 0, byte(i)}, Port: 7000} }
	count := func() (lan, remote int) {
		for _, p := range e.known.list {
			if p.onLAN() {
				lan++
			} else {
				remote++
			}
		}
		return
	}
	// The LAN fills the list, with fresh news and free slots.
	for i := 2; i < 10; i++ {
		e.now = Time(i) * time.Millisecond
		e.heardOf(NodeID(i), addr(i), 1, Load{FreeIn: 3}, newsBeacon)
	}
	if lan, remote := count(); lan != 8 || remote != 0 {
		t.Fatalf("after the LAN: %d LAN and %d remote entries", lan, remote)
	}
	// Exchanged news of remote peers, staler and fuller, still gets in, up
	// to the reserve.
	for i := 100; i < 104; i++ {
		e.heardOf(NodeID(i), addr(i), 0, Load{FreeIn: 0}, newsExchange)
	}
	if lan, remote := count(); lan != 6 || remote != 2 {
		t.Fatalf("after remote news: %d LAN and %d remote entries, want 6 and 2", lan, remote)
	}
	// More LAN news does not push the remote peers out again.
	for i := 10; i < 30; i++ {
		e.now = Time(i) * time.Millisecond
		e.heardOf(NodeID(i), addr(i), 1, Load{FreeIn: 5}, newsBeacon)
	}
	if lan, remote := count(); lan != 6 || remote != 2 {
		t.Fatalf("after more LAN news: %d LAN and %d remote entries, want 6 and 2", lan, remote)
	}
	// A better remote peer replaces a worse one; the reserve does not grow
	// at the LAN's expense.
	e.heardOf(200, addr(200), 0, Load{FreeIn: 4}, newsExchange)
	if lan, remote := count(); lan != 6 || remote != 2 || e.known.index(200) < 0 {
		t.Fatalf("after a better remote peer: %d LAN, %d remote, known=%v", lan, remote, e.known.index(200) >= 0)
	}
}

// A refusal is first-hand news: second-hand news of free slots (peer
// exchange) does not undo it, the peer's own word (a beacon) does.
func TestRefusalOutranksHearsay(t *testing.T) {
	e := loneEngine(t, nil)
	addr := Addr{IP: [16]byte{10, 0, 0, 2}, Port: 7000}
	e.heardOf(2, addr, 5, Load{FreeIn: 3}, newsBeacon)
	e.known.full(2, e.now+e.cfg.DialBackoff)
	e.heardOf(2, addr, 0, Load{FreeIn: 4}, newsExchange)
	if p := e.known.list[e.known.index(2)]; p.freeIn != 0 {
		t.Fatalf("hearsay of %d free slots undid a refusal", p.freeIn)
	}
	e.heardOf(2, addr, 5, Load{FreeIn: 1}, newsBeacon)
	if p := e.known.list[e.known.index(2)]; p.freeIn != 1 {
		t.Fatalf("the peer's own beacon of 1 free slot left %d", p.freeIn)
	}
}

// The ids stay in step with the list, and the waits (the time before which
// a peer may not be dialed) with their peers, through additions,
// replacements, refusals, failures, new lives and expiry: a peer that
// leaves the list leaves its wait behind, one that comes back by a beacon
// repeating the life it failed in gets its wait back, and any other
// newcomer has none.
func TestKnownPeerIDsFollowTheList(t *testing.T) {
	e := loneEngine(t, func(c *Config) { c.PassiveSize = 8 })
	rng := rand.New(rand.NewPCG(2, 2))
	want := map[NodeID]Time{} // the wait each listed peer should have
	inList := func(id NodeID) bool { return e.known.index(id) >= 0 }
	waits := 0
	for step := 0; step < 20000; step++ {
		e.now += Time(rng.IntN(200)) * time.Millisecond
		id := NodeID(2 + rng.IntN(40))
		before := slices.Clone(e.known.ids)
		var revived Time // the wait the beacon below brings back
		op := rng.IntN(7)
		switch op {
		case 0:
			// Two lives per peer, told apart by the instance.
			inst := 1 + uint64(id)%2
			if rng.IntN(5) == 0 {
				inst = 7
			}
			addr := Addr{IP: [16]byte{10, 0, 0, byte(id)}, Port: 7000}
			if gl := e.known.gone; gl != nil {
				for _, g := range gl.peers {
					if g.id == id && g.addr == addr && g.instance == inst {
						revived = g.retryAt
					}
				}
			}
			if i := e.known.index(id); i >= 0 && e.known.list[i].instance != inst {
				want[id] = 0 // a new life
			}
			e.heardOf(id, addr, inst, Load{FreeIn: uint8(rng.IntN(4))}, newsBeacon)
		case 1:
			// Second-hand news, without an instance: it repeats a
			// forgotten life at the same address.
			addr := Addr{IP: [16]byte{10, 1, 0, byte(id)}, Port: 7000}
			if gl := e.known.gone; gl != nil {
				for _, g := range gl.peers {
					if g.id == id && g.addr == addr {
						revived = g.retryAt
						break
					}
				}
			}
			e.heardOf(id, addr, 0, Load{FreeIn: uint8(rng.IntN(4))}, newsExchange)
		case 2:
			if inList(id) {
				p := e.known.list[e.known.index(id)]
				want[id] = e.now + backoff(e.cfg.DialBackoff, p.fails+1)
			}
			e.known.failed(id, e.now, e.cfg.DialBackoff, e.cfg.PassiveSize)
		case 3:
			if inList(id) {
				want[id] = e.now + e.cfg.DialBackoff
			}
			e.known.full(id, e.now+e.cfg.DialBackoff)
		case 4:
			d := Time(rng.IntN(5000)) * time.Millisecond
			if inList(id) {
				want[id] = e.now + d
			}
			e.known.backoff(id, e.now+d)
		case 5, 6:
			e.known.expire(e.now, e.cfg.PeerTTL)
		}
		for _, x := range before {
			if !inList(x) {
				delete(want, x)
			}
		}
		if !slices.Contains(before, id) && inList(id) {
			want[id] = revived
		}
		if len(e.known.ids) != len(e.known.list) {
			t.Fatalf("step %d: %d ids for %d entries", step, len(e.known.ids), len(e.known.list))
		}
		for i := range e.known.list {
			x := e.known.ids[i]
			// Every address above ends in its peer's id.
			if got := e.known.list[i].addr.IP[3]; got != byte(x) {
				t.Fatalf("step %d: ids[%d] = %s, entry of peer %d", step, i, x, got)
			}
			if got := e.known.waitUntil(i); (got > e.now || want[x] > e.now) && got != want[x] {
				t.Fatalf("step %d: peer %s waits until %v, want %v (now %v)", step, x, got, want[x], e.now)
			}
		}
		if op >= 5 && e.known.waits != nil && len(e.known.waits) == 0 {
			t.Fatalf("step %d: an empty list of waits kept after expiry", step)
		}
		if e.known.gone != nil && len(e.known.gone.peers) == 0 {
			t.Fatalf("step %d: an empty list of gone peers kept", step)
		}
		for _, w := range e.known.waits {
			if !inList(w.id) {
				t.Fatalf("step %d: a wait kept for %s, which left the list", step, w.id)
			}
		}
		waits = max(waits, len(e.known.waits))
		for i := range e.known.list {
			has := slices.ContainsFunc(e.known.waits, func(w peerWait) bool { return w.id == e.known.ids[i] })
			if e.known.list[i].waiting != has {
				t.Fatalf("step %d: peer %s marked waiting %v, with a wait %v", step, e.known.ids[i], e.known.list[i].waiting, has)
			}
		}
	}
	if waits == 0 {
		t.Fatal("the walk never made a peer wait")
	}
}

// An entry of the passive list stays at 40 bytes: a full list of 32 then
// takes the 1,280-byte size class instead of 1,536, a million nodes' lists
// 256 MB less.
func TestKnownPeerFitsFortyBytes(t *testing.T) {
	if s := unsafe.Sizeof(knownPeer{}); s > 40 {
		t.Fatalf("an entry takes %d bytes", s)
	}
}

// The passive list alone, without an engine: insert fills it up to its
// size, then a newcomer replaces the least useful entry only if it is at
// least as useful, and update keeps a refusal against second-hand news.
func TestPassiveListInsertAndUpdateAlone(t *testing.T) {
	var k knownPeers
	const size = 4
	lanPeer := func(free uint8, heard Time) knownPeer {
		return knownPeer{addr: Addr{Port: 7000}, freeIn: free, heard: heard, place: PlaceSameLAN}
	}
	for id := NodeID(1); id <= size; id++ {
		k.insert(id, lanPeer(uint8(id), Time(id)), 0, size)
	}
	if len(k.list) != size || cap(k.list) != size {
		t.Fatalf("%d entries (capacity %d), want %d", len(k.list), cap(k.list), size)
	}
	k.insert(10, lanPeer(0, 100), 0, size) // less useful than all: stays out
	if k.index(10) >= 0 {
		t.Fatal("a newcomer with no free slot replaced an entry with some")
	}
	k.insert(11, lanPeer(1, 100), 5*time.Second, size) // as free as node 1, fresher
	if k.index(1) >= 0 || k.index(11) < 0 {
		t.Fatalf("ids %v: want node 1 replaced by node 11", k.ids)
	}
	if w := k.waitUntil(k.index(11)); w != 5*time.Second {
		t.Fatalf("node 11 may be dialed from %v, want 5s", w)
	}
	i := k.index(2)
	k.list[i].refused = true
	k.update(i, 200, Addr{Port: 7000}, 0, Load{FreeIn: 9}, newsExchange)
	if p := k.list[i]; p.freeIn != 2 || p.heard != 200 {
		t.Fatalf("after exchanged news: %d free, heard %v; want the refusal kept (2) and the news time", p.freeIn, p.heard)
	}
	k.update(i, 300, Addr{Port: 7000}, 7, Load{FreeIn: 9}, newsBeacon)
	if p := k.list[i]; p.freeIn != 9 || p.refused {
		t.Fatalf("after a beacon of a new life: %d free, refused %v", p.freeIn, p.refused)
	}
}
