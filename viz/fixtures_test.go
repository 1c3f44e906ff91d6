package viz

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/report"
)

// sized returns quick in the quick suite and long in the long tests
// (longtest): a force-directed layout of a few hundred nodes costs seconds
// under the race detector, so the quick suite lays out smaller meshes.
func sized(quick, long int) int {
	if longtest.Enabled() {
		return long
	}
	return quick
}

// meshTopology is a synthetic run of n nodes: each node opens out links to
// random others (about 5n links in all), a "start" snapshot with everybody
// alive and an "after-kill" snapshot in which every tenth node is dead.
func meshTopology(n, out int, seed uint64) *report.Topology {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := &report.Topology{Scenario: fmt.Sprintf("synthetic-%d", n), Seed: seed}
	for i := range n {
		t.Nodes = append(t.Nodes, report.TopoNode{Name: fmt.Sprintf("n%d", i), Segment: "lan", Siphon: i%97 == 5})
	}
	var edges [][2]int
	seen := map[[2]int]bool{}
	for i := range n {
		for range out {
			j := rng.IntN(n)
			a, b := min(i, j), max(i, j)
			if a == b || seen[[2]int{a, b}] {
				continue
			}
			seen[[2]int{a, b}] = true
			edges = append(edges, [2]int{a, b})
		}
	}
	start := report.Snapshot{Name: "start", AtMS: 10000, States: make([]string, n), Edges: edges, Components: 1}
	after := report.Snapshot{Name: "after-kill", AtMS: 20000, States: make([]string, n), Components: 1}
	for i := range n {
		start.States[i] = report.StateAlive
		after.States[i] = report.StateAlive
		if i%10 == 3 {
			after.States[i] = report.StateKilled
		}
	}
	for _, e := range edges {
		if after.States[e[0]] == report.StateAlive && after.States[e[1]] == report.StateAlive {
			after.Edges = append(after.Edges, e)
		}
	}
	t.Snapshots = []report.Snapshot{start, after}
	return t
}

// ringTopology is six nodes in a ring; in the second snapshot n2 is killed,
// n4 partitioned and a seventh node has not started.
func ringTopology() *report.Topology {
	t := &report.Topology{Scenario: "ring", Seed: 7}
	for i := range 7 {
		t.Nodes = append(t.Nodes, report.TopoNode{Name: fmt.Sprintf("n%d", i), Segment: "lan"})
	}
	ring := [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {0, 5}}
	all := func(s string) []string {
		out := make([]string, 7)
		for i := range out {
			out[i] = s
		}
		out[6] = report.StateNotStarted
		return out
	}
	before := report.Snapshot{Name: "before", AtMS: 5000, States: all(report.StateAlive), Edges: ring, Components: 1}
	after := report.Snapshot{Name: "after", AtMS: 9000, States: all(report.StateAlive), Edges: [][2]int{{0, 1}, {4, 5}, {0, 5}}, Components: 2}
	after.States[2] = report.StateKilled
	after.States[4] = report.StatePartitioned
	t.Snapshots = []report.Snapshot{before, after}
	return t
}

// sampleReport is a small, complete report: broadcasts, a time series with
// a kill and a heal, nodes with links and redundant receptions.
func sampleReport() *report.Report {
	r := &report.Report{Scenario: "sample", Description: "a <synthetic> run", Seed: 3, DurationMS: 60000}
	for i := range 30 {
		r.Nodes = append(r.Nodes, report.Node{Name: fmt.Sprintf("n%d", i), Segment: "lan", Alive: i%7 != 0,
			LinksIn: i % 6, LinksOut: (i * 3) % 6, MaxIn: 5, MaxOut: 5, Delivered: 10, Redundant: uint64(i % 9), Siphon: i == 4})
	}
	for k := range 12 {
		rel := 1.0
		if k == 7 {
			rel = 0.8
		}
		r.Broadcasts = append(r.Broadcasts, report.Broadcast{ID: fmt.Sprintf("n%d#%d", k, k), Origin: fmt.Sprintf("n%d", k),
			SentAtMS: 10000 + float64(k)*2000, Alive: 29, Delivered: int(29 * rel), Reliability: rel,
			Transmissions: uint64(60 + k), Redundant: uint64(31 + k), RMR: float64(60+k)/29 - 1, LDH: 4 + k%3,
			LatencyMS: report.Latency{P50: 12, P99: 30, Max: 33}})
	}
	for k := range 61 {
		rel := 1.0
		s := report.Sample{AtMS: float64(k) * 1000, Alive: min(30, k*3), Links: min(70, k*7), Components: 1}
		if k >= 30 && k < 40 {
			s.Alive, s.Components = 25, 2
		}
		if k%5 == 0 && k >= 10 {
			s.Reliability = &rel
		}
		r.Series = append(r.Series, s)
	}
	r.Events = []report.Event{
		{AtMS: 0, Kind: "start", Label: "30 nodes"},
		{AtMS: 30000, Kind: "kill", Label: "5 nodes"},
		{AtMS: 30000, Kind: "partition", Label: "east"},
		{AtMS: 40000, Kind: "heal", Label: "east"},
		{AtMS: 45000, Kind: "snapshot", Label: "end"},
	}
	r.Summary = report.Summary{Broadcasts: 12, ReliabilityMin: 0.8, ReliabilityMean: 0.98, NodesTotal: 30, AliveFinal: 25, TraceDigest: "00ff"}
	r.Expectations = []report.Expectation{
		{Name: "reliability >= 1", OK: false, Value: 0.8, Detail: "n7#7 reached 80%"},
		{Name: "components <= 1", OK: true, Value: 1},
	}
	return r
}

