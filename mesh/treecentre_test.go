package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// chainOfLANs starts segments LANs of per nodes each, in a row: beacons
// never cross a LAN, and the first node of each LAN has a static peer in
// the previous one, so the overlay is long and the node started first, at
// one end, is far from its centre. Rotation and peer exchange are off;
// centre sets Config.CentreRoot.
func chainOfLANs(t *testing.T, seed uint64, segments, per int, centre bool) *sim.Sim {
	t.Helper()
	s := newSimOrFail(t, seed, sim.DefaultNetwork())
	lans := addChainedLANs(t, s, segments, per, "g", func(int, int) mesh.Config {
		cfg := treeConfig()
		cfg.RotateInterval = 0
		cfg.ExchangeSize = 0 // no addresses beyond the LAN
		cfg.CentreRoot = centre
		return cfg
	})
	for g, lan := range lans {
		for i, idx := range lan {
			s.Start(idx, time.Duration(g*per+i)*20*time.Millisecond)
		}
	}
	return s
}

// The root walks to the overlay's centre (Config.CentreRoot): on a long
// overlay whose oldest node sits at one end (eccentricity 7 or more), the
// root surveys its neighbours and hands the root on to one less eccentric,
// step by step, until no neighbour is; the tree is a shortest-path tree
// below the new root, and a broadcast from the far end takes at most twice
// its eccentricity and one hop. Without CentreRoot the oldest node stays
// the root.
func TestTreeRootWalksToTheCentre(t *testing.T) {
	off := chainOfLANs(t, 41, 12, 6, false)
	off.RunFor(40 * time.Second)
	if root, _ := settledTree(t, off, 5*time.Second); root != off.Engine(0).ID() {
		t.Fatalf("without centre_root the root moved from the oldest node %s to %s", off.Engine(0).ID(), root)
	}
	s := chainOfLANs(t, 41, 12, 6, true)
	s.RunFor(40 * time.Second)
	root, depth := settledTree(t, s, 5*time.Second)
	topo := s.Topology()
	oldest := s.Engine(0).ID()
	ri, _ := s.IndexOf(root)
	eccOldest, eccRoot := topo.Eccentricity(0), topo.Eccentricity(ri)
	radius := eccRoot
	for i := 0; i < s.NodeCount(); i++ {
		radius = min(radius, topo.Eccentricity(sim.NodeIndex(i)))
	}
	t.Logf("oldest %s eccentricity %d; root %s eccentricity %d, depth %d; radius %d", oldest, eccOldest, root, eccRoot, depth, radius)
	if eccOldest < 7 {
		t.Fatalf("the oldest node's eccentricity is %d: the test shows nothing", eccOldest)
	}
	if root == oldest || eccRoot >= 7 && eccRoot > radius {
		t.Fatalf("root %s has eccentricity %d (oldest %d, radius %d): it did not walk to the centre", root, eccRoot, eccOldest, radius)
	}
	last := sim.NodeIndex(s.NodeCount() - 1)
	r := broadcastAndCheck(t, s, last)
	if r.LDH > 2*eccRoot+1 {
		t.Fatalf("a broadcast from the far end took %d hops, root eccentricity %d", r.LDH, eccRoot)
	}
}

// A settled root walks again when the overlay grows (the probe's trigger):
// four LANs of a chain of twelve start first, and their tree is shallow,
// so the oldest node stays the root and its surveys rest; the eight
// others join at 40 s, at the far end, the tree grows 7 and more deep,
// and a probe wakes the walk, which takes the root towards the new centre.
func TestTreeRootWalksAgainWhenTheOverlayGrows(t *testing.T) {
	s := newSimOrFail(t, 41, sim.DefaultNetwork())
	lans := addChainedLANs(t, s, 12, 6, "g", func(int, int) mesh.Config {
		cfg := treeConfig()
		cfg.RotateInterval = 0
		cfg.ExchangeSize = 0
		return cfg
	})
	for g, lan := range lans {
		for i, idx := range lan {
			at := time.Duration(g*6+i) * 20 * time.Millisecond
			if g >= 4 {
				at += 40 * time.Second
			}
			s.Start(idx, at)
		}
	}
	s.RunFor(40 * time.Second)
	oldest := s.Engine(0).ID()
	if root, depth := settledTree(t, s, 5*time.Second); root != oldest || depth >= 7 {
		t.Fatalf("before the join: root %s, depth %d; want the oldest node %s, a tree under 7 deep", root, depth, oldest)
	}
	s.RunFor(60 * time.Second)
	root, depth := settledTree(t, s, 5*time.Second)
	ri, _ := s.IndexOf(root)
	topo := s.Topology()
	radius := topo.Eccentricity(ri)
	for i := 0; i < s.NodeCount(); i++ {
		radius = min(radius, topo.Eccentricity(sim.NodeIndex(i)))
	}
	t.Logf("after the join: root %s eccentricity %d (the oldest: %d), depth %d, radius %d", root, topo.Eccentricity(ri), topo.Eccentricity(0), depth, radius)
	if topo.Eccentricity(0) < 7 {
		t.Fatalf("the oldest node's eccentricity is %d: the test shows nothing", topo.Eccentricity(0))
	}
	if root == oldest || topo.Eccentricity(ri) >= 7 && topo.Eccentricity(ri) > radius {
		t.Fatalf("root %s, eccentricity %d (radius %d): the settled root did not walk again once the overlay grew", root, topo.Eccentricity(ri), radius)
	}
}

