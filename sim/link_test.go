package sim

import (
	"testing"
	"time"

	"p2pmesh/mesh"
)

// linkPair is a simulation of two nodes in one segment with a connection
// from node 0 to node 1 open, for driving the link model by hand.
func linkPair(t *testing.T, net Network) (*Sim, mesh.LinkID) {
	t.Helper()
	s, err := New(1, net)
	if err != nil {
		t.Fatal(err)
	}
	seg := s.AddSegment("lan")
	for _, name := range []string{"a", "b"} {
		if _, err := s.AddNode(name, "", mesh.DefaultConfig(), seg); err != nil {
			t.Fatal(err)
		}
	}
	id, _ := s.newConn(conn{a: 0, b: 1, openA: true, openB: true, class: s.classOf(0, 1)})
	return s, id
}

// sendData hands the connection a Data frame of seq with a payload of
// size bytes, from node 0.
func sendData(s *Sim, id mesh.LinkID, seq uint64, size int) {
	s.send(0, &mesh.Output{Kind: mesh.OutSend, Link: id,
		Frame: mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 1, Seq: seq}, Payload: make([]byte, size)}}})
}

// arrivals pops the frames scheduled so far: their sequence numbers and
// arrival times, in the order they arrive.
func arrivals(s *Sim) (seqs []uint64, at []mesh.Time) {
	for s.events.len() > 0 {
		ev := s.events.pop()
		if ev.kind == evFrame {
			seqs = append(seqs, ev.pkt.frame.Msg.ID.Seq)
			at = append(at, ev.at)
		}
	}
	return seqs, at
}

// With loss, a link still delivers every frame, in order; a frame arrives
// after the latency plus the retransmission timeouts of its lost segments
// (RTO = round trip + 200 ms, doubling: 220, 440, 880 ms …), or, when the
// frame before it was held up longer, together with it (head-of-line
// blocking).
func TestLossyLinkDeliversEveryFrameInOrderLater(t *testing.T) {
	const latency = 10 * time.Millisecond
	net := DefaultNetwork()
	net.Latency, net.Loss = FixedLatency(latency), 0.2
	s, id := linkPair(t, net)
	rto := s.classes[0].rto
	if rto != 220*time.Millisecond {
		t.Fatalf("RTO %v, want 220ms (20 ms round trip + 200 ms)", rto)
	}
	const frames = 300
	sent := make([]mesh.Time, frames)
	for k := range frames {
		sent[k] = s.now
		sendData(s, id, uint64(k), 100)
		s.now += 50 * time.Millisecond // the clock moves between sends
	}
	seqs, at := arrivals(s)
	if len(seqs) != frames {
		t.Fatalf("%d frames arrived, want all %d", len(seqs), frames)
	}
	var retrans, blocked uint64
	for k, seq := range seqs {
		if seq != uint64(k) {
			t.Fatalf("frame %d arrived in place %d", seq, k)
		}
		delay := at[k] - sent[k] - latency
		lost, ok := uint64(0), delay == 0
		for d := rto; !ok && d <= delay; d = 2*d + rto {
			lost++
			ok = delay == d // rto + 2 rto + … for lost losses
		}
		switch {
		case ok:
			retrans += lost
		case k > 0 && at[k] == at[k-1]:
			blocked++ // waited behind a retransmitted frame
		default:
			t.Fatalf("frame %d delayed %v: neither retransmission delays (RTO %v doubling) nor waiting behind frame %d", k, delay, rto, k-1)
		}
	}
	if blocked == 0 || retrans == 0 {
		t.Fatalf("%d frames blocked, %d retransmissions: the test shows nothing", blocked, retrans)
	}
	if s.counters.Retransmitted < retrans {
		t.Fatalf("%d retransmissions counted, at least %d seen", s.counters.Retransmitted, retrans)
	}
	t.Logf("%d retransmissions, %d frames waited behind another", s.counters.Retransmitted, blocked)
}

// On a limited uplink a frame takes bytes × 8 / bandwidth to serialise, and
// frames queue FIFO: three sent at once arrive one serialisation apart, in
// order; the queue's largest backlog is the three frames.
func TestUplinkSerialisesFramesFIFO(t *testing.T) {
	const latency = 10 * time.Millisecond
	net := DefaultNetwork()
	net.Latency, net.Capacity = FixedLatency(latency), Capacity{Up: 8_000_000} // one byte per microsecond
	s, id := linkPair(t, net)
	for k := range 3 {
		sendData(s, id, uint64(k), 1000)
	}
	size := mesh.EncodedSize(&mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{Payload: make([]byte, 1000)}})
	ser := time.Duration(size) * time.Microsecond
	seqs, at := arrivals(s)
	for k := range 3 {
		if seqs[k] != uint64(k) || at[k] != latency+time.Duration(k+1)*ser {
			t.Errorf("frame %d arrived %d at %v, want frame %d at %v", seqs[k], k, at[k], k, latency+time.Duration(k+1)*ser)
		}
	}
	q := s.NodeTraffic(0)
	if q.Frames != 3 || q.Queued != 2 || q.MaxQueueBytes != uint64(3*size) || q.MaxWait != 2*ser {
		t.Errorf("traffic %+v: want 3 frames, 2 queued, backlog %d bytes, longest wait %v", q, 3*size, 2*ser)
	}
	// The queue drains: a frame sent once it is empty waits for nobody.
	s.now = time.Second
	sendData(s, id, 3, 1000)
	if _, at := arrivals(s); at[0] != time.Second+latency+ser {
		t.Errorf("frame on an idle uplink arrived at %v, want %v", at[0], time.Second+latency+ser)
	}
}

