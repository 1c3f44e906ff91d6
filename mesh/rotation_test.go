package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// In tree mode a due rotation waits while messages pass through the node:
// the link it closes would lose the payloads in flight on it, and its peer
// would fetch them from announcers tens of ms late (tree-burst-100, seed 1:
// a link closed 14 ms into a round made ten of that round's broadcasts
// reach their last node 45-50 ms after the send). It rotates at the first
// quiet maintenance, and at the latest a quarter of RotateInterval late.
func TestRotationWaitsForAQuietMoment(t *testing.T) {
	const interval = 4 * time.Second
	relay := func(busy func(now time.Duration) bool) time.Duration {
		return firstRotation(t, mesh.ModeTree, interval, busy, false)
	}
	quiet := relay(func(time.Duration) bool { return false })
	// Messages pass through the node around the moment it would rotate: it
	// rotates at its next maintenance, a KeepaliveInterval later.
	around := relay(func(now time.Duration) bool {
		return now > quiet-100*time.Millisecond && now < quiet+20*time.Millisecond
	})
	if keep := mesh.DefaultConfig().KeepaliveInterval; around != quiet+keep {
		t.Errorf("busy around %v: rotated at %v, want %v (the next maintenance)", quiet, around, quiet+keep)
	}
	// Messages pass through it all the time: it rotates all the same, at
	// most a quarter of an interval late (and the next maintenance).
	always := relay(func(time.Duration) bool { return true })
	if late := always - quiet; late <= 0 || late > interval/4+mesh.DefaultConfig().KeepaliveInterval {
		t.Errorf("always busy: rotated at %v, %v after the quiet node", always, late)
	}
}

// In tree mode a due rotation also waits while the node itself broadcasts
// (a message of its own within the last quarter of RotateInterval): its
// own payloads start over its outgoing links, and a link closed under them
// leaves its peer, and the part of the sender's tree below it, to fetch
// the next message by repair (tree-burst-100: the tree's p99 over 1.25
// times its flood twin's at seed 10 of 1-120 without the wait, at none
// with it). It waits a whole RotateInterval at most, so that a node that
// broadcasts all the time still rotates, at half the rate. Flooding does
// not wait: every link carries every payload.
func TestRotationWaitsWhileTheNodeBroadcasts(t *testing.T) {
	const interval = 4 * time.Second
	keep := mesh.DefaultConfig().KeepaliveInterval
	send := func(mode mesh.Mode, busy func(now time.Duration) bool) time.Duration {
		return firstRotation(t, mode, interval, busy, true)
	}
	quiet := send(mesh.ModeTree, func(time.Duration) bool { return false })
	// It broadcasts until a second past the moment it would rotate: it
	// rotates once its last message is a quarter of an interval old.
	stop := quiet + time.Second
	until := send(mesh.ModeTree, func(now time.Duration) bool { return now < stop })
	if until < stop+interval/4 || until > stop+interval/4+keep {
		t.Errorf("broadcasting until %v: rotated at %v, want within a maintenance after %v", stop, until, stop+interval/4)
	}
	// It broadcasts all the time: it rotates a whole interval late.
	always := send(mesh.ModeTree, func(time.Duration) bool { return true })
	if late := always - quiet; late < interval || late > interval+keep {
		t.Errorf("always broadcasting: rotated at %v, %v after the quiet node, want %v late (and the next maintenance)", always, late, interval)
	}
	floodQuiet := send(mesh.ModeFlood, func(time.Duration) bool { return false })
	if flood := send(mesh.ModeFlood, func(time.Duration) bool { return true }); flood != floodQuiet {
		t.Errorf("flooding, always broadcasting: rotated at %v, want %v as when quiet", flood, floodQuiet)
	}
}

// firstRotation runs a node with one link out (to node 2) and one in (from
// node 3), which every 10 ms while busy(now) gets a new message from its
// parent, or broadcasts one of its own (own), and returns when it first
// rotated.
func firstRotation(t *testing.T, mode mesh.Mode, interval time.Duration, busy func(now time.Duration) bool, own bool) time.Duration {
	t.Helper()
	cfg := mesh.DefaultConfig()
	cfg.Mode = mode
	cfg.RotateInterval = interval
	d, keepAlive := oneLinkOutOneIn(t, cfg)
	e := d.e
	// Node 4 has room: rotation has somewhere to go.
	d.apply(e.HandleBeacon(0, &mesh.Beacon{ID: 4, Instance: 400, Port: 9000, Load: mesh.Load{FreeIn: 5}}, hostAddr(4, 9000)))
	seq := uint64(0)
	at := time.Duration(-1)
	d.advance(3*interval, time.Millisecond, func(now time.Duration) {
		keepAlive(now)
		if busy(now) && now%(10*time.Millisecond) == 0 {
			if own {
				_, out, err := e.Broadcast(now, []byte{1})
				if err != nil {
					t.Fatal(err)
				}
				d.apply(out)
			} else {
				seq++
				m := mesh.Message{ID: mesh.MsgID{Origin: 7, Seq: seq}, Hops: 1, Payload: []byte{1}}
				d.apply(e.HandleFrame(now, inLink, &mesh.Frame{Type: mesh.FrameData, Msg: m}))
			}
		}
		if at < 0 && e.Stats().Rotations > 0 {
			at = now
		}
	})
	if at < 0 {
		t.Fatal("no rotation at all")
	}
	return at
}

