package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
)

func TestJoinPrefersLeastLoaded(t *testing.T) {
	e := newEngine(t, 1)
	full := mesh.Addr{Port: 9000}
	full.IP[15] = 2
	idle := full
	idle.IP[15] = 3
	busy := full
	busy.IP[15] = 4
	e.HandleBeacon(0, &mesh.Beacon{ID: 2, Instance: 1, Port: 9000, Load: mesh.Load{In: 5, Out: 5}}, full)
	e.HandleBeacon(0, &mesh.Beacon{ID: 3, Instance: 1, Port: 9000, Load: mesh.Load{FreeIn: 5}}, idle)
	e.HandleBeacon(0, &mesh.Beacon{ID: 4, Instance: 1, Port: 9000, Load: mesh.Load{In: 4, Out: 5, FreeIn: 1}}, busy)
	var dials []mesh.NodeID
	for _, o := range e.HandleTimer(time.Second, mesh.TimerDial) {
		if o.Kind == mesh.OutDial {
			dials = append(dials, o.Peer)
		}
	}
	// The full peer is never dialed; with two candidates both are used, and
	// over many seeds the idle one is chosen first far more often.
	for _, d := range dials {
		if d == 2 {
			t.Fatalf("dialed the full peer: %v", dials)
		}
	}
	first := map[mesh.NodeID]int{}
	for seed := uint64(0); seed < 200; seed++ {
		cfg := mesh.DefaultConfig()
		cfg.Port = 9000
		e := newEngineOrFail(t, cfg, 1, 1, rand.New(rand.NewPCG(seed, 2)))
		e.Start(0)
		e.HandleBeacon(0, &mesh.Beacon{ID: 3, Instance: 1, Port: 9000, Load: mesh.Load{FreeIn: 5}}, idle)
		e.HandleBeacon(0, &mesh.Beacon{ID: 4, Instance: 1, Port: 9000, Load: mesh.Load{In: 4, Out: 5, FreeIn: 1}}, busy)
		for _, o := range e.HandleTimer(time.Second, mesh.TimerDial) {
			if o.Kind == mesh.OutDial {
				first[o.Peer]++
				break
			}
		}
	}
	if first[3] < 4*first[4] {
		t.Fatalf("first dials: idle %d times, busy %d times; want the idle peer preferred", first[3], first[4])
	}
}

// A node that has MaxOut links (it is not short: room.go) but free outgoing
// slots, and keeps being refused for lack of room, backs off: the last free
// slots of a mesh are scarce, and dialing full peers on stale news costs the
// whole network. Gaining an outgoing link ends the backoff.
func TestHuntForMoreLinksBacksOff(t *testing.T) {
	h, lids := newLinkedHand(t, mesh.Load{In: 1, FreeIn: 4}, 3)
	// Refuse every dial, without a referral, while the five links stay
	// alive: their peers ping.
	r := &refuser{h: h}
	step := func() []mesh.Output { return h.alive(h.now+10*time.Millisecond, lids...) }
	for h.now < 61*time.Second {
		r.refuse(step())
	}
	times := r.times
	// Three tries, then waits of 1, 2, 4, 8, 16 and 32 s (give or take a
	// maintenance period): about ten dials in a minute rather than hundreds.
	if len(times) < 6 || len(times) > 12 {
		t.Fatalf("%d dials in a minute of refusals, at %v; want 6 to 12", len(times), times)
	}
	for k := 4; k < len(times); k++ {
		if gap := times[k] - times[k-1]; gap < time.Second<<(k-4) {
			t.Fatalf("dial %d came %v after the previous one; want at least %v (dials at %v)", k, gap, time.Second<<(k-4), times)
		}
	}
	// Success ends the backoff: once the waiting dial is accepted, the next
	// one comes at the next maintenance.
	start := h.now
	var next []mesh.NodeID
	for h.now < start+time.Minute && len(next) == 0 {
		next = dials(step())
	}
	h.link(500, next[0], mesh.Load{In: 1, FreeIn: 4})
	start = h.now
	var again []mesh.NodeID
	for h.now < start+1500*time.Millisecond && len(again) == 0 {
		again = dials(step())
	}
	if len(again) == 0 {
		t.Fatal("no dial within 1.5 s of gaining an outgoing link: the backoff did not end")
	}
}

// A node dials for its target of outgoing links, a fifth below its
// incoming slots (4 of MaxOut 5 by default: dialing.go's huntTarget), and
// then once more (its probe), not for its last free outgoing slot however
// many peers with free slots it knows: when every node dials for MaxOut
// links into as many incoming slots, the mesh has none to spare and most
// dials for the last ones are refused. A link lost below the target is
// dialed again, one lost above it is not.
func TestNodeDialsForItsTargetOfOutgoingLinks(t *testing.T) {
	h, lids := newLinkedHand(t, mesh.Load{In: 1, FreeIn: 4}, 3)
	n := 0
	accept := func(outs []mesh.Output) {
		for _, p := range dials(outs) {
			n++
			lid := mesh.LinkID(p)
			h.link(lid, p, mesh.Load{In: 1, FreeIn: 4})
			lids = append(lids, lid)
		}
	}
	for h.now < 10*time.Second {
		accept(h.alive(h.now+10*time.Millisecond, lids...))
	}
	// Two dials to its target (it had two outgoing links), and the probe.
	if out := h.e.Load().Out; out != 5 || n != 3 {
		t.Fatalf("%d outgoing links after %d dials in 10 s with 30 peers offering free slots; want 5 after 3 (2 to the target of 4, one probe)", out, n)
	}
	leave := func() {
		gone := lids[len(lids)-1]
		lids = lids[:len(lids)-1]
		h.take(h.e.HandleFrame(h.now, gone, &mesh.Frame{Type: mesh.FrameLeave, Reason: mesh.ReasonLeaving}))
		start := h.now
		for h.now < start+2*time.Second {
			accept(h.alive(h.now+10*time.Millisecond, lids...))
		}
	}
	// A peer of an outgoing link leaves: the node has its target, and does
	// not dial.
	if leave(); h.e.Load().Out != 4 || n != 3 {
		t.Fatalf("%d outgoing links, %d dials in all, 2 s after one of 5 left; want 4 and no dial", h.e.Load().Out, n)
	}
	// Another leaves: the node dials a replacement.
	if leave(); h.e.Load().Out != 4 || n != 4 {
		t.Fatalf("%d outgoing links, %d dials in all, 2 s after one of 4 left; want 4 again, after one more dial", h.e.Load().Out, n)
	}
}