// A limited downlink serialises what arrives, FIFO, after the latency.
func TestDownlinkSerialisesOnArrival(t *testing.T) {
	net := DefaultNetwork()
	net.Latency, net.Capacity = FixedLatency(time.Millisecond), Capacity{Down: 8_000_000}
	s, id := linkPair(t, net)
	sendData(s, id, 0, 1000)
	sendData(s, id, 1, 1000)
	size := mesh.EncodedSize(&mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{Payload: make([]byte, 1000)}})
	ser := time.Duration(size) * time.Microsecond
	_, at := arrivals(s)
	if at[0] != time.Millisecond+ser || at[1] != time.Millisecond+2*ser {
		t.Errorf("arrivals %v, want %v and %v", at, time.Millisecond+ser, time.Millisecond+2*ser)
	}
}

// Unlimited links without loss keep no queues and count nothing per node.
func TestPlainLinksKeepNoQueues(t *testing.T) {
	s, id := linkPair(t, DefaultNetwork())
	sendData(s, id, 0, 1000)
	if s.Shaped() || len(s.queues) != 0 || s.counters.Retransmitted != 0 {
		t.Errorf("shaped %v, %d queues, %d retransmissions", s.Shaped(), len(s.queues), s.counters.Retransmitted)
	}
}

// A frame that reaches a connection cut by a partition is retransmitted
// after the timeout, doubling, keeping its place in the connection's order,
// for as long as both ends keep the connection; then it is gone.
func TestCutConnectionHoldsFrames(t *testing.T) {
	s, id := linkPair(t, DefaultNetwork())
	c := s.conn(id)
	c.set(connCut, true)
	rto := s.classes[0].rto
	ev := event{at: 0, kind: evFrame, node: 1, link: id, pkt: s.newPacket()}
	var want mesh.Time
	for k := range 3 {
		if !s.held(&ev, c) {
			t.Fatalf("retry %d: frame dropped on a live connection", k)
		}
		want += rto << k
		got := s.events.pop()
		if got.at != want || got.kind != evFrame || got.pkt != ev.pkt {
			t.Fatalf("retry %d: held until %v, want %v", k, got.at, want)
		}
		s.now = got.at
	}
	if s.counters.Retransmitted != 3 {
		t.Errorf("%d retransmissions counted, want 3", s.counters.Retransmitted)
	}
	c.openA = false // the sender's keepalive gave up
	if s.held(&ev, c) {
		t.Error("frame held on a connection one end has closed")
	}
}

// The links between two segments share the WAN's bandwidth: frames of
// different connections crossing it queue one after another, per direction.
func TestWANSharedBandwidth(t *testing.T) {
	s, err := New(1, DefaultNetwork())
	if err != nil {
		t.Fatal(err)
	}
	east, west := s.AddSegment("east"), s.AddSegment("west")
	if err := s.SetPairLinks(east, west, LinkProps{Latency: FixedLatency(40 * time.Millisecond), Bandwidth: 8_000_000}); err != nil {
		t.Fatal(err)
	}
	for _, seg := range []int32{east, east, west, west} {
		if _, err := s.AddNode("n", "", mesh.DefaultConfig(), seg); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := s.newConn(conn{a: 0, b: 2, openA: true, openB: true, class: s.classOf(0, 2)})
	b, _ := s.newConn(conn{a: 1, b: 3, openA: true, openB: true, class: s.classOf(1, 3)})
	sendData(s, a, 0, 1000)
	sendData(s, b, 1, 1000)
	size := mesh.EncodedSize(&mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{Payload: make([]byte, 1000)}})
	ser := time.Duration(size) * time.Microsecond
	seqs, at := arrivals(s)
	if seqs[0] != 0 || at[0] != 40*time.Millisecond+ser || seqs[1] != 1 || at[1] != 40*time.Millisecond+2*ser {
		t.Errorf("frames %v at %v: want 0 at %v and 1 at %v (behind it on the WAN)", seqs, at, 40*time.Millisecond+ser, 40*time.Millisecond+2*ser)
	}
}

// When both ends of a connection close before either hears of the other's
// close (a refused dial: the acceptor closes after its Reject, the dialer on
// reading it), the second close tells nobody, and the first one's FIN, which
// finds the other end closed, is no input to an engine: neither is an
// engine event.
func TestCrossingClosesAreNoEngineEvents(t *testing.T) {
	s := lan(t, 1, 2, mesh.DefaultConfig())
	s.RunFor(3 * time.Second)
	id, c := mesh.LinkID(0), (*conn)(nil)
	for slot := range s.conns {
		if k := &s.conns[slot]; k.openA && k.openB {
			id, c = mesh.LinkID(uint64(k.gen)<<32|uint64(slot+1)), k
		}
	}
	if c == nil {
		t.Fatal("setup: the two nodes did not link")
	}
	pending, events := s.Pending(), s.EngineEvents
	s.close(c.a, id)
	if s.Pending() != pending+1 {
		t.Fatalf("the first close scheduled %d events, want its FIN", s.Pending()-pending)
	}
	s.close(c.b, id)
	if s.Pending() != pending+1 {
		t.Fatalf("the second close scheduled %d more events, want none: nobody is left to tell", s.Pending()-pending-1)
	}
	for s.events.len() > 0 {
		if ev := s.events.pop(); ev.kind == evClosed && ev.link == id {
			s.now = ev.at
			s.dispatch(&ev) // the FIN arrives
		}
	}
	if s.EngineEvents != events {
		t.Fatalf("the FIN to a closed end counted as %d engine events, want 0", s.EngineEvents-events)
	}
}
