package mesh_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"p2pmesh/internal/longtest"
	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// LANs whose bridges all die link up again: four LANs of 50, each bridged
// to the previous one by a static peer, lose every bridge, 80% of their
// other nodes and every link between LANs at once. The survivors know which of their peers are on other LANs
// (LAN tags), and those left short dial one of them beside their LAN
// peers: within 10 s of virtual time they are one mesh again, as one LAN
// would be.
func TestLANsWithDeadBridgesLinkUpAgain(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			if seed > 1 {
				longtest.Skip(t) // about 2 s each under -race
			}
			lansLoseTheirBridges(t, seed)
		})
	}
}

func lansLoseTheirBridges(t *testing.T, seed uint64) {
	const lans, perLAN = 4, 100
	net := sim.DefaultNetwork()
	net.Latency = sim.Latency{Dist: sim.Uniform, Min: time.Millisecond, Max: 5 * time.Millisecond}
	net.CrossLatency = sim.Latency{Dist: sim.Uniform, Min: 10 * time.Millisecond, Max: 30 * time.Millisecond}
	s := newSimOrFail(t, seed, net)
	rng := rand.New(rand.NewPCG(seed, 99))
	var bridges, others []sim.NodeIndex
	for _, lan := range addChainedLANs(t, s, lans, perLAN, "l", func(int, int) mesh.Config { return mesh.DefaultConfig() }) {
		bridges = append(bridges, lan[0])
		s.Start(lan[0], 0)
		for _, idx := range lan[1:] {
			others = append(others, idx)
			s.Start(idx, time.Duration(rng.Int64N(int64(5*time.Second))))
		}
	}
	runChecked(t, s, 20*time.Second, time.Second)
	if c := components(s); c != 1 {
		t.Fatalf("%d components before the failure", c)
	}
	// Every bridge dies and 80% of the other nodes, then one end of every
	// link between LANs that is left: none is.
	dead := map[sim.NodeIndex]bool{}
	for _, i := range bridges {
		dead[i] = true
	}
	rng.Shuffle(len(others), func(a, b int) { others[a], others[b] = others[b], others[a] })
	for _, i := range others[:len(others)*7/10] {
		dead[i] = true
	}
	for _, e := range s.Topology().Edges {
		if s.Node(e[0]).Segment != s.Node(e[1]).Segment && !dead[e[0]] && !dead[e[1]] {
			dead[e[0]] = true
		}
	}
	for i := range dead {
		s.Kill(i, false)
	}
	survivors := map[string]int{}
	for _, i := range s.Topology().Nodes {
		survivors[s.Node(i).Segment]++
	}
	t.Logf("survivors by LAN: %v", survivors)
	if len(survivors) != lans {
		t.Fatalf("a LAN lost every node: %v", survivors)
	}
	runChecked(t, s, 10*time.Second, 500*time.Millisecond)
	if c := components(s); c != 1 {
		t.Fatalf("%d components 10 s after the failure, want 1", c)
	}
}

// A short node that lost a link to a crash and has no link to another LAN
// dials a peer it knows to be elsewhere, beside its other dials and even if
// that peer is full; once it has such a link it dials no other.
func TestShortNodeReachesElsewhere(t *testing.T) {
	const ours, theirs mesh.LANTag = 77, 99
	h := lostANeighbour(t, ours)
	// Link 2, on our LAN, names a full peer it knows to be elsewhere and
	// LAN peers with room.
	tell := func(far mesh.NodeID) []mesh.Output {
		peers := []mesh.PeerInfo{{ID: far, Addr: peerAddr(far), Place: mesh.PlaceOtherLAN}}
		for p := mesh.NodeID(600); p < 604; p++ {
			peers = append(peers, mesh.PeerInfo{ID: p, Addr: peerAddr(p), FreeIn: 5})
		}
		return h.take(h.e.HandleFrame(h.now, 2, &mesh.Frame{Type: mesh.FramePeers, LAN: ours, Peers: peers}))
	}
	outs := append(tell(500), h.alive(h.now+time.Second, 2, 3)...)
	if !slices.Contains(dials(outs), 500) {
		t.Fatalf("a short node dialed %v, not the peer elsewhere (500)", dials(outs))
	}
	sendOf(t, h.take(h.e.HandleLinkOpened(h.now, 500, mesh.Outgoing, 500, peerAddr(500))), mesh.FrameHello)
	welcome := mesh.Frame{Type: mesh.FrameWelcome, Hello: mesh.Hello{ID: 500, Instance: 50000, Port: 9000, Load: mesh.Load{In: 5}, LAN: theirs}}
	h.take(h.e.HandleFrame(h.now, 500, &welcome))
	outs = append(tell(501), h.alive(h.now+3*time.Second, 2, 3, 500)...)
	if slices.Contains(dials(outs), 501) {
		t.Fatalf("a node linked to another LAN dialed another peer elsewhere: %v", dials(outs))
	}
}

