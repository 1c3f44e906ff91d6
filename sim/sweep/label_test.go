package sweep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A parameter without a label in the sweep file is named by a reading of
// its path: a timeline item by the time the bases give it.
func TestDefaultLabel(t *testing.T) {
	tiny, err := Load("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	other := tiny.Bases[0]
	other.Data = []byte(strings.Replace(string(other.Data), "at: 5s", "at: 6s", 1))
	for _, c := range []struct {
		path  string
		bases []Base
		want  string
	}{
		{"timeline[1].kill.count", tiny.Bases, "kill count at t = 5s"},
		{"timeline[1].kill.count", []Base{tiny.Bases[0], other}, "kill count (timeline[1])"},
		{"timeline[1].kill.count", nil, "kill count (timeline[1])"},
		{"timeline[0].start.count", tiny.Bases, "start count (timeline[0])"}, // item 0 has no at
		{"node.max_in", tiny.Bases, "node max in"},
	} {
		if got := DefaultLabel(c.path, c.bases); got != c.want {
			t.Errorf("DefaultLabel(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

// A sweep file's labels name its parameters on the pictures; --set keeps
// the label of a parameter it re-sets; a label for a path not swept is an
// error at its line.
func TestSweepFileLabels(t *testing.T) {
	dir := t.TempDir()
	tiny, _ := filepath.Abs("testdata/tiny.yaml")
	write := func(body string) string {
		f := filepath.Join(dir, "l.sweep.yaml")
		if err := os.WriteFile(f, []byte("scenarios: ["+tiny+"]\nset:\n  timeline[1].kill.count: [1, 3]\n  node.max_in: [4, 8]\n"+body), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	spec, err := Load(write("labels:\n  timeline[1].kill.count: nodes killed\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec.Set(Param{Path: "timeline[1].kill.count", Values: []string{"2"}})
	r := NewResult(spec, Shard{})
	if got := r.ColumnLabel(0); got != "nodes killed" {
		t.Errorf("column 0 labelled %q, want the file's label", got)
	}
	if got := r.ColumnLabel(1); got != "node max in" {
		t.Errorf("column 1 labelled %q, want the path read", got)
	}
	_, err = Load(write("labels:\n  node.max_out: links out\n"))
	if err == nil || !strings.Contains(err.Error(), "l.sweep.yaml:6:3: labels: node.max_out is not swept") {
		t.Errorf("got %v, want an error at the label of a path not swept", err)
	}
}
