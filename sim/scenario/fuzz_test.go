package scenario

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"p2pmesh/mesh"
)

// FuzzParse checks that no input makes Parse panic, that every error carries
// a position inside the file, and that whatever parses is consistent. The
// seed corpus is in testdata/fuzz/FuzzParse; the good example files are
// added as seeds too.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			if sc != nil {
				t.Fatalf("both a scenario and an error: %v", err)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 || len(list) > MaxErrors+1 {
				t.Fatalf("error is not a sensible ErrorList: %T %v", err, err)
			}
			data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
			starts := lineStarts(data)
			for _, e := range list {
				if e.Line < 1 || e.Col < 1 || e.Line > len(starts) || e.File != "fuzz.yaml" || e.Msg == "" {
					t.Fatalf("bad error %q (file has %d lines)", e, len(starts))
				}
				line := data[starts[e.Line-1]:]
				if e.Line < len(starts) {
					line = data[starts[e.Line-1]:starts[e.Line]]
				}
				if e.Col > utf8.RuneCount(line)+1 {
					t.Fatalf("bad error %q: line %d has %d characters", e, e.Line, utf8.RuneCount(line))
				}
			}
			return
		}
		checkScenario(t, sc)
	})
}

// checkScenario checks the invariants of a parsed scenario.
func checkScenario(t *testing.T, sc *Scenario) {
	t.Helper()
	if sc.Name == "" || len(sc.Timeline) == 0 || len(sc.Network.Segments) == 0 {
		t.Fatalf("incomplete scenario %+v", sc)
	}
	if sc.Duration < sc.LastAction || sc.SampleEvery <= 0 {
		t.Fatalf("duration %v before last action %v, or sample_every %v", sc.Duration, sc.LastAction, sc.SampleEvery)
	}
	var last int64
	for i, a := range sc.Timeline {
		if int64(a.At) < last || a.At > sc.LastAction {
			t.Fatalf("action %d at %v: out of order or after the last action %v", i, a.At, sc.LastAction)
		}
		last = int64(a.At)
		set := map[ActionKind]bool{
			ActStart: a.Start != nil, ActKill: a.Kill != nil, ActRestart: a.Restart != nil,
			ActPartition: a.Partition != nil, ActHeal: a.Heal != nil, ActBroadcast: a.Broadcast != nil,
			ActSnapshot: a.Snapshot != nil, ActCheck: a.Check != nil, ActWait: a.Wait > 0,
		}
		for k, on := range set {
			if on != (k == a.Kind) {
				t.Fatalf("action %d of kind %v has field %v set=%v", i, a.Kind, k, on)
			}
		}
		if b := a.Broadcast; b != nil && (b.Count < 1 || b.Size < 1 || b.Count > 1 && b.Every <= 0) {
			t.Fatalf("bad broadcast %+v", b)
		}
	}
	seen := map[string]bool{}
	for _, n := range sc.Nodes {
		if seen[n.Name] || n.Name == "" {
			t.Fatalf("node name %q repeated or empty", n.Name)
		}
		seen[n.Name] = true
		cfg := *n.Config
		if n.StaticPeer != "" {
			if !seen[n.StaticPeer] && n.StaticPeer != StaticPeerRandom {
				t.Fatalf("node %s has static peer %s declared after it", n.Name, n.StaticPeer)
			}
			cfg.StaticPeers = []mesh.Addr{{Port: 1}}
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("node %s has an invalid config: %v", n.Name, err)
		}
	}
	for _, e := range append(sc.Expect, checks(sc)...) {
		if e.Name == "" || e.Kind == 0 || (e.Kind != ExpLinkLimits && e.Min == nil && e.Max == nil) {
			t.Fatalf("bad expectation %+v", e)
		}
	}
}

func checks(sc *Scenario) []Expectation {
	var out []Expectation
	for _, a := range sc.Timeline {
		out = append(out, a.Check...)
	}
	return out
}

// TestGoodInvariants runs the fuzz invariants over the good example files.
func TestGoodInvariants(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) < 2 {
		t.Fatal("no example files")
	}
	for _, name := range files {
		checkScenario(t, mustLoad(t, name))
	}
}
