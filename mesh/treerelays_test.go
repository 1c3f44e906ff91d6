package mesh_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"p2pmesh/internal/adversary"
	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// Tree mode with a third of the nodes siphoners: no honest node keeps one as
// its tree parent, and broadcasts travel the tree (few redundant copies),
// whether the siphoners show that they accept no links (free riders) or
// accept links like honest nodes and relay nothing (caught by their
// children: on this seed, without that rule, two honest nodes keep a
// siphoner as parent and the mean RMR is 0.077). Siphoners that accept links
// start last here: one that became the oldest root is not caught (see
// treerelays.go).
func TestSiphonersAreNoTreeParents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		maxIn int
	}{{"free riders", 0}, {"accepting links", 5}} {
		t.Run(tc.name, func(t *testing.T) {
			honestCfg := mesh.DefaultConfig()
			honestCfg.Mode = mesh.ModeTree
			siphonCfg := honestCfg
			siphonCfg.Misbehave(adversary.Siphoner())
			siphonCfg.MaxIn = tc.maxIn
			s := newSimOrFail(t, 8, sim.DefaultNetwork())
			// Siphoners start last: not the oldest root (see treerelays.go).
			honest := startMix(t, s, 60, 3, honestCfg, siphonCfg, 5*time.Second)
			siphoner := map[mesh.NodeID]bool{}
			for i := range s.NodeCount() {
				if n := s.Node(sim.NodeIndex(i)); n.Group == "siphon" {
					siphoner[n.ID] = true
				}
			}
			s.RunFor(20 * time.Second)
			send := func(n int) {
				for k := range n {
					if _, err := s.Broadcast(honest[(k*7)%len(honest)], 100); err != nil {
						t.Fatal(err)
					}
					s.RunFor(200 * time.Millisecond)
				}
				s.RunFor(3 * time.Second)
			}
			send(10) // siphoners that accept links are caught by what they fail to relay
			first := len(s.Broadcasts())
			send(10)
			var rmr float64
			for _, r := range s.Broadcasts()[first:] {
				if r.Reliability != 1 {
					t.Fatalf("a broadcast reached %d of %d honest nodes", r.Delivered, r.Alive)
				}
				rmr += r.RMR
			}
			if rmr /= 10; rmr > 0.05 {
				t.Errorf("mean RMR %.3f, want below 0.05: payloads leave the tree", rmr)
			}
			for _, i := range honest {
				if _, parent := s.Engine(i).TreePosition(); siphoner[parent] {
					t.Errorf("honest node %d follows siphoner %s", i, parent)
				}
			}
		})
	}
}

// A parent is not blamed for messages heard of within GraftTimeout of
// taking it: it relayed them before it knew the node as its child, and
// announces them (again: announceRecent) rather than pushing them. The
// node fetches what its parent announces soon (IHaveDelay/2: nothing is on
// its way over the tree) and keeps its parent; an announcement from another
// neighbour waits GraftTimeout for the tree's copy.
func TestNewParentIsNotBlamedForWhatItRelayedBefore(t *testing.T) {
	cfg := treeConfig()
	n := newTreeNode(t, 10, 2, 3, 4)
	n.position(2, 2, 5, 1, 1)
	n.position(2, 3, 5, 1, 2)
	n.position(2, 4, 5, 1, 2)
	n.expect(5, 1, 2, 2) // parent 2 since time 2
	now := mesh.Time(3)
	for _, origin := range []mesh.NodeID{9, 19, 29, 39} { // four origins' first messages
		var due mesh.Time
		for _, o := range n.ihave(now, 2, origin, 1, 3) {
			if o.Kind == mesh.OutTimer && o.Timer == mesh.TimerGraft {
				due = o.At
			}
		}
		if due != now+cfg.IHaveDelay/2 {
			t.Fatalf("origin %s: graft timer at %v, want %v (announced by the parent)", origin, due, now+cfg.IHaveDelay/2)
		}
		fetched := false
		for _, f := range sends(n.e.HandleTimer(due, mesh.TimerGraft), mesh.FrameGraft)[2] {
			fetched = fetched || len(f.IDs) == 1 && f.IDs[0] == mesh.MsgID{Origin: origin, Seq: 1}
		}
		if !fetched {
			t.Fatalf("origin %s: no fetch from the parent", origin)
		}
		n.data(due+1, 2, origin, 1, 4)
		now = due + 2
	}
	n.expect(5, 1, 2, 2)
	for _, o := range n.ihave(now, 4, 8, 1, 3) {
		if o.Kind == mesh.OutTimer && o.Timer == mesh.TimerGraft && o.At != now+cfg.GraftTimeout {
			t.Fatalf("graft timer at %v, want %v", o.At, now+cfg.GraftTimeout)
		}
	}
}

