package mesh_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// checkTree requires the running nodes to form one broadcast tree: one root,
// every other node's parent a neighbour one rank closer to it, every rank
// the node's distance from the root in the overlay (a shortest-path tree),
// and exactly the parent links on the tree, agreed by both ends. It returns
// the root and the tree's depth.
func checkTree(t testing.TB, s *sim.Sim) (mesh.NodeID, int) {
	t.Helper()
	root, depth, problem := treeProblem(s)
	if problem != "" {
		t.Fatalf("t=%v %s", s.Now(), problem)
	}
	return root, depth
}

// settledTree runs the simulation until checkTree would pass, for at most
// d, then checks: links that rotation or healing open and close leave the
// tree briefly out of shape while positions travel.
func settledTree(t testing.TB, s *sim.Sim, d time.Duration) (mesh.NodeID, int) {
	t.Helper()
	for end := s.Now() + d; s.Now() < end; s.RunFor(50 * time.Millisecond) {
		if _, _, problem := treeProblem(s); problem == "" {
			break
		}
	}
	return checkTree(t, s)
}

// quietTree runs the simulation until the tree has held still for hold —
// checkTree passes and no node changed its parent (Stats.Reparents) — for
// at most bound (failing the test otherwise), then checks it. Without
// rotation links still come now and then (nodes filling free slots: 0 to
// 15 in each 5 s on 200 nodes 15-25 s after they started), and a node that
// a new link brings closer to the root moves to it: for the few
// milliseconds its Graft and Prune travel, the tree is out of shape.
func quietTree(t testing.TB, s *sim.Sim, hold, bound time.Duration) (mesh.NodeID, int) {
	t.Helper()
	reparents := func() (n uint64) {
		for i := 0; i < s.NodeCount(); i++ {
			if e := s.Engine(sim.NodeIndex(i)); e != nil {
				n += e.Stats().Reparents
			}
		}
		return n
	}
	last, since := reparents(), s.Now()
	for end := s.Now() + bound; s.Now()-since < hold; s.RunFor(50 * time.Millisecond) {
		if s.Now() > end {
			t.Fatalf("t=%v the tree did not hold still for %v within %v", s.Now(), hold, bound)
		}
		if n := reparents(); n != last {
			last, since = n, s.Now()
		}
		if _, _, problem := treeProblem(s); problem != "" {
			since = s.Now()
		}
	}
	return checkTree(t, s)
}

// treeProblem describes the first way in which the running nodes do not
// form one shortest-path broadcast tree, or returns "".
func treeProblem(s *sim.Sim) (root mesh.NodeID, depth int, problem string) {
	type node struct {
		pos    mesh.Position
		parent mesh.NodeID
		links  []mesh.LinkInfo
	}
	nodes := map[mesh.NodeID]*node{}
	for i := 0; i < s.NodeCount(); i++ {
		e := s.Engine(sim.NodeIndex(i))
		if e == nil {
			continue
		}
		pos, parent := e.TreePosition()
		nodes[e.ID()] = &node{pos: pos, parent: parent, links: e.Links(nil)}
		if pos.Rank == 0 {
			if root != 0 {
				return 0, 0, fmt.Sprintf("two roots: %s and %s", root, e.ID())
			}
			root = e.ID()
		}
	}
	if root == 0 {
		return 0, 0, "no root"
	}
	// Distances from the root over the overlay.
	dist := map[mesh.NodeID]int{root: 0}
	queue := []mesh.NodeID{root}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, l := range nodes[id].links {
			if _, ok := dist[l.Peer]; !ok && nodes[l.Peer] != nil {
				dist[l.Peer] = dist[id] + 1
				queue = append(queue, l.Peer)
			}
		}
	}
	children := map[mesh.NodeID]int{}
	for _, n := range nodes {
		children[n.parent]++
	}
	for id, n := range nodes {
		d, reached := dist[id]
		switch {
		case n.pos.Root != root:
			return 0, 0, fmt.Sprintf("node %s follows root %s, not %s", id, n.pos.Root, root)
		case !reached || int(n.pos.Rank) != d:
			return 0, 0, fmt.Sprintf("node %s has rank %d, distance %d from the root", id, n.pos.Rank, d)
		case id != root && (nodes[n.parent] == nil || int(nodes[n.parent].pos.Rank) != d-1):
			return 0, 0, fmt.Sprintf("node %s (rank %d) has parent %s, not one rank closer", id, d, n.parent)
		}
		depth = max(depth, d)
		tree := 0
		for _, l := range n.links {
			if !l.Tree {
				continue
			}
			tree++
			if l.Peer != n.parent && nodes[l.Peer].parent != id {
				return 0, 0, fmt.Sprintf("link %s-%s is on the tree but neither end is the other's parent", id, l.Peer)
			}
		}
		want := children[id]
		if id != root {
			want++
		}
		if tree != want {
			return 0, 0, fmt.Sprintf("node %s has %d tree links, want %d (parent and %d children)", id, tree, want, children[id])
		}
	}
	return root, depth, ""
}

