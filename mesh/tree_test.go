package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

func treeConfig() mesh.Config {
	cfg := mesh.DefaultConfig()
	cfg.Mode = mesh.ModeTree
	return cfg
}

// staggeredLAN starts n nodes over the given period.
func staggeredLAN(t testing.TB, seed uint64, n int, cfg mesh.Config, over time.Duration) *sim.Sim {
	t.Helper()
	s, err := sim.New(seed, sim.DefaultNetwork())
	if err != nil {
		t.Fatal(err)
	}
	seg := s.AddSegment("lan")
	for i := 0; i < n; i++ {
		idx, err := s.AddNode("n", "", cfg, seg)
		if err != nil {
			t.Fatal(err)
		}
		s.Start(idx, over*time.Duration(i)/time.Duration(n))
	}
	return s
}

// stillLAN starts n tree-mode nodes over the given period, without
// rotation, and runs until settle.
func stillLAN(t testing.TB, seed uint64, n int, over, settle time.Duration) *sim.Sim {
	t.Helper()
	cfg := treeConfig()
	cfg.RotateInterval = 0
	s := staggeredLAN(t, seed, n, cfg, over)
	s.RunFor(settle)
	return s
}

// A settled tree carries every broadcast over each node exactly once,
// whoever sends, and however many send at once: the tree has no cycle, so
// RMR is 0, and the deepest delivery is at most twice the tree's depth.
func TestTreeBroadcastCrossesEachLinkOnce(t *testing.T) {
	s := stillLAN(t, 21, 200, 5*time.Second, 20*time.Second)
	_, depth := checkTree(t, s)
	for _, from := range []sim.NodeIndex{0, 57, 199} {
		r := broadcastAndCheck(t, s, from)
		if r.RMR != 0 || r.LDH > 2*depth {
			t.Fatalf("broadcast from %d: RMR %.3f, last hop %d (tree depth %d)", from, r.RMR, r.LDH, depth)
		}
	}
	// Every node at once.
	before := len(s.Broadcasts())
	for i := 0; i < s.NodeCount(); i++ {
		if _, err := s.Broadcast(sim.NodeIndex(i), 100); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(5 * time.Second)
	for _, r := range s.Broadcasts()[before:] {
		if r.Reliability != 1 || r.RMR != 0 || r.LDH > 2*depth {
			t.Fatalf("burst: broadcast from %d reached %d of %d, RMR %.3f, last hop %d", r.Origin, r.Delivered, r.Alive, r.RMR, r.LDH)
		}
	}
	if d := s.DuplicateDeliveries(); d != 0 {
		t.Fatalf("%d duplicate deliveries", d)
	}
	checkTree(t, s)
}

// A node that hears of a message over a lazy link but does not receive it
// over the tree asks the announcer for it (a Graft naming the message) and,
// should that fail, the next announcer half a timeout later. Fetching does
// not change the tree.
func TestTreeGraftFetchesMissingMessage(t *testing.T) {
	cfg := treeConfig()
	cfg.Port = 9000
	e := newEngineOrFail(t, cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	e.Start(0)
	for _, lp := range []struct {
		link mesh.LinkID
		peer mesh.NodeID
	}{{5, 2}, {6, 3}} {
		e.HandleLinkOpened(0, lp.link, mesh.Incoming, 0, mesh.Addr{Port: uint16(lp.peer)})
		e.HandleFrame(1, lp.link, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: lp.peer, Instance: 1, Port: uint16(lp.peer), Load: mesh.Load{FreeIn: 3}}})
	}
	id := mesh.MsgID{Origin: 9, Seq: 1}
	outs := e.HandleFrame(3, 5, &mesh.Frame{Type: mesh.FrameIHave, IHave: []mesh.Announcement{{ID: id, Hops: 2}}})
	e.HandleFrame(4, 6, &mesh.Frame{Type: mesh.FrameIHave, IHave: []mesh.Announcement{{ID: id, Hops: 2}}})
	var at mesh.Time
	for _, o := range outs {
		if o.Kind == mesh.OutTimer && o.Timer == mesh.TimerGraft {
			at = o.At
		}
	}
	if at != 3+cfg.GraftTimeout {
		t.Fatalf("graft timer at %v, want %v", at, 3+cfg.GraftTimeout)
	}
	outs = copyOuts(e.HandleTimer(at, mesh.TimerGraft))
	graft := sendOf(t, outs, mesh.FrameGraft)
	if len(graft.IDs) != 1 || graft.IDs[0] != id || countGrafts(outs, true) != 0 {
		t.Fatalf("want one fetch of %v and no tree graft, got %v", id, outs)
	}
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Link != 5 {
			t.Fatalf("asked the second announcer first: %v", outs)
		}
	}
	// No answer: the second announcer is asked half a timeout later.
	outs = copyOuts(e.HandleTimer(at+cfg.GraftTimeout/2, mesh.TimerGraft))
	if countGrafts(outs, false) != 1 || outs[0].Link != 6 {
		t.Fatalf("second announcer not asked: %v", outs)
	}
	outs = e.HandleFrame(at+cfg.GraftTimeout/2+1, 6, &mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: id, Hops: 2, Payload: []byte("x")}})
	if countKind(outs, mesh.OutDeliver) != 1 {
		t.Fatalf("fetched message not delivered: %v", outs)
	}
	// Nothing is missing any more: the timer finds nothing to ask for.
	if n := countKind(e.HandleTimer(at+cfg.GraftTimeout, mesh.TimerGraft), mesh.OutSend); n != 0 {
		t.Fatalf("%d frames sent for a message already received", n)
	}
	if e.Stats().Grafts != 2 {
		t.Fatalf("grafts = %d, want 2", e.Stats().Grafts)
	}
	for _, l := range e.Links(nil) {
		if l.Tree {
			t.Fatalf("fetching put link %v on the tree", l.Link)
		}
	}
}