// A LAN cut off by a mass failure links to the others again even when its
// survivors regain their LAN links before a dial across finds a live peer:
// a node that lost a link to a crash dials peers it knows to be elsewhere
// for a few tries more once it is no longer short, and a full peer
// elsewhere that refuses it with a referral sends it on at once to the
// peers named there that are elsewhere and have room. Seeds 3 and 27 of
// many-lans-mass-failure (with the periodic exchange postponed by other
// exchanges): lan4's survivors knew one or two live peers elsewhere, those
// that knew them were not short, those refused by one never dialed the
// live peers its referral named, and lan4 stayed apart to the end.
func TestSurvivorReachesElsewhereUntilOneAnswers(t *testing.T) {
	const ours, theirs mesh.LANTag = 77, 99
	h := lostANeighbour(t, ours)
	// Three LAN peers link to the node: it has MaxOut links again, not
	// short, with room for outgoing ones.
	lids := []mesh.LinkID{2, 3}
	for p := mesh.NodeID(5); p < 8; p++ {
		h.accept(mesh.LinkID(p), p, mesh.Load{Out: 1, FreeIn: 5})
		lids = append(lids, mesh.LinkID(p))
	}
	if l := h.e.Load(); int(l.Degree()) < mesh.DefaultConfig().MaxOut {
		t.Fatalf("load %+v: the node must not be short", l)
	}
	// A LAN neighbour names a full peer elsewhere, 500.
	far := []mesh.PeerInfo{{ID: 500, Addr: peerAddr(500), Place: mesh.PlaceOtherLAN}}
	outs := h.take(h.e.HandleFrame(h.now, 2, &mesh.Frame{Type: mesh.FramePeers, LAN: ours, Peers: far}))
	outs = append(outs, h.alive(h.now+2*time.Second, lids...)...)
	if !slices.Contains(dials(outs), 500) {
		t.Fatalf("a node that lost a link to a crash, not short, dialed %v, not the peer elsewhere (500)", dials(outs))
	}
	// 500 is full and refers it to its LAN neighbours 501 (full) and 502.
	sendOf(t, h.take(h.e.HandleLinkOpened(h.now, 500, mesh.Outgoing, 500, peerAddr(500))), mesh.FrameHello)
	referral := mesh.Frame{Type: mesh.FramePeers, LAN: theirs, Peers: []mesh.PeerInfo{
		{ID: 501, Addr: peerAddr(501), Place: mesh.PlaceSameLAN},
		{ID: 502, Addr: peerAddr(502), FreeIn: 2, Place: mesh.PlaceSameLAN},
	}}
	if got := dials(h.take(h.e.HandleFrame(h.now, 500, &referral))); !slices.Equal(got, []mesh.NodeID{502}) {
		t.Fatalf("refused by a peer elsewhere, the node dialed %v at once, want the peer elsewhere with room the referral named (502)", got)
	}
}