// The mesh settles on one shortest-path tree below its oldest root: roots
// compare by round (a new one every KeepaliveInterval), so the root is one
// of the nodes started in the first interval, and nodes that join later,
// even with smaller ids, do not uproot it.
func TestTreeIsShortestPathTreeBelowOldestNode(t *testing.T) {
	const n, over = 150, 3 * time.Second
	s := stillLAN(t, 31, n, over, 15*time.Second)
	root, depth := checkTree(t, s)
	early := int(treeConfig().KeepaliveInterval * n / over) // started in the first interval
	smaller := 0
	for i := 0; i < n; i++ {
		id := s.Engine(sim.NodeIndex(i)).ID()
		if id == root && i > early {
			t.Fatalf("root %s is node %d, started after the first interval", root, i)
		}
		if i > early && id < root {
			smaller++
		}
	}
	t.Logf("root %s, depth %d; %d nodes started later have smaller ids", root, depth, smaller)
	if smaller == 0 {
		t.Fatal("no later node has a smaller id: the test shows nothing")
	}
}

// treeNode is an engine alone, driven by hand.
type treeNode struct {
	t *testing.T
	e *mesh.Engine
}

// newTreeNode starts node id and links it to peers at time 1.
func newTreeNode(t *testing.T, id mesh.NodeID, peers ...mesh.NodeID) *treeNode {
	cfg := treeConfig()
	cfg.Port = 9000
	e, err := mesh.New(cfg, id, 1, rand.New(rand.NewPCG(uint64(id), 1)))
	if err != nil {
		t.Fatal(err)
	}
	e.Start(0)
	n := &treeNode{t: t, e: e}
	for _, p := range peers {
		n.link(1, p)
	}
	return n
}

// link opens link id from peer; the peer's id is also the link's id.
func (n *treeNode) link(now mesh.Time, peer mesh.NodeID) {
	id := mesh.LinkID(peer)
	n.e.HandleLinkOpened(now, id, mesh.Incoming, 0, mesh.Addr{Port: uint16(peer)})
	n.e.HandleFrame(now, id, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: peer, Instance: 1, Port: uint16(peer), Load: mesh.Load{FreeIn: 3}}})
}

// position makes peer tell where it stands, and returns the outputs.
func (n *treeNode) position(now mesh.Time, peer mesh.NodeID, root mesh.NodeID, round uint32, rank uint16) []mesh.Output {
	return copyOuts(n.e.HandleFrame(now, mesh.LinkID(peer), &mesh.Frame{Type: mesh.FramePosition, Pos: mesh.Position{Root: root, Round: round, Rank: rank}, Load: mesh.Load{In: 1, FreeIn: 3}}))
}

// expect checks the node's position and parent.
func (n *treeNode) expect(root mesh.NodeID, round uint32, rank uint16, parent mesh.NodeID) {
	n.t.Helper()
	pos, p := n.e.TreePosition()
	if want := (mesh.Position{Root: root, Round: round, Rank: rank}); pos != want || p != parent {
		n.t.Fatalf("position %+v parent %s, want %+v parent %s", pos, p, want, parent)
	}
}

