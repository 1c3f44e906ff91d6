package viz

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/report"
)

// writeRun writes a report directory; a nil topology writes none.
func writeRun(t *testing.T, r *report.Report, top *report.Topology) string {
	t.Helper()
	dir := t.TempDir()
	if err := report.Write(dir, report.ReportFile, r); err != nil {
		t.Fatal(err)
	}
	if top != nil {
		if err := report.Write(dir, report.TopologyFile, top); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// renderRun renders dir and checks every file written: PNGs decode, DOT
// parses, index.html is well formed and shows every picture. It returns
// the base names written.
func renderRun(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := RenderDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		if filepath.Dir(p) != filepath.Clean(dir) {
			t.Errorf("%s written outside %s", p, dir)
		}
		names = append(names, filepath.Base(p))
	}
	if len(names) == 0 || names[len(names)-1] != IndexFile {
		t.Fatalf("files %v, want index.html last", names)
	}
	page, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	imgs := checkHTML(t, string(page))
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(name) {
		case ".png":
			decodePNG(t, data)
			if _, ok := imgs[name]; !ok {
				t.Errorf("index.html does not show %s", name)
			}
		case ".dot":
			parseDOT(t, string(data))
			if !bytes.Contains(page, []byte(`href="`+name+`"`)) {
				t.Errorf("index.html does not link %s", name)
			}
		}
	}
	return names
}

func TestRenderDir(t *testing.T) {
	t.Parallel()
	dir := writeRun(t, sampleReport(), ringTopology())
	names := renderRun(t, dir)
	want := []string{"topology-before.png", "topology-before.dot", "topology-after.png", "topology-after.dot",
		TimeSeriesFile, RedundancyFile, DegreesFile, IndexFile}
	if !slices.Equal(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
}

// With spread.json the first and the worst broadcast get pictures of their
// own, the broadcasts table links them, and the latency picture is drawn.
func TestRenderDirWithSpread(t *testing.T) {
	t.Parallel()
	longtest.Skip(t) // every picture of a run; TestIndexPageOrderAndLinks is the quick check
	r := sampleReport()
	slices.Reverse(r.Expectations) // the passing one first
	_, ring := ringSpread()
	sp := &report.Spread{}
	for k, b := range r.Broadcasts {
		bs := report.BroadcastSpread{ID: b.ID, LatencyMS: latencies(float64(k))}
		if k == 0 || k == 7 {
			one := ring.Broadcasts[0]
			bs.Parent, bs.Hop, bs.ArrivalMS = one.Parent, one.Hop, one.ArrivalMS
		}
		sp.Broadcasts = append(sp.Broadcasts, bs)
	}
	dir := writeRun(t, r, ringTopology())
	if err := report.Write(dir, report.SpreadFile, sp); err != nil {
		t.Fatal(err)
	}
	names := renderRun(t, dir)
	for _, want := range []string{"broadcast-n0-0.png", "broadcast-n7-7.png", LatencyFile} {
		if !slices.Contains(names, want) {
			t.Errorf("%s not written (wrote %v)", want, names)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, IndexFile))
	if !bytes.Contains(page, []byte(`<a href="broadcast-n7-7.png"><code>n7#7</code></a>`)) {
		t.Error("the broadcasts table does not link the worst broadcast's picture")
	}
	if i, j := bytes.Index(page, []byte("✘ FAIL")), bytes.Index(page, []byte("✔ pass")); i < 0 || j < 0 || i > j {
		t.Error("the failing expectation is not listed first")
	}
	if !bytes.Contains(page, []byte("followed 2 of the 12 broadcasts node by node (n0#0, n7#7)")) {
		t.Error("the page does not say which broadcasts were followed")
	}
}

// Two renderings of a whole run are byte-identical (a long test: it draws
// every picture twice; the quick suite checks the topology picture and the
// DOT file: TestTopologyDeterministic and TestDOTDeterministic).
func TestRenderDirDeterministic(t *testing.T) {
	t.Parallel()
	longtest.Skip(t)
	a := writeRun(t, sampleReport(), meshTopology(150, 3, 8))
	b := writeRun(t, sampleReport(), meshTopology(150, 3, 8))
	names := renderRun(t, a)
	renderRun(t, b)
	for _, name := range names {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two renderings", name)
		}
	}
}