// A free rider (a peer that accepts no links: treerelays.go) is never a
// candidate root, so never handed the root, even as the root's only other
// child; an honest child is surveyed.
func TestTreeFreeRiderIsNeverSurveyed(t *testing.T) {
	cfg := treeConfig()
	cfg.Port, cfg.CentreRoot = 9000, true
	e := newEngineOrFail(t, cfg, 50, 1, rand.New(rand.NewPCG(50, 1)))
	e.Start(0)
	loads := map[mesh.NodeID]mesh.Load{2: {In: 1, FreeIn: 3}, 3: {Out: 1}} // 3 takes no links
	for _, p := range []mesh.NodeID{2, 3} {
		id := mesh.LinkID(p)
		e.HandleLinkOpened(1, id, mesh.Incoming, 0, mesh.Addr{Port: uint16(p)})
		e.HandleFrame(1, id, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: p, Instance: 1, Port: uint16(p), Load: loads[p]}})
		e.HandleFrame(2, id, &mesh.Frame{Type: mesh.FrameGraft}) // its parent is the node
	}
	surveyed := map[mesh.NodeID]int{}
	for k := 1; k <= 30; k++ {
		now := time.Duration(k) * time.Second
		for _, o := range e.HandleTimer(now, mesh.TimerMaintain) {
			if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FramePosition && o.Frame.Survey.Cand != 0 {
				surveyed[o.Frame.Survey.Cand]++
			}
		}
		pos, _ := e.TreePosition()
		for _, p := range []mesh.NodeID{2, 3} {
			e.HandleFrame(now+1, mesh.LinkID(p), &mesh.Frame{Type: mesh.FramePosition, Pos: mesh.Position{Root: 50, Round: pos.Round, Rank: 1}, Load: loads[p]})
		}
	}
	if surveyed[3] != 0 || surveyed[2] == 0 {
		t.Fatalf("Positions naming each candidate: %v; want the honest child 2, never the free rider 3", surveyed)
	}
}

// A node whose neighbours all crashed a moment ago broadcasts into links
// nobody reads, and nobody else has the message to announce: once DeadAfter
// has closed those links, each new link hears of the node's own recent
// messages (an IHave), and its peer fetches what it lacks; what the node
// broadcast longer ago, and what it only relayed, is not announced.
func TestTreeNewLinkHearsOfOwnRecentMessages(t *testing.T) {
	n := newTreeNode(t, 50, 2, 3)
	n.position(2, 2, 100, 7, 1)
	old, _, err := n.e.Broadcast(10, []byte("old"))
	if err != nil {
		t.Fatal(err)
	}
	relayed := mesh.Message{ID: mesh.MsgID{Origin: 9, Seq: 1}, Hops: 1, Payload: []byte("x")}
	n.e.HandleFrame(2*time.Second, 2, &mesh.Frame{Type: mesh.FrameData, Msg: relayed})
	recent, _, err := n.e.Broadcast(4*time.Second, []byte("recent"))
	if err != nil {
		t.Fatal(err)
	}
	at := 7 * time.Second // DeadAfter later, its neighbours' links close
	n.e.HandleLinkClosed(at, 2)
	n.e.HandleLinkClosed(at, 3)
	n.link(at, 4)
	outs := copyOuts(n.e.HandleTimer(at+treeConfig().IHaveDelay, mesh.TimerIHave))
	var heard []mesh.MsgID
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameIHave && o.Link == 4 {
			for _, a := range o.Frame.IHave {
				heard = append(heard, a.ID)
			}
		}
	}
	if len(heard) != 1 || heard[0] != recent {
		t.Fatalf("the new link heard of %v, want only the recent own message %v (not %v, nor the relayed %v)", heard, recent, old, relayed.ID)
	}
}

