package scenario

import (
	"strings"
	"testing"
	"time"

	"p2pmesh/mesh"
)

const overrideBase = `name: small
node:
  max_in: 5
timeline:
  - start: {count: 10}
  - at: 5s
    kill: {percent: 50}
`

func TestOverridesApplied(t *testing.T) {
	sc, err := ParseWith("small.yaml", []byte(overrideBase), []Override{
		{Path: "node.max_in", Value: "8"},
		{Path: "node.mode", Value: "tree"}, // a key the file does not have
		{Path: "network.latency", Value: "{dist: uniform, min: 1ms, max: 5ms}"},
		{Path: "timeline[1].kill.percent", Value: "30"},
		{Path: "seed", Value: "7"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Node.MaxIn != 8 || sc.Node.Mode != mesh.ModeTree {
		t.Errorf("node: max_in %d mode %v, want 8 tree", sc.Node.MaxIn, sc.Node.Mode)
	}
	if l := sc.Network.Latency; l.Dist != LatencyUniform || l.Min != time.Millisecond || l.Max != 5*time.Millisecond {
		t.Errorf("latency %+v, want uniform 1ms-5ms", l)
	}
	if p := sc.Timeline[1].Kill.Select.Percent; p != 30 {
		t.Errorf("kill percent %v, want 30", p)
	}
	if sc.Seed != 7 {
		t.Errorf("seed %d, want 7", sc.Seed)
	}
	// The file itself is unchanged for the next parse.
	plain, err := Parse("small.yaml", []byte(overrideBase))
	if err != nil || plain.Node.MaxIn != 5 {
		t.Fatalf("plain parse: %v, max_in %d", err, plain.Node.MaxIn)
	}
}

func TestOverrideErrors(t *testing.T) {
	for _, c := range []struct {
		path, value string
		want        string
	}{
		{"node.max_in", "five", `small.yaml:3:11: max_in: expected an integer, got "five" (the value of --set node.max_in=five)`},
		{"timeline[1].kill.percent", "150", `small.yaml:7:21: kill: percent must be in (0, 100], got 150 (the value of --set timeline[1].kill.percent=150)`},
		{"timeline[4].kill.percent", "10", `small.yaml:5:3: --set timeline[4].kill.percent=10: timeline has 2 items (indices 0 to 1)`},
		{"timeline[0].start.count.x", "1", `small.yaml:5:20: --set timeline[0].start.count.x=1: timeline[0].start.count is 10, not a mapping with key "x"`},
		{"node[1]", "1", `small.yaml:3:3: --set node[1]=1: node is a mapping, not a list`},
		{"node.max_in", "{a: [", `small.yaml:1:1: --set node.max_in={a: [: the value is not valid YAML`},
		{"node..max_in", "1", `small.yaml:1:1: --set node..max_in=1: empty key`},
		{"bogus", "1", `small.yaml:1:1: unknown key "bogus"`},
	} {
		_, err := ParseWith("small.yaml", []byte(overrideBase), []Override{{Path: c.path, Value: c.value}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--set %s=%s: got %v, want %q", c.path, c.value, err, c.want)
		}
	}
}