// A neighbour whose tag now places it differently hears ours at once: the
// two ends of a link learn each other's tags in either order, so a link
// made before one end was sure of its LAN's name (a static bridge dialed
// at start) does not stay unplaced at that end, nor a link between two
// nodes that disagreed on their LAN's name stay "elsewhere". Seed 6 of the
// ten-LAN mass failure (p2psim study mass-failure --nodes 10000 --lan 1000
// --kill 90): a bridge's link to the next LAN stayed unplaced for the
// whole run, and its LAN ended apart.
func TestNeighbourPlacedAnewHearsOurTag(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	h := newHand(t, 1, cfg)
	const ours, theirs mesh.LANTag = 77, 99
	h.take(h.e.HandleBeacon(h.now, &mesh.Beacon{ID: 2, Instance: 200, Port: 9000, Load: mesh.Load{FreeIn: 5}, LAN: ours}, peerAddr(2)))
	// Peer 50 links to us while it has no name for its LAN (tag 0).
	h.accept(50, 50, mesh.Load{Out: 1, FreeIn: 5})
	peersOn := func(outs []mesh.Output, lid mesh.LinkID) []mesh.Frame {
		var fs []mesh.Frame
		for _, o := range outs {
			if o.Kind == mesh.OutSend && o.Link == lid && o.Frame.Type == mesh.FramePeers {
				fs = append(fs, o.Frame)
			}
		}
		return fs
	}
	// It learns its LAN's name and tells us: it is elsewhere, and it had
	// our tag from nothing it heard since its Hello went out.
	outs := h.take(h.e.HandleFrame(h.now, 50, &mesh.Frame{Type: mesh.FramePeers, LAN: theirs}))
	if fs := peersOn(outs, 50); len(fs) != 1 || fs[0].LAN != ours {
		t.Fatalf("a neighbour now known to be elsewhere got %v, want one peer exchange with our tag %d", fs, ours)
	}
	// Told again, nothing changed: no answer, so two ends never echo.
	outs = h.take(h.e.HandleFrame(h.now, 50, &mesh.Frame{Type: mesh.FramePeers, LAN: theirs}))
	if fs := peersOn(outs, 50); len(fs) != 0 {
		t.Fatalf("a neighbour whose place did not change got %d peer exchanges, want none", len(fs))
	}
	// It takes our name after all (it is on our LAN): it hears ours again.
	outs = h.take(h.e.HandleFrame(h.now, 50, &mesh.Frame{Type: mesh.FramePeers, LAN: ours}))
	if fs := peersOn(outs, 50); len(fs) != 1 || fs[0].LAN != ours {
		t.Fatalf("a neighbour now on our LAN got %v, want one peer exchange with our tag", fs)
	}
}

// An exchange names up to half its peers among those known to be
// elsewhere, drawn uniformly: a LAN whose nodes each name one, weighted by
// the free slots of stale news, soon knew the same twenty peers elsewhere
// (seeds 6, 9 and 10 of the ten-LAN mass failure at 90%: none of them
// survived, and the LAN stayed apart).
func TestExchangeNamesSeveralPeersElsewhere(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	h := newHand(t, 1, cfg)
	const ours mesh.LANTag = 77
	h.take(h.e.HandleBeacon(h.now, &mesh.Beacon{ID: 2, Instance: 200, Port: 9000, Load: mesh.Load{FreeIn: 5}, LAN: ours}, peerAddr(2)))
	h.accept(3, 3, mesh.Load{Out: 1, FreeIn: 5})
	h.take(h.e.HandleFrame(h.now, 3, &mesh.Frame{Type: mesh.FramePeers, LAN: ours}))
	var far []mesh.PeerInfo
	for p := mesh.NodeID(500); p < 520; p++ {
		far = append(far, mesh.PeerInfo{ID: p, Addr: peerAddr(p), Place: mesh.PlaceOtherLAN}) // full
	}
	h.take(h.e.HandleFrame(h.now, 3, &mesh.Frame{Type: mesh.FramePeers, LAN: ours, Peers: far}))
	named := map[mesh.NodeID]int{}
	for k := 0; k < 40; k++ {
		outs := h.accept(mesh.LinkID(1000+k), mesh.NodeID(1000+k), mesh.Load{Out: 1, FreeIn: 5}) // a new link gets an exchange, on the Welcome
		h.take(h.e.HandleLinkClosed(h.now, mesh.LinkID(1000+k)))
		n := 0
		for _, o := range outs {
			if o.Kind != mesh.OutSend || o.Link != mesh.LinkID(1000+k) || o.Frame.Type != mesh.FrameWelcome {
				continue
			}
			for _, p := range o.Frame.Peers {
				if p.Place == mesh.PlaceOtherLAN {
					named[p.ID]++
					n++
				}
			}
		}
		if n < cfg.ExchangeSize/2 {
			t.Fatalf("exchange %d named %d peers elsewhere, want at least %d of the 20 known", k, n, cfg.ExchangeSize/2)
		}
	}
	if len(named) < 18 {
		t.Fatalf("40 exchanges named %d distinct peers elsewhere of 20, want nearly all", len(named))
	}
}

