package viz

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"p2pmesh/sim/report"
)

// The overview lists every run with its verdict, failing runs first, and
// links to each run's page and replay.
func TestOverviewListsFailingRunsFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, run := range []struct {
		name string
		ok   bool
	}{{"good", true}, {"bad", false}} {
		sub := filepath.Join(dir, run.name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		r := report.Report{Scenario: run.name, Summary: report.Summary{NodesTotal: 1234, Broadcasts: 1, ReliabilityMin: 0.5},
			Expectations: []report.Expectation{{Name: "everybody hears " + run.name, OK: run.ok}}}
		if err := report.Write(sub, report.ReportFile, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bad", ReplayFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteOverview(dir, "two runs", []string{"good", "bad"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{`<a href="bad/index.html">bad</a>`, `<a href="good/index.html">good</a>`, `<a href="bad/replay.html">replay</a>`,
		"FAIL", "everybody hears bad", "1,234", "50.00%", "1 with failing expectations"} {
		if !strings.Contains(page, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
	if strings.Index(page, "bad/index.html") > strings.Index(page, "good/index.html") {
		t.Error("the failing run is not listed first")
	}
	if strings.Contains(page, "good/replay.html") {
		t.Error("a replay link for a run without one")
	}
}
