package mesh_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/internal/longtest"
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

// A settled tree carries a sender's first broadcast along the shared tree
// and straight to the sender's neighbours closer to the root, whose copies
// meet the tree's once or twice each: a few redundant payloads (RMR at most
// 0.1 with 200 nodes), the deepest delivery at most twice the tree's depth. From then
// on the sender's messages follow its own tree (treeorigins.go): each node
// gets one copy (RMR 0), however many send at once, and within a few
// messages over a shortest path from the sender.
//
// Links still come now and then without rotation (nodes filling free
// slots: 0 to 15 in each 5 s on these 200 nodes 15-25 s after they
// started, seeds 21-80, and a few a minute later). So:
//
//   - The test begins on a tree that holds still (quietTree: a shortest-path
//     tree and no parent change for three rounds). A link that brings a node
//     closer to the root moves it to a new parent, and for the few
//     milliseconds its Graft and Prune travel the tree is out of shape: at
//     seeds 37 and 60 a link came 10 ms before an instant check at 20 s
//     (the seed window was moved to dodge them).
//   - A later broadcast meets at most one copy for each link that came since
//     the sender's previous broadcast began, which the sender's tree has not
//     learnt yet, plus two (at seed 33 a fourth broadcast met 4 copies, RMR
//     0.020, after 9 links came; at seed 31, with centre_root on, the second
//     met 3 after 3 links came in the first's five seconds).
//   - The sender's tree is learnt from its messages, so a link that came
//     after its previous message passed shortens a path the tree does not
//     know yet (seed 70: 76-94 came 0.4 s after the third message from 199
//     and made it 5 hops from everybody; the fourth reached 76 in 6, over
//     the path of the third, and 76 learnt of the shortcut from 94's
//     announcement). The fourth's last hop is judged against the largest
//     eccentricity (gonum's shortest paths) from the third's start to the
//     fourth's end.
//   - The second burst of every node at once meets, per broadcast, at most
//     one copy for each link that came since the first burst began.
//
// So judged, every seed of 21-80 passes, and the long suite runs them all
// (about 0.6 CPU-s a seed). Before, the seed window moved three sessions
// running (21-34, 25-36, 26-37, 38-49) as changes moved the overlay's draws
// and 2 or 3 seeds of 21-80 failed the checks above.
func TestTreeBroadcastCrossesEachLinkOnce(t *testing.T) {
	t.Parallel()
	crossesEachLinkOnce(t, 28)
}

func TestTreeBroadcastCrossesEachLinkOnceOnManySeeds(t *testing.T) {
	longtest.Skip(t)
	t.Parallel()
	for seed := uint64(21); seed <= 80; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			crossesEachLinkOnce(t, seed)
		})
	}
}

// linksCame counts the links of after that before lacks.
func linksCame(before, after [][2]sim.NodeIndex) int {
	had := make(map[[2]sim.NodeIndex]bool, len(before))
	for _, e := range before {
		had[[2]sim.NodeIndex{min(e[0], e[1]), max(e[0], e[1])}] = true
	}
	n := 0
	for _, e := range after {
		if !had[[2]sim.NodeIndex{min(e[0], e[1]), max(e[0], e[1])}] {
			n++
		}
	}
	return n
}

