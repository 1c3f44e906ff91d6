package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// A broadcast made before the node has a link waits for the first one and
// goes out over it, in order, in both modes; nothing is sent before.
func TestUnsentBroadcastsGoOutOnTheFirstLink(t *testing.T) {
	for _, mode := range []mesh.Mode{mesh.ModeFlood, mesh.ModeTree} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := mesh.DefaultConfig()
			cfg.Mode, cfg.Port = mode, 9000
			e, err := mesh.New(cfg, 1, 100, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			e.Start(0)
			var ids []mesh.MsgID
			for k := range 3 {
				id, outs, err := e.Broadcast(time.Duration(k+1)*time.Millisecond, []byte{byte(k)})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range outs {
					if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameData {
						t.Fatalf("a Data frame was sent without a link: %+v", o)
					}
				}
				ids = append(ids, id)
			}
			if st := e.Stats(); st.Broadcasts != 3 || st.Unsent != 3 || st.UnsentDropped != 0 {
				t.Fatalf("stats %+v, want 3 broadcasts, 3 unsent, none dropped", st)
			}
			e.HandleLinkOpened(time.Second, 5, mesh.Incoming, 0, mesh.Addr{Port: 1})
			outs := e.HandleFrame(time.Second, 5, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 2, Instance: 1, Port: 1, Load: mesh.Load{FreeIn: 3}}})
			var sent []mesh.MsgID
			welcome := false
			for _, o := range outs {
				if o.Kind != mesh.OutSend {
					continue
				}
				switch o.Frame.Type {
				case mesh.FrameWelcome:
					welcome = true
				case mesh.FrameData:
					if !welcome {
						t.Fatal("Data sent before the Welcome")
					}
					if o.Link != 5 || o.Frame.Msg.Hops != 1 {
						t.Fatalf("Data on link %d with %d hops, want link 5, hop 1", o.Link, o.Frame.Msg.Hops)
					}
					sent = append(sent, o.Frame.Msg.ID)
				}
			}
			if len(sent) != 3 || sent[0] != ids[0] || sent[1] != ids[1] || sent[2] != ids[2] {
				t.Fatalf("sent %v on linking, want %v in order", sent, ids)
			}
			// Nothing waits any more: the next broadcast goes out at once.
			_, outs, _ = e.Broadcast(2*time.Second, []byte("x"))
			if mode == mesh.ModeFlood {
				sendOf(t, outs, mesh.FrameData)
			}
			if st := e.Stats(); st.Unsent != 3 {
				t.Fatalf("Unsent %d after linking, want 3", st.Unsent)
			}
		})
	}
}

// Beyond UnsentLimit the oldest waiting broadcast is dropped, counted and
// reported by an output that names it.
func TestUnsentLimitDropsTheOldest(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.UnsentLimit = 2
	h := newHand(t, 1, cfg)
	var ids []mesh.MsgID
	var dropped []mesh.MsgID
	for k := range 4 {
		id, outs, err := h.e.Broadcast(time.Millisecond, []byte{byte(k)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		for _, o := range outs {
			if o.Kind == mesh.OutUnsentDropped {
				dropped = append(dropped, o.Msg.ID)
			}
		}
	}
	if len(dropped) != 2 || dropped[0] != ids[0] || dropped[1] != ids[1] {
		t.Fatalf("dropped %v, want the two oldest of %v", dropped, ids)
	}
	if st := h.e.Stats(); st.Unsent != 4 || st.UnsentDropped != 2 {
		t.Fatalf("stats %+v, want 4 unsent, 2 dropped", st)
	}
	cfg.UnsentLimit = -1
	if cfg.Validate() == nil {
		t.Fatal("a negative unsent_limit passed validation")
	}
}

// A node that restarts and broadcasts at once, before it has a link, reaches
// every running node with each broadcast, in both modes.
func TestRestartedNodeBroadcastsReachEverybody(t *testing.T) {
	for _, mode := range []mesh.Mode{mesh.ModeFlood, mesh.ModeTree} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := mesh.DefaultConfig()
			cfg.Mode = mode
			s := newLAN(t, 7, 30, cfg)
			s.RunFor(20 * time.Second)
			const n3 = sim.NodeIndex(3)
			s.Kill(n3, false)
			s.RunFor(5 * time.Second)
			s.Start(n3, s.Now())
			for _, after := range []time.Duration{0, 100 * time.Millisecond, 500 * time.Millisecond} {
				s.Run(s.Now() + after)
				if _, err := s.Broadcast(n3, 100); err != nil {
					t.Fatal(err)
				}
			}
			s.RunFor(10 * time.Second)
			for k, r := range s.Broadcasts() {
				if r.Reliability != 1 {
					t.Fatalf("broadcast %d reached %d of %d nodes", k, r.Delivered, r.Alive)
				}
			}
			if st := s.Engine(n3).Stats(); st.Unsent == 0 {
				t.Fatalf("the restarted node held nothing (stats %+v): the test no longer tests waiting", st)
			}
		})
	}
}

// A broadcast goes out over the links the node has, and is kept for the
// links it makes in the next DeadAfter (its neighbours may have crashed a
// moment ago, or be restarted nodes linked only among themselves) and for
// as long as it stays below MinLinks: a node with one link, whose peer may
// have no other, sends it over the next links it makes; later ones do not
// get it.
func TestBroadcastGoesOverTheLinksMadeSoonAfter(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	h := newHand(t, 1, cfg)
	h.accept(7, 7, mesh.Load{Out: 1, FreeIn: 5})
	id, outs, err := h.e.Broadcast(h.now, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	dataOn := func(outs []mesh.Output) []mesh.LinkID {
		var links []mesh.LinkID
		for _, o := range outs {
			if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameData && o.Frame.Msg.ID == id {
				links = append(links, o.Link)
			}
		}
		return links
	}
	if l := dataOn(outs); len(l) != 1 || l[0] != 7 {
		t.Fatalf("the broadcast went over links %v, want the one link 7", l)
	}
	if h.e.Unsent() != 0 || h.e.Stats().Unsent != 0 {
		t.Fatalf("the broadcast counts as unsent (%d, stats %+v): it went out", h.e.Unsent(), h.e.Stats())
	}
	// Below MinLinks, however long it takes.
	h.alive(h.now+5*time.Second, 7)
	if l := dataOn(h.accept(8, 8, mesh.Load{Out: 1, FreeIn: 5})); len(l) != 1 || l[0] != 8 {
		t.Fatalf("the second link, 5 s later, got the broadcast over %v, want link 8", l)
	}
	// With MinLinks links, for DeadAfter after the broadcast.
	id, _, _ = h.e.Broadcast(h.now, []byte("y"))
	h.alive(h.now+2*time.Second, 7, 8)
	if l := dataOn(h.accept(9, 9, mesh.Load{Out: 1, FreeIn: 5})); len(l) != 1 || l[0] != 9 {
		t.Fatalf("a link made 2 s after the broadcast got it over %v, want link 9", l)
	}
	h.alive(h.now+2*time.Second, 7, 8, 9)
	if l := dataOn(h.accept(10, 10, mesh.Load{Out: 1, FreeIn: 5})); len(l) != 0 {
		t.Fatalf("a link made 4 s after the broadcast got it over %v; DeadAfter is 3 s", l)
	}
	if h.e.Unsent() != 0 {
		t.Fatalf("%d broadcasts wait", h.e.Unsent())
	}
}
