package mesh_test

import (
	"testing"

	"p2pmesh/mesh"
)

// sends lists the frames of type ft in outs by link.
func sends(outs []mesh.Output, ft mesh.FrameType) map[mesh.LinkID][]mesh.Frame {
	m := map[mesh.LinkID][]mesh.Frame{}
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == ft {
			m[o.Link] = append(m[o.Link], o.Frame)
		}
	}
	return m
}

// originFrame reports whether f names origin (sequence 0) alone.
func originFrame(f []mesh.Frame, origin mesh.NodeID) bool {
	return len(f) == 1 && len(f[0].IDs) == 1 && f[0].IDs[0] == mesh.MsgID{Origin: origin}
}

// data delivers message seq of origin over link peer with the given hops.
func (n *treeNode) data(now mesh.Time, peer, origin mesh.NodeID, seq uint64, hops uint16) []mesh.Output {
	m := mesh.Message{ID: mesh.MsgID{Origin: origin, Seq: seq}, Hops: hops, Payload: []byte("m")}
	return copyOuts(n.e.HandleFrame(now, mesh.LinkID(peer), &mesh.Frame{Type: mesh.FrameData, Msg: m}))
}

// ihave announces message seq of origin over link peer with the given hops.
func (n *treeNode) ihave(now mesh.Time, peer, origin mesh.NodeID, seq uint64, hops uint16) []mesh.Output {
	a := mesh.Announcement{ID: mesh.MsgID{Origin: origin, Seq: seq}, Hops: hops}
	return copyOuts(n.e.HandleFrame(now, mesh.LinkID(peer), &mesh.Frame{Type: mesh.FrameIHave, IHave: []mesh.Announcement{a}}))
}

// An announcement of a message already received, with at least one hop
// fewer than the copy took, makes the announcer the source of that origin's
// payloads (a Graft naming the origin) and prunes the peer the copy came
// from, which then gets no more of them from this node either. One as long
// changes nothing.
func TestOriginShortcutGraftsAnnouncer(t *testing.T) {
	n := newTreeNode(t, 10, 2, 3, 4)
	n.position(2, 2, 2, 1, 0) // 2 is the root: this node's parent
	n.data(3, 2, 9, 1, 4)
	if outs := n.ihave(4, 3, 9, 1, 4); len(sends(outs, mesh.FrameGraft)) != 0 {
		t.Fatalf("an announcement as long as the copy grafted: %v", outs)
	}
	outs := n.ihave(5, 4, 9, 1, 2)
	if g := sends(outs, mesh.FrameGraft); len(g) != 1 || !originFrame(g[4], 9) {
		t.Fatalf("want a graft of origin 9 to link 4, got %v", g)
	}
	if p := sends(outs, mesh.FramePrune); !originFrame(p[2], 9) {
		t.Fatalf("want the old source (link 2) pruned for origin 9, got %v", p)
	}
	// The next message comes from 4: nothing of it goes back to 2.
	outs = n.data(2000, 4, 9, 2, 2)
	if d := sends(outs, mesh.FrameData); len(d[2]) != 0 {
		t.Fatalf("origin 9's payload went to its old source: %v", d)
	}
}

