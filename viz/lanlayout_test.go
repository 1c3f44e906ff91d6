package viz

import (
	"testing"

	"gonum.org/v1/gonum/spatial/r2"
)

// Laid out LAN by LAN, every node stands in its LAN's block, the blocks do
// not overlap and everything is in the unit square.
func TestLANBlocksHoldTheirLANs(t *testing.T) {
	t.Parallel()
	for _, k := range []int{2, 5, 13} { // side by side, a ring, a grid
		top := lansTopology(k, 8)
		drawn := make([]bool, len(top.Nodes))
		for i := range drawn {
			drawn[i] = i%8 != 7 // not all: blocks hold what is drawn
		}
		pos := make([]r2.Vec, len(top.Nodes))
		blocks := placeByLAN(unionGraph(top, drawn), top, drawn, top.Seed, pos)
		if len(blocks) != k {
			t.Fatalf("%d LANs: %d blocks", k, len(blocks))
		}
		inside := func(p r2.Vec, b r2.Box) bool {
			const eps = 1e-9
			return p.X >= b.Min.X-eps && p.X <= b.Max.X+eps && p.Y >= b.Min.Y-eps && p.Y <= b.Max.Y+eps
		}
		unit := r2.Box{Max: r2.Vec{X: 1, Y: 1}}
		for i, d := range drawn {
			b := blocks[i/8]
			if d && (!inside(pos[i], b.box) || !inside(pos[i], unit)) {
				t.Errorf("%d LANs: node %d of LAN %s at %v, outside its block %v or the unit square", k, i, b.name, pos[i], b.box)
			}
		}
		for a := range blocks {
			for b := range a {
				x, y := blocks[a].box, blocks[b].box
				if x.Min.X < y.Max.X && y.Min.X < x.Max.X && x.Min.Y < y.Max.Y && y.Min.Y < x.Max.Y {
					t.Errorf("%d LANs: the blocks of %s %v and %s %v overlap", k, blocks[a].name, x, blocks[b].name, y)
				}
			}
		}
	}
}

// A sample of many LANs grows each LAN's neighbourhood from the ends of the
// links between LANs, so that those links are drawn: here every one of the
// 20 links between 10 LANs of 250 nodes (a neighbourhood grown from a
// random node of each would hold few of them).
func TestSampleDrawsLinksBetweenLANs(t *testing.T) {
	t.Parallel()
	top := lansTopology(10, 250)
	_, lans, drawn := sample(top, SampleSize)
	if lans != 10 {
		t.Fatalf("sampled %d LANs, want 10", lans)
	}
	cross, both := 0, 0
	for _, e := range top.Snapshots[0].Edges {
		if top.Nodes[e[0]].Segment != top.Nodes[e[1]].Segment {
			cross++
			if drawn[e[0]] && drawn[e[1]] {
				both++
			}
		}
	}
	if cross != 20 || both != cross {
		t.Errorf("%d of the %d links between LANs drawn, want all 20", both, cross)
	}
}
