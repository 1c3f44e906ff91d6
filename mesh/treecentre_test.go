package mesh_test

import (
	"fmt"
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
	var first []sim.NodeIndex
	for g := 0; g < segments; g++ {
		seg := s.AddSegment(fmt.Sprintf("lan%d", g))
		for i := 0; i < per; i++ {
			cfg := treeConfig()
			cfg.RotateInterval = 0
			cfg.ExchangeSize = 0 // no addresses beyond the LAN
			cfg.CentreRoot = centre
			if i == 0 && g > 0 {
				cfg.StaticPeers = []mesh.Addr{s.Node(first[g-1]).Addr}
			}
			idx, err := s.AddNode(fmt.Sprintf("g%dn%d", g, i), "", cfg, seg)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = append(first, idx)
			}
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
	// No free rider is ever surveyed, so never handed the root: checked
	// by TestTreeFreeRiderNeverRoot.
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
