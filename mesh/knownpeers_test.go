package mesh

import (
	"math/rand/v2"
	"testing"
	"time"
)

// A busy LAN must not crowd peers learnt from elsewhere out of the passive
// list: a share of it stays reserved for them.
func TestPassiveListKeepsRemotePeers(t *testing.T) {
	e := loneEngine(t, func(c *Config) { c.PassiveSize = 8 }) // 2 reserved for remote peers
	addr := func(i int) Addr { return Addr{IP: [16]byte{10, 0, 0, byte(i)}, Port: 7000} }
	count := func() (lan, remote int) {
		for _, p := range e.known.list {
			if p.lan {
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
		e.known.observe(e, NodeID(i), addr(i), 1, Load{FreeIn: 3}, newsBeacon)
	}
	if lan, remote := count(); lan != 8 || remote != 0 {
		t.Fatalf("after the LAN: %d LAN and %d remote entries", lan, remote)
	}
	// Exchanged news of remote peers, staler and fuller, still gets in, up
	// to the reserve.
	for i := 100; i < 104; i++ {
		e.known.observe(e, NodeID(i), addr(i), 0, Load{FreeIn: 0}, newsExchange)
	}
	if lan, remote := count(); lan != 6 || remote != 2 {
		t.Fatalf("after remote news: %d LAN and %d remote entries, want 6 and 2", lan, remote)
	}
	// More LAN news does not push the remote peers out again.
	for i := 10; i < 30; i++ {
		e.now = Time(i) * time.Millisecond
		e.known.observe(e, NodeID(i), addr(i), 1, Load{FreeIn: 5}, newsBeacon)
	}
	if lan, remote := count(); lan != 6 || remote != 2 {
		t.Fatalf("after more LAN news: %d LAN and %d remote entries, want 6 and 2", lan, remote)
	}
	// A better remote peer replaces a worse one; the reserve does not grow
	// at the LAN's expense.
	e.known.observe(e, 200, addr(200), 0, Load{FreeIn: 4}, newsExchange)
	if lan, remote := count(); lan != 6 || remote != 2 || e.known.index(200) < 0 {
		t.Fatalf("after a better remote peer: %d LAN, %d remote, known=%v", lan, remote, e.known.index(200) >= 0)
	}
}

// A refusal is first-hand news: second-hand news of free slots (peer
// exchange) does not undo it, the peer's own word (a beacon) does.
func TestRefusalOutranksHearsay(t *testing.T) {
	e := loneEngine(t, nil)
	addr := Addr{IP: [16]byte{10, 0, 0, 2}, Port: 7000}
	e.known.observe(e, 2, addr, 5, Load{FreeIn: 3}, newsBeacon)
	e.known.full(e, 2)
	e.known.observe(e, 2, addr, 0, Load{FreeIn: 4}, newsExchange)
	if p := e.known.list[e.known.index(2)]; p.freeIn != 0 {
		t.Fatalf("hearsay of %d free slots undid a refusal", p.freeIn)
	}
	e.known.observe(e, 2, addr, 5, Load{FreeIn: 1}, newsBeacon)
	if p := e.known.list[e.known.index(2)]; p.freeIn != 1 {
		t.Fatalf("the peer's own beacon of 1 free slot left %d", p.freeIn)
	}
}

// The id index stays in step with the list through additions, replacements,
// failures and expiry.
func TestKnownPeerIDsFollowTheList(t *testing.T) {
	e := loneEngine(t, func(c *Config) { c.PassiveSize = 8 })
	rng := rand.New(rand.NewPCG(2, 2))
	for step := 0; step < 5000; step++ {
		e.now += Time(rng.IntN(200)) * time.Millisecond
		id := NodeID(2 + rng.IntN(40))
		switch rng.IntN(4) {
		case 0:
			e.known.observe(e, id, Addr{IP: [16]byte{10, 0, 0, byte(id)}, Port: 7000}, 1, Load{FreeIn: uint8(rng.IntN(4))}, newsBeacon)
		case 1:
			e.known.observe(e, id, Addr{IP: [16]byte{10, 1, 0, byte(id)}, Port: 7000}, 0, Load{FreeIn: uint8(rng.IntN(4))}, newsExchange)
		case 2:
			e.known.failed(e, id)
		case 3:
			e.known.expire(e)
		}
		if len(e.known.ids) != len(e.known.list) {
			t.Fatalf("step %d: %d ids for %d entries", step, len(e.known.ids), len(e.known.list))
		}
		for i := range e.known.list {
			// Every address above ends in its peer's id.
			if got := e.known.list[i].addr.IP[3]; got != byte(e.known.ids[i]) {
				t.Fatalf("step %d: ids[%d] = %s, entry of peer %d", step, i, e.known.ids[i], got)
			}
		}
	}
}
