package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// In a stable mesh every broadcast reaches every node exactly once at the
// application, and every extra copy is counted as redundant.
func TestFloodDeliversExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 5, 20, 100} {
		s := newLAN(t, uint64(n), n, mesh.DefaultConfig())
		s.RunFor(20 * time.Second)
		for from := 0; from < 3 && from < n; from++ {
			r := broadcastAndCheck(t, s, sim.NodeIndex(from))
			if r.Transmissions < uint64(n-1) {
				t.Fatalf("n=%d: %d transmissions cannot reach %d nodes", n, r.Transmissions, n-1)
			}
			// Each transmission is received at most once (a frame in flight
			// on a link that a rotation closes is lost): the deliveries plus
			// the redundant receptions.
			if got := uint64(r.Delivered) + r.Redundant; got > r.Transmissions || got+5 < r.Transmissions {
				t.Fatalf("n=%d: %d delivered + %d redundant vs %d transmissions", n, r.Delivered, r.Redundant, r.Transmissions)
			}
			if n == 2 && (r.LDH != 1 || r.RMR != 0) {
				t.Fatalf("two nodes: LDH %d RMR %v, want 1 and 0", r.LDH, r.RMR)
			}
		}
		var redundant uint64
		for i := 0; i < n; i++ {
			redundant += s.Engine(sim.NodeIndex(i)).Stats().Redundant
		}
		var fromResults uint64
		for _, r := range s.Broadcasts() {
			fromResults += r.Redundant
		}
		if redundant != fromResults {
			t.Fatalf("n=%d: engines counted %d redundant receptions, the simulator %d", n, redundant, fromResults)
		}
	}
}

// Hop counts: the origin's neighbours deliver at hop 1, theirs at hop 2.
func TestFloodCountsHops(t *testing.T) {
	e := newEngine(t, 1)
	e.HandleLinkOpened(0, 5, mesh.Incoming, 0, mesh.Addr{Port: 1})
	sendOf(t, e.HandleFrame(1, 5, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 2, Instance: 1, Port: 1, Load: mesh.Load{FreeIn: 3}}}), mesh.FrameWelcome)
	e.HandleLinkOpened(0, 6, mesh.Incoming, 0, mesh.Addr{Port: 2})
	sendOf(t, e.HandleFrame(1, 6, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 3, Instance: 1, Port: 2, Load: mesh.Load{FreeIn: 3}}}), mesh.FrameWelcome)
	msg := mesh.Message{ID: mesh.MsgID{Origin: 9, Seq: 1}, Hops: 3, Payload: []byte("hi")}
	outs := e.HandleFrame(2, 5, &mesh.Frame{Type: mesh.FrameData, Msg: msg})
	var delivered, forwarded int
	for _, o := range outs {
		switch {
		case o.Kind == mesh.OutDeliver:
			delivered++
			if o.Msg.Hops != 3 || string(o.Msg.Payload) != "hi" {
				t.Fatalf("delivered %+v", o.Msg)
			}
		case o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameData:
			forwarded++
			if o.Link != 6 || o.Frame.Msg.Hops != 4 {
				t.Fatalf("forwarded on link %d with hops %d, want link 6 hops 4", o.Link, o.Frame.Msg.Hops)
			}
		}
	}
	if delivered != 1 || forwarded != 1 {
		t.Fatalf("delivered %d, forwarded %d", delivered, forwarded)
	}
	// The same message again is redundant: no delivery, no forwarding.
	outs = e.HandleFrame(3, 6, &mesh.Frame{Type: mesh.FrameData, Msg: msg})
	if countKind(outs, mesh.OutDeliver)+countKind(outs, mesh.OutSend) != 0 || e.Stats().Redundant != 1 {
		t.Fatalf("duplicate handled as new: %v", outs)
	}
}

func TestBroadcastRejectsOversizePayload(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.MaxPayload = 10
	e := newEngineOrFail(t, cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	e.Start(0)
	if _, _, err := e.Broadcast(1, make([]byte, 11)); err == nil {
		t.Fatal("oversize payload accepted")
	}
}

// Message ids stay unique across restarts of the same node.
func TestMessageIDsSurviveRestart(t *testing.T) {
	cfg := mesh.DefaultConfig()
	a := newEngineOrFail(t, cfg, 1, 111, rand.New(rand.NewPCG(1, 1)))
	b := newEngineOrFail(t, cfg, 1, 222, rand.New(rand.NewPCG(1, 1)))
	a.Start(0)
	b.Start(0)
	ida, _, _ := a.Broadcast(1, nil)
	idb, _, _ := b.Broadcast(1, nil)
	if ida == idb {
		t.Fatalf("two lives of node 1 reused message id %v", ida)
	}
}

// Flooding keeps delivering while nodes come and go.
func TestFloodUnderChurn(t *testing.T) {
	s := newLAN(t, 12, 60, mesh.DefaultConfig())
	s.RunFor(15 * time.Second)
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 10; round++ {
		victim := sim.NodeIndex(1 + rng.IntN(59))
		s.Kill(victim, round%2 == 0)
		s.RunFor(2 * time.Second)
		s.Start(victim, s.Now())
		s.RunFor(3 * time.Second)
	}
	s.RunFor(10 * time.Second)
	broadcastAndCheck(t, s, 0)
}

// A flooding node linked to a neighbour in tree mode ignores the tree's
// frames (it used to take them for its own and fail on the tree state it
// does not have) and still floods over that link.
func TestFloodIgnoresTreeFrames(t *testing.T) {
	h, lids := newLinkedHand(t, mesh.Load{In: 1, FreeIn: 4}, 1)
	id := mesh.MsgID{Origin: 77, Seq: 1}
	for _, f := range []mesh.Frame{
		{Type: mesh.FrameIHave, IHave: []mesh.Announcement{{ID: id, Hops: 1}}},
		{Type: mesh.FrameGraft, IDs: []mesh.MsgID{id}},
		{Type: mesh.FrameGraft},
		{Type: mesh.FramePrune},
		{Type: mesh.FramePosition, Pos: mesh.Position{Root: 2, Round: 3, Rank: 0}, Load: mesh.Load{In: 1, Out: 1, FreeIn: 4}},
		{Type: mesh.FrameRoundRequest, Pos: mesh.Position{Root: 1, Round: 9}},
	} {
		for _, o := range h.take(h.e.HandleFrame(h.now, lids[0], &f)) {
			if o.Kind == mesh.OutSend || o.Kind == mesh.OutClose {
				t.Fatalf("%v: the flooding node answered with %+v", f.Type, o)
			}
		}
	}
	_, outs, err := h.e.Broadcast(h.now, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameData {
			sent++
		}
	}
	if want := len(lids); sent != want {
		t.Fatalf("broadcast sent %d payloads, want one per link (%d)", sent, want)
	}
}
