package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"p2pmesh/internal/longtest"
)

// Every bad invocation exits 2 and says on stderr, after the program's
// name, what was wrong; nothing goes to stdout.
func TestBadInvocationsSayWhatIsWrong(t *testing.T) {
	quickstart := "../../scenarios/quickstart.yaml"
	huge := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(huge, []byte("name: x\ntimeline:\n  - start: {count: 999999999999}\n  - at: 5s\n    broadcast: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want []string // in stderr, in this order
		not  string   // must not be in stderr
	}{
		{[]string{}, []string{"Usage:", "p2psim run", "--transport", "p2psim study"}, ""},
		{[]string{"frobnicate"}, []string{`p2psim: unknown command "frobnicate"`, "p2psim help"}, ""},
		{[]string{"help", "frobnicate"}, []string{`p2psim help: unknown command "frobnicate"`}, ""},
		{[]string{"run"}, []string{"p2psim run: no scenario file given", "Run 'p2psim help run' for usage."}, ""},
		{[]string{"run", "--seed", "abc", quickstart}, []string{"p2psim run: ", `"abc"`, "--seed", "Run 'p2psim help run'"}, "strconv"},
		{[]string{"run", "--sed", "3", quickstart}, []string{"p2psim run: unknown flag: --sed"}, ""},
		{[]string{"run", quickstart, "--out"}, []string{"p2psim run: flag needs an argument: --out"}, ""},
		{[]string{"run", "--seed", "-1", quickstart}, []string{"p2psim run: ", `"-1"`, "--seed"}, ""},
		{[]string{"run", "--progress", "sometimes", quickstart}, []string{"p2psim run: --progress must be auto, always or never"}, ""},
		{[]string{"run", "--transport", "udp", quickstart}, []string{"p2psim run: --transport must be sim or tcp"}, ""},
		{[]string{"run", "nosuch.yaml"}, []string{"p2psim run: nosuch.yaml: no such file or directory"}, "open "},
		{[]string{"run", huge}, []string{"p2psim run: " + huge + ":3:20: count: 999999999999 is too large (at most 2147483647)"}, "no node can be running"},
		{[]string{"run", "testdata/bad.yaml"}, []string{"p2psim run: testdata/bad.yaml:4:", "p2psim run: testdata/bad.yaml:6:"}, ""},
		{[]string{"validate"}, []string{"p2psim validate: no scenario file given"}, ""},
		{[]string{"validate", "--bogus", quickstart}, []string{"p2psim validate: unknown flag: --bogus"}, ""},
		{[]string{"validate", "nosuch.yaml"}, []string{"p2psim validate: nosuch.yaml: no such file or directory"}, ""},
		{[]string{"render"}, []string{"p2psim render: want exactly one report directory"}, ""},
		{[]string{"render", "--x", "out"}, []string{"p2psim render: unknown flag: --x"}, ""},
		{[]string{"render", t.TempDir()}, []string{"p2psim render: ", "report.json"}, ""},
		{[]string{"study"}, []string{"p2psim study: want a study name: mass-failure"}, ""},
		{[]string{"study", "earthquake"}, []string{`p2psim study: unknown study "earthquake"`}, ""},
		{[]string{"study", "mass-failure", "--bogus"}, []string{"p2psim study: unknown flag: --bogus"}, ""},
		{[]string{"study", "mass-failure", "--kill", "100"}, []string{"p2psim study: ", "100% killed: want 1 to 99"}, ""},
		{[]string{"study", "mass-failure", "extra"}, []string{`p2psim study: unexpected argument "extra"`}, ""},
		{[]string{"sweep"}, []string{"p2psim sweep: want one scenario or sweep file, got 0 arguments", "Run 'p2psim help sweep'"}, ""},
		{[]string{"sweep", "--bogus", quickstart}, []string{"p2psim sweep: unknown flag: --bogus"}, ""},
		{[]string{"sweep", "--workers", "0", quickstart}, []string{"p2psim sweep: --workers must be at least 1, not 0"}, ""},
		{[]string{"sweep", "nosuch.yaml"}, []string{"p2psim sweep: nosuch.yaml"}, ""},
		{[]string{"sweep", "merge"}, []string{"p2psim sweep merge: no shard folder given", "Run 'p2psim help sweep merge'"}, ""},
		{[]string{"sweep", "merge", "--bogus", "x"}, []string{"p2psim sweep merge: unknown flag: --bogus"}, ""},
		{[]string{"version", "extra"}, []string{`p2psim version: unexpected argument "extra"`}, ""},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := run(t, c.args...)
			if code != exitInvalid {
				t.Errorf("exit %d, want %d", code, exitInvalid)
			}
			if out != "" {
				t.Errorf("stdout not empty:\n%s", out)
			}
			rest := errs
			for _, w := range c.want {
				k := strings.Index(rest, w)
				if k < 0 {
					t.Fatalf("stderr lacks %q (in order):\n%s", w, errs)
				}
				rest = rest[k+len(w):]
			}
			if c.not != "" && strings.Contains(errs, c.not) {
				t.Errorf("stderr has %q:\n%s", c.not, errs)
			}
			for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
				if len(c.args) > 0 && line != "" && !strings.HasPrefix(line, "p2psim") && !strings.HasPrefix(line, "Run 'p2psim") {
					t.Errorf("a line without the program's name: %q", line)
				}
			}
		})
	}
}