// rootHandingOver is node 50, a root with two children, 2 and 3, that
// report a survey of the candidate it names making that candidate less
// eccentric (8 → 7), round after round, until the root hands the root to
// it: it returns the candidate, the other child, when the root handed it
// over and the round it then stood in.
func rootHandingOver(t *testing.T) (e *mesh.Engine, cand, other mesh.NodeID, handed time.Duration, round uint32) {
	t.Helper()
	e, cand, other, handed, round, ok := rootSurveyed(t, mesh.Survey{CandHeight: 7, CandFar: 100}, mesh.Survey{CandHeight: 6, CandFar: 80})
	if !ok {
		t.Fatal("the root never handed the root on")
	}
	return e, cand, other, handed, round
}

// rootSurveyed is rootHandingOver with the other child's and the
// candidate's CandHeight and CandFar given (their Height is 8, their Far
// 100), and without failing: ok says whether the root handed the root on
// within 30 rounds.
func rootSurveyed(t *testing.T, otherSub, candSub mesh.Survey) (e *mesh.Engine, cand, other mesh.NodeID, handed time.Duration, round uint32, ok bool) {
	t.Helper()
	e = rootOfTwo(t)
	for k := 1; k <= 30; k++ {
		now := time.Duration(k) * time.Second
		for _, o := range e.HandleTimer(now, mesh.TimerMaintain) {
			if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FramePosition && o.Frame.Survey.Cand != 0 {
				cand = o.Frame.Survey.Cand
			}
		}
		pos, _ := e.TreePosition()
		round = pos.Round
		for _, p := range []mesh.NodeID{2, 3} {
			v := mesh.Survey{Cand: cand, Dist: 1, Done: true, Height: 8, CandHeight: otherSub.CandHeight, Far: 100, CandFar: otherSub.CandFar}
			if p == cand {
				v = mesh.Survey{Cand: cand, Dist: 0, Done: true, Height: 8, CandHeight: candSub.CandHeight, Far: 100, CandFar: candSub.CandFar}
			}
			if cand == 0 {
				v = mesh.Survey{}
			}
			for _, o := range e.HandleFrame(now+1, mesh.LinkID(p), &mesh.Frame{Type: mesh.FramePosition, Pos: mesh.Position{Root: 50, Round: round, Rank: 1}, Load: childLoad, Survey: v}) {
				if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameRoundRequest && o.Frame.Pos.Root == cand {
					return e, cand, 5 - cand, now, round, true
				}
			}
		}
	}
	return e, 0, 0, 0, 0, false
}

// On a plateau, where no neighbour of the root is less eccentric, the root
// walks to one as eccentric and less far (farness 141 against 200): each
// move still lowers (eccentricity, farness). (On multi-1000, seed 3, the
// oldest root had eccentricity 8 in an overlay of radius 6 and all its
// neighbours 8 or 9: it never moved, and a first message went 15 hops.)
// One as eccentric and about as far (197 against 200) is not taken.
func TestTreeRootWalksAcrossAnEccentricityPlateau(t *testing.T) {
	if _, _, _, _, _, ok := rootSurveyed(t, mesh.Survey{CandHeight: 8, CandFar: 80}, mesh.Survey{CandHeight: 7, CandFar: 60}); !ok {
		t.Fatal("the root stayed on the plateau: no hand-over to the as eccentric, less far candidate")
	}
	if _, _, _, _, _, ok := rootSurveyed(t, mesh.Survey{CandHeight: 8, CandFar: 98}, mesh.Survey{CandHeight: 7, CandFar: 98}); ok {
		t.Fatal("the root moved to an as eccentric candidate only 1.5% less far")
	}
}

