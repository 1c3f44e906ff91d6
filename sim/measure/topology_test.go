package measure

import "testing"

// A node's eccentricity is the most hops to a node it reaches: on the path
// 0-1-2-3 with 4 off it and 5 not running, 3 from an end, 2 from the
// middle, 0 for the lone node and for one not running.
func TestEccentricity(t *testing.T) {
	top := NewTopology(0, 6, []NodeIndex{0, 1, 2, 3, 4}, [][2]NodeIndex{{0, 1}, {1, 2}, {2, 1}, {3, 2}})
	for i, want := range []int{3, 2, 2, 3, 0, 0} {
		if got := top.Eccentricity(NodeIndex(i)); got != want {
			t.Errorf("eccentricity of %d = %d, want %d", i, got, want)
		}
	}
}