// Links start off the tree. A Graft without ids makes the sender a child:
// later messages are pushed to it. A Graft naming a message is answered
// with the cached payload. A copy of a message already seen that arrives
// over a link off the tree is answered with a Prune, and a Prune takes the
// link off the tree again.
func TestTreeGraftsPrunesAndAnswers(t *testing.T) {
	cfg := treeConfig()
	cfg.Port = 9000
	e := newEngineOrFail(t, cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	e.Start(0)
	for link, peer := range map[mesh.LinkID]mesh.NodeID{5: 2, 6: 3} {
		e.HandleLinkOpened(0, link, mesh.Incoming, 0, mesh.Addr{Port: uint16(peer)})
		outs := e.HandleFrame(1, link, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: peer, Instance: 1, Port: uint16(peer), Load: mesh.Load{FreeIn: 3}}})
		sendOf(t, outs, mesh.FramePosition) // the node tells where it stands
	}
	pushedTo := func(outs []mesh.Output) map[mesh.LinkID]mesh.FrameType {
		m := map[mesh.LinkID]mesh.FrameType{}
		for _, o := range outs {
			if o.Kind == mesh.OutSend && (o.Frame.Type == mesh.FrameData || o.Frame.Type == mesh.FrameIHave) {
				m[o.Link] = o.Frame.Type
			}
		}
		return m
	}
	_, outs, _ := e.Broadcast(2, []byte("a"))
	if len(pushedTo(outs)) != 0 {
		t.Fatalf("payload pushed over links off the tree: %v", outs)
	}
	now := 2 + cfg.IHaveDelay
	e.HandleTimer(now, mesh.TimerIHave)

	// Peer 2 takes this node as its parent.
	e.HandleFrame(now+1, 5, &mesh.Frame{Type: mesh.FrameGraft})
	_, outs, _ = e.Broadcast(now+2, []byte("b"))
	outs = append(copyOuts(outs), e.HandleTimer(now+2+cfg.IHaveDelay, mesh.TimerIHave)...)
	now += 2 + cfg.IHaveDelay
	if got := pushedTo(outs); got[5] != mesh.FrameData || got[6] != mesh.FrameIHave {
		t.Fatalf("after a graft: want data on link 5 and an announcement on link 6, got %v", got)
	}

	// A graft naming a message is answered with the payload.
	id := mesh.MsgID{Origin: 9, Seq: 1}
	msg := mesh.Message{ID: id, Hops: 1, Payload: []byte("x")}
	e.HandleFrame(now+1, 5, &mesh.Frame{Type: mesh.FrameData, Msg: msg})
	data := sendOf(t, e.HandleFrame(now+2, 6, &mesh.Frame{Type: mesh.FrameGraft, IDs: []mesh.MsgID{id}}), mesh.FrameData)
	if data.Msg.ID != id || data.Msg.Hops != 2 {
		t.Fatalf("graft answered with %+v", data.Msg)
	}
	// A duplicate over link 6, off the tree: the sender is told.
	sendOf(t, e.HandleFrame(now+3, 6, &mesh.Frame{Type: mesh.FrameData, Msg: msg}), mesh.FramePrune)
	// A duplicate over a tree link is a passing effect: no prune.
	if n := countKind(e.HandleFrame(now+4, 5, &mesh.Frame{Type: mesh.FrameData, Msg: msg}), mesh.OutSend); n != 0 {
		t.Fatalf("a duplicate over a tree link sent %d frames", n)
	}

	// Peer 2 leaves this node for another parent.
	e.HandleFrame(now+5, 5, &mesh.Frame{Type: mesh.FramePrune})
	_, outs, _ = e.Broadcast(now+6, []byte("c"))
	if len(pushedTo(outs)) != 0 {
		t.Fatalf("payload pushed after the prune: %v", outs)
	}
}

