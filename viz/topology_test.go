package viz

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"

	"gonum.org/v1/gonum/graph/topo"
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
	in = in.Intersect(img.Bounds())
	w := in.Dx()
	is := make([]bool, w*in.Dy()) // of colour c
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			is[(y-in.Min.Y)*w+x-in.Min.X] = pixel(img, x, y) == c
		}
	}
	n := 0
	var stack []int
	for k, ok := range is {
		if !ok {
			continue
		}
		n++
		is[k] = false
		stack = append(stack[:0], k)
		for len(stack) > 0 {
			q := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			qx, qy := q%w, q/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := qx+dx, qy+dy
					if x >= 0 && x < w && y >= 0 && y < in.Dy() && is[y*w+x] {
						is[y*w+x] = false
						stack = append(stack, y*w+x)
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

// checkGroups renders snapshot k and checks that every node listed is
// marked in its colour at its position, one mark per node (filled markers
// only), and that the groups' colours differ.
func checkGroups(t *testing.T, top *report.Topology, k int, want map[color.RGBA][]int) {
	t.Helper()
	// One drawing, encoded and decoded as a PNG, with its node positions.
	canvas, pos, area := topologyImage(top, NewLayout(top), k)
	var buf bytes.Buffer
	if err := writePNG(&buf, canvas); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, buf.Bytes())
	for col, nodes := range want {
		for _, i := range nodes {
			if !pos[i].In(area) {
				t.Errorf("%s: %s at %v, outside the drawing %v", top.Scenario, top.Nodes[i].Name, pos[i], area)
			}
			r := 5
			if col == notStartedStyle.color {
				r = 14 // a ring: colour only on its rim
			}
			if !hasColour(img, pos[i], r, col) {
				t.Errorf("%s: %s is not drawn in %v at %v", top.Scenario, top.Nodes[i].Name, col, pos[i])
			}
		}
		if col != notStartedStyle.color && col != killedStyle.color {
			if got := blobs(img, area, col); got != len(nodes) {
				t.Errorf("%s: %d marks of %v in the drawing, want %d", top.Scenario, got, col, len(nodes))
			}
		}
	}
}

func TestTopologyColoursStates(t *testing.T) {
	t.Parallel()
	// All running: one colour; the node not started is a grey ring.
	checkGroups(t, ringTopology(), 0, map[color.RGBA][]int{okBlue: {0, 1, 2, 3, 4, 5}, notStartedStyle.color: {6}})
}

func TestTopologyColoursPartitionSides(t *testing.T) {
	t.Parallel()
	// n4 is cut off by a partition: the sides differ; n2 is killed.
	checkGroups(t, ringTopology(), 1, map[color.RGBA][]int{
		okBlue: {0, 1, 3, 5}, okOrange: {4}, killedStyle.color: {2}, notStartedStyle.color: {6}})
}

func TestTopologyColoursComponents(t *testing.T) {
	t.Parallel()
	// The ring cut in two by a kill, nobody partitioned: two components.
	top := ringTopology()
	s := &top.Snapshots[1]
	s.States[4] = report.StateAlive
	s.Edges = [][2]int{{0, 1}, {3, 4}, {4, 5}}
	checkGroups(t, top, 1, map[color.RGBA][]int{okBlue: {3, 4, 5}, okOrange: {0, 1}, killedStyle.color: {2}})
	v := newSnapshotView(top, NewLayout(top), 1)
	if v.colour.mode != byComponent || v.colour.groups[0].label != "component 1" || v.colour.groups[0].drawn != 3 {
		t.Errorf("colouring %+v, want by component, the largest first", v.colour)
	}
}

func TestTopologyColoursLANs(t *testing.T) {
	t.Parallel()
	top := lansTopology(3, 8)
	want := map[color.RGBA][]int{}
	for i := range top.Nodes {
		col := groupPalette[i/8]
		want[col] = append(want[col], i)
	}
	checkGroups(t, top, 0, want)
	v := newSnapshotView(top, NewLayout(top), 0)
	if v.links.crossLAN != 6 || v.links.inLAN == 0 {
		t.Errorf("%d links between LANs and %d inside, want 6 and some", v.links.crossLAN, v.links.inLAN)
	}
}

func TestTopologyColoursRoles(t *testing.T) {
	t.Parallel()
	top := ringTopology()
	top.Nodes[3].Siphon = true
	top.Nodes[5].NetworkKey = "other"
	v := newSnapshotView(top, NewLayout(top), 0)
	for i, want := range map[int]color.RGBA{0: okBlue, 2: okBlue, 3: okOrange, 5: okGreen} {
		if got := v.colour.colour(i); got != want {
			t.Errorf("n%d coloured %v, want %v", i, got, want)
		}
	}
	if v.role[3] != roleSiphon || v.role[5] != roleOtherKey || v.role[0] != roleHonest {
		t.Errorf("roles %v", v.role)
	}
	var labels []string
	for _, g := range v.colour.groups {
		labels = append(labels, g.label)
	}
	if got := strings.Join(labels, ", "); got != "ungrouped, siphoner, key “other”" {
		t.Errorf("groups %q", got)
	}
}

// A siphoner no honest node links to is not a component of the mesh: the
// title counts the snapshot's components as the report does.
func TestTopologyComponentsOfTheMesh(t *testing.T) {
	t.Parallel()
	top := ringTopology()
	top.Nodes[6].Siphon = true
	s := &top.Snapshots[0]
	s.States[6] = report.StateAlive
	s.Components = 0 // not given: counted
	v := newSnapshotView(top, NewLayout(top), 0)
	if v.comps != 1 || v.colour.mode != byGroup {
		t.Errorf("%d components, colouring %v; want 1, by group", v.comps, v.colour.mode)
	}
}

func TestTopologyTreeLinks(t *testing.T) {
	t.Parallel()
	top := ringTopology()
	top.Snapshots[0].TreeParent = []int32{-1, 0, 1, 2, 5, 0, -1}
	l := NewLayout(top)
	img := decodePNG(t, renderTopology(t, top, l, 0))
	_, pos, _ := topologyImage(top, l, 0)
	mid := func(a, b int) image.Point { return pos[a].Add(pos[b]).Div(2) }
	if !hasColour(img, mid(0, 1), 2, treeLink) || hasColour(img, mid(3, 4), 2, treeLink) {
		t.Error("the tree's links are not the ones drawn bold")
	}
	// Nothing else to say: the nodes are coloured by depth in the tree.
	v := newSnapshotView(top, l, 0)
	if v.colour.mode != byTreeDepth {
		t.Fatalf("colouring %v, want by tree depth", v.colour.mode)
	}
	for i, d := range []int{0, 1, 2, 3, 2, 1} {
		if v.colour.of[i] != d {
			t.Errorf("n%d at depth %d, want %d", i, v.colour.of[i], d)
		}
	}
}

func TestTopologyPositionsStableAcrossSnapshots(t *testing.T) {
	t.Parallel()
	top := meshTopology(sized(40, 200), 3, 9)
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
		if top.Snapshots[1].States[i] == report.StateKilled && !hasColour(img, after[i], 4, killedStyle.color) {
			t.Errorf("killed n%d not marked at %v", i, after[i])
		}
	}
}

func TestTopologyDeterministic(t *testing.T) {
	t.Parallel()
	top := meshTopology(sized(40, 300), 4, 3)
	a := renderTopology(t, top, NewLayout(top), 1)
	b := renderTopology(t, top, NewLayout(top), 1)
	if !bytes.Equal(a, b) {
		t.Error("two renderings of the same snapshot differ")
	}
	checkRich(t, decodePNG(t, a))
}

func TestTopologyTitle(t *testing.T) {
	t.Parallel()
	top := ringTopology()
	v := newSnapshotView(top, NewLayout(top), 1)
	title := strings.Join(v.title(), "\n")
	for _, want := range []string{"ring", `"after"`, "9 s", "7 nodes", "5 running", "1 killed or left", "1 cut off by a partition", "1 not started", "3 links", "2 connected components"} {
		if !strings.Contains(title, want) {
			t.Errorf("title %q lacks %q", title, want)
		}
	}
	if strings.Contains(title, "SAMPLE") {
		t.Error("a small run is called a sample")
	}
}

func TestTopologySampleIsLabelled(t *testing.T) {
	t.Parallel()
	top := meshTopology(SampleAbove+1, 2, 4)
	// The title needs the sample, not its positions: laying out 1,000
	// nodes takes half a minute under the race detector, so only the long
	// tests draw it.
	l := &Layout{Pos: make([]r2.Vec, len(top.Nodes)), Sampled: true, Count: SampleSize}
	l.Center, l.LANs, l.Drawn = sample(top, SampleSize)
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
	t.Parallel()
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
	t.Parallel()
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

// A mesh of several LANs shattered into more components than get a colour
// each is coloured by LAN, and the key says in how many islands each LAN's
// running nodes are; in few components it is coloured by component.
func TestTopologyColoursShatteredLANs(t *testing.T) {
	t.Parallel()
	top := lansTopology(3, 8)
	s := &top.Snapshots[0]
	// LAN 0 keeps its links, LAN 1 only those among its first four nodes,
	// LAN 2 none; one link between LAN 0 and LAN 1 stays.
	var kept [][2]int
	for _, e := range s.Edges {
		a, b := min(e[0], e[1]), max(e[0], e[1])
		switch {
		case b < 8, a >= 8 && b < 12, a == 0 && b == 9:
			kept = append(kept, e)
		}
	}
	s.Edges = kept
	v := newSnapshotView(top, NewLayout(top), 0)
	if v.colour.mode != byLAN || !v.colour.islands {
		t.Fatalf("colouring %v (islands %v), want by LAN with islands", v.colour.mode, v.colour.islands)
	}
	lan0 := len(topo.ConnectedComponents(newLinkGraph(8, nil, kept)))
	if got := []int{v.colour.groups[0].islands, v.colour.groups[1].islands, v.colour.groups[2].islands}; got[0] != lan0 || got[1] < 5 || got[2] != 8 {
		t.Errorf("islands per LAN %v, want %d, at least 5 (four nodes apart), 8", got, lan0)
	}
	if title := strings.Join(v.title(), "\n"); !strings.Contains(title, "(1 between LANs)") {
		t.Errorf("title %q does not count the links between LANs", title)
	}
	// Few components (LAN 2 keeps its links again): by component.
	top = lansTopology(3, 8)
	s = &top.Snapshots[0]
	kept = kept[:0]
	for _, e := range s.Edges {
		if top.Nodes[e[0]].Segment == top.Nodes[e[1]].Segment {
			kept = append(kept, e)
		}
	}
	s.Edges = kept
	v = newSnapshotView(top, NewLayout(top), 0)
	if v.comps < 2 || v.comps > componentColours {
		t.Fatalf("%d components: the fixture should have a few", v.comps)
	}
	if v.colour.mode != byComponent {
		t.Errorf("%d components coloured %v, want by component", v.comps, v.colour.mode)
	}
}
