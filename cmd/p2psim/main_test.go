package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"p2pmesh/internal/longtest"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := realMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunQuickstartExitsZeroAndIsReproducible(t *testing.T) {
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()
	code, out, errs := run(t, "run", "../../scenarios/quickstart.yaml", "--out", dirA, "--no-render")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "quickstart") || !strings.Contains(out, "reliability min 1.0000") {
		t.Fatalf("summary missing: %s", out)
	}
	run(t, "run", "../../scenarios/quickstart.yaml", "--out", dirB, "--no-render")
	run(t, "run", "../../scenarios/quickstart.yaml", "--out", dirC, "--no-render", "--seed", "12345")
	a, _ := os.ReadFile(filepath.Join(dirA, "report.json"))
	b, _ := os.ReadFile(filepath.Join(dirB, "report.json"))
	c, _ := os.ReadFile(filepath.Join(dirC, "report.json"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("two runs with the same seed gave different report.json")
	}
	if bytes.Equal(a, c) {
		t.Fatal("a different seed gave the same report.json")
	}
	for _, f := range []string{"topology.json", "perf.json"} {
		if _, err := os.Stat(filepath.Join(dirA, f)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInvalidScenarioExitsTwoWithPosition(t *testing.T) {
	for _, args := range [][]string{{"run", "--out", t.TempDir()}, {"validate"}} {
		cmd := args[0]
		code, _, errs := run(t, append(args, "testdata/bad.yaml")...)
		if code != exitInvalid {
			t.Fatalf("%s: exit %d, want 2\n%s", cmd, code, errs)
		}
		for _, want := range []string{"testdata/bad.yaml:4:", "testdata/bad.yaml:6:", "explode"} {
			if !strings.Contains(errs, want) {
				t.Fatalf("%s: error output lacks %q:\n%s", cmd, want, errs)
			}
		}
	}
}

func TestFailingExpectationExitsOne(t *testing.T) {
	code, out, errs := run(t, "run", "testdata/failing.yaml", "--out", t.TempDir(), "--no-render")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "FAIL too many nodes wanted") || !strings.Contains(out, "running nodes = 3") || !strings.Contains(out, "7 below the minimum") {
		t.Fatalf("summary does not say which expectation failed and by how much:\n%s", out)
	}
}

func TestValidateGoodFiles(t *testing.T) {
	all, _ := filepath.Glob("../../scenarios/*.yaml")
	var files []string
	for _, f := range all {
		// Checking a million node names takes seconds under the race
		// detector: the scale files only in the long tests.
		big := strings.HasSuffix(f, "/scale-100k.yaml") || strings.HasSuffix(f, "/scale-1m.yaml")
		if !big || longtest.Enabled() {
			files = append(files, f)
		}
	}
	code, out, errs := run(t, append([]string{"validate"}, files...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"run"}, {"run", "--seed", "x", "f.yaml"}, {"render"}, {"run", "nonexistent.yaml"}} {
		if code, _, _ := run(t, args...); code != exitInvalid {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"validate", "--help"}, {"render", "--help"}, {"help", "run"}} {
		code, out, _ := run(t, args...)
		if code != exitOK || !strings.Contains(out, "Usage") {
			t.Fatalf("%v: exit %d, output %q", args, code, out)
		}
	}
}

func TestTransportFlag(t *testing.T) {
	code, _, errs := run(t, "run", "--transport", "udp", "--out", t.TempDir(), "../../scenarios/quickstart.yaml")
	if code != exitInvalid || !strings.Contains(errs, "--transport must be sim or tcp") {
		t.Fatalf("--transport udp: exit %d, want 2\n%s", code, errs)
	}
	code, _, errs = run(t, "run", "--transport", "tcp", "--out", t.TempDir(), "testdata/lossy.yaml")
	if code != exitInvalid || !strings.Contains(errs, "testdata/lossy.yaml") || !strings.Contains(errs, "loss 0.01 cannot be applied") {
		t.Fatalf("frame loss over tcp: exit %d, want 2 and the reason\n%s", code, errs)
	}
}

func TestRunOverTCPWritesTheSameFiles(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := run(t, "run", "testdata/tcp-tiny.yaml", "--transport", "tcp", "--out", dir, "--no-render")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "reliability min 1.0000") || !strings.Contains(errs, "loopback TCP") {
		t.Fatalf("summary or perf line missing:\n%s\n%s", out, errs)
	}
	for _, f := range []string{"report.json", "topology.json", "perf.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	perf, _ := os.ReadFile(filepath.Join(dir, "perf.json"))
	if !strings.Contains(string(perf), `"transport": "tcp"`) {
		t.Fatalf("perf.json does not say tcp:\n%s", perf)
	}
}
