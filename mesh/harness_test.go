package mesh_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// Rule tests run small meshes in the simulator, in virtual time.

// newSimOrFail is sim.New, failing the test on an error.
func newSimOrFail(t testing.TB, seed uint64, net sim.Network) *sim.Sim {
	t.Helper()
	s, err := sim.New(seed, net)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newEngineOrFail is mesh.New, failing the test when the configuration is
// refused (a test that discarded the error would go on with a nil engine).
func newEngineOrFail(t testing.TB, cfg mesh.Config, id mesh.NodeID, instance uint64, rng *rand.Rand) *mesh.Engine {
	t.Helper()
	e, err := mesh.New(cfg, id, instance, rng)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newLAN(t testing.TB, seed uint64, n int, cfg mesh.Config) *sim.Sim {
	t.Helper()
	s, err := sim.NewLAN(seed, n, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// addChainedLANs adds lans segments of per nodes each, named prefix+"g/n"
// (for example "g0n1" or "l0n1"), configured by cfgOf; the first node of
// every LAN but the first has a static peer: the first node of the
// previous LAN, the only link across LANs anybody configured. It returns
// the nodes by LAN, the bridge first; starting them is the caller's.
func addChainedLANs(t testing.TB, s *sim.Sim, lans, per int, names string, cfgOf func(lan, i int) mesh.Config) [][]sim.NodeIndex {
	t.Helper()
	nodes := make([][]sim.NodeIndex, lans)
	for g := range lans {
		seg := s.AddSegment(fmt.Sprintf("lan%d", g))
		for i := range per {
			cfg := cfgOf(g, i)
			if i == 0 && g > 0 {
				cfg.StaticPeers = []mesh.Addr{s.Node(nodes[g-1][0]).Addr}
			}
			idx, err := s.AddNode(fmt.Sprintf("%s%dn%d", names, g, i), "", cfg, seg)
			if err != nil {
				t.Fatal(err)
			}
			nodes[g] = append(nodes[g], idx)
		}
	}
	return nodes
}

// checkLinks fails the test if any running node is above its limits, is
// linked to itself, or holds two links to one peer.
func checkLinks(t testing.TB, s *sim.Sim) {
	t.Helper()
	var buf []mesh.LinkInfo
	for i := 0; i < s.NodeCount(); i++ {
		e := s.Engine(sim.NodeIndex(i))
		if e == nil {
			continue
		}
		cfg := e.Config()
		load := e.Load()
		if int(load.In) > cfg.MaxIn || int(load.Out) > cfg.MaxOut {
			t.Fatalf("t=%v node %d load %+v exceeds %d in / %d out", s.Now(), i, load, cfg.MaxIn, cfg.MaxOut)
		}
		buf = e.Links(buf[:0])
		seen := map[mesh.NodeID]bool{}
		for _, l := range buf {
			if l.Peer == e.ID() {
				t.Fatalf("t=%v node %d is linked to itself", s.Now(), i)
			}
			if seen[l.Peer] {
				t.Fatalf("t=%v node %d has two links to %s", s.Now(), i, l.Peer)
			}
			seen[l.Peer] = true
		}
	}
}

// runChecked advances the simulation by d in steps, checking link rules at
// every step.
func runChecked(t testing.TB, s *sim.Sim, d, step time.Duration) {
	t.Helper()
	end := s.Now() + d
	for s.Now() < end {
		s.Run(min(s.Now()+step, end))
		checkLinks(t, s)
	}
}

// startMix adds n nodes to a new LAN of s, starting one every 50 ms; every
// k-th of them (the first too) gets configuration siphonCfg, group "siphon"
// and starts siphonDelay later, the others honestCfg and group "honest". It
// returns the honest nodes.
func startMix(t testing.TB, s *sim.Sim, n, k int, honestCfg, siphonCfg mesh.Config, siphonDelay time.Duration) []sim.NodeIndex {
	t.Helper()
	seg := s.AddSegment("lan")
	var honest []sim.NodeIndex
	for i := range n {
		cfg, group, at := honestCfg, "honest", time.Duration(i)*50*time.Millisecond
		if i%k == 0 {
			cfg, group, at = siphonCfg, "siphon", at+siphonDelay
		}
		idx, err := s.AddNode("n", group, cfg, seg)
		if err != nil {
			t.Fatal(err)
		}
		if group == "honest" {
			honest = append(honest, idx)
		}
		s.Start(idx, at)
	}
	return honest
}

func components(s *sim.Sim) int { return len(s.Topology().Components()) }

// minDegree is the smallest number of links of a running node.
func minDegree(s *sim.Sim) int {
	m := -1
	for i := 0; i < s.NodeCount(); i++ {
		if e := s.Engine(sim.NodeIndex(i)); e != nil {
			if d := e.Load().Degree(); m < 0 || d < m {
				m = d
			}
		}
	}
	return m
}

// broadcastAndCheck sends one message from node from and requires every
// running node to deliver it exactly once.
func broadcastAndCheck(t testing.TB, s *sim.Sim, from sim.NodeIndex) sim.BroadcastResult {
	t.Helper()
	if _, err := s.Broadcast(from, 100); err != nil {
		t.Fatal(err)
	}
	s.RunFor(5 * time.Second)
	rs := s.Broadcasts()
	r := rs[len(rs)-1]
	if r.Reliability != 1 {
		t.Fatalf("broadcast from %d reached %d of %d nodes", from, r.Delivered, r.Alive)
	}
	if d := s.DuplicateDeliveries(); d != 0 {
		t.Fatalf("%d duplicate deliveries to applications", d)
	}
	return r
}

// hand drives one engine by hand, input by input, and keeps the timers it
// asks for, so that a test can let virtual time pass.
type hand struct {
	t      testing.TB
	e      *mesh.Engine
	now    time.Duration
	timers map[mesh.TimerKind]time.Duration
}

func newHand(t testing.TB, id mesh.NodeID, cfg mesh.Config) *hand {
	t.Helper()
	cfg.Port = 9000
	e, err := mesh.New(cfg, id, uint64(id)*100, rand.New(rand.NewPCG(uint64(id), 1)))
	if err != nil {
		t.Fatal(err)
	}
	h := &hand{t: t, e: e, timers: map[mesh.TimerKind]time.Duration{}}
	h.take(e.Start(0))
	return h
}

// take copies outs and records the timers among them.
func (h *hand) take(outs []mesh.Output) []mesh.Output {
	outs = append([]mesh.Output(nil), outs...)
	for _, o := range outs {
		if o.Kind == mesh.OutTimer {
			h.timers[o.Timer] = o.At
		}
	}
	return outs
}

// until fires every timer due up to t, in time order, and returns all the
// outputs they caused.
func (h *hand) until(t time.Duration) []mesh.Output {
	var all []mesh.Output
	for {
		kind, at := mesh.TimerKind(0), time.Duration(-1)
		for k, due := range h.timers {
			if due <= t && (at < 0 || due < at || due == at && k < kind) {
				kind, at = k, due
			}
		}
		if at < 0 {
			break
		}
		delete(h.timers, kind)
		h.now = max(h.now, at)
		all = append(all, h.take(h.e.HandleTimer(h.now, kind))...)
	}
	h.now = max(h.now, t)
	return all
}

// hearOffer makes the engine hear a beacon of peer id offering free slots.
func (h *hand) hearOffer(id mesh.NodeID, free uint8) []mesh.Output {
	return h.take(h.e.HandleBeacon(h.now, &mesh.Beacon{ID: id, Instance: uint64(id) * 100, Port: 9000, Load: mesh.Load{FreeIn: free}}, peerAddr(id)))
}

// link establishes an outgoing link to peer id (which answers Welcome with
// the given load) on link number lid, and returns the outputs.
func (h *hand) link(lid mesh.LinkID, id mesh.NodeID, load mesh.Load) []mesh.Output {
	h.t.Helper()
	sendOf(h.t, h.take(h.e.HandleLinkOpened(h.now, lid, mesh.Outgoing, id, peerAddr(id))), mesh.FrameHello)
	welcome := mesh.Frame{Type: mesh.FrameWelcome, Hello: mesh.Hello{ID: id, Instance: uint64(id) * 100, Port: 9000, Load: load}}
	return h.take(h.e.HandleFrame(h.now, lid, &welcome))
}

// alive lets time pass until t while the peers of links lids keep pinging,
// and returns the outputs.
func (h *hand) alive(t time.Duration, lids ...mesh.LinkID) []mesh.Output {
	ping := mesh.Frame{Type: mesh.FramePing, Load: mesh.Load{In: 1, FreeIn: 4}}
	var all []mesh.Output
	for h.now < t {
		all = append(all, h.until(min(h.now+500*time.Millisecond, t))...)
		for _, lid := range lids {
			all = append(all, h.take(h.e.HandleFrame(h.now, lid, &ping))...)
		}
	}
	return all
}

// dials returns the peers dialed in outs.
func dials(outs []mesh.Output) []mesh.NodeID {
	var ids []mesh.NodeID
	for _, o := range outs {
		if o.Kind == mesh.OutDial {
			ids = append(ids, o.Peer)
		}
	}
	return ids
}

// peerAddr is the listen address the hand-driven tests give node id.
func peerAddr(id mesh.NodeID) mesh.Addr {
	a := mesh.Addr{Port: 9000}
	a.IP[14], a.IP[15] = byte(id>>8), byte(id)
	return a
}

// linkDials lets time pass until the engine has dialed n peers, one after
// another, and links each dial at once (link number = peer id) to a peer
// answering with load. It returns the peers in the order dialed.
func (h *hand) linkDials(n int, load mesh.Load) []mesh.NodeID {
	h.t.Helper()
	var linked []mesh.NodeID
	for start := h.now; len(linked) < n; {
		if h.now > start+5*time.Second {
			h.t.Fatalf("dialed only %v in 5 s, want %d peers", linked, n)
		}
		for _, p := range dials(h.until(h.now + 10*time.Millisecond)) {
			h.link(mesh.LinkID(p), p, load)
			linked = append(linked, p)
		}
	}
	return linked
}

// accept establishes an incoming link from peer id (whose Hello carries
// load) on link number lid, and returns the outputs.
func (h *hand) accept(lid mesh.LinkID, id mesh.NodeID, load mesh.Load) []mesh.Output {
	h.t.Helper()
	h.take(h.e.HandleLinkOpened(h.now, lid, mesh.Incoming, 0, peerAddr(id)))
	hello := mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: id, Instance: uint64(id) * 100, Port: 9000, Load: load}}
	outs := h.take(h.e.HandleFrame(h.now, lid, &hello))
	sendOf(h.t, outs, mesh.FrameWelcome)
	return outs
}

// newLinkedHand returns a hand-driven node 1 (rotation off) with outgoing
// links to peers 2 and 3, whose Welcome carries load, incoming links from
// the in peers 4, 5, …, and fresh offers of free slots from peers 100 to
// 129. It returns the link numbers, which are the peer ids.
func newLinkedHand(t testing.TB, load mesh.Load, in int) (*hand, []mesh.LinkID) {
	t.Helper()
	return newLinkedHandOf(t, mesh.DefaultConfig(), load, in)
}

// newLinkedHandOf is newLinkedHand with cfg (rotation turned off) instead
// of the defaults.
func newLinkedHandOf(t testing.TB, cfg mesh.Config, load mesh.Load, in int) (*hand, []mesh.LinkID) {
	t.Helper()
	cfg.RotateInterval = 0
	h := newHand(t, 1, cfg)
	h.hearOffer(2, 5)
	h.hearOffer(3, 5)
	lids := []mesh.LinkID{2, 3}
	h.linkDials(2, load)
	for p := mesh.NodeID(4); p < mesh.NodeID(4+in); p++ {
		h.accept(mesh.LinkID(p), p, mesh.Load{Out: 1, FreeIn: 5})
		lids = append(lids, mesh.LinkID(p))
	}
	for p := mesh.NodeID(100); p < 130; p++ {
		h.hearOffer(p, 5)
	}
	return h, lids
}

// refuser answers every dial it is given with a refusal for lack of room
// (no referral), on link numbers from 1000 on, and records when each dial
// came.
type refuser struct {
	h     *hand
	lid   mesh.LinkID
	times []time.Duration
}

func (r *refuser) refuse(outs []mesh.Output) {
	for _, p := range dials(outs) {
		r.times = append(r.times, r.h.now)
		r.lid++
		lid := 1000 + r.lid
		sendOf(r.h.t, r.h.take(r.h.e.HandleLinkOpened(r.h.now, lid, mesh.Outgoing, p, peerAddr(p))), mesh.FrameHello)
		reject := mesh.Frame{Type: mesh.FrameReject, Reason: mesh.ReasonFull}
		// A refused node may decide its next dial at once: refuse that too.
		r.refuse(r.h.take(r.h.e.HandleFrame(r.h.now, lid, &reject)))
	}
}
