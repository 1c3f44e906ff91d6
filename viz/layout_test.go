package viz

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/graph/topo"
	"gonum.org/v1/gonum/spatial/r2"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/report"
)

func dist(a, b r2.Vec) float64 { return r2.Norm(r2.Sub(a, b)) }

func checkInUnitSquare(t *testing.T, l *Layout) {
	t.Helper()
	for i, p := range l.Pos {
		if !l.Drawn[i] {
			continue
		}
		if !(p.X >= -1e-9 && p.X <= 1+1e-9 && p.Y >= -1e-9 && p.Y <= 1+1e-9) {
			t.Fatalf("node %d at %v, outside the unit square", i, p)
		}
	}
}

func TestLayoutDeterministic(t *testing.T) {
	t.Parallel()
	for _, top := range []*report.Topology{ringTopology(), lansTopology(3, 30), meshTopology(sized(40, 300), 4, 5)} {
		a, b := NewLayout(top), NewLayout(top)
		checkInUnitSquare(t, a)
		if !slices.Equal(a.Pos, b.Pos) || !slices.Equal(a.Drawn, b.Drawn) {
			t.Errorf("%s: two layouts of the same topology differ", top.Scenario)
		}
		if a.Count != len(top.Nodes) || a.Sampled {
			t.Errorf("%s: %d of %d nodes drawn", top.Scenario, a.Count, len(top.Nodes))
		}
	}
}

func TestLayoutSeed(t *testing.T) {
	t.Parallel()
	top := meshTopology(sized(40, 100), 3, 1)
	a := NewLayout(top)
	top.Seed++
	b := NewLayout(top)
	if slices.Equal(a.Pos, b.Pos) {
		t.Error("the layout does not depend on the seed")
	}
}

func TestLayoutRing(t *testing.T) {
	t.Parallel()
	l := NewLayout(ringTopology())
	for i := range 6 {
		next, opposite := dist(l.Pos[i], l.Pos[(i+1)%6]), dist(l.Pos[i], l.Pos[(i+3)%6])
		if next >= opposite {
			t.Errorf("n%d: neighbour %.3f away, opposite node %.3f", i, next, opposite)
		}
	}
}

func TestLayoutShowsClusters(t *testing.T) {
	t.Parallel()
	const lans, size = 4, 40
	top := lansTopology(lans, size)
	l := NewLayout(top)
	var in, across float64
	var nIn, nAcross int
	for i := range top.Nodes {
		for j := i + 1; j < len(top.Nodes); j++ {
			d := dist(l.Pos[i], l.Pos[j])
			if i/size == j/size {
				in += d
				nIn++
			} else {
				across += d
				nAcross++
			}
		}
	}
	in, across = in/float64(nIn), across/float64(nAcross)
	if in > 0.5*across {
		t.Errorf("LANs are not apart: mean distance %.3f inside a LAN, %.3f across", in, across)
	}
}

func TestLayoutEdgeCases(t *testing.T) {
	t.Parallel()
	nodes := func(n int) []report.TopoNode {
		out := make([]report.TopoNode, n)
		for i := range out {
			out[i].Name = fmt.Sprint(i)
		}
		return out
	}
	for _, top := range []*report.Topology{
		{},                // nothing
		{Nodes: nodes(1)}, // one node, no snapshot
		{Nodes: nodes(7)}, // no links at all: a grid
		{Nodes: nodes(2), Snapshots: []report.Snapshot{{Edges: [][2]int{{0, 1}}}}},
		{Nodes: nodes(3), Snapshots: []report.Snapshot{{Edges: [][2]int{{0, 1}, {5, 6}, {-1, 0}}}}},
	} {
		l := NewLayout(top)
		if len(l.Pos) != len(top.Nodes) || l.Count != len(top.Nodes) {
			t.Errorf("%d nodes: layout of %d, %d drawn", len(top.Nodes), len(l.Pos), l.Count)
		}
		checkInUnitSquare(t, l)
		for i := range top.Nodes {
			for j := i + 1; j < len(top.Nodes); j++ {
				if l.Pos[i] == l.Pos[j] {
					t.Errorf("%d nodes: nodes %d and %d share a place", len(top.Nodes), i, j)
				}
			}
		}
	}
}