func crossesEachLinkOnce(t *testing.T, seed uint64) {
	s := stillLAN(t, seed, 200, 5*time.Second, 20*time.Second)
	_, depth := quietTree(t, s, 3*time.Second, 20*time.Second)
	for _, from := range []sim.NodeIndex{0, 57, 199} {
		links := s.Topology().Edges // before the first broadcast began
		prev := s.Topology().Eccentricity(from)
		r := broadcastAndCheck(t, s, from)
		if r.RMR > 0.1 || r.LDH > 2*depth {
			t.Fatalf("first broadcast from %d: RMR %.3f, last hop %d (tree depth %d)", from, r.RMR, r.LDH, depth)
		}
		for k := 0; k < 3; k++ {
			top := s.Topology()
			before := top.Eccentricity(from)
			came := linksCame(links, top.Edges)
			links = top.Edges
			r = broadcastAndCheck(t, s, from)
			came += linksCame(links, s.Topology().Edges)
			// A copy or two where a link changed (see above): at most one
			// for each link that came since the previous broadcast began,
			// which the sender's tree has not learnt yet, and two more.
			if r.Redundant > uint64(2+came) {
				t.Fatalf("broadcast %d from %d: %d redundant copies (RMR %.3f), %d links came", k+2, from, r.Redundant, r.RMR, came)
			}
			// The sender's tree is learnt from its messages: a link that
			// came since its previous message began shortens a path the
			// tree has not learnt yet. So the last hop is judged against
			// the largest of the eccentricities at the start of the
			// previous broadcast, at the start of this one and after it.
			if ecc := max(prev, before, s.Topology().Eccentricity(from)); k == 2 && r.LDH > ecc {
				t.Fatalf("fourth broadcast from %d: last hop %d, but every node is within %d hops", from, r.LDH, ecc)
			}
			prev = before
		}
	}
	// Every node at once, twice: the first burst at RMR 0.1 at most, the
	// second along each origin's own tree, learnt from the first, at one
	// copy at most for each link that came since the first began (as
	// above: the origins' trees learn a link from their next message; so
	// judged, every seed of 21-80 passes, 28 of them with links come).
	links := s.Topology().Edges
	for round := 0; round < 2; round++ {
		before := len(s.Broadcasts())
		for i := 0; i < s.NodeCount(); i++ {
			if _, err := s.Broadcast(sim.NodeIndex(i), 100); err != nil {
				t.Fatal(err)
			}
		}
		s.RunFor(5 * time.Second)
		came := linksCame(links, s.Topology().Edges)
		rmr, most := 0.0, uint64(0)
		for _, r := range s.Broadcasts()[before:] {
			if r.Reliability != 1 || r.LDH > 2*depth {
				t.Fatalf("burst %d: broadcast from %d reached %d of %d, last hop %d", round, r.Origin, r.Delivered, r.Alive, r.LDH)
			}
			rmr += r.RMR / float64(s.NodeCount())
			most = max(most, r.Redundant)
		}
		t.Logf("burst %d: RMR mean %.4f, at most %d redundant copies, %d links came", round, rmr, most, came)
		if round == 0 && rmr > 0.1 {
			t.Fatalf("first burst: RMR mean %.3f, want at most 0.1", rmr)
		}
		if round == 1 && most > uint64(came) {
			t.Fatalf("second burst: a broadcast met %d redundant copies, %d links came", most, came)
		}
	}
	if d := s.DuplicateDeliveries(); d != 0 {
		t.Fatalf("%d duplicate deliveries", d)
	}
	quietTree(t, s, 3*time.Second, 20*time.Second)
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
	// Two fetches; the first announcer asked for the origin's later
	// messages (this node had no source for them, treeorigins.go), and then
	// the second, whose copy came first.
	if e.Stats().Grafts != 4 {
		t.Fatalf("grafts = %d, want 4", e.Stats().Grafts)
	}
	for _, l := range e.Links(nil) {
		if l.Tree {
			t.Fatalf("fetching put link %v on the tree", l.Link)
		}
	}
}

// Links start off the tree. A message goes over the tree's links and is
// announced over the others. A Graft without ids makes the sender a child:
// later messages are pushed to it. A Graft naming a message is answered
// with the cached payload. A copy of a message already seen prunes its
// sender for that origin (a Prune naming it), and, over a link off the
// tree, also takes the link off the sender's tree (a Prune without one). A
// Prune without an origin takes the link off the tree again.
func TestTreeGraftsPrunesAndAnswers(t *testing.T) {
	cfg := treeConfig()
	cfg.Port = 9000
	e := newEngineOrFail(t, cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	e.Start(0)
	for link, peer := range map[mesh.LinkID]mesh.NodeID{5: 2, 6: 3, 7: 4} {
		e.HandleLinkOpened(0, link, mesh.Incoming, 0, mesh.Addr{Port: uint16(peer)})
		outs := e.HandleFrame(1, link, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: peer, Instance: 1, Port: uint16(peer), Load: mesh.Load{FreeIn: 3}}})
		sendOf(t, outs, mesh.FramePosition) // the node tells where it stands
	}
	now := mesh.Time(2)
	// relay delivers the message from origin with sequence seq over link 7
	// and reports what went over links 5 and 6 once announcements are out.
	relay := func(origin mesh.NodeID, seq uint64) map[mesh.LinkID]mesh.FrameType {
		msg := mesh.Message{ID: mesh.MsgID{Origin: origin, Seq: seq}, Hops: 1, Payload: []byte("m")}
		outs := copyOuts(e.HandleFrame(now, 7, &mesh.Frame{Type: mesh.FrameData, Msg: msg}))
		outs = append(outs, e.HandleTimer(now+cfg.IHaveDelay, mesh.TimerIHave)...)
		now += cfg.IHaveDelay + 1
		m := map[mesh.LinkID]mesh.FrameType{}
		for _, o := range outs {
			if o.Kind == mesh.OutSend && (o.Frame.Type == mesh.FrameData || o.Frame.Type == mesh.FrameIHave) && m[o.Link] != mesh.FrameData {
				m[o.Link] = o.Frame.Type // data, or else an announcement (a new child also hears of recent messages)
			}
		}
		return m
	}
	if got := relay(9, 1); got[5] != mesh.FrameIHave || got[6] != mesh.FrameIHave {
		t.Fatalf("off the tree: want announcements on links 5 and 6, got %v", got)
	}

	// Peer 2 takes this node as its parent.
	e.HandleFrame(now, 5, &mesh.Frame{Type: mesh.FrameGraft})
	if got := relay(10, 1); got[5] != mesh.FrameData || got[6] != mesh.FrameIHave {
		t.Fatalf("after a graft: want data on link 5 and an announcement on link 6, got %v", got)
	}

	// A graft naming a message is answered with the payload.
	id := mesh.MsgID{Origin: 10, Seq: 1}
	data := sendOf(t, e.HandleFrame(now, 6, &mesh.Frame{Type: mesh.FrameGraft, IDs: []mesh.MsgID{id}}), mesh.FrameData)
	if data.Msg.ID != id || data.Msg.Hops != 2 {
		t.Fatalf("graft answered with %+v", data.Msg)
	}
	msg := mesh.Message{ID: id, Hops: 1, Payload: []byte("m")}
	prunes := func(outs []mesh.Output) (tree, origin int) {
		for _, o := range outs {
			if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FramePrune {
				if len(o.Frame.IDs) == 0 {
					tree++
				} else if o.Frame.IDs[0] == (mesh.MsgID{Origin: 10}) {
					origin++
				}
			}
		}
		return tree, origin
	}
	// A duplicate over link 6, off the tree: the sender is told both.
	if tree, origin := prunes(e.HandleFrame(now+1, 6, &mesh.Frame{Type: mesh.FrameData, Msg: msg})); tree != 1 || origin != 1 {
		t.Fatalf("duplicate off the tree: %d tree prunes and %d for the origin, want 1 and 1", tree, origin)
	}
	// Over a tree link: only the origin is pruned, the tree stays.
	if tree, origin := prunes(e.HandleFrame(now+2, 5, &mesh.Frame{Type: mesh.FrameData, Msg: msg})); tree != 0 || origin != 1 {
		t.Fatalf("duplicate over the tree: %d tree prunes and %d for the origin, want 0 and 1", tree, origin)
	}

	// Peer 2 leaves this node for another parent: messages of a new origin
	// are announced to it; origin 10's still go to it, as its source for
	// them, until it prunes that origin; origin 9's, which the tree did not
	// bring it, are still announced.
	e.HandleFrame(now+3, 5, &mesh.Frame{Type: mesh.FramePrune})
	now += 4
	if got := relay(11, 1); got[5] != mesh.FrameIHave {
		t.Fatalf("after the prune: want an announcement of a new origin on link 5, got %v", got)
	}
	if got := relay(10, 2); got[5] != mesh.FrameData {
		t.Fatalf("after the prune: want origin 10's data on link 5, got %v", got)
	}
	if got := relay(9, 2); got[5] != mesh.FrameIHave {
		t.Fatalf("after the prune: want origin 9's announced on link 5, got %v", got)
	}
	e.HandleFrame(now, 5, &mesh.Frame{Type: mesh.FramePrune, IDs: []mesh.MsgID{{Origin: 10}}})
	now++
	if got := relay(10, 3); got[5] != mesh.FrameIHave {
		t.Fatalf("after a prune of origin 10: want an announcement on link 5, got %v", got)
	}
}

