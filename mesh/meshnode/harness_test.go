package meshnode

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/meshnode/beaconbus"
)

// The hooks a harness uses to run many nodes in one process: a beacon
// transport, a listener and a dialer of its own, an observer, and Kill.

// countingObserver counts what an Observer is told.
type countingObserver struct {
	mu                                    sync.Mutex
	originated, sent, received, delivered int
}

func (o *countingObserver) Originated(mesh.MsgID)  { o.add(&o.originated) }
func (o *countingObserver) Sent(*mesh.Message)     { o.add(&o.sent) }
func (o *countingObserver) Received(*mesh.Message) { o.add(&o.received) }
func (o *countingObserver) Delivered(*mesh.Message) {
	o.add(&o.delivered)
}

func (o *countingObserver) add(n *int) {
	o.mu.Lock()
	*n++
	o.mu.Unlock()
}

func (o *countingObserver) counts() [4]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return [4]int{o.originated, o.sent, o.received, o.delivered}
}

func TestNodesFindEachOtherOnABeaconBusAndAreObserved(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	bus, err := beaconbus.New(beaconbus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var dials atomic.Int64
	var nodes []*testNode
	var obs []*countingObserver
	for i := range 3 {
		cfg := testConfig(t)
		cfg.ID = mesh.NodeID(i + 1)
		cfg.Beacons = bus.Join(cfg.ID, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listener = ln
		cfg.Dial = func(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr.String())
		}
		o := &countingObserver{}
		cfg.Observer = o
		n := startNode(t, cfg)
		if n.Addr() != ln.Addr().(*net.TCPAddr).AddrPort() {
			t.Fatalf("node listens on %v, not on the listener given (%v)", n.Addr(), ln.Addr())
		}
		nodes, obs = append(nodes, n), append(obs, o)
	}
	// No static peers and no multicast: only the bus can have introduced them.
	waitLinked(t, nodes, 2, 5*time.Second)
	if dials.Load() == 0 {
		t.Fatal("the Dial hook was not used")
	}
	if _, err := nodes[0].Broadcast([]byte("via the bus")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the broadcast at both other nodes", func() bool {
		return nodes[1].count("via the bus") == 1 && nodes[2].count("via the bus") == 1
	})
	// Three nodes, all linked: the origin sends 2 copies, each receiver
	// relays 1; every copy sent arrives.
	waitFor(t, 5*time.Second, "4 copies sent and received", func() bool {
		var sent, received int
		for _, o := range obs {
			c := o.counts()
			sent, received = sent+c[1], received+c[2]
		}
		return sent >= 4 && received >= 4
	})
	var sent, received int
	var beaconsSent uint64
	for i, o := range obs {
		c := o.counts()
		sent += c[1]
		received += c[2]
		wantOrig, wantDeliv := 0, 1
		if i == 0 {
			wantOrig, wantDeliv = 1, 0
		}
		if c[0] != wantOrig || c[3] != wantDeliv {
			t.Errorf("node %d observed originated %d, delivered %d; want %d, %d", i, c[0], c[3], wantOrig, wantDeliv)
		}
		// Every node took part in discovery on the bus: a newcomer that
		// hears an offer dials it without a beacon of its own
		// (mesh/discovery.go), so some nodes only listen.
		s := nodes[i].Stats().Discovery
		beaconsSent += s.Sent
		if s.Sent == 0 && s.Received == 0 {
			t.Errorf("node %d neither sent nor received a beacon: %+v", i, s)
		}
	}
	if beaconsSent == 0 {
		t.Error("no node sent a beacon")
	}
	if sent != 4 || received != 4 {
		t.Errorf("observed %d payloads sent and %d received, want 4 and 4", sent, received)
	}
}

func TestKillSendsNoLeaveAndEndsEverything(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	nodes := startChain(t, 2, nil)
	waitLinked(t, nodes, 1, 5*time.Second)
	before := nodes[1].Stats().FramesSent
	nodes[1].Kill()
	<-nodes[1].done // Deliveries closed
	if after := nodes[1].Stats().FramesSent; after != before {
		t.Fatalf("Kill sent %d frames (Leave?), want none", after-before)
	}
	if _, err := nodes[1].Broadcast([]byte("x")); err != ErrClosed {
		t.Fatalf("Broadcast after Kill: %v", err)
	}
	if nodes[1].Links() != nil || nodes[1].Load() != (mesh.Load{}) {
		t.Fatal("a killed node still reports links")
	}
	// Its sockets are closed: the peer notices the connection ended.
	waitFor(t, 3*time.Second, "the peer to lose its link", func() bool { return len(nodes[0].Links()) == 0 })
	nodes[1].Kill() // again: harmless
	if err := nodes[1].Close(context.Background()); err != nil {
		t.Fatalf("Close after Kill: %v", err)
	}
}
