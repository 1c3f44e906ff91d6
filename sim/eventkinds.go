package sim

import (
	"fmt"

	"p2pmesh/mesh"
)

// Engine events by kind. Sim.EngineEvents counts every input handed to an
// engine; EventCounts splits it by what the input was: a start, a leave, a
// broadcast request, a beacon heard (an offer or a call), a frame received
// (by frame type), a dial failed, a connection closed, a timer (by timer
// kind). No input says that a connection opened: the acceptor is told of
// it with the dialer's Hello (mesh.Engine.HandleAccepted), the dialer with
// the answer (mesh.Engine.HandleDialAnswered), each one input counted as
// the frame. The count is one array
// increment per event: no map, no allocation (scale-1m hands out 150
// million events).

// EventKind is one kind of engine input.
type EventKind uint8

// Event kinds. Timers and frames take a range each: EventTimer(k) and
// EventFrame(t) give the kind of a timer or frame type.
const (
	EventStart       EventKind = iota // Engine.Start
	EventLeave                        // Engine.Leave (a graceful kill)
	EventBroadcast                    // Engine.Broadcast
	EventBeaconOffer                  // a beacon with free slots from a node that is not needy (mesh.Beacon.Offer)
	EventBeaconCall                   // any other beacon: a beg, a full node's answer to one
	EventDialFailed                   // a dial that did not
	EventLinkClosed                   // the peer closed or the connection broke
	eventTimers                       // EventTimer(0)…: maxTimerKinds kinds
	eventFrames      = eventTimers + maxTimerKinds
	numEventKinds    = eventFrames + maxFrameTypes

	maxTimerKinds = EventKind(len(timerSeqs{}))
	maxFrameTypes = EventKind(len(Counters{}.FramesByType))
)

// EventTimer is the kind of a timer of kind k; the last timer kind also
// counts any beyond it.
func EventTimer(k mesh.TimerKind) EventKind {
	return eventTimers + min(EventKind(k), maxTimerKinds-1)
}

// EventFrame is the kind of a received frame of type t; the last frame type
// also counts any beyond it.
func EventFrame(t mesh.FrameType) EventKind {
	return eventFrames + min(EventKind(t), maxFrameTypes-1)
}

// String names the kind as perf.json does: "start", "beacon_offer",
// "timer_maintain", "frame_data"…
func (k EventKind) String() string {
	switch {
	case k < eventTimers:
		return [...]string{"start", "leave", "broadcast", "beacon_offer", "beacon_call",
			"dial_failed", "link_closed"}[k]
	case k < eventFrames:
		return "timer_" + mesh.TimerKind(k-eventTimers).String()
	case k < numEventKinds:
		return "frame_" + mesh.FrameType(k-eventFrames).String()
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// EventCounts counts engine events by kind (index: EventKind).
type EventCounts [numEventKinds]uint64

// Total is the number of events of every kind: Sim.EngineEvents.
func (c *EventCounts) Total() uint64 {
	var sum uint64
	for _, n := range c {
		sum += n
	}
	return sum
}

// EngineEventsByKind returns the engine events so far by kind; their total
// is EngineEvents.
func (s *Sim) EngineEventsByKind() EventCounts { return s.byKind }

// handed counts one input of kind k handed to an engine.
func (s *Sim) handed(k EventKind) {
	s.EngineEvents++
	s.byKind[k]++
}