// grafts and prunes list the links that outs graft (join the tree) and prune.
func treeMoves(outs []mesh.Output) (grafts, prunes []mesh.LinkID) {
	for _, o := range outs {
		switch {
		case o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameGraft && len(o.Frame.IDs) == 0:
			grafts = append(grafts, o.Link)
		case o.Kind == mesh.OutSend && o.Frame.Type == mesh.FramePrune:
			prunes = append(prunes, o.Link)
		}
	}
	return grafts, prunes
}

// A node joins the oldest tree it hears of through its closest neighbour
// (a Graft), moves to a neighbour strictly closer to the root (a Graft to
// it, a Prune to the old parent), keeps its parent for one only as close,
// and tells every neighbour its position when it changes.
func TestTreeParentGraftAndPrune(t *testing.T) {
	const root = mesh.NodeID(100)
	n := newTreeNode(t, 50, 2, 3, 4)
	// Peer 2 is in root 100's tree, round 7, rank 3: older than the node's
	// own fresh tree, whatever the ids.
	outs := n.position(2, 2, root, 7, 3)
	n.expect(root, 7, 4, 2)
	if g, p := treeMoves(outs); len(g) != 1 || g[0] != 2 || len(p) != 0 {
		t.Fatalf("joining: grafts %v prunes %v", g, p)
	}
	told := 0
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FramePosition && o.Frame.Pos == (mesh.Position{Root: root, Round: 7, Rank: 4}) {
			told++
		}
	}
	if told != 3 {
		t.Fatalf("position told to %d neighbours, want 3", told)
	}
	// Peer 3 is as close as the parent: no change.
	if g, p := treeMoves(n.position(3, 3, root, 7, 3)); len(g)+len(p) != 0 {
		t.Fatalf("moved to an equally close neighbour: grafts %v prunes %v", g, p)
	}
	n.expect(root, 7, 4, 2)
	// Peer 4 is closer: move.
	g, p := treeMoves(n.position(4, 4, root, 7, 1))
	if len(g) != 1 || g[0] != 4 || len(p) != 1 || p[0] != 2 {
		t.Fatalf("moving closer: grafts %v prunes %v", g, p)
	}
	n.expect(root, 7, 2, 4)
	// The parent's next round is followed.
	n.position(5, 4, root, 8, 1)
	n.expect(root, 8, 2, 4)
	// A younger tree is ignored.
	if g, p := treeMoves(n.position(6, 3, 1, 2, 0)); len(g)+len(p) != 0 {
		t.Fatalf("joined a younger tree: grafts %v prunes %v", g, p)
	}
	n.expect(root, 8, 2, 4)
}

// Parents are chosen without ever closing a loop (Babel's feasibility
// condition): when its parent is lost, a node takes a neighbour of the same
// round only if it is closer to the root than the node ever was in that
// round; a neighbour as close as the node could be its own descendant, so
// the node is cut off instead (RankNone, keeping nothing), until a newer
// round reaches a neighbour.
func TestTreeOnlyFeasibleParents(t *testing.T) {
	const root = mesh.NodeID(100)
	n := newTreeNode(t, 50, 2, 3, 4)
	n.position(2, 2, root, 7, 1)
	n.position(2, 3, root, 7, 2) // as close as the node itself
	n.position(2, 4, root, 7, 3) // a child's rank
	n.expect(root, 7, 2, 2)
	n.e.HandleLinkClosed(3, 2)
	n.expect(root, 7, mesh.RankNone, 0)
	// Peer 3 moves closer within the round: feasible now.
	n.position(4, 3, root, 7, 0)
	n.expect(root, 7, 1, 3)
	n.e.HandleLinkClosed(5, 3)
	n.expect(root, 7, mesh.RankNone, 0)
	// A newer round makes any neighbour feasible.
	n.position(6, 4, root, 8, 3)
	n.expect(root, 8, 4, 4)
}

