package sweep

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"p2pmesh/sim/report"
)

func TestParseSeeds(t *testing.T) {
	for text, want := range map[string][]uint64{
		"1-3": {1, 2, 3}, "5": {5}, "1,4,2": {1, 4, 2}, "1-2, 7": {1, 2, 7},
	} {
		got, err := ParseSeeds(text)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseSeeds(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "1,1", "1-", "-2"} {
		if _, err := ParseSeeds(bad); err == nil {
			t.Errorf("ParseSeeds(%q) accepted", bad)
		}
	}
}

func TestParseSet(t *testing.T) {
	p, err := ParseSet("network.latency={dist: uniform, min: 1ms, max: 5ms}, 5ms,[a, b]")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"{dist: uniform, min: 1ms, max: 5ms}", "5ms", "[a, b]"}
	if p.Path != "network.latency" || !slices.Equal(p.Values, want) {
		t.Errorf("got %q %q, want network.latency %q", p.Path, p.Values, want)
	}
	for _, bad := range []string{"node.max_in", "=4", "node.max_in=4,,8", "node.max_in=4,4"} {
		if _, err := ParseSet(bad); err == nil {
			t.Errorf("ParseSet(%q) accepted", bad)
		}
	}
}

// tinySpec is a 2 x 2 x 2 sweep of a 10-node scenario.
func tinySpec(t *testing.T) *Spec {
	spec, err := Load("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Seeds = []uint64{1, 2}
	spec.Params = []Param{{Path: "timeline[1].kill.count", Values: []string{"1", "3"}}, {Path: "node.mode", Values: []string{"flood", "tree"}}}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestPointsAndShards(t *testing.T) {
	spec := tinySpec(t)
	pts := spec.Points()
	if len(pts) != 8 {
		t.Fatalf("%d points, want 8", len(pts))
	}
	if got := strings.Join(pts[3].Values, " ") + " " + string(rune('0'+pts[3].Seed)); got != "1 tree 2" {
		t.Errorf("point 3 is %q, want the seed varying fastest: 1 tree 2", got)
	}
	// Every point in exactly one of 3 shards, and a point keeps its shard
	// when the sweep grows.
	count := map[int]int{}
	for _, pt := range pts {
		for i := 1; i <= 3; i++ {
			if (Shard{i, 3}).Has(spec, pt) {
				count[pt.Index]++
			}
		}
	}
	for i, n := range count {
		if n != 1 {
			t.Errorf("point %d is in %d shards", i, n)
		}
	}
	bigger := *spec
	bigger.Seeds = []uint64{1, 2, 3}
	for _, pt := range bigger.Points() {
		if pt.Seed == 3 {
			continue
		}
		for _, old := range pts {
			if slices.Equal(old.Values, pt.Values) && old.Seed == pt.Seed &&
				(Shard{2, 3}).Has(spec, old) != (Shard{2, 3}).Has(&bigger, pt) {
				t.Errorf("point %v seed %d changed shard when a seed was added", pt.Values, pt.Seed)
			}
		}
	}
	if _, err := ParseShard("4/3", os.Getenv); err == nil {
		t.Error("shard 4/3 accepted")
	}
	env := func(v string) func(string) string { return func(string) string { return v } }
	if sh, err := ParseShard("job/8", env("0")); err != nil || sh != (Shard{1, 8}) {
		t.Errorf("job/8 with index 0: %v %v, want 1/8", sh, err)
	}
	for _, idx := range []string{"", "8", "x"} {
		if _, err := ParseShard("job/8", env(idx)); err == nil {
			t.Errorf("job/8 with index %q accepted", idx)
		}
	}
}

// TestShardsMergeToTheSameSweep is the acceptance test: shards 1/3, 2/3
// and 3/3 merged give the sweep.csv of the unsharded sweep, byte for byte.
func TestShardsMergeToTheSameSweep(t *testing.T) {
	spec := tinySpec(t)
	dir := t.TempDir()
	whole, err := Run(spec, Options{Dir: filepath.Join(dir, "whole"), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Rows) != 8 {
		t.Fatalf("%d rows, want 8", len(whole.Rows))
	}
	var parts []*Result
	var dirs []string
	for i := 1; i <= 3; i++ {
		d := filepath.Join(dir, "shard", string(rune('0'+i)))
		if _, err := Run(spec, Options{Dir: d, Workers: 1, Shard: Shard{i, 3}}); err != nil {
			t.Fatal(err)
		}
		r, err := ReadResult(d)
		if err != nil {
			t.Fatal(err)
		}
		parts, dirs = append(parts, r), append(dirs, d)
	}
	merged, err := Merge(parts, dirs)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "merged")
	if err := CopyRuns(dirs, parts, out); err != nil {
		t.Fatal(err)
	}
	if err := merged.Write(out); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "whole", CSVFile))
	b, _ := os.ReadFile(filepath.Join(out, CSVFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("merged sweep.csv differs from the unsharded one:\n%s\n---\n%s", a, b)
	}
	for _, row := range merged.Rows {
		if _, err := os.Stat(filepath.Join(out, row.Dir, "report.json")); err != nil {
			t.Errorf("merged folder lacks %s's report: %v", row.Dir, err)
		}
	}
	// A missing shard or a shard given twice is refused.
	if _, err := Merge(parts[:2], dirs[:2]); err == nil || !strings.Contains(err.Error(), "is a shard absent") {
		t.Errorf("merge without shard 3: %v", err)
	}
	if _, err := Merge([]*Result{parts[0], parts[0]}, []string{dirs[0], dirs[0]}); err == nil || !strings.Contains(err.Error(), "is in both") {
		t.Errorf("merge of one shard twice: %v", err)
	}
}

// A failed point is recorded and the sweep goes on.
func TestFailedPointRecorded(t *testing.T) {
	spec, err := Load("testdata/tiny.sweep.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Seeds = []uint64{1}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := Run(spec, Options{Dir: t.TempDir(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Failed() != 1 {
		t.Fatalf("%d rows, %d failed; want 2 rows, 1 failed (3 killed of 10 leaves 7 < 8)", len(res.Rows), res.Failed())
	}
	bad := res.Rows[1]
	if bad.Status != StatusFailed || !strings.Contains(bad.Error, "survivors") || bad.Summary == nil {
		t.Errorf("failed row: %+v", bad)
	}
	csv := string(res.CSV())
	if !strings.Contains(csv, ",failed,survivors") || !strings.Contains(strings.SplitN(csv, "\n", 2)[0], "expect.survivors") {
		t.Errorf("sweep.csv does not show the failure:\n%s", csv)
	}
	if md := res.Markdown(); !strings.Contains(md, "| 3 | 1 | 1 |") {
		t.Errorf("sweep.md does not count the failure:\n%s", md)
	}
}

func TestBadSweepValues(t *testing.T) {
	spec, err := Load("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Seeds = []uint64{1}
	spec.Params = []Param{{Path: "timeline[1].kill.count", Values: []string{"1", "11"}}}
	err = spec.Validate()
	want := "testdata/tiny.yaml:8:19: kill: count 11, but at most 10 nodes can be running"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "with --set timeline[1].kill.count=11") {
		t.Errorf("got %v, want %q", err, want)
	}
}

// The shipped sweep file loads and every one of its points is valid.
func TestShippedSweepFiles(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/sweeps/*.sweep.yaml")
	if len(files) == 0 {
		t.Fatal("no sweep files in scenarios/sweeps")
	}
	for _, f := range files {
		spec, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := spec.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if len(spec.Bases) < 2 || len(spec.Seeds) == 0 || len(spec.Params) == 0 {
			t.Errorf("%s: %d scenarios, %d seeds, %d parameters", f, len(spec.Bases), len(spec.Seeds), len(spec.Params))
		}
	}
}

// Nested summary fields (traffic, present only with loss or bandwidth
// limits) are columns of their own, empty where a run has none.
func TestNestedSummaryFields(t *testing.T) {
	with := Row{Values: []string{"a"}, Status: StatusOK, Summary: &report.Summary{Traffic: &report.Traffic{Frames: 42}}}
	without := Row{Index: 1, Values: []string{"b"}, Status: StatusOK, Summary: &report.Summary{}}
	if v, ok := with.Measure("traffic.frames"); !ok || v != 42 {
		t.Errorf("traffic.frames = %v, %v; want 42", v, ok)
	}
	if _, ok := without.Measure("traffic.frames"); ok {
		t.Error("a run without traffic has a traffic.frames")
	}
	r := &Result{Columns: []string{"p"}, Rows: []Row{with, without}}
	lines := strings.Split(string(r.CSV()), "\n")
	head := strings.Split(lines[0], ",")
	i := slices.Index(head, "traffic.frames")
	if i < 0 || strings.Split(lines[1], ",")[i] != "42" || strings.Split(lines[2], ",")[i] != "" {
		t.Errorf("sweep.csv:\n%s", strings.Join(lines, "\n"))
	}
}

func TestSeedIsNotAParameter(t *testing.T) {
	spec := tinySpec(t)
	spec.Set(Param{Path: "seed", Values: []string{"1", "2"}})
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), "use --seeds 1,2") {
		t.Errorf("got %v", err)
	}
}

func TestUnknownMeasureRefusedBeforeRunning(t *testing.T) {
	spec := tinySpec(t)
	spec.Measures = []string{"links_final", "expect.survivors", "expect.nosuch"}
	err := spec.Validate()
	if err == nil || !strings.Contains(err.Error(), `measure "expect.nosuch": no run has it`) || strings.Contains(err.Error(), `"links_final"`) {
		t.Errorf("got %v", err)
	}
}
