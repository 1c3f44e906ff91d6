package meshnode

import (
	"bytes"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/framing"
)

// stuckPeer is a raw TCP client that completes the handshake by writing a
// Hello, keeps the link alive with pings, and never reads a byte: the node's
// writes to it pile up until its send queue is full.
type stuckPeer struct {
	c    net.Conn
	id   mesh.NodeID
	stop chan struct{}
	done chan struct{}
	err  atomic.Value
}

func dialStuckPeer(t *testing.T, addr string) *stuckPeer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetReadBuffer(4096) // a small window: the node's writes stall soon
	p := &stuckPeer{c: c, id: 0x5100_0000_0000_0001, stop: make(chan struct{}), done: make(chan struct{})}
	hello := mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: p.id, Instance: 1, Port: 1, Load: mesh.Load{FreeIn: 5}}}
	if err := framing.Write(c, &hello); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				ping := mesh.Frame{Type: mesh.FramePing, Load: mesh.Load{In: 1, FreeIn: 4}}
				_ = c.SetWriteDeadline(time.Now().Add(time.Second))
				if err := framing.Write(c, &ping); err != nil {
					p.err.Store(err)
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		close(p.stop)
		<-p.done
		c.Close()
	})
	return p
}

func TestStuckPeerIsDroppedAndDoesNotStallOthers(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	nodes := startChain(t, 3, func(i int, cfg *Config) {
		cfg.SendQueue = 32
		cfg.WriteTimeout = 30 * time.Second // only the full queue may drop the stuck peer
		cfg.Mesh.MaxPayload = 32 << 10
	})
	a := nodes[0]
	waitLinked(t, nodes, 2, 5*time.Second)
	stuck := dialStuckPeer(t, a.Addr().String())
	waitFor(t, 10*time.Second, "the stuck peer to be linked", func() bool { return linkedTo(a, stuck.id) })

	// Broadcast in rounds of 8 messages of 32 KiB; each round must reach the
	// healthy nodes while the stuck peer's queue fills up: well before the
	// 30 s write timeout that a stalled sender would wait for (10 s, not
	// less: CI runs every package's tests at once on two cores).
	payload := bytes.Repeat([]byte{'z'}, 32<<10)
	const round = 8
	sent := 0
	start := time.Now()
	for r := 0; ; r++ {
		for range round {
			msg := fmt.Appendf(nil, "%06d", sent)
			msg = append(msg, payload[len(msg):]...)
			if _, err := a.Broadcast(msg); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		waitFor(t, 10*time.Second, fmt.Sprintf("round %d at the healthy nodes", r), func() bool {
			for _, n := range nodes[1:] {
				if n.Stats().Deliveries != uint64(sent) {
					return false
				}
			}
			return true
		})
		if !linkedTo(a, stuck.id) {
			break
		}
		if sent > 2000 {
			t.Fatalf("the stuck peer is still linked after %d messages (%d MiB)", sent, sent*len(payload)>>20)
		}
	}
	t.Logf("stuck peer dropped after %d messages (%d KiB) in %v", sent, sent*len(payload)>>10, time.Since(start))
	if s := a.Stats(); s.SlowLinks != 1 {
		t.Errorf("SlowLinks = %d, want 1", s.SlowLinks)
	}
	// The healthy nodes kept their links and got everything exactly once.
	for i, n := range nodes[1:] {
		s := n.Stats()
		if s.Engine.LinksLost != 0 {
			t.Errorf("healthy node %d lost %d links", i+1, s.Engine.LinksLost)
		}
		for k := range sent {
			key := fmt.Sprintf("%06d", k)
			if c := n.count(key + string(payload[len(key):])); c != 1 {
				t.Fatalf("healthy node %d got message %d %d times", i+1, k, c)
			}
		}
	}
	// And the mesh still works.
	if _, err := a.Broadcast([]byte("after")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "a broadcast after the drop", func() bool {
		return nodes[1].count("after") == 1 && nodes[2].count("after") == 1
	})
}
