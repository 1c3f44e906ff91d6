package sim

import (
	"testing"
	"time"

	"p2pmesh/mesh"
)

// A timer that its engine replaced before it was due (a dial decision moved
// earlier) is no input to the engine when its time comes, and no engine
// event; the timer that replaced it is. Both stay in the trace.
func TestReplacedTimersAreNoEngineEvents(t *testing.T) {
	s := lan(t, 1, 2, mesh.DefaultConfig())
	s.RunFor(3 * time.Second)
	for s.events.len() > 0 {
		s.events.pop() // only the two timers below
	}
	later, sooner := s.now+20*time.Millisecond, s.now+10*time.Millisecond
	s.apply(0, []mesh.Output{
		{Kind: mesh.OutTimer, Timer: mesh.TimerDial, At: later},
		{Kind: mesh.OutTimer, Timer: mesh.TimerDial, At: sooner}, // replaces it
	})
	if s.Pending() != 2 {
		t.Fatalf("%d events pending, want the two timers", s.Pending())
	}
	events, traced := s.EngineEvents, s.trace.events
	for _, want := range []struct {
		at     time.Duration
		handed uint64
	}{{sooner, 1}, {later, 1}} { // counted since before the first
		ev := s.events.pop()
		if ev.at != want.at {
			t.Fatalf("a timer at %v, want %v", ev.at, want.at)
		}
		s.now = ev.at
		s.dispatch(&ev) // the engine ignores both: its own dial timer is another
		if got := s.EngineEvents - events; got != want.handed {
			t.Fatalf("after the timer at %v: %d engine events, want %d", ev.at, got, want.handed)
		}
	}
	if s.trace.events-traced != 2 {
		t.Fatalf("%d timers traced, want 2", s.trace.events-traced)
	}
}