// A shortcut is passed on at once: the node announces its shorter path to
// its other neighbours (one entry per message and link: an announcement of
// the same message not sent yet takes the shorter count), so that theirs
// shorten within the same message.
func TestOriginShortcutIsReannounced(t *testing.T) {
	n := newTreeNode(t, 10, 2, 3, 4)
	n.position(2, 2, 2, 1, 0) // 2 is the root: this node's parent
	n.data(3, 2, 9, 1, 6)     // queues announcements (7 hops) for 3 and 4
	n.ihave(4, 3, 9, 1, 2)    // a shortcut through 3
	outs := copyOuts(n.e.HandleTimer(3+treeConfig().IHaveDelay, mesh.TimerIHave))
	ih := sends(outs, mesh.FrameIHave)
	for _, l := range []mesh.LinkID{2, 4} { // the old source too: it may gain
		if a := ih[l]; len(a) != 1 || len(a[0].IHave) != 1 || a[0].IHave[0].ID != (mesh.MsgID{Origin: 9, Seq: 1}) || a[0].IHave[0].Hops != 3 {
			t.Fatalf("want one announcement of 9#1 with 3 hops to link %d, got %v", l, ih)
		}
	}
	// Announced already: a later shortcut goes out in a new announcement,
	// to all but the new source.
	n.ihave(50_000_000, 4, 9, 1, 1)
	outs = copyOuts(n.e.HandleTimer(50_000_000+treeConfig().IHaveDelay, mesh.TimerIHave))
	ih = sends(outs, mesh.FrameIHave)
	if a, b := ih[2], ih[3]; len(a) != 1 || a[0].IHave[0].Hops != 2 || len(b) != 1 || b[0].IHave[0].Hops != 2 || len(ih[4]) != 0 {
		t.Fatalf("want 9#1 announced with 2 hops to links 2 and 3, got %v", ih)
	}
}

