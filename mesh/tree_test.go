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

// Once the tree has formed, a broadcast crosses every node exactly once:
// duplicates prune cycles away, so RMR falls to (nearly) zero while
// reliability stays 1. Even the first broadcast costs far less than a flood,
// since only each node's first links start on the tree. (Rotation is off so
// that the overlay under the tree stays still.)
func TestTreePrunesToASpanningTree(t *testing.T) {
	cfg := treeConfig()
	cfg.RotateInterval = 0
	s := staggeredLAN(t, 21, 200, cfg, 5*time.Second)
	s.RunFor(20 * time.Second)
	var first, last sim.BroadcastResult
	for k := 0; k < 10; k++ {
		r := broadcastAndCheck(t, s, 0)
		if k == 0 {
			first = r
		}
		last = r
	}
	t.Logf("first broadcast RMR %.2f, tenth %.3f (LDH %d)", first.RMR, last.RMR, last.LDH)
	if first.RMR > 4 {
		t.Fatalf("first broadcast RMR %.2f: the initial tree is too dense", first.RMR)
	}
	if last.RMR > 0.05 {
		t.Fatalf("RMR still %.3f after 10 broadcasts", last.RMR)
	}
	var prunes uint64
	for i := 0; i < s.NodeCount(); i++ {
		prunes += s.Engine(sim.NodeIndex(i)).Stats().Prunes
	}
	if prunes == 0 {
		t.Fatal("no link was pruned")
	}
}

// A node that hears of a message over a lazy link but does not receive it
// over the tree grafts: it asks the announcer, which sends the payload and
// puts the link back on the tree.
func TestTreeGraftFetchesMissingMessage(t *testing.T) {
	cfg := treeConfig()
	cfg.Port = 9000
	e, _ := mesh.New(cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	e.Start(0)
	e.HandleLinkOpened(0, 5, mesh.Incoming, 0, mesh.Addr{Port: 1})
	e.HandleFrame(1, 5, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 2, Instance: 1, Port: 1, Load: mesh.Load{FreeIn: 3}}})
	// The peer takes the link off its tree, then announces a message.
	e.HandleFrame(2, 5, &mesh.Frame{Type: mesh.FramePrune})
	id := mesh.MsgID{Origin: 9, Seq: 1}
	outs := e.HandleFrame(3, 5, &mesh.Frame{Type: mesh.FrameIHave, IHave: []mesh.Announcement{{ID: id, Hops: 2}}})
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
	if len(graft.IDs) != 1 || graft.IDs[0] != id {
		t.Fatalf("graft for %v, want %v", graft.IDs, id)
	}
	// The node had no link on the tree: this one joins it.
	if countGrafts(outs, true) != 1 {
		t.Fatalf("no Graft putting the link back on the tree: %v", outs)
	}
	outs = e.HandleFrame(at+1, 5, &mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: id, Hops: 2, Payload: []byte("x")}})
	if countKind(outs, mesh.OutDeliver) != 1 {
		t.Fatalf("grafted message not delivered: %v", outs)
	}
	// Nothing is missing any more: the timer finds nothing to ask for.
	if n := countKind(e.HandleTimer(at+cfg.GraftTimeout, mesh.TimerGraft), mesh.OutSend); n != 0 {
		t.Fatalf("%d frames sent for a message already received", n)
	}
	if e.Stats().Grafts != 1 {
		t.Fatalf("grafts = %d", e.Stats().Grafts)
	}
}