// rootOfTwo is node 50 (CentreRoot), a root whose two neighbours, 2 and
// 3, relay and took it as their parent.
func rootOfTwo(t *testing.T) *mesh.Engine {
	t.Helper()
	cfg := treeConfig()
	cfg.Port, cfg.CentreRoot = 9000, true
	e := newEngineOrFail(t, cfg, 50, 1, rand.New(rand.NewPCG(50, 1)))
	e.Start(0)
	for _, p := range []mesh.NodeID{2, 3} {
		id := mesh.LinkID(p)
		e.HandleLinkOpened(1, id, mesh.Incoming, 0, mesh.Addr{Port: uint16(p)})
		e.HandleFrame(1, id, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: p, Instance: 1, Port: uint16(p), Load: childLoad}})
		e.HandleFrame(2, id, &mesh.Frame{Type: mesh.FrameGraft}) // its parent is the node
	}
	return e
}

// surveyRounds drives rootOfTwo's root through rounds from to to (its
// pulse at k seconds) and returns the candidate its Positions named in
// each (0: none; 50, itself: a probe), and the round in which it handed
// the root on (0: none; it stops there). Each child answers the round
// with its Position and, while the root surveys, its whole subtree's
// figures: height, far, and a candidate a hop less eccentric, 30% less
// far from its own nodes and 10% from the other child's. With traffic, a
// message from child 2 passes the root in every round.
func surveyRounds(e *mesh.Engine, from, to int, height uint16, far uint32, traffic bool) (named map[int]mesh.NodeID, handed int) {
	named = map[int]mesh.NodeID{}
	for k := from; k <= to; k++ {
		now := time.Duration(k) * time.Second
		var cand mesh.NodeID
		for _, o := range e.HandleTimer(now, mesh.TimerMaintain) {
			if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FramePosition {
				cand = o.Frame.Survey.Cand
			}
		}
		named[k] = cand
		pos, _ := e.TreePosition()
		for _, p := range []mesh.NodeID{2, 3} {
			v := mesh.Survey{Cand: cand, Dist: 1, Done: true, Height: height, CandHeight: height - 1, Far: far, CandFar: far - far/10}
			switch cand {
			case 0:
				v = mesh.Survey{}
			case 50:
				v.CandHeight, v.CandFar = height, far
			case p:
				v.Dist, v.CandFar = 0, far-far*3/10
			}
			for _, o := range e.HandleFrame(now+1, mesh.LinkID(p), &mesh.Frame{Type: mesh.FramePosition, Pos: mesh.Position{Root: 50, Round: pos.Round, Rank: 1}, Load: childLoad, Survey: v}) {
				if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameRoundRequest && o.Frame.Pos.Root == cand {
					return named, k
				}
			}
		}
		if traffic {
			msg := mesh.Message{ID: mesh.MsgID{Origin: 9, Seq: uint64(k)}, Hops: 1, Payload: []byte("m")}
			e.HandleFrame(now+500*time.Millisecond, 2, &mesh.Frame{Type: mesh.FrameData, Msg: msg})
		}
	}
	return named, 0
}

// A settled root's surveys rest (treecentre.go): once a survey found its
// tree shallow, it names no candidate but itself, in a probe every 16
// rounds; while messages pass, not even that; and when a probe finds the
// tree 7 deep (nodes joined), the walk wakes and surveys its neighbours.
// (Before, the root surveyed a neighbour every 4 to 32 rounds however
// settled, and a survey went on round after round while messages passed.)
func TestTreeSurveysRestOnceSettled(t *testing.T) {
	e := rootOfTwo(t)
	named, _ := surveyRounds(e, 1, 40, 5, 100, false)
	first := 0
	for k := 1; k <= 40; k++ {
		if c := named[k]; c != 0 && c != 50 && first == 0 {
			first = k
		}
	}
	if first == 0 || first > 5 {
		t.Fatalf("candidates named in rounds 1-40: %v; want a neighbour surveyed in the first rounds", named)
	}
	probes := 0
	for k := first + 1; k <= 40; k++ {
		switch named[k] {
		case 0:
		case 50:
			probes++
		default:
			t.Fatalf("round %d: the settled root surveyed %s (rounds: %v)", k, named[k], named)
		}
	}
	if probes == 0 || probes > 3 {
		t.Fatalf("%d rounds of probes in rounds %d-40 of a settled root, want one in 16 (%v)", probes, first+1, named)
	}
	busy, _ := surveyRounds(e, 41, 100, 5, 100, true)
	for k, c := range busy {
		if c != 0 {
			t.Fatalf("round %d: the settled root surveyed %s while messages passed", k, c)
		}
	}
	woke := 0
	grown, _ := surveyRounds(e, 101, 140, 8, 100, false)
	for k, c := range grown {
		if c != 0 && c != 50 && (woke == 0 || k < woke) {
			woke = k
		}
	}
	if woke == 0 || woke > 101+3+16+1 {
		t.Fatalf("the tree grew 8 deep at round 101, and the root surveyed a neighbour at round %d, want within quiet + a probe period", woke)
	}
}