// A node's first message goes over every link: into every branch of the
// tree around it at once. Its later ones go over the tree, straight to the
// neighbours closer to the root than the node (which saves them the climb
// without making any path longer than the tree's), over links that came
// since its previous message, and over the links that kept asking for its
// payloads; the others get an announcement.
func TestOwnMessagesFirstToEveryNeighbourThenShallower(t *testing.T) {
	n := newTreeNode(t, 10, 2, 3, 4, 5)
	n.position(2, 2, 5, 1, 1) // this node's parent: it is at rank 2
	n.position(2, 3, 5, 1, 1) // shallower
	n.position(2, 4, 5, 1, 2) // as deep
	n.position(2, 5, 5, 1, 3) // deeper
	n.expect(5, 1, 2, 2)
	_, outs, err := n.e.Broadcast(3, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	d := sends(outs, mesh.FrameData)
	if len(d[2]) != 1 || len(d[3]) != 1 || len(d[4]) != 1 || len(d[5]) != 1 {
		t.Fatalf("first message: want data to every link, got %v", d)
	}
	// 4 had it sooner over the tree: it prunes this node for origin 10.
	n.e.HandleFrame(4, mesh.LinkID(4), &mesh.Frame{Type: mesh.FramePrune, IDs: []mesh.MsgID{{Origin: 10}}})
	_, outs, err = n.e.Broadcast(1000, []byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	d = sends(outs, mesh.FrameData)
	if len(d[2]) != 1 || len(d[3]) != 1 || len(d[4]) != 0 || len(d[5]) != 1 {
		t.Fatalf("second message: want data to links 2, 3 and 5 (not 4, which pruned it), got %v", d)
	}
	// Node 6 links (a rotation elsewhere), deeper than this node: it has no
	// path from this node yet, so the next message goes to it directly too,
	// and the one after only where the neighbours want it.
	n.link(1500, 6)
	n.position(1500, 6, 5, 1, 3)
	if _, outs, err = n.e.Broadcast(2000, []byte("c")); err != nil {
		t.Fatal(err)
	}
	if d = sends(outs, mesh.FrameData); len(d[6]) != 1 {
		t.Fatalf("third message: want data to the new link 6, got %v", d)
	}
	n.e.HandleFrame(2001, mesh.LinkID(6), &mesh.Frame{Type: mesh.FramePrune, IDs: []mesh.MsgID{{Origin: 10}}})
	if _, outs, err = n.e.Broadcast(3000, []byte("d")); err != nil {
		t.Fatal(err)
	}
	if d = sends(outs, mesh.FrameData); len(d[6]) != 0 {
		t.Fatalf("fourth message: link 6 pruned origin 10, got data %v", d)
	}
}

// A neighbour's first message that came straight from it, before the tree's
// copy: the tree's copy is a duplicate, and the node prunes its parent for
// that origin only. The parent stays its parent, and the tree link carries
// every other origin's payloads.
func TestDuplicateOfADirectCopyKeepsTheTree(t *testing.T) {
	n := newTreeNode(t, 10, 2, 3)
	n.position(2, 2, 5, 1, 1) // the parent
	n.position(2, 3, 5, 1, 3) // a sender off the tree
	n.expect(5, 1, 2, 2)
	n.data(3, 3, 3, 1, 1) // 3's first message, straight from 3
	outs := n.data(4, 2, 3, 1, 4)
	p := sends(outs, mesh.FramePrune)
	if len(p) != 1 || !originFrame(p[2], 3) {
		t.Fatalf("want the parent pruned for origin 3 only, got %v", p)
	}
	if g, pr := treeMoves(outs); len(g) != 0 || len(pr) != 1 {
		t.Fatalf("tree moves %v %v", g, pr)
	}
	n.expect(5, 1, 2, 2)
	// Another origin's message from the parent still goes on as before.
	if outs := n.data(5, 2, 7, 1, 3); len(sends(outs, mesh.FramePrune)) != 0 {
		t.Fatalf("another origin's message was pruned: %v", outs)
	}
}

// Once a node has received an origin's message, an announcement of that
// origin's next one means its copy is late (the origin's tree broke
// upstream): it asks after IHaveDelay/2, not GraftTimeout. When the link
// its copies came over closes, it asks the announcer of the last message
// with the fewest hops (not more than its own plus one) to push them.
func TestOriginRepairs(t *testing.T) {
	cfg := treeConfig()
	n := newTreeNode(t, 10, 2, 3, 4)
	n.data(3, 2, 9, 1, 3)
	outs := n.ihave(4, 3, 9, 2, 3)
	var at mesh.Time
	for _, o := range outs {
		if o.Kind == mesh.OutTimer && o.Timer == mesh.TimerGraft {
			at = o.At
		}
	}
	if at != 4+cfg.IHaveDelay/2 {
		t.Fatalf("graft timer at %v, want %v", at, 4+cfg.IHaveDelay/2)
	}
	g := sends(n.e.HandleTimer(at, mesh.TimerGraft), mesh.FrameGraft)
	if len(g[3]) != 1 || g[3][0].IDs[0] != (mesh.MsgID{Origin: 9, Seq: 2}) {
		t.Fatalf("want a fetch of 9#2 from link 3 (the source, link 2, still up), got %v", g)
	}

	// A new message from 2; 4 announces it as long, 3 longer.
	n.data(1000, 2, 9, 3, 3)
	n.ihave(1001, 3, 9, 3, 5)
	n.ihave(1002, 4, 9, 3, 4)
	g = sends(n.e.HandleLinkClosed(1003, 2), mesh.FrameGraft)
	if len(g) != 1 || !originFrame(g[4], 9) {
		t.Fatalf("source lost: want a graft of origin 9 to link 4, got %v", g)
	}
}

// A node that loses its source of an origin, and heard of no other path as
// short, takes the origin's payloads from its tree parent — but not from a
// parent that takes them from this node: that Graft would close a cycle
// that no payload enters, and the parent, the node and all below them would
// fetch the origin's next message late. Such a parent is told instead that
// this node lost its way (askBelow): the same Graft, which the parent, whose
// source this node is, takes for that news (TestSourceThatLostItsWay).
func TestLostSourceSparesAParentBelowIt(t *testing.T) {
	for _, parentPruned := range []bool{false, true} {
		n := newTreeNode(t, 10, 2, 3)
		n.position(2, 3, 3, 1, 0) // 3 is the root: this node's parent
		n.expect(3, 1, 1, 3)
		if d := sends(n.data(3, 2, 9, 1, 2), mesh.FrameData); len(d[3]) != 1 {
			t.Fatalf("origin 9's first message not pushed to the parent: %v", d)
		}
		if parentPruned { // the parent had it from elsewhere first
			n.e.HandleFrame(4, 3, &mesh.Frame{Type: mesh.FramePrune, IDs: []mesh.MsgID{{Origin: 9}}})
		}
		g := sends(n.e.HandleLinkClosed(5, 2), mesh.FrameGraft)
		if !originFrame(g[3], 9) {
			t.Errorf("parent pruned origin 9: %v; source lost: want a graft of origin 9 to the parent, got %v", parentPruned, g)
		}
		// Taken for the parent's source: the next message goes to it.
		if d := sends(n.data(1000, 3, 9, 2, 3), mesh.FrameData); len(d[3]) != 0 {
			t.Errorf("origin 9's payload went back to the peer it came from: %v", d)
		}
	}
}

// A node that loses its source of an origin and finds no other (no
// announcer as short, no parent that is not below it) tells the peers that
// take that origin's payloads from it: a Graft naming the origin to each.
// Before, it told nobody, and the whole subtree that hung below the lost
// link fetched the origin's next message (tree-burst-100, seed 6: 21
// nodes, 42-73 ms late).
func TestLostSourceAsksBelow(t *testing.T) {
	n := newTreeNode(t, 10, 2, 3, 4)
	for _, c := range []mesh.NodeID{3, 4} { // they take origin 9 from this node
		n.e.HandleFrame(2, mesh.LinkID(c), &mesh.Frame{Type: mesh.FrameGraft, IDs: []mesh.MsgID{{Origin: 9}}})
	}
	if d := sends(n.data(3, 2, 9, 1, 1), mesh.FrameData); len(d[3]) != 1 || len(d[4]) != 1 {
		t.Fatalf("origin 9's payload not pushed to links 3 and 4: %v", d)
	}
	g := sends(n.e.HandleLinkClosed(5, 2), mesh.FrameGraft)
	if len(g) != 2 || !originFrame(g[3], 9) || !originFrame(g[4], 9) {
		t.Fatalf("source lost, none other: want a graft of origin 9 to links 3 and 4, got %v", g)
	}
}

// A Graft naming an origin from the node's own source of it says that the
// source lost its way to the origin (TestLostSourceAsksBelow). The node
// grafts the announcer of the origin's latest message that was closer to
// the origin than the source (so not below it), and pushes what comes to
// the old source too. With no such announcer (one as far as the node
// itself could be below the source) it passes the news on to the peers
// that take the origin's payloads from it.
func TestSourceThatLostItsWay(t *testing.T) {
	for _, feasible := range []bool{true, false} {
		n := newTreeNode(t, 10, 2, 3, 4)
		n.e.HandleFrame(2, 4, &mesh.Frame{Type: mesh.FrameGraft, IDs: []mesh.MsgID{{Origin: 9}}})
		n.data(3, 2, 9, 1, 3) // from its source, 2: 3 hops
		hops := uint16(4)     // as far as this node: a sibling, maybe
		if feasible {
			hops = 3 // as close as the source
		}
		n.ihave(4, 3, 9, 1, hops)
		g := sends(n.e.HandleFrame(5, 2, &mesh.Frame{Type: mesh.FrameGraft, IDs: []mesh.MsgID{{Origin: 9}}}), mesh.FrameGraft)
		want := mesh.LinkID(4) // passed on below
		if feasible {
			want = 3 // the announcer
		}
		if len(g) != 1 || !originFrame(g[want], 9) {
			t.Fatalf("announcer at %d hops: want a graft of origin 9 to link %d only, got %v", hops, want, g)
		}
		if !feasible {
			continue
		}
		d := sends(n.data(1000, 3, 9, 2, 3), mesh.FrameData)
		if len(d[2]) != 1 || len(d[4]) != 1 {
			t.Fatalf("origin 9's next message: want it pushed to the old source (2) and below (4), got %v", d)
		}
	}
}

// A message fetched from an announcer while the node's source of its
// origin is still linked: the source is late (its own path broke), the
// announcer had it in time. The announcer becomes the source (a Graft
// naming the origin). Before, the source stayed, its late copy then pruned
// it as a duplicate, and the node had no source left: it fetched the
// origin's next message too.
func TestFetchedCopyMakesItsPeerTheSource(t *testing.T) {
	cfg := treeConfig()
	n := newTreeNode(t, 10, 2, 3)
	n.data(3, 2, 9, 1, 3)                                   // from its source, 2
	n.ihave(1000, 3, 9, 2, 3)                               // 9#2 has not come from 2
	n.e.HandleTimer(1000+cfg.IHaveDelay/2, mesh.TimerGraft) // fetched from 3
	g := sends(n.data(1030, 3, 9, 2, 3), mesh.FrameGraft)
	if len(g) != 1 || !originFrame(g[3], 9) {
		t.Fatalf("fetched copy: want a graft of origin 9 to link 3, got %v", g)
	}
	if p := sends(n.data(1040, 2, 9, 2, 5), mesh.FramePrune); !namesOrigin(p[2], 9) {
		t.Fatalf("the late copy: want its sender pruned for origin 9, got %v", p)
	}
}

// namesOrigin reports whether one of frames names origin (sequence 0) alone.
func namesOrigin(frames []mesh.Frame, origin mesh.NodeID) bool {
	for _, f := range frames {
		if originFrame([]mesh.Frame{f}, origin) {
			return true
		}
	}
	return false
}

// An announcement that comes before the message's first copy names a path
// to its origin too: once the copy is in, one with at least a hop fewer
// than the copy took is a shortcut, as if it had come after it (the
// announcer is grafted for the origin, the copy's sender pruned). Before,
// such announcements were dropped, and in tree-burst-100 15% of the nodes
// were a hop farther from each sender in its second round than in its
// third.
func TestAnnouncementBeforeTheCopyIsAShortcut(t *testing.T) {
	n := newTreeNode(t, 10, 2, 3, 4)
	n.ihave(3, 4, 9, 1, 4) // as long as the copy will be
	n.ihave(4, 3, 9, 1, 2) // shorter
	outs := n.data(5, 2, 9, 1, 4)
	if g := sends(outs, mesh.FrameGraft); len(g) != 1 || !originFrame(g[3], 9) {
		t.Fatalf("want a graft of origin 9 to link 3 (the shorter announcer), got %v", g)
	}
	if p := sends(outs, mesh.FramePrune); !namesOrigin(p[2], 9) {
		t.Fatalf("want the copy's sender (link 2) pruned for origin 9, got %v", p)
	}
	// 3 is the source: the next message goes on to 2 and 4, not back.
	d := sends(n.data(1000, 3, 9, 2, 2), mesh.FrameData)
	if len(d[3]) != 0 {
		t.Fatalf("origin 9's payload went back to its source: %v", d)
	}
}

// Rotation gives up a link to a peer that takes an origin's payloads from
// this node before the link they come over: closing the source's link
// leaves this node, and everything it passes them on to, to repair the
// origin's tree (tree-single-1000, seed 20: a node 3 hops from the sender
// rotated its source's link away while 9 peers took the payloads from it;
// the sender's next message reached their subtrees from their far edges,
// 12 hops deep).
func TestRotationSparesTheLinkAnOriginComesOver(t *testing.T) {
	for seed := uint64(1); seed <= 16; seed++ {
		rotated, up, lost := rotateBesidePayloads(t, seed, true)
		if !rotated || !up {
			t.Fatalf("seed %d: no rotation with both links up: the test shows nothing", seed)
		}
		if lost {
			t.Errorf("seed %d: rotation gave up the link to 2, over which origin 9's payloads come, rather than the one to 3, which takes them from this node", seed)
		}
	}
}
