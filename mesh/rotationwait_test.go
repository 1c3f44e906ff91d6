package mesh_test

import (
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
	// firstRotation runs a tree-mode node with one link out (to node 2) and
	// one in (from node 3), which sends it a new message every 10 ms while
	// busy(now), and returns when it first rotated.
	firstRotation := func(busy func(now time.Duration) bool) time.Duration {
		cfg := mesh.DefaultConfig()
		cfg.Mode = mesh.ModeTree
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
				seq++
				m := mesh.Message{ID: mesh.MsgID{Origin: 7, Seq: seq}, Hops: 1, Payload: []byte{1}}
				d.apply(e.HandleFrame(now, inLink, &mesh.Frame{Type: mesh.FrameData, Msg: m}))
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
	quiet := firstRotation(func(time.Duration) bool { return false })
	// Messages pass through the node around the moment it would rotate: it
	// rotates at its next maintenance, a KeepaliveInterval later.
	around := firstRotation(func(now time.Duration) bool {
		return now > quiet-100*time.Millisecond && now < quiet+20*time.Millisecond
	})
	if keep := mesh.DefaultConfig().KeepaliveInterval; around != quiet+keep {
		t.Errorf("busy around %v: rotated at %v, want %v (the next maintenance)", quiet, around, quiet+keep)
	}
	// Messages pass through it all the time: it rotates all the same, at
	// most a quarter of an interval late (and the next maintenance).
	always := firstRotation(func(time.Duration) bool { return true })
	if late := always - quiet; late <= 0 || late > interval/4+mesh.DefaultConfig().KeepaliveInterval {
		t.Errorf("always busy: rotated at %v, %v after the quiet node", always, late)
	}
}