// When nodes crash, messages sent at once still reach every survivor
// (announcements and fetches route around the holes), and the tree grows
// back: one root, shortest paths, no cycle, and broadcasts again cross each
// node once.
func TestTreeRepairsAfterFailures(t *testing.T) {
	s := staggeredLAN(t, 22, 150, treeConfig(), 3*time.Second)
	s.RunFor(15 * time.Second)
	for k := 0; k < 3; k++ {
		broadcastAndCheck(t, s, 0)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, i := range rng.Perm(149)[:45] {
		s.Kill(sim.NodeIndex(i+1), false)
	}
	// Broadcast right away, while dead links are still on the tree.
	id, err := s.Broadcast(0, 64)
	if err != nil {
		t.Fatal(err)
	}
	s.RunFor(10 * time.Second)
	missed := 0
	for i := 1; i < s.NodeCount(); i++ {
		if s.Engine(sim.NodeIndex(i)) != nil && !s.Delivered(id, sim.NodeIndex(i)) {
			missed++
		}
	}
	var grafts uint64
	for i := 0; i < s.NodeCount(); i++ {
		if e := s.Engine(sim.NodeIndex(i)); e != nil {
			grafts += e.Stats().Grafts
		}
	}
	t.Logf("broadcast right after the failure: %d survivors missed it, %d fetches", missed, grafts)
	if missed != 0 {
		t.Fatalf("%d survivors missed a broadcast sent right after the failure", missed)
	}
	if grafts == 0 {
		t.Fatal("nothing was fetched: the tree cannot have been intact")
	}
	settledTree(t, s, 5*time.Second) // rotation keeps changing links
	for k := 0; k < 3; k++ {
		if r := broadcastAndCheck(t, s, 0); r.RMR != 0 {
			t.Fatalf("RMR %.3f after the repair", r.RMR)
		}
	}
}

// countGrafts counts Graft frames in outs: those that put the link on the
// tree (no ids) when join is set, fetches otherwise.
func countGrafts(outs []mesh.Output, join bool) int {
	n := 0
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameGraft && (len(o.Frame.IDs) == 0) == join {
			n++
		}
	}
	return n
}

// Rotation keeps replacing links under the tree (here every 5 s per node,
// six times the default pace): positions follow, and messages keep reaching
// everybody, still about once per node.
func TestTreeFollowsRotation(t *testing.T) {
	cfg := treeConfig()
	cfg.RotateInterval = 5 * time.Second
	s := staggeredLAN(t, 23, 100, cfg, 2*time.Second)
	s.RunFor(10 * time.Second)
	rng := rand.New(rand.NewPCG(7, 8))
	before := len(s.Broadcasts())
	for k := 0; k < 100; k++ {
		if _, err := s.Broadcast(sim.NodeIndex(rng.IntN(100)), 100); err != nil {
			t.Fatal(err)
		}
		s.RunFor(500 * time.Millisecond)
	}
	s.RunFor(5 * time.Second)
	var rmr float64
	var rotations uint64
	for _, r := range s.Broadcasts()[before:] {
		if r.Reliability != 1 {
			t.Fatalf("broadcast from %d reached %d of %d", r.Origin, r.Delivered, r.Alive)
		}
		rmr += r.RMR / 100
	}
	for i := 0; i < s.NodeCount(); i++ {
		rotations += s.Engine(sim.NodeIndex(i)).Stats().Rotations
	}
	t.Logf("%d rotations, RMR mean %.4f", rotations, rmr)
	if rmr > 0.02 {
		t.Fatalf("RMR mean %.3f under rotation", rmr)
	}
	settledTree(t, s, 5*time.Second)
}
