package mesh

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The Trickle timer alone: each interval's speaking point lies in its
// second half, intervals double up to the maximum, a node with nothing to
// offer goes dormant, and a new interval forgets the beacons heard. The
// next interval is begun at the speaking point, to start where the current
// one ends: beacons heard before its start are not counted in it.
func TestTrickleAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tr trickle
	const lo, hi = time.Second, 8 * time.Second
	now, interval := Time(0), lo
	for range 6 {
		at, ok := tr.begin(now, interval, true, rng)
		if !ok || at < now+interval/2 || at > now+interval {
			t.Fatalf("interval %v from %v: speaks at %v, armed %v", interval, now, at, ok)
		}
		if tr.heard != 0 || tr.fastest(lo) != (interval == lo) {
			t.Fatalf("interval %v: heard %d, fastest %v", interval, tr.heard, tr.fastest(lo))
		}
		tr.hear(at)
		if tr.heard != 1 {
			t.Fatalf("interval %v: heard %d beacons at its speaking point, want 1", interval, tr.heard)
		}
		if tr.end() != now+interval {
			t.Fatalf("interval %v from %v ends at %v", interval, now, tr.end())
		}
		// At the speaking point the next interval is begun: the beacons
		// heard until it starts count for none.
		start, next := tr.end(), tr.next(hi)
		if _, ok := tr.begin(start, next, true, rng); !ok {
			t.Fatal("the next interval has no speaking point")
		}
		tr.hear(at)
		tr.hear(start - 1)
		if tr.heard != 0 {
			t.Fatalf("beacons heard before the interval from %v counted in it: %d", start, tr.heard)
		}
		tr.hear(start)
		if tr.heard != 1 {
			t.Fatalf("a beacon heard at the start of the interval from %v counted %d", start, tr.heard)
		}
		now, interval = start, next
	}
	if interval != hi {
		t.Fatalf("interval %v after doubling, want the maximum %v", interval, hi)
	}
	if _, ok := tr.begin(now, lo, false, rng); ok || !tr.dormant || tr.fastest(lo) {
		t.Fatal("a node with nothing to offer must go dormant, without a timer")
	}
}