// A graft is answered with the cached message, and a duplicate prunes.
func TestTreeAnswersGraftAndPrunesDuplicates(t *testing.T) {
	cfg := treeConfig()
	cfg.Port = 9000
	cfg.MinLinks = 2 // both links start on the tree
	e, _ := mesh.New(cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	e.Start(0)
	for link, peer := range map[mesh.LinkID]mesh.NodeID{5: 2, 6: 3} {
		e.HandleLinkOpened(0, link, mesh.Incoming, 0, mesh.Addr{Port: uint16(peer)})
		e.HandleFrame(1, link, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: peer, Instance: 1, Port: uint16(peer), Load: mesh.Load{FreeIn: 3}}})
	}
	id := mesh.MsgID{Origin: 9, Seq: 1}
	msg := mesh.Message{ID: id, Hops: 1, Payload: []byte("x")}
	e.HandleFrame(2, 5, &mesh.Frame{Type: mesh.FrameData, Msg: msg})
	// The same message over the other link: redundant, so that link leaves
	// the tree.
	sendOf(t, e.HandleFrame(3, 6, &mesh.Frame{Type: mesh.FrameData, Msg: msg}), mesh.FramePrune)
	// The pruned peer later asks for it: it gets the payload.
	data := sendOf(t, e.HandleFrame(4, 6, &mesh.Frame{Type: mesh.FrameGraft, IDs: []mesh.MsgID{id}}), mesh.FrameData)
	if data.Msg.ID != id || data.Msg.Hops != 2 {
		t.Fatalf("graft answered with %+v", data.Msg)
	}
}

// When tree links die, announcements and grafts repair the tree: after 30%
// of the nodes crash, broadcasts again reach every survivor.
func TestTreeRepairsAfterFailures(t *testing.T) {
	s := staggeredLAN(t, 22, 150, treeConfig(), 3*time.Second)
	s.RunFor(15 * time.Second)
	for k := 0; k < 5; k++ {
		broadcastAndCheck(t, s, 0)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, i := range rng.Perm(149)[:45] {
		s.Kill(sim.NodeIndex(i+1), false)
	}
	// Broadcast right away, while dead links are still on the tree: lazy
	// announcements and grafts must route around them.
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
	t.Logf("broadcast right after the failure: %d survivors missed it, %d grafts", missed, grafts)
	if missed != 0 {
		t.Fatalf("%d survivors missed a broadcast sent right after the failure", missed)
	}
	if grafts == 0 {
		t.Fatal("no graft repaired the tree")
	}
	for k := 0; k < 5; k++ {
		broadcastAndCheck(t, s, 0)
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

// A node that is well on the tree fetches a missing message without putting
// the announcer's link on the tree.
func TestTreeWellAttachedNodeOnlyFetches(t *testing.T) {
	cfg := treeConfig()
	cfg.Port = 9000
	cfg.MinLinks = 3
	e, _ := mesh.New(cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	e.Start(0)
	for _, lp := range []struct {
		link mesh.LinkID
		peer mesh.NodeID
	}{{5, 2}, {6, 3}, {7, 4}} { // 5 and 6 join the tree, 7 does not
		link, peer := lp.link, lp.peer
		e.HandleLinkOpened(0, link, mesh.Incoming, 0, mesh.Addr{Port: uint16(peer)})
		e.HandleFrame(1, link, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: peer, Instance: 1, Port: uint16(peer), Load: mesh.Load{FreeIn: 3}}})
	}
	id := mesh.MsgID{Origin: 9, Seq: 1}
	e.HandleFrame(3, 7, &mesh.Frame{Type: mesh.FrameIHave, IHave: []mesh.Announcement{{ID: id, Hops: 2}}})
	outs := copyOuts(e.HandleTimer(3+cfg.GraftTimeout, mesh.TimerGraft))
	if countGrafts(outs, false) != 1 || countGrafts(outs, true) != 0 {
		t.Fatalf("want one fetch and no tree graft, got %v", outs)
	}
	// Asked later for that message, the announcer's side sends it without
	// putting the link on its tree: a later message goes to link 7 as an
	// announcement only.
	data := mesh.Message{ID: id, Hops: 2, Payload: []byte("x")}
	e.HandleFrame(4, 5, &mesh.Frame{Type: mesh.FrameData, Msg: data})
	sendOf(t, e.HandleFrame(5, 7, &mesh.Frame{Type: mesh.FrameGraft, IDs: []mesh.MsgID{id}}), mesh.FrameData)
	_, bouts, err := e.Broadcast(6, []byte("y"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range bouts {
		if o.Kind == mesh.OutSend && o.Link == 5 && o.Frame.Type != mesh.FrameData {
			t.Fatalf("link 5 is no longer on the tree: %v", bouts)
		}
	}
	for _, o := range bouts {
		if o.Kind == mesh.OutSend && o.Link == 7 && o.Frame.Type == mesh.FrameData {
			t.Fatal("a fetch put the link on the tree")
		}
	}
}
