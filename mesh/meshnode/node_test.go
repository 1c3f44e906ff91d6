package meshnode

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"p2pmesh/internal/realtimetest"
)

func TestBroadcastReachesEveryNodeOnce(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	nodes := startChain(t, 5, nil)
	waitLinked(t, nodes, 2, 5*time.Second)

	for i, n := range nodes {
		if _, err := n.Broadcast(fmt.Appendf(nil, "hello from %d", i)); err != nil {
			t.Fatalf("node %d: Broadcast: %v", i, err)
		}
	}
	waitFor(t, 3*time.Second, "every broadcast at every other node", func() bool {
		for i, n := range nodes {
			for j := range nodes {
				if i != j && n.count(fmt.Sprintf("hello from %d", j)) == 0 {
					return false
				}
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond) // room for duplicates to show up
	for i, n := range nodes {
		for j, origin := range nodes {
			msg := fmt.Sprintf("hello from %d", j)
			want := 1
			if i == j {
				want = 0 // a node does not deliver its own messages
			}
			if got := n.count(msg); got != want {
				t.Errorf("node %d delivered %q %d times, want %d", i, msg, got, want)
			}
			n.mu.Lock()
			from := n.from[msg]
			n.mu.Unlock()
			if i != j && from != origin.ID() {
				t.Errorf("node %d got %q from %v, want %v", i, msg, from, origin.ID())
			}
		}
		if s := n.Stats(); s.Engine.Delivered != 4 || s.Deliveries != 4 || s.DeliveriesDropped != 0 {
			t.Errorf("node %d stats: engine delivered %d, handed over %d, dropped %d; want 4, 4, 0",
				i, s.Engine.Delivered, s.Deliveries, s.DeliveriesDropped)
		}
	}
}

func TestGracefulCloseIsNoticedAtOnce(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	// Long keepalive timers: a peer noticing the departure before DeadAfter
	// (10 s) can only have been told by the Leave frame; Close waiting less
	// than LeaveTimeout (5 s) was answered. Seconds to spare for a loaded
	// machine either way.
	nodes := startChain(t, 4, func(i int, cfg *Config) {
		cfg.Mesh.KeepaliveInterval = time.Second
		cfg.Mesh.DeadAfter = 10 * time.Second
		cfg.IdleTimeout = 15 * time.Second
		cfg.LeaveTimeout = 5 * time.Second
	})
	waitLinked(t, nodes, 2, 10*time.Second)
	leaver := nodes[1]
	var peers []*testNode
	for _, n := range nodes {
		if n != leaver && linkedTo(n, leaver.ID()) {
			peers = append(peers, n)
		}
	}
	if len(peers) == 0 {
		t.Fatal("nobody is linked to the node that leaves")
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := leaver.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	closeTook := time.Since(start)
	waitFor(t, 5*time.Second, "the peers to drop the node that left", func() bool {
		for _, p := range peers {
			if linkedTo(p, leaver.ID()) {
				return false
			}
		}
		return true
	})
	t.Logf("Close took %v; %d peers dropped the link after %v", closeTook, len(peers), time.Since(start))
	if closeTook > 4*time.Second {
		t.Errorf("Close took %v, about its LeaveTimeout: the peers should have acknowledged the Leave at once", closeTook)
	}
	for _, p := range peers {
		if s := p.Stats(); s.Engine.DeadLinks != 0 {
			t.Errorf("peer %v detected %d dead links: the leave was not graceful", p.ID(), s.Engine.DeadLinks)
		}
	}
	if _, err := leaver.Broadcast([]byte("late")); err != ErrClosed {
		t.Errorf("Broadcast after Close: err %v, want ErrClosed", err)
	}
	if err := leaver.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if s := leaver.Stats(); s.Links != 0 {
		t.Errorf("after Close: %d links", s.Links)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	nodes := startChain(t, 3, nil)
	waitLinked(t, nodes, 2, 5*time.Second)
	if _, err := nodes[0].Broadcast([]byte("x")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the message", func() bool { return nodes[2].count("x") == 1 })
	for _, n := range nodes {
		n.close(t)
	}
	// Close returns after every goroutine has called wg.Done; they need a
	// moment more to actually return.
	waitFor(t, realtimetest.LeakWait, "the nodes' goroutines to end", func() bool { return realtimetest.Count(t) == 0 })
}

func TestHandshakeDeadlineAtTheSocket(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	cfg := testConfig(t)
	cfg.Mesh.HandshakeTimeout = 300 * time.Millisecond
	cfg.Mesh.KeepaliveInterval = 5 * time.Second // the engine would notice at its next tick, 5 s or later
	cfg.Mesh.DeadAfter = 10 * time.Second
	cfg.IdleTimeout = 20 * time.Second
	n := startNode(t, cfg)

	c, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(4 * time.Second))
	_, err = c.Read(make([]byte, 1))
	took := time.Since(start)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("a silent connection was still open after %v: the 300 ms handshake deadline did not close it", took)
	}
	if took < 250*time.Millisecond {
		t.Errorf("silent connection closed after %v, before the 300ms handshake timeout", took)
	}
	t.Logf("silent connection closed after %v", took)
}

func TestDeliveriesDropWhenTheApplicationStalls(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	a := startNode(t, testConfig(t))
	cfg := testConfig(t)
	cfg.Peers = []string{a.Addr().String()}
	cfg.DeliveryBuffer = 2
	cfg.DeliveryWait = 20 * time.Millisecond
	b, err := Start(context.Background(), cfg) // nobody reads its deliveries
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	waitFor(t, 5*time.Second, "a link", func() bool { return len(b.Links()) == 1 })

	const sent = 20
	for i := range sent {
		if _, err := a.Broadcast(fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "every message to be received", func() bool {
		return b.Stats().Engine.Delivered == sent
	})
	s := b.Stats()
	if s.Deliveries != 2 || s.DeliveriesDropped != sent-2 {
		t.Errorf("handed over %d, dropped %d; want 2 and %d", s.Deliveries, s.DeliveriesDropped, sent-2)
	}
	// The stalled application cost the mesh nothing: the link is still up.
	time.Sleep(600 * time.Millisecond)
	if len(b.Links()) != 1 {
		t.Errorf("the link was lost while deliveries were dropped")
	}
	// Reading again resumes deliveries.
	for range 2 {
		<-b.Deliveries()
	}
	if _, err := a.Broadcast([]byte("after")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "a delivery after the stall", func() bool {
		select {
		case d := <-b.Deliveries():
			return string(d.Payload) == "after"
		default:
			return false
		}
	})
}

func TestStartRejectsBadConfigs(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.NoMulticast = false
	cfg.Group = "10.0.0.1:49152"
	cfg.IdleTimeout = cfg.Mesh.DeadAfter
	cfg.SendQueue = 0
	cfg.Mesh.MaxIn = 1
	cfg.Mesh.MaxOut = 3
	_, err := Start(context.Background(), cfg)
	if err == nil {
		t.Fatal("Start accepted an invalid configuration")
	}
	for _, want := range []string{"not an IPv4 multicast address", "idle timeout", "send queue", "max_in (1) must be at least max_out (3)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	cfg = testConfig(t)
	cfg.Peers = []string{"no-port"}
	if _, err := Start(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "no-port") {
		t.Errorf("bad peer: err %v", err)
	}
}

func TestBroadcastTooLarge(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	cfg := testConfig(t)
	cfg.Mesh.MaxPayload = 100
	n := startNode(t, cfg)
	if _, err := n.Broadcast(make([]byte, 101)); err == nil {
		t.Error("a payload above MaxPayload was accepted")
	}
	if _, err := n.Broadcast(make([]byte, 100)); err != nil {
		t.Errorf("a payload of MaxPayload bytes: %v", err)
	}
}

func TestStaticPeerAtOwnAddressIsHarmless(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	cfg := testConfig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg.Listen = addr
	cfg.Peers = []string{addr}
	n := startNode(t, cfg)
	// It dials its static peer, meets itself and refuses: then no link.
	waitFor(t, 10*time.Second, "the dial to itself and its refusal", func() bool {
		s := n.Stats()
		return s.Dials >= 1 && s.Engine.Rejected >= 1
	})
	if l := n.Links(); len(l) != 0 {
		t.Errorf("node linked to itself: %+v", l)
	}
}
