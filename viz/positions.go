package viz

import (
	"gonum.org/v1/gonum/spatial/r2"

	"p2pmesh/sim/report"
)

// Positions places every node of t in the unit square, for the interactive
// replay: the positions of the topology pictures when they draw every node
// (up to SampleAbove nodes), so that page and pictures agree; otherwise the
// same force-directed layout over all nodes, not a sample.
func Positions(t *report.Topology) []r2.Vec {
	if len(t.Nodes) <= SampleAbove {
		return NewLayout(t).Pos
	}
	pos := make([]r2.Vec, len(t.Nodes))
	place(unionGraph(t, nil), t.Seed, pos)
	return pos
}

// PlaceGraph lays out a graph of n nodes and the given edges (pairs of node
// numbers) in the unit square, as the topology pictures are laid out.
func PlaceGraph(n int, edges [][2]int, seed uint64) []r2.Vec {
	pos := make([]r2.Vec, n)
	if n > 0 {
		place(newLinkGraph(n, nil, edges), seed, pos)
	}
	return pos
}
