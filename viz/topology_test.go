package viz

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r2"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/report"
)

// renderTopology draws snapshot k as PNG bytes.
func renderTopology(t testing.TB, top *report.Topology, l *Layout, k int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := TopologyPNG(&buf, top, l, k); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hasColour reports whether a pixel of exactly c lies within r pixels of p.
func hasColour(img image.Image, p image.Point, r int, c color.RGBA) bool {
	for y := p.Y - r; y <= p.Y+r; y++ {
		for x := p.X - r; x <= p.X+r; x++ {
			if pixel(img, x, y) == c {
				return true
			}
		}
	}
	return false
}

// blobs counts the connected groups of pixels of exactly colour c inside
// the rectangle.
func blobs(img image.Image, in image.Rectangle, c color.RGBA) int {
	seen := map[image.Point]bool{}
	n := 0
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			p := image.Point{X: x, Y: y}
			if seen[p] || pixel(img, x, y) != c {
				continue
			}
			n++
			stack := []image.Point{p}
			seen[p] = true
			for len(stack) > 0 {
				q := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, d := range []image.Point{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, -1}, {1, -1}, {-1, 1}} {
					r := q.Add(d)
					if r.In(in) && !seen[r] && pixel(img, r.X, r.Y) == c {
						seen[r] = true
						stack = append(stack, r)
					}
				}
			}
		}
	}
	return n
}

// countColour counts the pixels of exactly colour c in the whole image.
func countColour(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if pixel(img, x, y) == c {
				n++
			}
		}
	}
	return n
}

func TestTopologyMarksEveryNodeInItsStateColour(t *testing.T) {
	top := ringTopology()
	l := NewLayout(top)
	for k, want := range []map[nodeClass][]int{
		{classAlive: {0, 1, 2, 3, 4, 5}, classNotStarted: {6}},
		{classAlive: {0, 1, 3, 5}, classKilled: {2}, classPartitioned: {4}, classNotStarted: {6}},
	} {
		data := renderTopology(t, top, l, k)
		img := decodePNG(t, data)
		_, pos, area := topologyImage(top, l, k)
		for cls, nodes := range want {
			col := classStyle[cls].color
			for _, i := range nodes {
				if !pos[i].In(area) {
					t.Errorf("snapshot %d: n%d at %v, outside the drawing %v", k, i, pos[i], area)
				}
				r := 6
				if cls == classNotStarted {
					r = 14 // a ring: colour only on its rim
				}
				if !hasColour(img, pos[i], r, col) {
					t.Errorf("snapshot %d: no %s mark at n%d (%v)", k, classStyle[cls].name, i, pos[i])
				}
			}
			// Filled markers can be counted: one blob per node.
			if cls != classNotStarted {
				if got := blobs(img, area, col); got != len(nodes) {
					t.Errorf("snapshot %d: %d %s marks in the drawing, want %d", k, got, classStyle[cls].name, len(nodes))
				}
			}
		}
		// A state absent from the snapshot has no colour anywhere, not even
		// in the legend.
		for _, cls := range []nodeClass{classSiphon, classKilled, classPartitioned} {
			if _, ok := want[cls]; !ok {
				if n := countColour(img, classStyle[cls].color); n != 0 {
					t.Errorf("snapshot %d: %d pixels of the %s colour, want none", k, n, classStyle[cls].name)
				}
			}
		}
	}
}

func TestTopologySiphon(t *testing.T) {
	top := ringTopology()
	top.Nodes[3].Siphon = true
	l := NewLayout(top)
	img := decodePNG(t, renderTopology(t, top, l, 0))
	_, pos, area := topologyImage(top, l, 0)
	if !hasColour(img, pos[3], 6, okPurple) {
		t.Error("the siphon is not drawn in its colour")
	}
	if got := blobs(img, area, okBlue); got != 5 {
		t.Errorf("%d alive marks, want 5", got)
	}
}

func TestTopologyPositionsStableAcrossSnapshots(t *testing.T) {
	top := meshTopology(sized(80, 200), 3, 9)
	l := NewLayout(top)
	_, before, _ := topologyImage(top, l, 0)
	_, after, _ := topologyImage(top, l, 1)
	for i := range top.Nodes {
		if before[i] != after[i] {
			t.Fatalf("n%d at %v before and %v after", i, before[i], after[i])
		}
	}
	// And the nodes killed in between are marked where they stood.
	img := decodePNG(t, renderTopology(t, top, l, 1))
	for i := range top.Nodes {
		if top.Snapshots[1].States[i] == report.StateKilled && !hasColour(img, after[i], 4, okVermilion) {
			t.Errorf("killed n%d not marked at %v", i, after[i])
		}
	}
}