// When nodes crash, messages sent at once still reach every survivor
// (announcements and fetches route around the holes), and the tree grows
// back: one root, shortest paths, no cycle. The sender's own tree, learnt
// before the crash and patched by the fetches, costs duplicates in its first
// message after the repair (sources that moved, new links that pushed,
// about a quarter of a copy per node here), which prune them: its next
// messages cross each node about once.
func TestTreeRepairsAfterFailures(t *testing.T) {
	t.Parallel()
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
	for k, max := range []float64{0.4, 0.05, 0.05} {
		if r := broadcastAndCheck(t, s, 0); r.RMR > max {
			t.Fatalf("RMR %.3f in broadcast %d after the repair, want at most %.2f", r.RMR, k+1, max)
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
// everybody. A sender's first message costs about a duplicate per link of
// the sender (its own copies go over every link and meet the tree's: here
// about 0.1 in RMR over 100 nodes; 0.022 when they went to its shallower
// neighbours only); its later ones follow its own tree, which the links
// moving under it (here several moves per node between two messages of a
// sender) patch with a duplicate or a fetch each (0.16, against 0.12).
func TestTreeFollowsRotation(t *testing.T) {
	t.Parallel()
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
	var first, later float64
	var nFirst, nLater int
	var rotations uint64
	sent := map[sim.NodeIndex]bool{}
	for _, r := range s.Broadcasts()[before:] {
		if r.Reliability != 1 {
			t.Fatalf("broadcast from %d reached %d of %d", r.Origin, r.Delivered, r.Alive)
		}
		if sent[r.Origin] {
			later += r.RMR
			nLater++
		} else {
			first += r.RMR
			nFirst++
		}
		sent[r.Origin] = true
	}
	first /= float64(nFirst)
	later /= float64(nLater)
	for i := 0; i < s.NodeCount(); i++ {
		rotations += s.Engine(sim.NodeIndex(i)).Stats().Rotations
	}
	t.Logf("%d rotations, RMR mean %.4f over %d first broadcasts, %.4f over %d later ones", rotations, first, nFirst, later, nLater)
	if first > 0.2 || later > 0.17 {
		t.Fatalf("RMR mean %.3f (first broadcasts), %.3f (later ones) under rotation", first, later)
	}
	settledTree(t, s, 5*time.Second)
}