// A node whose link to a bridge (its handshake said so) dies reaches across
// like one whose own link off the LAN died, even with links to spare: the
// bridge's LAN neighbours take over from it. A peer known to be elsewhere
// is never dialed just because the LAN's peers are full.
func TestBridgeNeighbourTakesOver(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	h := newHand(t, 1, cfg)
	const ours mesh.LANTag = 77
	hear := func(id mesh.NodeID) {
		h.take(h.e.HandleBeacon(h.now, &mesh.Beacon{ID: id, Instance: uint64(id) * 100, Port: 9000, Load: mesh.Load{FreeIn: 5}, LAN: ours}, peerAddr(id)))
	}
	for p := mesh.NodeID(2); p < 7; p++ {
		hear(p)
	}
	lids := []mesh.LinkID{}
	// It dials its target of 4 outgoing links (dialing.go's huntTarget).
	for _, p := range h.linkDials(4, mesh.Load{In: 1, FreeIn: 4}) {
		lids = append(lids, mesh.LinkID(p))
		h.take(h.e.HandleFrame(h.now, mesh.LinkID(p), &mesh.Frame{Type: mesh.FramePeers, LAN: ours}))
	}
	// Two LAN peers dial us; one of them bridges.
	h.take(h.e.HandleLinkOpened(h.now, 40, mesh.Incoming, 0, peerAddr(40)))
	hello := mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 40, Instance: 4000, Port: 9000, Load: mesh.Load{Out: 2, FreeIn: 3}, LAN: ours, Flags: mesh.HelloBridge}}
	sendOf(t, h.take(h.e.HandleFrame(h.now, 40, &hello)), mesh.FrameWelcome)
	h.accept(41, 41, mesh.Load{Out: 1, FreeIn: 5})
	lids = append(lids, 41)
	// A LAN neighbour names a peer elsewhere, with room.
	far := []mesh.PeerInfo{{ID: 500, Addr: peerAddr(500), FreeIn: 5, Place: mesh.PlaceOtherLAN}}
	outs := h.take(h.e.HandleFrame(h.now, lids[0], &mesh.Frame{Type: mesh.FramePeers, LAN: ours, Peers: far}))
	outs = append(outs, h.alive(h.now+2*time.Second, append(lids, 40)...)...)
	if slices.Contains(dials(outs), 500) {
		t.Fatalf("a node with links on its LAN dialed a peer elsewhere: %v", dials(outs))
	}
	// The bridge crashes: its link dies; the node has links to spare.
	outs = h.alive(h.now+4*time.Second, lids...)
	if n := h.e.Stats().DeadLinks; n != 1 {
		t.Fatalf("%d dead links, want 1", n)
	}
	if !slices.Contains(dials(outs), 500) {
		t.Fatalf("the bridge's neighbour dialed %v, not the peer elsewhere (500)", dials(outs))
	}
}

// lanHand returns a hand-driven node 1 (rotation off) on LAN 77, with
// links from LAN peers 3 and 4 and, if elsewhere, from peer 50 on LAN 99,
// each placed by a peer exchange telling its tag.
func lanHand(t *testing.T, elsewhere bool) *hand {
	t.Helper()
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	h := newHand(t, 1, cfg)
	const ours, theirs mesh.LANTag = 77, 99
	h.take(h.e.HandleBeacon(h.now, &mesh.Beacon{ID: 2, Instance: 200, Port: 9000, Load: mesh.Load{FreeIn: 5}, LAN: ours}, peerAddr(2)))
	peers := []mesh.NodeID{3, 4}
	if elsewhere {
		peers = append(peers, 50)
	}
	for _, p := range peers {
		h.accept(mesh.LinkID(p), p, mesh.Load{Out: 1, FreeIn: 5})
		tag := ours
		if p == 50 {
			tag = theirs
		}
		h.take(h.e.HandleFrame(h.now, mesh.LinkID(p), &mesh.Frame{Type: mesh.FramePeers, LAN: tag}))
	}
	return h
}

// peerFrames returns the peer exchanges sent on link lid in outs.
func peerFrames(outs []mesh.Output, lid mesh.LinkID) []mesh.Frame {
	var fs []mesh.Frame
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Link == lid && o.Frame.Type == mesh.FramePeers {
			fs = append(fs, o.Frame)
		}
	}
	return fs
}

// namedIn counts how often the peer exchanges fs name each peer from lo up
// to hi at place p.
func namedIn(fs []mesh.Frame, lo, hi mesh.NodeID, p mesh.Place) map[mesh.NodeID]int {
	named := map[mesh.NodeID]int{}
	for _, f := range fs {
		for _, q := range f.Peers {
			if q.ID >= lo && q.ID < hi && q.Place == p {
				named[q.ID]++
			}
		}
	}
	return named
}

