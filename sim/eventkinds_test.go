package sim

import (
	"testing"
	"time"

	"p2pmesh/mesh"
)

// The engine events by kind add up to EngineEvents, and a run that joins a
// LAN, broadcasts, crashes some nodes, lets others leave and restarts them
// hands the engines every kind such a run must: starts, leaves, a
// broadcast, offers and calls, dials that fail, each timer of flooding
// and the frames of the handshake, the exchange, keepalives and data. The split agrees with the counters
// kept elsewhere (beacons heard, data frames received).
func TestEngineEventsByKindAddUp(t *testing.T) {
	cfg := mesh.DefaultConfig()
	s := lan(t, 1, 40, cfg)
	s.RunFor(10 * time.Second)
	if _, err := s.Broadcast(0, 64); err != nil {
		t.Fatal(err)
	}
	s.RunFor(time.Second)
	for i := NodeIndex(30); i < 40; i++ {
		s.Kill(i, i%2 == 0) // half crash, half leave
	}
	s.RunFor(10 * time.Second)
	for i := NodeIndex(30); i < 40; i++ {
		s.Start(i, s.Now())
	}
	s.RunFor(10 * time.Second)

	c := s.EngineEventsByKind()
	if got := c.Total(); got != s.EngineEvents || got == 0 {
		t.Fatalf("events by kind add up to %d, EngineEvents %d", got, s.EngineEvents)
	}
	for _, k := range []EventKind{EventStart, EventLeave, EventBroadcast, EventBeaconOffer, EventBeaconCall,
		EventDialFailed,
		EventTimer(mesh.TimerMaintain), EventTimer(mesh.TimerBeacon), EventTimer(mesh.TimerDial),
		EventFrame(mesh.FrameHello), EventFrame(mesh.FrameWelcome), EventFrame(mesh.FramePeers),
		EventFrame(mesh.FramePing), EventFrame(mesh.FrameData), EventFrame(mesh.FrameLeave)} {
		if c[k] == 0 {
			t.Errorf("no %s events", k)
		}
	}
	if c[EventStart] != 50 || c[EventLeave] != 5 || c[EventBroadcast] != 1 {
		t.Errorf("%d starts, %d leaves, %d broadcasts; want 50, 5, 1", c[EventStart], c[EventLeave], c[EventBroadcast])
	}
	for _, k := range []EventKind{EventTimer(mesh.TimerGraft), EventTimer(mesh.TimerIHave), EventTimer(mesh.TimerTree),
		EventFrame(mesh.FrameIHave), EventFrame(mesh.FrameGraft), EventFrame(mesh.FramePosition)} {
		if c[k] != 0 {
			t.Errorf("%d %s events in flood mode", c[k], k)
		}
	}
	if heard := c[EventBeaconOffer] + c[EventBeaconCall]; heard != s.counters.BeaconReceptions {
		t.Errorf("%d beacons heard by kind, %d counted", heard, s.counters.BeaconReceptions)
	}
	if data := c[EventFrame(mesh.FrameData)]; data != uint64(s.Broadcasts()[0].Transmissions) {
		t.Errorf("%d Data frames received, the broadcast made %d transmissions", data, s.Broadcasts()[0].Transmissions)
	}
}

// Every kind has its own name, the one perf.json uses.
func TestEventKindNames(t *testing.T) {
	seen := map[string]EventKind{}
	for k := range numEventKinds {
		name := k.String()
		if prev, ok := seen[name]; ok {
			t.Errorf("kinds %d and %d are both %q", prev, k, name)
		}
		seen[name] = k
	}
	for k, want := range map[EventKind]string{EventBeaconOffer: "beacon_offer", EventDialFailed: "dial_failed",
		EventTimer(mesh.TimerMaintain): "timer_maintain", EventFrame(mesh.FrameData): "frame_data",
		EventFrame(mesh.FrameRoundRequest): "frame_round-request"} {
		if got := k.String(); got != want {
			t.Errorf("kind %d is %q, want %q", k, got, want)
		}
	}
}