// A parent that stays a round behind a neighbour for GraftTimeout has lost
// its way to the root (a crash upstream that nobody has detected yet): the
// node moves to the closest neighbour in the newer round.
func TestTreeParentBehindIsReplaced(t *testing.T) {
	const root = mesh.NodeID(100)
	n := newTreeNode(t, 50, 2, 3)
	n.position(2, 2, root, 7, 1)
	n.position(2, 3, root, 7, 4)
	n.expect(root, 7, 2, 2)
	outs := n.position(1000, 3, root, 8, 4)
	n.expect(root, 7, 2, 2) // the parent may just be slower
	var at mesh.Time
	for _, o := range outs {
		if o.Kind == mesh.OutTimer && o.Timer == mesh.TimerTree {
			at = o.At
		}
	}
	cfg := treeConfig()
	if at != 1000+cfg.GraftTimeout {
		t.Fatalf("tree timer at %v, want %v", at, 1000+cfg.GraftTimeout)
	}
	g, p := treeMoves(n.e.HandleTimer(at, mesh.TimerTree))
	if len(g) != 1 || g[0] != 3 || len(p) != 1 || p[0] != 2 {
		t.Fatalf("grafts %v prunes %v, want a move from 2 to 3", g, p)
	}
	n.expect(root, 8, 5, 3)
}

// A root that restarts and hears of itself in a later round than its own
// resumes from there, so that its old tree takes it back.
func TestTreeRestartedRootResumes(t *testing.T) {
	n := newTreeNode(t, 50, 2)
	n.expect(50, 0, 0, 0)
	n.position(2, 2, 50, 41, 1)
	n.expect(50, 42, 0, 0)
}

// When the root crashes, the others notice that its rounds stopped, stand
// as roots themselves and settle on the oldest of them: one tree again,
// with broadcasts crossing each node about once (a sender's first, pushed
// to its neighbours too, a few times more).
func TestTreeNewRootAfterRootDies(t *testing.T) {
	s := stillLAN(t, 33, 120, 3*time.Second, 15*time.Second)
	root, _ := checkTree(t, s)
	for i := 0; i < s.NodeCount(); i++ {
		if s.Node(sim.NodeIndex(i)).ID == root {
			s.Kill(sim.NodeIndex(i), false)
		}
	}
	s.RunFor(10 * time.Second)
	newRoot, depth := checkTree(t, s)
	t.Logf("new root %s, depth %d", newRoot, depth)
	for _, from := range []sim.NodeIndex{70, 110} {
		if r := broadcastAndCheck(t, s, from); r.RMR > 0.2 {
			t.Fatalf("RMR %.3f under the new root", r.RMR)
		}
		if r := broadcastAndCheck(t, s, from); r.RMR > 0.05 {
			t.Fatalf("RMR %.3f in a second broadcast under the new root", r.RMR)
		}
	}
}

// Each side of a partition grows a tree of its own; once the partition
// heals, the younger tree joins the older one.
func TestTreePartitionHealsIntoOneTree(t *testing.T) {
	t.Parallel()
	cfg := treeConfig()
	cfg.RotateInterval = 10 * time.Second // lets the halves link up again
	s := staggeredLAN(t, 34, 80, cfg, 2*time.Second)
	s.RunFor(10 * time.Second)
	root, _ := settledTree(t, s, 5*time.Second)
	var half []sim.NodeIndex
	for i := 40; i < 80; i++ {
		half = append(half, sim.NodeIndex(i))
	}
	s.Partition("split", half)
	s.RunFor(15 * time.Second)
	roots := map[mesh.NodeID]int{}
	for i := 0; i < s.NodeCount(); i++ {
		pos, _ := s.Engine(sim.NodeIndex(i)).TreePosition()
		roots[pos.Root]++
	}
	if len(roots) != 2 || roots[root] != 40 {
		t.Fatalf("roots during the partition: %v (old root %s)", roots, root)
	}
	if err := s.Heal("split"); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 12 && components(s) > 1; k++ {
		s.RunFor(10 * time.Second)
	}
	if got, _ := settledTree(t, s, 5*time.Second); got != root {
		t.Fatalf("root after the merge %s, want the older %s", got, root)
	}
	broadcastAndCheck(t, s, 70)
}