// A node linked to a peer on another LAN sends it a peer exchange at every
// maintenance round, not one to a random neighbour every ExchangeInterval:
// what a LAN with one bridge learnt of the others entered a few peers
// every ten seconds (mesh/elsewhere.go). And the LAN peers its LAN
// neighbours name are what it names across as peers on its LAN.
func TestExchangesAcrossEveryRound(t *testing.T) {
	h := lanHand(t, true)
	var lan []mesh.PeerInfo
	for p := mesh.NodeID(600); p < 620; p++ {
		lan = append(lan, mesh.PeerInfo{ID: p, Addr: peerAddr(p), FreeIn: 2, Place: mesh.PlaceSameLAN})
	}
	h.take(h.e.HandleFrame(h.now, 3, &mesh.Frame{Type: mesh.FramePeers, LAN: 77, Peers: lan}))
	outs := h.alive(h.now+5*time.Second, 3, 4, 50)
	fs := peerFrames(outs, 50)
	if len(fs) < 4 {
		t.Fatalf("%d peer exchanges across in 5 s, want one a maintenance round", len(fs))
	}
	if named := namedIn(fs, 600, 620, mesh.PlaceSameLAN); len(named) < 5 {
		t.Fatalf("the exchanges across named %d of the 20 LAN peers a neighbour told of as on our LAN, want most", len(named))
	}
}

// News of peers elsewhere is passed on as a rumour: a node that an exchange
// told of peers elsewhere it did not know sends a LAN neighbour an exchange
// naming peers elsewhere at its next maintenance round, and nothing more
// while no news comes.
func TestNewsOfPeersElsewhereIsPassedOn(t *testing.T) {
	h := lanHand(t, false)
	const ours mesh.LANTag = 77
	h.alive(h.now+2*time.Second, 3, 4)
	var far []mesh.PeerInfo
	for p := mesh.NodeID(500); p < 510; p++ {
		far = append(far, mesh.PeerInfo{ID: p, Addr: peerAddr(p), Place: mesh.PlaceOtherLAN})
	}
	h.take(h.e.HandleFrame(h.now, 3, &mesh.Frame{Type: mesh.FramePeers, LAN: ours, Peers: far}))
	outs := h.alive(h.now+1100*time.Millisecond, 3, 4)
	if passed := namedIn(append(peerFrames(outs, 3), peerFrames(outs, 4)...), 500, 510, mesh.PlaceOtherLAN); len(passed) == 0 {
		t.Fatalf("news of 10 peers elsewhere was not passed on within a maintenance round")
	}
	// The same news again is no news.
	h.take(h.e.HandleFrame(h.now, 4, &mesh.Frame{Type: mesh.FramePeers, LAN: ours, Peers: far}))
	outs = h.alive(h.now+3*time.Second, 3, 4)
	if n := len(peerFrames(outs, 3)) + len(peerFrames(outs, 4)); n != 0 {
		t.Fatalf("%d peer exchanges without news before the next ExchangeInterval, want none", n)
	}
}

// lostANeighbour returns node 1 of LAN lan (rotation off), linked out to
// its LAN peers 2 and 3, after the neighbour that had linked in to it (4)
// crashed: its link died.
func lostANeighbour(t *testing.T, lan mesh.LANTag) *hand {
	t.Helper()
	cfg := mesh.DefaultConfig()
	cfg.RotateInterval = 0
	h := newHand(t, 1, cfg)
	for _, id := range []mesh.NodeID{2, 3} {
		h.take(h.e.HandleBeacon(h.now, &mesh.Beacon{ID: id, Instance: uint64(id) * 100, Port: 9000, Load: mesh.Load{FreeIn: 5}, LAN: lan}, peerAddr(id)))
	}
	for _, p := range h.linkDials(2, mesh.Load{In: 1, FreeIn: 4}) {
		h.take(h.e.HandleFrame(h.now, mesh.LinkID(p), &mesh.Frame{Type: mesh.FramePeers, LAN: lan}))
	}
	h.accept(4, 4, mesh.Load{Out: 1, FreeIn: 5})
	h.alive(h.now+4*time.Second, 2, 3)
	if n := h.e.Stats().DeadLinks; n != 1 {
		t.Fatalf("%d dead links, want 1", n)
	}
	return h
}
