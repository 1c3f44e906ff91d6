package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

func TestLinksFormWithinLimits(t *testing.T) {
	for _, tc := range []struct {
		name          string
		nodes         int
		maxIn, maxOut int
		latency       time.Duration
		wantDegree    int // every node at least
	}{
		{"two nodes link", 2, 5, 5, 5 * time.Millisecond, 1},
		{"three nodes", 3, 5, 5, 5 * time.Millisecond, 2},
		{"12 nodes default limits", 12, 5, 5, 5 * time.Millisecond, 2},
		{"12 nodes slow links (simultaneous dials)", 12, 5, 5, 300 * time.Millisecond, 2},
		{"30 nodes tight limits", 30, 2, 2, 20 * time.Millisecond, 2},
		{"30 nodes uneven limits", 30, 6, 3, 5 * time.Millisecond, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mesh.DefaultConfig()
			cfg.MaxIn, cfg.MaxOut = tc.maxIn, tc.maxOut
			net := sim.DefaultNetwork()
			net.Latency = sim.FixedLatency(tc.latency)
			s, err := sim.New(7, net)
			if err != nil {
				t.Fatal(err)
			}
			seg := s.AddSegment("lan")
			for i := 0; i < tc.nodes; i++ {
				idx, _ := s.AddNode("n", "", cfg, seg)
				s.Start(idx, 0)
			}
			runChecked(t, s, 20*time.Second, 50*time.Millisecond)
			if c := components(s); c != 1 {
				t.Fatalf("%d components, want 1", c)
			}
			if d := minDegree(s); d < tc.wantDegree {
				t.Fatalf("a node has %d links, want at least %d", d, tc.wantDegree)
			}
		})
	}
}

// TestSimultaneousDialTieBreak drives two engines by hand through every
// order in which crossing handshakes can arrive: both ends must end with the
// single link dialed by the smaller id.
func TestSimultaneousDialTieBreak(t *testing.T) {
	addr := func(b byte) mesh.Addr { a := mesh.Addr{Port: 9000}; a.IP[15] = b; return a }
	for _, order := range []string{"AB", "BA"} {
		for _, welcomeFirst := range []bool{false, true} {
			a := newEngine(t, 1)
			b := newEngine(t, 2)
			// Both dial each other: link 1 is A→B, link 2 is B→A.
			a.HandleLinkOpened(0, 0, 0, 0, mesh.Addr{}) // no-op sanity: unknown dial
			dialTo(t, a, 2, addr(2))
			dialTo(t, b, 1, addr(1))
			helloA := sendOf(t, a.HandleLinkOpened(1, 1, mesh.Outgoing, 2, addr(2)), mesh.FrameHello)
			helloB := sendOf(t, b.HandleLinkOpened(1, 2, mesh.Outgoing, 1, addr(1)), mesh.FrameHello)
			b.HandleLinkOpened(2, 1, mesh.Incoming, 0, addr(1))
			a.HandleLinkOpened(2, 2, mesh.Incoming, 0, addr(2))
			var replyB []mesh.Output
			deliverB := func() { replyB = copyOuts(b.HandleFrame(3, 1, helloA)) }
			deliverA := func() { a.HandleFrame(3, 2, helloB) }
			if order == "AB" {
				deliverB()
				if welcomeFirst {
					a.HandleFrame(4, 1, sendOf(t, replyB, mesh.FrameWelcome))
				}
				deliverA()
			} else {
				deliverA()
				deliverB()
			}
			if !welcomeFirst || order == "BA" {
				a.HandleFrame(5, 1, sendOf(t, replyB, mesh.FrameWelcome))
			}
			la, lb := a.Links(nil), b.Links(nil)
			if len(la) != 1 || len(lb) != 1 || la[0].Link != 1 || lb[0].Link != 1 || la[0].Dir != mesh.Outgoing || lb[0].Dir != mesh.Incoming {
				t.Fatalf("order %s welcomeFirst %v: A links %+v, B links %+v; want only link 1 dialed by A", order, welcomeFirst, la, lb)
			}
		}
	}
}

func newEngine(t *testing.T, id mesh.NodeID) *mesh.Engine {
	t.Helper()
	cfg := mesh.DefaultConfig()
	cfg.Port = 9000
	e, err := mesh.New(cfg, id, uint64(id)*100, rand.New(rand.NewPCG(uint64(id), 1)))
	if err != nil {
		t.Fatal(err)
	}
	e.Start(0)
	return e
}

// dialTo makes e hear a beacon of peer and return the dial it decides on.
func dialTo(t *testing.T, e *mesh.Engine, peer mesh.NodeID, at mesh.Addr) {
	t.Helper()
	e.HandleBeacon(0, &mesh.Beacon{ID: peer, Instance: uint64(peer) * 100, Port: at.Port, Load: mesh.Load{FreeIn: 5}}, at)
	outs := e.HandleTimer(time.Second, mesh.TimerDial)
	for _, o := range outs {
		if o.Kind == mesh.OutDial && o.Peer == peer {
			return
		}
	}
	t.Fatalf("engine %s did not dial %s: %v", e.ID(), peer, outs)
}

func sendOf(t testing.TB, outs []mesh.Output, ft mesh.FrameType) *mesh.Frame {
	t.Helper()
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == ft {
			f := o.Frame
			return &f
		}
	}
	t.Fatalf("no %v frame in %v", ft, outs)
	return nil
}

func copyOuts(outs []mesh.Output) []mesh.Output { return append([]mesh.Output(nil), outs...) }

