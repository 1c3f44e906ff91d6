package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"p2pmesh/sim/study"
)

func TestStudyMassFailureSmall(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := run(t, "study", "mass-failure", "--nodes", "60", "--kill", "30,90", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "| 60 | 1 | 90% |") {
		t.Errorf("table lacks the 90%% row:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(dir, "study.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []study.Row
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) != 2 {
		t.Fatalf("study.json: %v, %d rows", err, len(rows))
	}
	for _, f := range []string{"study.md", "mass-failure.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

func TestStudyUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"study"},
		{"study", "earthquake"},
		{"study", "mass-failure", "--kill", "100"},
		{"study", "mass-failure", "--nodes", "3"},
		{"study", "mass-failure", "--mode", "gossip"},
		{"study", "mass-failure", "extra"},
	} {
		if code, _, _ := run(t, args...); code != exitInvalid {
			t.Errorf("%v: exit %d, want %d", args, code, exitInvalid)
		}
	}
	code, out, _ := run(t, "study", "mass-failure", "--nodes", "2000", "--lan", "1000", "--kill", "50", "--print-scenario")
	if code != exitOK || !strings.Contains(out, "kill: {percent: 50, mode: crash}") || !strings.Contains(out, "static_peer: l0n0") {
		t.Errorf("--print-scenario: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, "study", "--help"); code != exitOK || !strings.Contains(out, "mass-failure") {
		t.Errorf("study --help: exit %d\n%s", code, out)
	}
}
