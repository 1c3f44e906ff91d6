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