func TestTopologyDeterministic(t *testing.T) {
	top := meshTopology(sized(80, 300), 4, 3)
	a := renderTopology(t, top, NewLayout(top), 1)
	b := renderTopology(t, top, NewLayout(top), 1)
	if !bytes.Equal(a, b) {
		t.Error("two renderings of the same snapshot differ")
	}
	checkRich(t, decodePNG(t, a))
}

func TestTopologyTitle(t *testing.T) {
	top := ringTopology()
	v := newSnapshotView(top, NewLayout(top), 1)
	title := strings.Join(v.title(), "\n")
	for _, want := range []string{"ring", `"after"`, "9 s", "7 nodes", "4 alive", "1 killed", "1 partitioned", "1 not started", "3 links", "2 connected components"} {
		if !strings.Contains(title, want) {
			t.Errorf("title %q lacks %q", title, want)
		}
	}
	if strings.Contains(title, "SAMPLE") {
		t.Error("a small run is called a sample")
	}
}

func TestTopologySampleIsLabelled(t *testing.T) {
	top := meshTopology(SampleAbove+1, 2, 4)
	// The title needs the sample, not its positions: laying out 1,000
	// nodes takes half a minute under the race detector, so only the long
	// tests draw it.
	l := &Layout{Pos: make([]r2.Vec, len(top.Nodes)), Sampled: true, Count: SampleSize}
	l.Center, l.Drawn = sample(top, SampleSize)
	if longtest.Enabled() {
		l = NewLayout(top)
		decodePNG(t, renderTopology(t, top, l, 0))
	}
	title := strings.Join(newSnapshotView(top, l, 0).title(), "\n")
	if !strings.Contains(title, "SAMPLE: 1,000 of 2,001 nodes") {
		t.Errorf("title %q does not say it shows a sample", title)
	}
}

func TestTopologyOddRuns(t *testing.T) {
	one := &report.Topology{Nodes: []report.TopoNode{{Name: "solo"}},
		Snapshots: []report.Snapshot{{Name: "end", States: []string{report.StateAlive}}}}
	dead := ringTopology()
	for i := range dead.Snapshots[1].States {
		dead.Snapshots[1].States[i] = report.StateKilled
	}
	dead.Snapshots[1].Edges = nil
	short := ringTopology()
	short.Snapshots[0].States = short.Snapshots[0].States[:2] // the rest unknown: not started
	short.Snapshots[0].Edges = append(short.Snapshots[0].Edges, [2]int{0, 99})
	for k, top := range []*report.Topology{one, dead, short} {
		if k > 0 && !longtest.Enabled() {
			break // each snapshot drawn costs seconds under the race detector
		}
		l := NewLayout(top)
		for k := range top.Snapshots {
			decodePNG(t, renderTopology(t, top, l, k))
		}
	}
}

func TestTopologyErrors(t *testing.T) {
	top := ringTopology()
	l := NewLayout(top)
	var buf bytes.Buffer
	if err := TopologyPNG(&buf, top, l, 2); err == nil {
		t.Error("no error for a missing snapshot")
	}
	if err := TopologyPNG(&buf, top, NewLayout(meshTopology(3, 1, 1)), 0); err == nil {
		t.Error("no error for a layout of another run")
	}
}

func benchmarkTopology(b *testing.B, n int) {
	top := meshTopology(n, 5, 1)
	b.ReportAllocs()
	for b.Loop() {
		l := NewLayout(top)
		var buf bytes.Buffer
		if err := TopologyPNG(&buf, top, l, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTopology1000 lays out and draws a 1,000-node, ~5,000-link run.
func BenchmarkTopology1000(b *testing.B) { benchmarkTopology(b, 1000) }

// BenchmarkTopology20000 lays out and draws a 20,000-node run, which is
// drawn as a sample.
func BenchmarkTopology20000(b *testing.B) { benchmarkTopology(b, 20000) }

// BenchmarkTopologyDraw1000 draws one more snapshot of a laid-out run.
func BenchmarkTopologyDraw1000(b *testing.B) {
	top := meshTopology(1000, 5, 1)
	l := NewLayout(top)
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := TopologyPNG(&buf, top, l, 1); err != nil {
			b.Fatal(err)
		}
	}
}
