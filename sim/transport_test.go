package sim

import (
	"testing"
	"time"

	"p2pmesh/mesh"
)

// acceptorPair is a simulation of two started nodes in one segment, with
// 1 ms latency and node 0 configured with node 1 as its static peer when
// static is set (so that it dials it at once on start).
func acceptorPair(t *testing.T, static bool) *Sim {
	t.Helper()
	net := DefaultNetwork()
	net.Latency = FixedLatency(time.Millisecond)
	s, err := New(1, net)
	if err != nil {
		t.Fatal(err)
	}
	seg := s.AddSegment("lan")
	b, err := s.AddNode("b", "", mesh.DefaultConfig(), seg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mesh.DefaultConfig()
	if static {
		cfg.StaticPeers = []mesh.Addr{s.Node(b).Addr}
	}
	a, err := s.AddNode("a", "", cfg, seg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start(b, 0)
	s.Start(a, 0)
	s.RunFor(time.Millisecond / 2)
	return s
}

// The acceptor is told of a connection with the dialer's Hello, in one
// input (mesh.Engine.HandleAccepted), and the dialer with the answer
// (mesh.Engine.HandleDialAnswered), whose Hello the simulator sent when
// the connection opened: a dial costs the engines two inputs until the
// link is up (the Hello, the Welcome), not four.
func TestDialCostsTheHelloAndTheAnswer(t *testing.T) {
	s := acceptorPair(t, true)
	before := s.EngineEvents
	// The connection reaches b at 1 ms, a at 2 ms; a's Hello reaches b at
	// 3 ms, b's Welcome a at 4 ms.
	s.RunFor(4 * time.Millisecond)
	c := s.EngineEventsByKind()
	if got := s.EngineEvents - before; got != 2 || c[EventFrame(mesh.FrameHello)] != 1 || c[EventFrame(mesh.FrameWelcome)] != 1 {
		t.Fatalf("%d inputs for one dial (%v); want 2: the Hello, the Welcome", got, c)
	}
	for i := range NodeIndex(2) {
		if n := len(s.Engine(i).Links(nil)); n != 1 {
			t.Fatalf("node %d has %d links, want 1", i, n)
		}
	}
}

// A dial whose Hello reaches an acceptor that is gone fails at the dialer
// after its HandshakeTimeout, as a driver reading the answer with a
// deadline gives up, and the dialer's engine hears of it once.
func TestDialUnansweredFailsAfterTheHandshakeTimeout(t *testing.T) {
	s := acceptorPair(t, true)
	s.At(2*time.Millisecond, func() { s.Kill(0, false) }) // b crashes as the connection opens at a
	s.RunFor(time.Second)
	if c := s.EngineEventsByKind(); c[EventDialFailed] != 0 {
		t.Fatalf("the dial failed within a second (%v)", c)
	}
	s.RunFor(mesh.DefaultConfig().HandshakeTimeout)
	c := s.EngineEventsByKind()
	if c[EventDialFailed] != 1 || c[EventFrame(mesh.FrameWelcome)] != 0 {
		t.Fatalf("%d dial failures, %d Welcomes; want 1 failure", c[EventDialFailed], c[EventFrame(mesh.FrameWelcome)])
	}
}

// An acceptor that left after a connection to it opened closed it
// unanswered as it went: the dialer's engine hears of a failed dial a
// round trip later, once, and the slot is released.
func TestDialClosedUnansweredFailsAtTheDialer(t *testing.T) {
	s := acceptorPair(t, true)
	s.At(time.Millisecond/2, func() { s.Kill(0, true) }) // b leaves before the Hello reaches it
	s.RunFor(10 * time.Millisecond)
	c := s.EngineEventsByKind()
	if c[EventDialFailed] != 1 || c[EventLinkClosed] != 0 || c[EventFrame(mesh.FrameHello)] != 0 {
		t.Fatalf("%v; want one failed dial at a and nothing at b", c)
	}
	if len(s.freeConns) != 1 {
		t.Fatalf("%d connection slots free, want 1: both ends closed", len(s.freeConns))
	}
}
