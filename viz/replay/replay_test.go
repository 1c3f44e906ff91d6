package replay

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"p2pmesh/sim/report"
	"p2pmesh/sim/runner"
	"p2pmesh/sim/scenario"
)

func readData(t *testing.T, dir string) *data {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	var d data
	if err := json.Unmarshal([]byte(s[strings.Index(s, "=")+1:]), &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// The quickstart's replay holds its overlay log, every node placed, and
// each broadcast's arrivals; the page loads nothing from the network.
func TestReplayOfQuickstart(t *testing.T) {
	sc, err := scenario.Load("../../scenarios/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Run(sc, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Write(dir, res.Report, res.Topology, res.Overlay, res.Spread); err != nil {
		t.Fatal(err)
	}
	d := readData(t, dir)
	if d.Mode != ModeLinks || len(d.Nodes.Name) != 20 || len(d.Links.At) != len(res.Overlay.LinkAtMS) || len(d.Links.At) == 0 {
		t.Fatalf("mode %s, %d nodes, %d link events", d.Mode, len(d.Nodes.Name), len(d.Links.At))
	}
	for k, b := range d.Broadcasts {
		if b.Origin < 0 || len(b.Node) != res.Report.Broadcasts[k].Delivered {
			t.Fatalf("broadcast %s: origin %d, %d arrivals, %d delivered", b.ID, b.Origin, len(b.Node), res.Report.Broadcasts[k].Delivered)
		}
	}
	for i := range d.Nodes.X {
		if x, y := d.Nodes.X[i], d.Nodes.Y[i]; x < 0 || x > 1 || y < 0 || y > 1 {
			t.Fatalf("node %d placed at %v, %v", i, x, y)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, PageFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `<script src="replay-data.js">`) {
		t.Fatal("the page does not load replay-data.js")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).Find(page); m != nil {
		t.Fatalf("the page refers to the network: %s", m)
	}
}

// Beyond report.OverlayNodeLimit nodes the page shows LANs: running nodes
// per LAN and links counted per pair of LANs, at each snapshot.
func TestReplayOfALargeRunShowsLANs(t *testing.T) {
	n := report.OverlayNodeLimit + 2
	top := &report.Topology{Scenario: "big", Seed: 1}
	snap := report.Snapshot{Name: "end", AtMS: 1000, States: make([]string, n)}
	for i := range n {
		top.Nodes = append(top.Nodes, report.TopoNode{Name: fmt.Sprint("n", i), Segment: fmt.Sprint("lan", i%3)})
		snap.States[i] = report.StateAlive
	}
	snap.States[0] = report.StateKilled
	// lan0–lan1 twice, lan1–lan2 once, one link inside lan0.
	snap.Edges = [][2]int{{3, 1}, {6, 4}, {1, 2}, {3, 6}}
	top.Snapshots = []report.Snapshot{snap}
	sp := &report.Spread{Broadcasts: []report.BroadcastSpread{{ID: "n1#1", Parent: make([]int32, n), Hop: make([]int, n), ArrivalMS: make([]float64, n)}}}
	d := build(&report.Report{Scenario: "big", Broadcasts: []report.Broadcast{{ID: "n1#1", Origin: "n1"}}}, top, nil, sp)
	if len(d.Broadcasts) != 1 || d.Broadcasts[0].Node != nil {
		t.Fatalf("broadcasts %d, the first with %d arrivals: the LAN view draws no nodes", len(d.Broadcasts), len(d.Broadcasts[0].Node))
	}
	if d.Mode != ModeLANs || d.Nodes != nil || len(d.LANs.X) != 3 {
		t.Fatalf("mode %s, nodes %v, %d LANs", d.Mode, d.Nodes != nil, len(d.LANs.X))
	}
	s := d.Snapshots[0]
	if s.Alive[0] != d.LANs.Nodes[0]-1 || s.Alive[1] != d.LANs.Nodes[1] {
		t.Fatalf("running per LAN %v of %v", s.Alive, d.LANs.Nodes)
	}
	got := fmt.Sprint(s.A, s.B, s.W)
	if want := "[0 0 1] [0 1 2] [1 2 1]"; got != want {
		t.Fatalf("links between LANs %s, want %s", got, want)
	}
}

// sim/runner/testdata/owed.yaml: n5, cut off by a partition before the
// send, was owed the broadcast and missed it; n4 (killed just after the
// send) and n6 (started after it) were not owed it. The page's data lists
// n5 alone as missed.
func TestReplayListsTheNodesThatMissedABroadcast(t *testing.T) {
	sc, err := scenario.Load("../../sim/runner/testdata/owed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Run(sc, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := build(res.Report, res.Topology, res.Overlay, res.Spread)
	b := d.Broadcasts[0]
	var missed []string
	for _, i := range b.Missed {
		missed = append(missed, d.Nodes.Name[i])
	}
	if !b.OwedKnown || fmt.Sprint(missed) != "[n5]" {
		t.Fatalf("owed known %v, missed %v; want n5 alone", b.OwedKnown, missed)
	}
	// Written before spread.json recorded the nodes owed: as before.
	sp := *res.Spread
	sp.Broadcasts = append([]report.BroadcastSpread(nil), sp.Broadcasts...)
	sp.Broadcasts[0].Owed = nil
	if b := build(res.Report, res.Topology, res.Overlay, &sp).Broadcasts[0]; b.OwedKnown || len(b.Missed) != 0 {
		t.Fatalf("without owed: owed known %v, missed %v", b.OwedKnown, b.Missed)
	}
}