func TestLayoutComponentsApart(t *testing.T) {
	t.Parallel()
	// Two separate rings and a loner: no node of one piece lies inside
	// the bounding box of another.
	top := &report.Topology{Seed: 4}
	var edges [][2]int
	for i := range 13 {
		top.Nodes = append(top.Nodes, report.TopoNode{Name: fmt.Sprint(i)})
	}
	for i := range 6 {
		edges = append(edges, [2]int{i, (i + 1) % 6}, [2]int{6 + i, 6 + (i+1)%6})
	}
	top.Snapshots = []report.Snapshot{{Edges: edges}}
	l := NewLayout(top)
	box := func(lo, hi int) r2.Box {
		b := r2.Box{Min: r2.Vec{X: math.Inf(1), Y: math.Inf(1)}, Max: r2.Vec{X: math.Inf(-1), Y: math.Inf(-1)}}
		for i := lo; i < hi; i++ {
			p := l.Pos[i]
			b.Min.X, b.Min.Y = min(b.Min.X, p.X), min(b.Min.Y, p.Y)
			b.Max.X, b.Max.Y = max(b.Max.X, p.X), max(b.Max.Y, p.Y)
		}
		return b
	}
	inside := func(p r2.Vec, b r2.Box) bool {
		return p.X >= b.Min.X && p.X <= b.Max.X && p.Y >= b.Min.Y && p.Y <= b.Max.Y
	}
	a, b := box(0, 6), box(6, 12)
	for i := range 13 {
		if i >= 6 && inside(l.Pos[i], a) || (i < 6 || i == 12) && inside(l.Pos[i], b) {
			t.Errorf("node %d at %v overlaps another piece (%v, %v)", i, l.Pos[i], a, b)
		}
	}
}

// The sample of a large run is a neighbourhood: one piece, in the union of
// links, of SampleSize nodes, the same every time.
func TestSampleIsANeighbourhood(t *testing.T) {
	t.Parallel()
	top := meshTopology(SampleAbove+500, 3, 2)
	center, _, drawn := sample(top, SampleSize)
	again, _, drawnAgain := sample(top, SampleSize)
	if center != again || !slices.Equal(drawn, drawnAgain) {
		t.Error("sampling is not deterministic")
	}
	count := 0
	for _, d := range drawn {
		if d {
			count++
		}
	}
	if count != SampleSize || !drawn[center] {
		t.Errorf("%d drawn, centre drawn: %v", count, drawn[center])
	}
	if n := len(topo.ConnectedComponents(unionGraph(top, drawn))); n != 1 {
		t.Errorf("the sample falls into %d pieces", n)
	}
}

// The layout of a sampled run (two layouts of 1,000 nodes: a minute under
// the race detector, so a long test; TestSampleIsANeighbourhood checks the
// sample itself in the quick suite).
func TestLayoutSample(t *testing.T) {
	t.Parallel()
	longtest.Skip(t)
	top := meshTopology(SampleAbove+500, 3, 2)
	l := NewLayout(top)
	if !l.Sampled || l.Count != SampleSize {
		t.Fatalf("sampled %v, %d drawn; want a sample of %d", l.Sampled, l.Count, SampleSize)
	}
	drawn := 0
	for _, d := range l.Drawn {
		if d {
			drawn++
		}
	}
	if drawn != SampleSize || !l.Drawn[l.Center] {
		t.Errorf("%d drawn, centre drawn: %v", drawn, l.Drawn[l.Center])
	}
	checkInUnitSquare(t, l)
	// The sample is a neighbourhood: one piece, in the union of links.
	if n := len(topo.ConnectedComponents(unionGraph(top, l.Drawn))); n != 1 {
		t.Errorf("the sample falls into %d pieces", n)
	}
	again := NewLayout(top)
	if again.Center != l.Center || !slices.Equal(again.Drawn, l.Drawn) || !slices.Equal(again.Pos, l.Pos) {
		t.Error("sampling is not deterministic")
	}
}

func TestLayoutSampleOfSmallPieces(t *testing.T) {
	t.Parallel()
	// Only pairs: the sample goes on from piece to piece until it is full.
	n := SampleAbove + 2
	top := &report.Topology{Seed: 1}
	var edges [][2]int
	for i := range n {
		top.Nodes = append(top.Nodes, report.TopoNode{Name: fmt.Sprint(i)})
		if i%2 == 1 {
			edges = append(edges, [2]int{i - 1, i})
		}
	}
	top.Snapshots = []report.Snapshot{{Edges: edges}}
	l := NewLayout(top)
	if l.Count != SampleSize {
		t.Errorf("%d drawn, want %d", l.Count, SampleSize)
	}
}

func TestStragglerPulledIn(t *testing.T) {
	t.Parallel()
	// A ring of 40 nodes laid out as a circle, and one node linked to four
	// of them thrown far out, as a cooled-down layout can leave it.
	const n = 40
	var edges [][2]int
	for i := range n {
		edges = append(edges, [2]int{i, (i + 1) % n})
	}
	for _, j := range []int{0, 10, 20, 30} {
		edges = append(edges, [2]int{n, j})
	}
	g := newLinkGraph(n+1, nil, edges)
	pos := make([]r2.Vec, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / n
		pos[i] = r2.Vec{X: math.Cos(a), Y: math.Sin(a)}
	}
	pos[n] = r2.Vec{X: 25, Y: -40}
	ring := slices.Clone(pos[:n])
	pullInStragglers(g, pos)
	if d := r2.Norm(pos[n]); d > 0.5 {
		t.Errorf("the straggler stays %.2f from the centre of its neighbours, want it pulled in", d)
	}
	if !slices.Equal(ring, pos[:n]) {
		t.Error("nodes in place were moved")
	}
}
