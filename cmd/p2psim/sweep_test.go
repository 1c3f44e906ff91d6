package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"p2pmesh/internal/longtest"
)

const tinySweep = "../../sim/sweep/testdata/tiny.yaml"

// Pictures take seconds each under the race detector: the quick suite
// checks the tables, the long one the pictures and page too.
func TestSweepWritesResultsAndPictures(t *testing.T) {
	dir := t.TempDir()
	args := []string{"sweep", tinySweep, "--seeds", "1-2", "--set", "node.mode=flood,tree",
		"--set", "timeline[1].kill.count=1,2", "--workers", "2", "--measures", "engine_events,links_final", "--out", dir}
	render := longtest.Enabled()
	if !render {
		args = append(args, "--no-render")
	}
	code, out, errs := run(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "sweep tiny: 8 runs, 0 failed") {
		t.Errorf("summary: %s", out)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 9 || !strings.HasPrefix(lines[0], "node.mode,timeline[1].kill.count,seed,status,error,dir,broadcasts,") {
		t.Errorf("sweep.csv has %d lines, header %q", len(lines), lines[0])
	}
	for _, f := range []string{"sweep.json", "sweep.md", "runs/node.mode=tree,timeline1.kill.count=2,seed=2/report.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !render {
		return
	}
	for _, f := range []string{"index.html", "engine_events-vs-node.mode.png", "engine_events-vs-timeline1.kill.count.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if !bytes.Contains(page, []byte(`<img src="engine_events-vs-node.mode.png"`)) {
		t.Error("index.html does not show the pictures")
	}
}

func TestSweepFailedPointExitsOne(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run(t, "sweep", "../../sim/sweep/testdata/tiny.sweep.yaml", "--seeds", "1", "--no-render", "--out", dir)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "2 runs, 1 failed") || !strings.Contains(out, "FAIL runs/timeline1.kill.count=3,seed=1: survivors") {
		t.Errorf("summary does not name the failed point:\n%s", out)
	}
}

func TestSweepUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sweep"}, "want one scenario or sweep file"},
		{[]string{"sweep", tinySweep, "--seeds", "3-1"}, `"3-1" is not a range`},
		{[]string{"sweep", tinySweep, "--set", "node.max_in"}, "want PATH=V1,V2"},
		{[]string{"sweep", tinySweep, "--shard", "0/3"}, "want I/N"},
		{[]string{"sweep", tinySweep, "--workers", "0"}, "--workers must be at least 1"},
		{[]string{"sweep", tinySweep, "--set", "node.max_in=x"}, `tiny.yaml:2:1: max_in: expected an integer, got "x" (the value of --set node.max_in=x)`},
		{[]string{"sweep", tinySweep, "--set", "timeline[1].kill.count=1,99"}, "tiny.yaml:8:19: kill: count 99"},
		{[]string{"sweep", "nosuch.yaml"}, "p2psim sweep: nosuch.yaml: no such file or directory"},
		{[]string{"sweep", "merge"}, "no shard folder"},
		{[]string{"sweep", "merge", t.TempDir()}, "sweep.json"},
	} {
		code, _, errs := run(t, c.args...)
		if code != exitInvalid || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

func TestSweepShardsMerge(t *testing.T) {
	dir := t.TempDir()
	args := []string{"sweep", tinySweep, "--seeds", "1-3", "--set", "timeline[1].kill.count=1,2", "--no-render"}
	if code, out, errs := run(t, append(args, "--out", filepath.Join(dir, "whole"))...); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	merge := []string{"sweep", "merge", "--no-render", "--out", filepath.Join(dir, "merged")}
	for _, s := range []string{"1/2", "2/2"} {
		d := filepath.Join(dir, strings.ReplaceAll(s, "/", "of"))
		if code, out, errs := run(t, append(args, "--shard", s, "--out", d)...); code != exitOK {
			t.Fatalf("shard %s: exit %d\n%s%s", s, code, out, errs)
		}
	}
	merge = append(merge, filepath.Join(dir, "*of2")) // a pattern, as in deploy/sweep-merge-job.yaml
	if code, out, errs := run(t, merge...); code != exitOK {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errs)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "whole", "sweep.csv"))
	b, _ := os.ReadFile(filepath.Join(dir, "merged", "sweep.csv"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("merged sweep.csv differs:\n%s\n---\n%s", a, b)
	}
}

// The Kubernetes Jobs in deploy/ pass p2psim flags it knows: with --help
// after them, p2psim exits 0 only if it parsed every one.
func TestDeployJobsUseKnownFlags(t *testing.T) {
	for _, f := range []string{"sweep-job.yaml", "sweep-merge-job.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../deploy", f))
		if err != nil {
			t.Fatal(err)
		}
		var job struct {
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args []string `yaml:"args"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := yaml.Unmarshal(b, &job); err != nil || len(job.Spec.Template.Spec.Containers) != 1 {
			t.Fatalf("%s: %v", f, err)
		}
		args := append(job.Spec.Template.Spec.Containers[0].Args, "--help")
		if code, _, errs := run(t, args...); code != exitOK {
			t.Errorf("%s: p2psim %q: exit %d\n%s", f, args, code, errs)
		}
	}
}
