package sim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"p2pmesh/mesh"
)

// The calendar queue must pop in exactly (at, seq) order whatever the mix
// of near, ring and far events, also when events are pushed for the current
// window while it is being consumed and after long idle gaps.
func TestScheduleOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s schedule
	type key struct {
		at  mesh.Time
		seq uint64
	}
	var want []key
	var got []key
	now := mesh.Time(0)
	seq := uint64(0)
	push := func(at mesh.Time) {
		seq++
		s.push(event{at: at, node: int32(seq)})
		want = append(want, key{at, seq})
	}
	delays := []mesh.Time{0, 1, 999_999, 1_000_000, 3e6, 2e9, 4095e6, 4096e6, 5e9, 40e9, 600e9}
	for round := 0; round < 20000; round++ {
		switch r := rng.IntN(10); {
		case r < 6:
			push(now + delays[rng.IntN(len(delays))] + mesh.Time(rng.IntN(1000)))
		default:
			at, ok := s.peek()
			if !ok {
				continue
			}
			if at < now {
				t.Fatalf("peek went back in time: %d < %d", at, now)
			}
			ev := s.pop()
			if ev.at != at {
				t.Fatalf("peek said %d, pop gave %d", at, ev.at)
			}
			now = ev.at
			got = append(got, key{ev.at, uint64(ev.node)})
		}
	}
	for s.len() > 0 {
		ev := s.pop()
		got = append(got, key{ev.at, uint64(ev.node)})
	}
	// The reference: every event in (at, seq) order, as far as events
	// pushed later can be compared; check that got is sorted and complete.
	if len(got) != len(want) {
		t.Fatalf("popped %d events, pushed %d", len(got), len(want))
	}
	if !slices.IsSortedFunc(got, func(a, b key) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return int(a.seq) - int(b.seq)
	}) {
		t.Fatal("events did not come out in (at, seq) order")
	}
	if _, ok := s.peek(); ok {
		t.Fatal("empty schedule peeks an event")
	}
}

// ahead shows the events pop will return next, as long as nothing is
// pushed into the current window meanwhile.
func TestScheduleAhead(t *testing.T) {
	var s schedule
	for i := range 10 {
		s.push(event{at: mesh.Time(500_000 - i*1000), node: int32(i)}) // one window, pushed in reverse
	}
	if _, ok := s.peek(); !ok {
		t.Fatal("empty schedule")
	}
	var want []NodeIndex
	for k := 0; ; k++ {
		e, ok := s.ahead(k)
		if !ok {
			break
		}
		want = append(want, e.node)
	}
	if len(want) != 10 {
		t.Fatalf("ahead saw %d events, want 10", len(want))
	}
	for k, w := range want {
		if got := s.pop().node; got != w {
			t.Fatalf("pop %d: node %d, ahead said %d", k, got, w)
		}
	}
}

// Windows of thousands of events, many at equal times, some arriving from
// far, come out in exactly (at, seq) order (sortRun's radix sort).
func TestScheduleLargeWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s schedule
	var log pushLog
	for i := 0; i < 20000; i++ {
		w := mesh.Time(rng.IntN(3))
		if rng.IntN(10) == 0 {
			w += 5000 // far beyond the ring, moved in later
		}
		log.push(&s, w*bucketWidth+mesh.Time(rng.IntN(50))*20_000) // 50 distinct times per window
	}
	want := log.keys
	slices.SortStableFunc(want, func(a, b pushKey) int { return int(a.at - b.at) })
	for k, w := range want {
		ev := s.pop()
		if ev.at != w.at || ev.node != w.n {
			t.Fatalf("pop %d: (%d, %d), want (%d, %d)", k, ev.at, ev.node, w.at, w.n)
		}
	}
}

// pushLog pushes events numbered in push order (the number goes in node)
// and remembers each one's time and number.
type pushLog struct{ keys []pushKey }

type pushKey struct {
	at mesh.Time
	n  int32
}

func (l *pushLog) push(s *schedule, at mesh.Time) {
	n := int32(len(l.keys) + 1)
	s.push(event{at: at, node: n})
	l.keys = append(l.keys, pushKey{at, n})
}