func TestRenderDirOddRuns(t *testing.T) {
	t.Parallel()
	noBroadcasts := sampleReport()
	noBroadcasts.Broadcasts = nil
	noSnapshots := ringTopology()
	noSnapshots.Snapshots = nil
	oneNode := &report.Report{Scenario: "one", Nodes: []report.Node{{Name: "solo", Alive: true}},
		Series: []report.Sample{{AtMS: 0, Alive: 1, Components: 1}}}
	oneTopo := &report.Topology{Nodes: []report.TopoNode{{Name: "solo"}},
		Snapshots: []report.Snapshot{{Name: "end", States: []string{report.StateAlive}, Components: 1}}}
	allDead := sampleReport()
	for k := range allDead.Nodes {
		allDead.Nodes[k].Alive = false
	}
	deadTopo := ringTopology()
	for k := range deadTopo.Snapshots[1].States {
		deadTopo.Snapshots[1].States[k] = report.StateKilled
	}
	deadTopo.Snapshots[1].Edges = nil
	for _, c := range []struct {
		name     string
		r        *report.Report
		top      *report.Topology
		topology int    // topology pictures expected
		note     string // in index.html

		quick bool // in the quick suite too (each case draws a whole run)
	}{
		{"no broadcasts", noBroadcasts, ringTopology(), 2, "The run sent no broadcasts", false},
		{"no snapshots", sampleReport(), noSnapshots, 0, "the run recorded no snapshots", false},
		{"one node", oneNode, oneTopo, 1, "The scenario states no expectations", false},
		{"all dead", allDead, deadTopo, 2, "1 of 2 expectations failed", false},
		{"no topology.json", sampleReport(), nil, 0, "topology.json is missing", false}, // quick: TestIndexPageSaysWhyNoTopology
		{"empty report", &report.Report{}, &report.Topology{}, 0, "no snapshots", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !c.quick {
				longtest.Skip(t)
			}
			dir := writeRun(t, c.r, c.top)
			names := renderRun(t, dir)
			n := 0
			for _, name := range names {
				if strings.HasPrefix(name, "topology-") && strings.HasSuffix(name, ".png") {
					n++
				}
			}
			if n != c.topology {
				t.Errorf("%d topology pictures, want %d: %v", n, c.topology, names)
			}
			page, _ := os.ReadFile(filepath.Join(dir, IndexFile))
			if !strings.Contains(string(page), c.note) {
				t.Errorf("index.html lacks %q", c.note)
			}
		})
	}
}

func TestRenderDirBadInput(t *testing.T) {
	t.Parallel()
	if _, err := RenderDir(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no report.json: error %v", err)
	}
	if !longtest.Enabled() {
		return // the rest draws a whole run: seconds under the race detector
	}
	dir := writeRun(t, sampleReport(), nil)
	if err := os.WriteFile(filepath.Join(dir, report.TopologyFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	names := renderRun(t, dir)
	page, _ := os.ReadFile(filepath.Join(dir, IndexFile))
	if !strings.Contains(string(page), "No topology pictures") || slices.Contains(names, "topology-before.png") {
		t.Error("a broken topology.json is not reported")
	}
	if err := os.WriteFile(filepath.Join(dir, report.ReportFile), []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RenderDir(dir); err == nil {
		t.Error("no error for a broken report.json")
	}
}

func TestSnapshotFiles(t *testing.T) {
	t.Parallel()
	top := &report.Topology{Snapshots: []report.Snapshot{{Name: "start"}, {Name: "after kill"}, {Name: "after/kill"}, {Name: ""}, {Name: "../x"}, {Name: "Ünï"}}}
	got := snapshotFiles(top)
	want := []string{"topology-start", "topology-after-kill", "topology-after-kill-2", "topology-snapshot4", "topology-x", "topology-n"}
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestGuard(t *testing.T) {
	t.Parallel()
	err := guard(func() error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("guard: %v", err)
	}
	if err := guard(func() error { return nil }); err != nil {
		t.Error(err)
	}
}
