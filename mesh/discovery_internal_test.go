package mesh

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The Trickle timer alone: each interval's speaking point lies in its
// second half, intervals double up to the maximum, a node with nothing to
// offer goes dormant, and a new interval forgets the beacons heard.
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
		tr.heard = 5
		if !tr.speakingPoint() || tr.speakingPoint() {
			t.Fatal("the speaking point must come once per interval")
		}
		if tr.end() != now+interval {
			t.Fatalf("interval %v from %v ends at %v", interval, now, tr.end())
		}
		now = tr.end()
		interval = tr.next(hi)
	}
	if interval != hi {
		t.Fatalf("interval %v after doubling, want the maximum %v", interval, hi)
	}
	if _, ok := tr.begin(now, lo, false, rng); ok || !tr.dormant || tr.fastest(lo) {
		t.Fatal("a node with nothing to offer must go dormant, without a timer")
	}
}