// Help goes once, to stdout, with exit 0, however it is asked for.
func TestHelpOnceOnStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}, {"run", "--help"}, {"run", "-h"}, {"validate", "--help"},
		{"render", "--help"}, {"study", "--help"}, {"study", "mass-failure", "--help"}, {"version", "--help"},
		{"help", "run"}, {"help", "validate"}, {"help", "render"}, {"help", "study"}, {"help", "version"},
		{"sweep", "--help"}, {"sweep", "merge", "--help"}, {"help", "sweep"}, {"help", "sweep", "merge"}} {
		code, out, errs := run(t, args...)
		if code != exitOK || !strings.Contains(out, "Usage") || errs != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", args, code, errs, out)
		}
		if n := strings.Count(out, "Usage"); n != 1 {
			t.Errorf("%v: help printed %d times", args, n)
		}
	}
	_, out, _ := run(t, "help")
	for _, c := range commands {
		if !strings.Contains(out, "p2psim "+c.name) {
			t.Errorf("the overview lacks %q", c.name)
		}
	}
	_, out, _ = run(t, "help", "run")
	for _, flag := range []string{"--seed", "--out", "--transport", "--junit", "--quiet", "--no-render"} {
		if !strings.Contains(out, flag) {
			t.Errorf("run's help lacks %s", flag)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errs := run(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "p2psim ") || !strings.Contains(out, "go1.") || errs != "" {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
	}
}

// --quiet prints nothing when every expectation holds; without it the
// speed line names what it measured.
func TestQuietAndTheSpeedLine(t *testing.T) {
	code, out, errs := run(t, "run", "../../scenarios/quickstart.yaml", "--no-render", "--quiet", "--out", t.TempDir())
	if code != exitOK || out != "" || errs != "" {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = run(t, "run", "../../scenarios/quickstart.yaml", "--no-render", "--out", t.TempDir())
	if code != exitOK || !strings.Contains(errs, "quickstart: simulated ") || !strings.Contains(errs, "s of wall-clock time (the simulation alone)") || !strings.Contains(errs, "events/s") ||
		!strings.Contains(errs, "engine events per node ") || !strings.Contains(errs, "frame_data ") {
		t.Errorf("speed line: exit %d, stderr %q", code, errs)
	}
	code, out, _ = run(t, "run", "testdata/failing.yaml", "--no-render", "--quiet", "--out", t.TempDir())
	if code != exitFailed || !strings.Contains(out, "FAIL too many nodes wanted") || strings.Contains(out, "ok  ") {
		t.Errorf("--quiet with a failure: exit %d\n%s", code, out)
	}
}

// render on a run without topology.json draws the charts, says on stderr
// why there are no topology pictures, and the page says it once.
func TestRenderWithoutTopology(t *testing.T) {
	longtest.Skip(t) // draws a run's charts: seconds under the race detector (viz's TestIndexPageSaysWhyNoTopology is the quick check)
	dir := t.TempDir()
	if code, out, errs := run(t, "run", "../../scenarios/lone-first-node.yaml", "--no-render", "--out", dir); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	if err := os.Remove(filepath.Join(dir, "topology.json")); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "render", dir)
	if code != exitOK || !strings.Contains(out, "index.html") || !strings.Contains(errs, "p2psim render: warning: no topology pictures:") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "topology.json is missing") || strings.Contains(string(page), "recorded no snapshots") {
		t.Errorf("the page does not say plainly why there are no topology pictures")
	}
}
