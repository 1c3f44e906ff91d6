package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"p2pmesh/internal/longtest"
)

// Several files give one folder each, an overview page linking them with
// their verdicts, and compare tabulates and draws the runs; the same file
// over two seeds is one group.
func TestRunSeveralThenCompare(t *testing.T) {
	longtest.Skip(t) // draws two whole runs: 25 s under the race detector on 2 cores
	dir := t.TempDir()
	code, out, errs := run(t, "run", "../../scenarios/quickstart.yaml", "testdata/failing.yaml", "--out", dir)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (one scenario fails)\n%s\n%s", code, out, errs)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`href="quickstart/index.html"`, `href="failing/index.html"`, `href="quickstart/replay.html"`, "FAIL", "pass"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	for _, f := range []string{"replay.html", "replay-data.js", "overlay.json", "spread.json"} {
		if _, err := os.Stat(filepath.Join(dir, "quickstart", f)); err != nil {
			t.Error(err)
		}
	}

	seed2 := filepath.Join(dir, "quickstart-2")
	if code, _, errs := run(t, "run", "../../scenarios/quickstart.yaml", "--seed", "2", "--no-render", "--out", seed2); code != exitOK {
		t.Fatalf("seed 2: exit %d: %s", code, errs)
	}
	cmp := filepath.Join(dir, "cmp")
	code, out, errs = run(t, "compare", filepath.Join(dir, "quickstart"), seed2, filepath.Join(dir, "failing"), "--out", cmp)
	if code != exitOK {
		t.Fatalf("compare: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"quickstart seed 1", "quickstart seed 2 (quickstart-2)", "failing seed", "nodes_total", "(-85.0%)", "* differs"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare's table lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"compare-over-time.png", "compare-latency.png"} {
		fh, err := os.Open(filepath.Join(cmp, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil || img.Bounds().Dx() < 1000 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if code, _, errs := run(t, "compare", filepath.Join(dir, "quickstart")); code != exitInvalid || !strings.Contains(errs, "at least two") {
		t.Fatalf("one folder: exit %d: %s", code, errs)
	}
	if code, _, errs := run(t, "compare", dir+"/nothing", seed2); code != exitInvalid || !strings.Contains(errs, "not a finished run") {
		t.Fatalf("missing folder: exit %d: %s", code, errs)
	}
}
