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
// input (mesh.Engine.HandleAccepted): a dial costs the engines three
// inputs until the link is up (the dialer's opening, the Hello, the
// Welcome), not four.
func TestAcceptorIsToldOfAConnectionWithItsHello(t *testing.T) {
	s := acceptorPair(t, true)
	before := s.EngineEvents
	// The connection reaches b at 1 ms, a at 2 ms; a's Hello reaches b at
	// 3 ms, b's Welcome a at 4 ms.
	s.RunFor(4 * time.Millisecond)
	c := s.EngineEventsByKind()
	if got := s.EngineEvents - before; got != 3 || c[EventLinkOpenedOut] != 1 || c[EventFrame(mesh.FrameHello)] != 1 || c[EventFrame(mesh.FrameWelcome)] != 1 {
		t.Fatalf("%d inputs for one dial (%v); want 3: the dialer's opening, the Hello, the Welcome", got, c)
	}
	if n := len(s.Engine(0).Links(nil)); n != 1 {
		t.Fatalf("b has %d links, want 1", n)
	}
}

// A connection the dialer gives up before its Hello (a dial its engine no
// longer wants) never reaches the acceptor's engine, and its slot is
// released.
func TestConnectionClosedBeforeItsHelloNeverReachesTheAcceptor(t *testing.T) {
	s := acceptorPair(t, false)
	before := s.EngineEvents
	// a's engine has no dial of b pending: it closes the connection when
	// it opens.
	s.dial(1, &mesh.Output{Kind: mesh.OutDial, Peer: s.Node(0).ID, Addr: s.Node(0).Addr})
	s.RunFor(10 * time.Millisecond)
	c := s.EngineEventsByKind()
	if got := s.EngineEvents - before; got != 1 || c[EventLinkOpenedOut] != 1 {
		t.Fatalf("%d inputs (%v); want 1, the dialer's opening", got, c)
	}
	if len(s.freeConns) != 1 {
		t.Fatalf("%d connection slots free, want 1: both ends closed", len(s.freeConns))
	}
}