// A node cut off from the root asks for a new round through its closest
// neighbour still on a route (Babel's seqno request); a node passes such a
// request on to its parent once; the root starts the round at once, and in
// it every neighbour is a feasible parent again.
func TestTreeCutOffNodeAsksForARound(t *testing.T) {
	const root = mesh.NodeID(100)
	n := newTreeNode(t, 50, 2, 3, 4)
	n.position(2, 2, root, 7, 1)
	n.position(2, 3, root, 7, 3)
	n.position(2, 4, root, 7, 2)
	n.expect(root, 7, 2, 2)
	outs := copyOuts(n.e.HandleLinkClosed(3, 2))
	n.expect(root, 7, mesh.RankNone, 0)
	req := sendOf(t, outs, mesh.FrameRoundRequest)
	var to mesh.LinkID
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameRoundRequest {
			to = o.Link
		}
	}
	if to != 4 || req.Pos != (mesh.Position{Root: root, Round: 8}) {
		t.Fatalf("asked link %v for %+v, want link 4 for round 8", to, req.Pos)
	}
	// Asked once per round.
	if countKind(n.position(4, 3, root, 7, 3), mesh.OutSend) != 0 {
		t.Fatal("asked again for the same round")
	}
	n.position(5, 3, root, 8, 3)
	n.expect(root, 8, 4, 3)

	// In the middle of the tree: passed on to the parent, once.
	m := newTreeNode(t, 60, 5, 6)
	m.position(2, 5, root, 7, 1)
	m.expect(root, 7, 2, 5)
	ask := func(round uint32) []mesh.Output {
		return copyOuts(m.e.HandleFrame(3, 6, &mesh.Frame{Type: mesh.FrameRoundRequest, Pos: mesh.Position{Root: root, Round: round}}))
	}
	outs = ask(8)
	if f := sendOf(t, outs, mesh.FrameRoundRequest); f.Pos.Round != 8 || outs[0].Link != 5 {
		t.Fatalf("request not passed to the parent: %v", outs)
	}
	if countKind(ask(8), mesh.OutSend) != 0 || countKind(ask(7), mesh.OutSend) != 0 {
		t.Fatal("a request passed on twice, or one for a round already begun")
	}

	// At the root: the round starts at once.
	r := newTreeNode(t, root, 7)
	r.e.HandleTimer(time.Second, mesh.TimerMaintain)
	r.expect(root, 1, 0, 0)
	r.e.HandleFrame(time.Second+1, 7, &mesh.Frame{Type: mesh.FrameRoundRequest, Pos: mesh.Position{Root: root, Round: 2}})
	r.expect(root, 2, 0, 0)
}

// A root that starts no round for two rounds is given up: the node stands
// as a root and starts its first round at once, and ignores the old root's
// rounds heard so far. Its neighbours, whose root has been silent as long,
// join its tree at once rather than wait for their own time-out.
func TestTreeSilentRootIsGivenUp(t *testing.T) {
	const root = mesh.NodeID(100)
	second := time.Second
	n := newTreeNode(t, 50, 2, 3)
	n.position(2, 2, root, 7, 1)
	n.expect(root, 7, 2, 2)
	n.e.HandleTimer(second, mesh.TimerMaintain)
	n.e.HandleTimer(2*second, mesh.TimerMaintain)
	n.expect(root, 7, 2, 2) // silent for 2 s: not yet
	outs := copyOuts(n.e.HandleTimer(3*second, mesh.TimerMaintain))
	n.expect(50, 1, 0, 0)
	if _, p := treeMoves(outs); len(p) != 1 || p[0] != 2 {
		t.Fatalf("old parent not pruned: %v", outs)
	}
	// The old root's last round is ignored, a later one is not.
	n.position(3*second+1, 3, root, 7, 1)
	n.expect(50, 1, 0, 0)
	n.position(3*second+2, 3, root, 8, 1)
	n.expect(root, 8, 2, 3)

	// A neighbour whose root has been silent for more than a round and a
	// little joins a tree that has given it up.
	m := newTreeNode(t, 60, 4, 5)
	m.position(2, 4, root, 7, 1)
	m.position(1200*time.Millisecond, 5, 50, 1, 0)
	m.expect(50, 1, 1, 5)
}