// Rotation gives up, of the lazy outgoing links, one that carries the
// fewest senders' payloads: one closed under a sender's tree leaves the
// nodes below it to repair it, and that sender's next message reaches them
// late.
func TestRotationSparesLinksThatCarryPayloads(t *testing.T) {
	for seed := uint64(1); seed <= 16; seed++ {
		rotated, up, lost := rotateBesidePayloads(t, seed, false)
		if !rotated || !up {
			t.Fatalf("seed %d: no rotation: the test shows nothing", seed)
		}
		if lost {
			t.Errorf("seed %d: rotation gave up the link to 2, which carries origin 9's payloads, rather than the one to 3", seed)
		}
	}
}

// rotateBesidePayloads runs for 6 s a tree-mode node with 2 incoming and 2
// outgoing slots that rotates every 2 s: the root, 4, links in and is its
// parent; its lazy links out go to 2 and 3 (node 5 has room, so rotation
// has somewhere to go); origin 9's payloads come over the link to 2 every
// 500 ms, and when threeTakes, 3 takes them from this node (a Graft). It
// reports whether the node rotated, whether the links it judges were up
// (the link to 2, and the one to 3 too when threeTakes), and whether the
// link to 2 was lost after that.
func rotateBesidePayloads(t *testing.T, seed uint64, threeTakes bool) (rotated, up, lost bool) {
	t.Helper()
	cfg := treeConfig()
	cfg.Port = 9000
	cfg.MaxIn, cfg.MaxOut, cfg.MinLinks = 2, 2, 1
	cfg.RotateInterval = 2 * time.Second
	e, err := mesh.New(cfg, 10, 100, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	d := &engineDriver{e: e, timers: map[mesh.TimerKind]time.Duration{}}
	d.answer = func(now time.Duration, o mesh.Output) {
		peer := mesh.NodeID(o.Addr.Port - 9000)
		if peer != 2 && peer != 3 {
			d.apply(e.HandleDialFailed(now, o.Peer, o.Addr))
			return
		}
		d.apply(e.HandleLinkOpened(now, mesh.LinkID(peer), mesh.Outgoing, o.Peer, o.Addr))
		d.apply(e.HandleFrame(now, mesh.LinkID(peer), &mesh.Frame{Type: mesh.FrameWelcome, Hello: mesh.Hello{ID: peer, Instance: 1, Port: 9000 + uint16(peer), Load: mesh.Load{In: 1, FreeIn: 4}}}))
		if threeTakes && peer == 3 {
			d.apply(e.HandleFrame(now, 3, &mesh.Frame{Type: mesh.FrameGraft, IDs: []mesh.MsgID{{Origin: 9}}}))
		}
	}
	d.apply(e.Start(0))
	for _, p := range []uint16{2, 3} {
		d.apply(e.HandleBeacon(0, &mesh.Beacon{ID: mesh.NodeID(p), Instance: 1, Port: 9000 + p, Load: mesh.Load{FreeIn: 5}}, hostAddr(byte(p), 9000+p)))
	}
	d.apply(e.HandleLinkOpened(0, inLink, mesh.Incoming, 0, hostAddr(4, 0)))
	d.apply(e.HandleFrame(0, inLink, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 4, Instance: 1, Port: 9000, Load: mesh.Load{Out: 1, FreeIn: 4}}}))
	d.apply(e.HandleBeacon(0, &mesh.Beacon{ID: 5, Instance: 1, Port: 9000, Load: mesh.Load{FreeIn: 5}}, hostAddr(5, 9000)))
	seq := uint64(0)
	d.advance(6*time.Second, time.Millisecond, func(now time.Duration) {
		up = up || linked(e, 2) && (!threeTakes || linked(e, 3))
		lost = lost || up && !linked(e, 2)
		if now%(500*time.Millisecond) != 0 {
			return
		}
		d.apply(e.HandleFrame(now, inLink, &mesh.Frame{Type: mesh.FramePosition, Pos: mesh.Position{Root: 4, Round: uint32(now / time.Second), Rank: 0}, Load: mesh.Load{Out: 1, FreeIn: 4}}))
		for _, p := range []mesh.NodeID{2, 3} {
			if linked(e, p) {
				d.apply(e.HandleFrame(now, mesh.LinkID(p), &mesh.Frame{Type: mesh.FramePosition, Pos: mesh.Position{Root: 4, Round: uint32(now / time.Second), Rank: 2}, Load: mesh.Load{In: 1, FreeIn: 4}}))
			}
		}
		if linked(e, 2) { // origin 9's payloads come over the link to 2
			seq++
			d.apply(e.HandleFrame(now, 2, &mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 9, Seq: seq}, Hops: 2, Payload: []byte{1}}}))
		}
	})
	return e.Stats().Rotations > 0, up, lost
}