func TestNeverLinksToItself(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.Port = 9000
	self := mesh.Addr{Port: 9000}
	self.IP[15] = 7
	cfg.StaticPeers = []mesh.Addr{self}
	e, err := mesh.New(cfg, 7, 1, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	outs := e.Start(0)
	dialed := false
	for _, o := range outs {
		dialed = dialed || (o.Kind == mesh.OutDial && o.Addr == self)
	}
	if !dialed {
		t.Fatal("static peer not dialed")
	}
	// The connection reaches ourselves: our Hello comes back in.
	hello := sendOf(t, e.HandleLinkOpened(1, 1, mesh.Outgoing, 0, self), mesh.FrameHello)
	e.HandleLinkOpened(1, 2, mesh.Incoming, 0, self)
	reject := sendOf(t, e.HandleFrame(2, 2, hello), mesh.FrameReject)
	if reject.Reason != mesh.ReasonSelf {
		t.Fatalf("reason %v, want self", reject.Reason)
	}
	e.HandleFrame(3, 1, reject)
	if n := len(e.Links(nil)); n != 0 {
		t.Fatalf("%d links after reaching itself", n)
	}
	// The static address is not dialed again.
	for _, o := range e.HandleTimer(10*time.Second, mesh.TimerMaintain) {
		if o.Kind == mesh.OutDial {
			t.Fatalf("dialed again: %+v", o)
		}
	}
}

func TestJoinPrefersLeastLoaded(t *testing.T) {
	e := newEngine(t, 1)
	full := mesh.Addr{Port: 9000}
	full.IP[15] = 2
	idle := full
	idle.IP[15] = 3
	busy := full
	busy.IP[15] = 4
	e.HandleBeacon(0, &mesh.Beacon{ID: 2, Instance: 1, Port: 9000, Load: mesh.Load{In: 5, Out: 5}}, full)
	e.HandleBeacon(0, &mesh.Beacon{ID: 3, Instance: 1, Port: 9000, Load: mesh.Load{FreeIn: 5}}, idle)
	e.HandleBeacon(0, &mesh.Beacon{ID: 4, Instance: 1, Port: 9000, Load: mesh.Load{In: 4, Out: 5, FreeIn: 1}}, busy)
	var dials []mesh.NodeID
	for _, o := range e.HandleTimer(time.Second, mesh.TimerDial) {
		if o.Kind == mesh.OutDial {
			dials = append(dials, o.Peer)
		}
	}
	// The full peer is never dialed; with two candidates both are used, and
	// over many seeds the idle one is chosen first far more often.
	for _, d := range dials {
		if d == 2 {
			t.Fatalf("dialed the full peer: %v", dials)
		}
	}
	first := map[mesh.NodeID]int{}
	for seed := uint64(0); seed < 200; seed++ {
		cfg := mesh.DefaultConfig()
		cfg.Port = 9000
		e, _ := mesh.New(cfg, 1, 1, rand.New(rand.NewPCG(seed, 2)))
		e.Start(0)
		e.HandleBeacon(0, &mesh.Beacon{ID: 3, Instance: 1, Port: 9000, Load: mesh.Load{FreeIn: 5}}, idle)
		e.HandleBeacon(0, &mesh.Beacon{ID: 4, Instance: 1, Port: 9000, Load: mesh.Load{In: 4, Out: 5, FreeIn: 1}}, busy)
		for _, o := range e.HandleTimer(time.Second, mesh.TimerDial) {
			if o.Kind == mesh.OutDial {
				first[o.Peer]++
				break
			}
		}
	}
	if first[3] < 4*first[4] {
		t.Fatalf("first dials: idle %d times, busy %d times; want the idle peer preferred", first[3], first[4])
	}
}

func TestConfigRejectsSiphoningLimits(t *testing.T) {
	cfg := mesh.DefaultConfig()
	cfg.MaxIn, cfg.MaxOut = 2, 5
	if err := cfg.Validate(); err == nil {
		t.Fatal("max_in < max_out accepted")
	}
}

// A node that has MaxOut links (it is not short: room.go) but free outgoing
// slots, and keeps being refused for lack of room, backs off: the last free
// slots of a mesh are scarce, and dialing full peers on stale news costs the
// whole network. Gaining an outgoing link ends the backoff.
func TestHuntForMoreLinksBacksOff(t *testing.T) {
	h, lids := newLinkedHand(t, mesh.Load{In: 1, FreeIn: 4}, 3)
	// Refuse every dial, without a referral, while the five links stay
	// alive: their peers ping.
	r := &refuser{h: h}
	step := func() []mesh.Output { return h.alive(h.now+10*time.Millisecond, lids...) }
	for h.now < 61*time.Second {
		r.refuse(step())
	}
	times := r.times
	// Three tries, then waits of 1, 2, 4, 8, 16 and 32 s (give or take a
	// maintenance period): about ten dials in a minute rather than hundreds.
	if len(times) < 6 || len(times) > 12 {
		t.Fatalf("%d dials in a minute of refusals, at %v; want 6 to 12", len(times), times)
	}
	for k := 4; k < len(times); k++ {
		if gap := times[k] - times[k-1]; gap < time.Second<<(k-4) {
			t.Fatalf("dial %d came %v after the previous one; want at least %v (dials at %v)", k, gap, time.Second<<(k-4), times)
		}
	}
	// Success ends the backoff: once the waiting dial is accepted, the next
	// one comes at the next maintenance.
	start := h.now
	var next []mesh.NodeID
	for h.now < start+time.Minute && len(next) == 0 {
		next = dials(step())
	}
	h.link(500, next[0], mesh.Load{In: 1, FreeIn: 4})
	start = h.now
	var again []mesh.NodeID
	for h.now < start+1500*time.Millisecond && len(again) == 0 {
		again = dials(step())
	}
	if len(again) == 0 {
		t.Fatal("no dial within 1.5 s of gaining an outgoing link: the backoff did not end")
	}
}