// A new child hears again of what its parent relayed within the last
// GraftTimeout (it may have missed it while it was not the child yet), at
// once: not IHaveDelay later, with the next batch (tree-burst-100, seed
// 11: a node that moved to a new parent mid-burst heard of six messages 20
// ms later so, and had them 75 ms after they were sent).
func TestNewChildHearsOfRecentMessages(t *testing.T) {
	cfg := treeConfig()
	n := newTreeNode(t, 10, 2, 3)
	n.data(3, 2, 9, 1, 2)
	n.data(3+cfg.GraftTimeout, 2, 19, 1, 2)
	n.e.HandleTimer(3+cfg.GraftTimeout+cfg.IHaveDelay, mesh.TimerIHave)
	now := 3 + cfg.GraftTimeout + cfg.IHaveDelay + 1
	// 3 takes this node as its parent.
	ih := sends(n.e.HandleFrame(now, 3, &mesh.Frame{Type: mesh.FrameGraft}), mesh.FrameIHave)[3]
	if len(ih) != 1 || len(ih[0].IHave) != 1 || ih[0].IHave[0].ID != (mesh.MsgID{Origin: 19, Seq: 1}) {
		t.Fatalf("want 19#1 (relayed %v ago) announced to the new child at once, not 9#1, got %v", cfg.IHaveDelay, ih)
	}
}

// A message the node heard of from a neighbour and then from its parent
// is fetched from the parent: it has it (it relayed it before the node
// became its child, or the node would have had it pushed) and relays, while
// the first announcer may be busier or a free rider. (Before, the first
// announcer was asked, and in tree-burst-100 at seed 11 its copies came 15
// ms after the Graft, at the height of the burst.)
func TestMissingMessageIsFetchedFromTheParentThatAnnouncedIt(t *testing.T) {
	cfg := treeConfig()
	n := newTreeNode(t, 10, 2, 3)
	n.position(2, 2, 5, 1, 1)
	n.position(2, 3, 5, 1, 2)
	n.expect(5, 1, 2, 2)
	n.ihave(3, 3, 9, 1, 3) // a neighbour first: the tree's copy may be on its way
	now := mesh.Time(4)
	var due mesh.Time
	for _, o := range n.ihave(now, 2, 9, 1, 2) {
		if o.Kind == mesh.OutTimer && o.Timer == mesh.TimerGraft {
			due = o.At
		}
	}
	if due != now+cfg.IHaveDelay/2 {
		t.Fatalf("graft timer at %v, want %v (the parent announced it)", due, now+cfg.IHaveDelay/2)
	}
	asked := map[mesh.LinkID]bool{}
	for link, fs := range sends(n.e.HandleTimer(due, mesh.TimerGraft), mesh.FrameGraft) {
		for _, f := range fs {
			asked[link] = asked[link] || slices.Contains(f.IDs, mesh.MsgID{Origin: 9, Seq: 1})
		}
	}
	if !asked[2] || asked[3] {
		t.Fatalf("asked %v: want 9#1 asked of the parent (link 2), not of the first announcer (3)", asked)
	}
}

// A siphoner passes nothing on, but a message it received is no longer
// missing: it asks no announcer for it, and counts no miss against the
// parent that delivered it. (Before, it did both, marked every neighbour as
// relaying nothing, was left with no parent, and got every message by a
// fetch, GraftTimeout late: tree-siphoners, seed 16, p99 196 ms.)
func TestSiphonerForgetsWhatItReceived(t *testing.T) {
	cfg := treeConfig()
	cfg.Port = 9000
	cfg.Misbehave(adversary.Siphoner())
	e, err := mesh.New(cfg, 10, 1, rand.New(rand.NewPCG(10, 1)))
	if err != nil {
		t.Fatal(err)
	}
	e.Start(0)
	n := &treeNode{t: t, e: e}
	n.link(1, 2)
	n.link(1, 3)
	n.position(2, 2, 2, 1, 0) // 2 is the root: this node's parent
	n.position(2, 3, 2, 1, 1)
	n.expect(2, 1, 1, 2)
	at := mesh.Time(time.Second)
	for seq := uint64(1); seq <= 5; seq++ {
		n.ihave(at, 3, 9, seq, 2)                 // heard of first from 3 ...
		n.data(at+time.Millisecond, 2, 9, seq, 1) // ... then the parent's copy
		at += cfg.GraftTimeout + time.Millisecond
		if g := sends(copyOuts(e.HandleTimer(at, mesh.TimerGraft)), mesh.FrameGraft); len(g) != 0 {
			t.Fatalf("message 9#%d received, then asked for: %v", seq, g)
		}
		at += 10 * time.Millisecond
	}
	n.expect(2, 1, 1, 2)
}
