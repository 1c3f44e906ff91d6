package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
)

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

// HandleAccepted is HandleLinkOpened(Incoming) and HandleFrame of the
// first frame in one input: an acceptor told of a connection together
// with its Hello answers as one told of it first (the same Welcome, the
// same link), and one that has left closes it unanswered.
func TestAcceptedWithHelloAnswersAsOpenedThenHello(t *testing.T) {
	addr := func(b byte) mesh.Addr { a := mesh.Addr{Port: 9000}; a.IP[15] = b; return a }
	a := newEngine(t, 1)
	dialTo(t, a, 2, addr(2))
	hello := sendOf(t, a.HandleLinkOpened(1, 1, mesh.Outgoing, 2, addr(2)), mesh.FrameHello)

	apart, together := newEngine(t, 2), newEngine(t, 2)
	if outs := apart.HandleLinkOpened(2, 1, mesh.Incoming, 0, addr(1)); len(outs) != 0 {
		t.Fatalf("an opened connection gave %v", outs)
	}
	want := copyOuts(apart.HandleFrame(2, 1, hello))
	got := copyOuts(together.HandleAccepted(2, 1, addr(1), hello))
	welcome := sendOf(t, got, mesh.FrameWelcome)
	if w := sendOf(t, want, mesh.FrameWelcome); len(got) != len(want) || welcome.Hello != w.Hello {
		t.Fatalf("HandleAccepted gave %+v, HandleLinkOpened and HandleFrame %+v", got, want)
	}
	if la, lb := apart.Links(nil), together.Links(nil); len(la) != 1 || len(lb) != 1 || la[0] != lb[0] {
		t.Fatalf("links %+v told apart, %+v together", la, lb)
	}

	gone := newEngine(t, 2)
	gone.Leave(3)
	outs := gone.HandleAccepted(3, 1, addr(1), hello)
	if len(outs) != 1 || outs[0].Kind != mesh.OutClose || outs[0].Link != 1 {
		t.Fatalf("a node that left answered %+v; want the connection closed", outs)
	}
}

// A dial carries its Hello (OutDial's Frame): a driver that sends it when
// the connection opens and reports the answer with HandleDialAnswered
// gets the link a driver reporting the opening first gets, and the
// acceptor a Hello like the one HandleLinkOpened sends.
func TestDialAnsweredAnswersAsOpenedThenAnswer(t *testing.T) {
	addr := func(b byte) mesh.Addr { a := mesh.Addr{Port: 9000}; a.IP[15] = b; return a }
	dial := func(e *mesh.Engine) *mesh.Frame {
		e.HandleBeacon(0, &mesh.Beacon{ID: 2, Instance: 200, Port: 9000, Load: mesh.Load{FreeIn: 5}}, addr(2))
		for _, o := range e.HandleTimer(time.Second, mesh.TimerDial) {
			if o.Kind == mesh.OutDial && o.Peer == 2 {
				f := o.Frame
				return &f
			}
		}
		t.Fatal("no dial")
		return nil
	}
	apart, together := newEngine(t, 1), newEngine(t, 1)
	dial(apart)
	carried := dial(together)
	sent := sendOf(t, apart.HandleLinkOpened(2, 1, mesh.Outgoing, 2, addr(2)), mesh.FrameHello)
	if carried.Type != mesh.FrameHello || carried.Hello != sent.Hello {
		t.Fatalf("the dial carried %+v, the opening sent %+v", carried, sent)
	}
	welcome := sendOf(t, newEngine(t, 2).HandleAccepted(3, 1, addr(1), carried), mesh.FrameWelcome)
	apart.HandleFrame(4, 1, welcome)
	outs := together.HandleDialAnswered(4, 1, 2, addr(2), welcome)
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == mesh.FrameHello {
			t.Fatalf("HandleDialAnswered sent a Hello again: %+v", outs)
		}
	}
	if la, lb := apart.Links(nil), together.Links(nil); len(la) != 1 || len(lb) != 1 || la[0] != lb[0] {
		t.Fatalf("links %+v told apart, %+v with the answer", la, lb)
	}
}
