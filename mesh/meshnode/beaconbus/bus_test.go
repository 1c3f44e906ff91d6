package beaconbus

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/meshnode"
)

var _ meshnode.BeaconTransport = (*Port)(nil)

func newBus(t *testing.T, opts Options) *Bus {
	t.Helper()
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func join(t *testing.T, b *Bus, id mesh.NodeID) *Port {
	t.Helper()
	p := b.Join(id, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
	t.Cleanup(func() { p.Close() })
	return p
}

func beacon(id mesh.NodeID) *mesh.Beacon {
	return &mesh.Beacon{ID: id, Instance: 7, Port: 4000 + uint16(id), Load: mesh.Load{In: 1, Out: 2, FreeIn: 3}}
}

// receive waits up to d for one beacon on p; false when none came.
func receive(t *testing.T, p *Port, d time.Duration) (mesh.Beacon, bool) {
	t.Helper()
	type result struct {
		b   mesh.Beacon
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, _, err := p.Receive()
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("receive: %v", r.err)
		}
		return r.b, true
	case <-time.After(d):
		p.Close() // ends the goroutine
		return mesh.Beacon{}, false
	}
}

func TestBeaconReachesEveryOtherMemberOnce(t *testing.T) {
	b := newBus(t, Options{})
	a, x, y := join(t, b, 1), join(t, b, 2), join(t, b, 3)
	if err := a.Send(beacon(1)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Port{x, y} {
		got, ok := receive(t, p, time.Second)
		if !ok || got != *beacon(1) {
			t.Fatalf("member %v got %+v (%v), want %+v", p.id, got, ok, *beacon(1))
		}
		if s := p.Stats(); s.Received != 1 {
			t.Fatalf("member %v stats %+v", p.id, s)
		}
	}
	if _, ok := receive(t, a, 50*time.Millisecond); ok {
		t.Fatal("the sender heard its own beacon")
	}
	if s := a.Stats(); s.Sent != 1 {
		t.Fatalf("sender stats %+v", s)
	}
}

func TestReachCutsAPartitionAndSegmentsAreSeparate(t *testing.T) {
	var mu sync.Mutex
	side := map[mesh.NodeID]int{1: 0, 2: 0, 3: 1}
	b := newBus(t, Options{Reach: func(from, to mesh.NodeID) bool {
		mu.Lock()
		defer mu.Unlock()
		return side[from] == side[to]
	}})
	other := newBus(t, Options{})
	a, x, cut := join(t, b, 1), join(t, b, 2), join(t, b, 3)
	elsewhere := join(t, other, 4)
	a.Send(beacon(1))
	if _, ok := receive(t, x, time.Second); !ok {
		t.Fatal("same side: beacon lost")
	}
	if _, ok := receive(t, cut, 50*time.Millisecond); ok {
		t.Fatal("a beacon crossed the partition")
	}
	if _, ok := receive(t, elsewhere, 50*time.Millisecond); ok {
		t.Fatal("a beacon crossed into another segment")
	}
}

func TestCloseEndsReceiveAndLeavesTheBus(t *testing.T) {
	b := newBus(t, Options{})
	p := join(t, b, 1)
	join(t, b, 2)
	done := make(chan error, 1)
	go func() {
		_, _, err := p.Receive()
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	p.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Receive after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Receive did not return after Close")
	}
	if n := b.Members(); n != 1 {
		t.Fatalf("%d members after one left, want 1", n)
	}
	if err := p.Send(beacon(1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
}

func TestFullQueueMissesBeaconsLikeASocketBuffer(t *testing.T) {
	b := newBus(t, Options{Queue: 2})
	a, x := join(t, b, 1), join(t, b, 2)
	for range 5 {
		a.Send(beacon(1))
	}
	if got := b.Missed(); got != 3 {
		t.Fatalf("missed %d, want 3", got)
	}
	for range 2 {
		if _, ok := receive(t, x, time.Second); !ok {
			t.Fatal("queued beacon lost")
		}
	}
}

func TestLossDropsAboutThatShare(t *testing.T) {
	b := newBus(t, Options{Loss: 0.5, Seed: 1, Queue: 1000})
	a, x := join(t, b, 1), join(t, b, 2)
	for range 1000 {
		a.Send(beacon(1))
	}
	if n := len(x.in); n < 400 || n > 600 {
		t.Fatalf("%d of 1000 beacons arrived with loss 0.5", n)
	}
	if _, err := New(Options{Loss: 1}); err == nil {
		t.Fatal("loss 1 accepted")
	}
}

func TestUndecodableDatagramsAreSkipped(t *testing.T) {
	b := newBus(t, Options{})
	a, x := join(t, b, 1), join(t, b, 2)
	b.send(a, []byte("not a beacon"))
	b.send(a, mesh.AppendBeacon(nil, beacon(2))) // x's own id
	a.Send(beacon(1))
	got, ok := receive(t, x, time.Second)
	if !ok || got.ID != 1 {
		t.Fatalf("got %+v, %v", got, ok)
	}
	if s := x.Stats(); s.Foreign != 1 || s.Own != 1 || s.Received != 1 {
		t.Fatalf("stats %+v", s)
	}
}