// decodePNG decodes a PNG and checks that it is at least 800×600 and not
// blank: several colours and some ink (a picture that only says why it is
// empty passes; full pictures are checked for their colours too).
func decodePNG(t testing.TB, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 800 || b.Dy() < 600 {
		t.Errorf("picture is %d×%d, want at least 800×600", b.Dx(), b.Dy())
	}
	colours := map[color.RGBA]bool{}
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			c := pixel(img, x, y)
			colours[c] = true
			if c != white {
				ink++
			}
		}
	}
	if len(colours) < 8 || ink < 300 {
		t.Errorf("picture looks blank: %d colours, %d non-white samples", len(colours), ink)
	}
	return img
}

func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// pixel is the colour at (x, y). Decoded pictures are *image.RGBA, read
// here without going through the color.Color interface: a test that scans
// a whole picture touches two million pixels, and under the race detector
// each interface call and conversion costs.
func pixel(img image.Image, x, y int) color.RGBA {
	if m, ok := img.(*image.RGBA); ok {
		return m.RGBAAt(x, y)
	}
	return rgba(img.At(x, y))
}

// gridTopology is a w×h grid, one snapshot.
func gridTopology(w, h int) *report.Topology {
	t := &report.Topology{Scenario: fmt.Sprintf("grid-%dx%d", w, h), Seed: 1}
	s := report.Snapshot{Name: "end"}
	for y := range h {
		for x := range w {
			i := y*w + x
			t.Nodes = append(t.Nodes, report.TopoNode{Name: fmt.Sprintf("g%d", i)})
			s.States = append(s.States, report.StateAlive)
			if x+1 < w {
				s.Edges = append(s.Edges, [2]int{i, i + 1})
			}
			if y+1 < h {
				s.Edges = append(s.Edges, [2]int{i, i + w})
			}
		}
	}
	t.Snapshots = []report.Snapshot{s}
	return t
}

// lansTopology is k LANs of m nodes each, densely linked inside, with a
// couple of bridges between consecutive LANs.
func lansTopology(k, m int) *report.Topology {
	rng := rand.New(rand.NewPCG(9, 9))
	t := &report.Topology{Scenario: fmt.Sprintf("lans-%dx%d", k, m), Seed: 2}
	s := report.Snapshot{Name: "end"}
	for l := range k {
		for j := range m {
			i := l*m + j
			t.Nodes = append(t.Nodes, report.TopoNode{Name: fmt.Sprintf("l%d-%d", l, j), Segment: fmt.Sprint(l)})
			s.States = append(s.States, report.StateAlive)
			for range 3 {
				o := l*m + rng.IntN(m)
				if o != i {
					s.Edges = append(s.Edges, [2]int{i, o})
				}
			}
		}
		next := (l + 1) % k
		s.Edges = append(s.Edges, [2]int{l * m, next*m + 1}, [2]int{l*m + 2, next*m + 3})
	}
	t.Snapshots = []report.Snapshot{s}
	return t
}

func rgbaOf(c [4]uint8) color.RGBA { return color.RGBA{c[0], c[1], c[2], c[3]} }

// checkRich checks that a full picture has plenty of ink in many colours.
func checkRich(t testing.TB, img image.Image) {
	t.Helper()
	colours := map[color.RGBA]bool{}
	ink := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			c := pixel(img, x, y)
			colours[c] = true
			if c != white {
				ink++
			}
		}
	}
	if len(colours) < 32 || ink < 5000 {
		t.Errorf("picture looks empty: %d colours, %d non-white samples", len(colours), ink)
	}
}