// A neighbour more central than the root while the overlay still grows
// (the root's own farness moves from one round to the next) is surveyed
// again, not counted as tried: once the overlay holds still, the root
// hands the root to it within a few rounds, before the broadcasts begin.
// (On multi-1000, seed 3, it was given up while the overlay grew; the
// fruitless sweeps' rests doubled to 16 rounds, and the next survey of it
// came during the broadcasts, when the root does not move: the oldest
// root, eccentricity 8 in an overlay of radius 6, stayed, last hop 15.)
func TestTreeCentralCandidateSurveyedAgainOnceTheOverlayHoldsStill(t *testing.T) {
	e := rootOfTwo(t)
	for k := 1; k <= 50; k++ { // growing: 1,100 to 251,000, 4% or more a round
		if _, handed := surveyRounds(e, k, k, 8, 1000+100*uint32(k*k), false); handed != 0 {
			t.Fatalf("the root moved at round %d while its own figures changed every round", handed)
		}
	}
	_, handed := surveyRounds(e, 51, 90, 8, 251000, false)
	if handed == 0 || handed > 58 {
		t.Fatalf("the overlay held still from round 51 and the root handed the root to its more central neighbour at round %d, want by 58 (0: never in 51-90)", handed)
	}
}

// childLoad is the load the children of rootHandingOver tell: they relay.
var childLoad = mesh.Load{In: 1, FreeIn: 3}

// A root that once handed the root on, and is a root again later (the
// node it handed it to died), answers a request for a new round at once,
// as every root does: the hand-over it waited for is long over. (Before,
// it ignored such requests until its next pulse, leaving a node cut off
// from the tree for up to a round.)
func TestTreeFormerRootAnswersRoundRequestsAtOnce(t *testing.T) {
	e, cand, other, handed, round := rootHandingOver(t)
	// The candidate takes the root; the node follows it; then it dies.
	e.HandleFrame(handed+2, mesh.LinkID(cand), &mesh.Frame{Type: mesh.FramePosition, Pos: mesh.Position{Root: cand, Round: round + 1}, Load: childLoad})
	if pos, parent := e.TreePosition(); pos.Root != cand || parent != cand {
		t.Fatalf("position %+v parent %s after the hand-over, want root and parent %s", pos, parent, cand)
	}
	died := handed + 500*time.Millisecond
	e.HandleLinkClosed(died, mesh.LinkID(cand))
	// Rounds later the node gives the dead root up and is a root again.
	var now time.Duration
	for now = handed + time.Second; now < died+5*time.Second; now += time.Second {
		e.HandleTimer(now, mesh.TimerMaintain)
		if pos, _ := e.TreePosition(); pos.Root == 50 {
			break
		}
	}
	pos, _ := e.TreePosition()
	if pos.Root != 50 {
		t.Fatalf("position %+v: the node did not stand as a root once %s died", pos, cand)
	}
	// Its other neighbour, cut off, asks it for a new round before its
	// next pulse: the round starts at once.
	want := pos.Round + 1
	e.HandleFrame(now+100*time.Millisecond, mesh.LinkID(other), &mesh.Frame{Type: mesh.FrameRoundRequest, Pos: mesh.Position{Root: 50, Round: want}})
	if pos, _ := e.TreePosition(); pos.Round != want {
		t.Fatalf("round %d after a request for round %d: the former root ignored it", pos.Round, want)
	}
}

// A hand-over whose link closes before the candidate took the root is
// over: the root starts its next round at its next pulse, rather than
// leave its tree without a round for two (after which its nodes take it
// for dead).
func TestTreeHandOverEndsWithItsLink(t *testing.T) {
	e, cand, _, handed, round := rootHandingOver(t)
	e.HandleLinkClosed(handed+100*time.Millisecond, mesh.LinkID(cand))
	e.HandleTimer(handed+time.Second, mesh.TimerMaintain)
	if pos, _ := e.TreePosition(); pos.Root != 50 || pos.Round != round+1 {
		t.Fatalf("position %+v at the pulse after the candidate's link closed, want root 50 in round %d", pos, round+1)
	}
}
