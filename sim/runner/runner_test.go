package runner

import (
	"bytes"
	"encoding/json"
	"testing"

	"p2pmesh/sim/scenario"
)

func load(t *testing.T, path string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func reportJSON(t *testing.T, res *Result) []byte {
	t.Helper()
	b, err := json.Marshal(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQuickstartHoldsAndIsDeterministic(t *testing.T) {
	sc := load(t, "../../scenarios/quickstart.yaml")
	a, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range a.Report.Expectations {
		t.Logf("%v %s: %s", e.OK, e.Name, e.Detail)
	}
	if len(a.Failed) > 0 {
		t.Fatalf("quickstart expectations failed: %+v", a.Failed)
	}
	for _, b := range a.Report.Broadcasts {
		if b.Reliability != 1 {
			t.Fatalf("broadcast %s reliability %v", b.ID, b.Reliability)
		}
	}
	b, _ := Run(sc, Options{})
	if !bytes.Equal(reportJSON(t, a), reportJSON(t, b)) {
		t.Fatal("same seed, different reports")
	}
	c, _ := Run(sc, Options{Seed: 99, HasSeed: true})
	if bytes.Equal(reportJSON(t, a), reportJSON(t, c)) {
		t.Fatal("different seeds, same report")
	}
}

// perf.json splits the engine events by kind, most frequent first, per node
// too, and the kinds add up to the total.
func TestPerfSplitsEngineEventsByKind(t *testing.T) {
	res, err := Run(load(t, "../../scenarios/quickstart.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Perf
	var sum uint64
	kinds := map[string]bool{}
	for i, k := range p.EngineEventsByKind {
		sum += k.Events
		kinds[k.Kind] = true
		if i > 0 && k.Events > p.EngineEventsByKind[i-1].Events {
			t.Errorf("%s (%d) after %s (%d)", k.Kind, k.Events, p.EngineEventsByKind[i-1].Kind, p.EngineEventsByKind[i-1].Events)
		}
		if want := float64(k.Events) / float64(p.Nodes); k.PerNode != want {
			t.Errorf("%s: %v per node, want %v", k.Kind, k.PerNode, want)
		}
	}
	if sum != p.EngineEvents || p.EngineEventsPerNode != float64(sum)/float64(p.Nodes) {
		t.Errorf("kinds add up to %d, engine events %d, %v per node", sum, p.EngineEvents, p.EngineEventsPerNode)
	}
	for _, k := range []string{"start", "beacon_offer", "frame_data", "frame_hello", "timer_maintain", "frame_welcome"} {
		if !kinds[k] {
			t.Errorf("no %s events in %+v", k, p.EngineEventsByKind)
		}
	}
}
