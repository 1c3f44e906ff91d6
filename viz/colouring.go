package viz

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/gonum/graph/topo"

	"p2pmesh/sim/report"
)

// A snapshot's running nodes are coloured by what the snapshot is about,
// the first of these that applies:
//
//   - side of a partition, when a node is cut off by one;
//   - connected component, when the mesh (the honest nodes with the run's
//     usual network key) is in more than one, unless the run has more than
//     one LAN and the mesh more components than get a colour each (a
//     shattered mesh of many LANs, where each LAN's nodes are drawn apart);
//   - LAN segment, when the run has more than one; each LAN's key entry
//     then says in how many islands its running nodes are, when any LAN's
//     are in more than one (an island: running nodes of a LAN linked to
//     each other by links inside it, over the whole network);
//   - group and role (user-named groups, siphoners, nodes with another
//     network key or none), when there is more than one;
//   - depth in the broadcast tree, in tree mode;
//   - otherwise one colour for every running node.
//
// A node's role is also its marker's shape, and a node that is not running
// is drawn by its state (killed, not started) whatever the colouring.
type colourMode int

const (
	byState colourMode = iota
	byPartition
	byComponent
	byLAN
	byGroup
	byTreeDepth
)

// groupPalette is the colours of groups, in order: the Okabe–Ito palette,
// then five of Paul Tol's muted colours. Groups beyond them reuse colours
// (the legend says so).
var groupPalette = []color.RGBA{
	okBlue, okOrange, okGreen, okVermilion, okPurple, okSky, okYellow,
	{0x88, 0x22, 0x55, 0xff}, {0x33, 0x22, 0x88, 0xff}, {0x99, 0x99, 0x33, 0xff}, {0x44, 0xaa, 0x99, 0xff}, {0xcc, 0x66, 0x77, 0xff},
}

// componentColours is how many components get a colour of their own; the
// smaller ones share otherColour.
const componentColours = 7

// otherColour is the colour of running nodes outside the coloured groups:
// small components, nodes outside the mesh.
var otherColour = color.RGBA{0xa8, 0xa8, 0xa8, 0xff}

// colourGroup is one entry of the colour key.
type colourGroup struct {
	label string
	color color.RGBA
	drawn int // running nodes of the group that are drawn
	// islands is, colouring by LAN, in how many islands the LAN's running
	// nodes are (see colourMode); 0 otherwise.
	islands int
}

// colouring is how the running nodes of one snapshot are coloured.
type colouring struct {
	mode    colourMode
	heading string // the legend's heading
	groups  []colourGroup
	of      []int // per node: its group, -1 when not running
	reused  bool  // more groups than colours: colours repeat
	// islands is set when, colouring by LAN, some LAN's running nodes
	// are in more than one island: the key then counts each LAN's.
	islands bool
}

// colour is the colour of node i (running nodes only).
func (c *colouring) colour(i int) color.RGBA {
	if c.of[i] < 0 {
		return otherColour
	}
	return c.groups[c.of[i]].color
}

// nodeRole is a node's part in the run: its marker's shape.
type nodeRole int

const (
	roleHonest nodeRole = iota
	roleSiphon
	roleOtherKey
	numRoles
)

// meshKey is the network key most nodes of t hold: the run's mesh. Nodes
// with another key (or none, when most have one) are intruders.
func meshKey(t *report.Topology) string {
	count := map[string]int{}
	best := ""
	for _, n := range t.Nodes {
		count[n.NetworkKey]++
		if c := count[n.NetworkKey]; c > count[best] || c == count[best] && n.NetworkKey < best {
			best = n.NetworkKey
		}
	}
	return best
}

// roleOf is the role of node i of t, given the mesh's key.
func roleOf(t *report.Topology, i int, key string) nodeRole {
	switch n := &t.Nodes[i]; {
	case n.Siphon:
		return roleSiphon
	case n.NetworkKey != key:
		return roleOtherKey
	}
	return roleHonest
}

// groupLabel names the group of a node for the group colouring: its
// scenario group, with its role when that is not honest.
func groupLabel(n *report.TopoNode, role nodeRole) string {
	var r, stem string // the role, and a word that names it in a group's name
	switch role {
	case roleSiphon:
		r, stem = "siphoner", "siphon"
	case roleOtherKey:
		r, stem = "no key", "keyless"
		if n.NetworkKey != "" {
			r, stem = fmt.Sprintf("key “%s”", n.NetworkKey), n.NetworkKey+" key"
		}
	}
	if stem != "" && strings.Contains(strings.ToLower(n.Group), stem) {
		r = "" // the group's name says it
	}
	switch {
	case n.Group == "" && r == "":
		return "ungrouped"
	case n.Group == "":
		return r
	case r == "":
		return n.Group
	}
	return n.Group + ", " + r
}

// newColouring chooses the colouring of snapshot s. running marks the
// nodes that run, role their roles, g is the graph of the snapshot's links
// among running nodes and drawn marks the nodes in the picture.
func newColouring(t *report.Topology, s *report.Snapshot, running []bool, role []nodeRole, g *linkGraph, drawn []bool) *colouring {
	n := len(t.Nodes)
	c := &colouring{of: make([]int, n)}
	for i := range c.of {
		c.of[i] = -1
	}
	label := make([]string, n) // for the LAN and group colourings
	partitioned := false
	for i := range n {
		partitioned = partitioned || running[i] && i < len(s.States) && s.States[i] == report.StatePartitioned
	}
	comps := meshComponents(running, role, g)
	lan, lanNames := segmentsOf(t)
	switch {
	case partitioned:
		c.mode, c.heading = byPartition, "Colour: side of the partition"
		c.groups = []colourGroup{{label: "main side", color: okBlue}, {label: "cut off by the partition", color: okOrange}}
		for i := range n {
			if running[i] {
				c.of[i] = 0
				if s.States[i] == report.StatePartitioned {
					c.of[i] = 1
				}
			}
		}
	case len(comps) > 1 && (len(lanNames) == 1 || len(comps) <= componentColours):
		c.mode, c.heading = byComponent, "Colour: connected component"
		for k, comp := range comps {
			if k == componentColours {
				c.groups = append(c.groups, colourGroup{label: fmt.Sprintf("%d smaller components", len(comps)-k), color: otherColour})
			}
			if k <= componentColours && k == len(c.groups) {
				c.groups = append(c.groups, colourGroup{label: fmt.Sprintf("component %d", k+1), color: groupPalette[k]})
			}
			for _, i := range comp {
				c.of[i] = min(k, componentColours)
			}
		}
		outside := -1
		for i := range n {
			if running[i] && c.of[i] < 0 {
				if outside < 0 {
					outside = len(c.groups)
					c.groups = append(c.groups, colourGroup{label: "outside the mesh", color: otherColour})
				}
				c.of[i] = outside
			}
		}
	default:
		groups := map[string]bool{}
		if len(lanNames) > 1 {
			c.mode, c.heading = byLAN, "Colour: LAN segment"
			for i := range n {
				label[i] = t.Nodes[i].Segment
			}
		} else {
			for i := range n {
				label[i] = groupLabel(&t.Nodes[i], role[i])
				groups[label[i]] = true
			}
			if len(groups) > 1 {
				c.mode, c.heading = byGroup, "Colour: group and role"
			} else if s.TreeParent != nil {
				c.colourByTreeDepth(s.TreeParent, running)
				break
			} else {
				c.mode, c.heading = byState, "Colour: state"
				for i := range label {
					label[i] = "running"
				}
			}
		}
		// Groups in the order their first node appears: the scenario's order.
		index := map[string]int{}
		for i := range n {
			k, ok := index[label[i]]
			if !ok {
				k = len(c.groups)
				index[label[i]] = k
				c.groups = append(c.groups, colourGroup{label: label[i], color: groupPalette[k%len(groupPalette)]})
				c.reused = c.reused || k >= len(groupPalette)
			}
			if running[i] {
				c.of[i] = k
			}
		}
		if c.mode == byLAN {
			c.countIslands(lan, running, g)
		}
	}
	for i := range n {
		if c.of[i] >= 0 && i < len(drawn) && drawn[i] {
			c.groups[c.of[i]].drawn++
		}
	}
	return c
}

// countIslands counts, colouring by LAN (the groups are the LANs, lan
// gives each node's), the islands of each LAN's running nodes in g: its
// components once the links between LANs are left out.
func (c *colouring) countIslands(lan []int, running []bool, g *linkGraph) {
	var inside [][2]int
	for _, v := range g.nodes {
		a := v.ID()
		for _, w := range g.adj[a] {
			if b := w.ID(); a < b && lan[a] == lan[b] {
				inside = append(inside, [2]int{int(a), int(b)})
			}
		}
	}
	for _, comp := range topo.ConnectedComponents(newLinkGraph(len(running), running, inside)) {
		k := c.of[comp[0].ID()]
		c.groups[k].islands++
		c.islands = c.islands || c.groups[k].islands > 1
	}
}

// colourByTreeDepth colours running nodes by their depth below the root
// of the broadcast tree (a node whose parent chain ends without reaching a
// root, or loops, counts as not in the tree).
func (c *colouring) colourByTreeDepth(parent []int32, running []bool) {
	c.mode, c.heading = byTreeDepth, "Colour: depth in the tree"
	n := len(c.of)
	depth := make([]int, n)
	for i := range depth {
		depth[i] = -2 // not yet known
	}
	var walk func(i, steps int) int
	walk = func(i, steps int) int {
		switch {
		case depth[i] != -2:
			return depth[i]
		case steps > n || i >= len(parent) || !running[i]:
			return -1
		case parent[i] < 0:
			depth[i] = 0
		default:
			p := int(parent[i])
			if p >= n || !running[p] {
				depth[i] = -1
			} else if d := walk(p, steps+1); d >= 0 {
				depth[i] = d + 1
			} else {
				depth[i] = -1
			}
		}
		return depth[i]
	}
	top := 0
	for i := range n {
		if running[i] {
			top = max(top, walk(i, 0))
		}
	}
	for d := 0; d <= top; d++ {
		label := fmt.Sprintf("depth %d", d)
		if d == 0 {
			label = "root (no parent)"
		}
		c.groups = append(c.groups, colourGroup{label: label, color: hopColour(d, top)})
	}
	for i := range n {
		if running[i] {
			if d := depth[i]; d >= 0 {
				c.of[i] = d
			} else {
				if c.groups[len(c.groups)-1].label != "not in the tree" {
					c.groups = append(c.groups, colourGroup{label: "not in the tree", color: otherColour})
				}
				c.of[i] = len(c.groups) - 1
			}
		}
	}
}

// meshComponents returns the connected components of g that hold an honest
// node of the mesh (the nodes of the components, siphoners and intruders
// linked to them included), largest first; ties in the order of their
// lowest node.
func meshComponents(running []bool, role []nodeRole, g *linkGraph) [][]int {
	var out [][]int
	for _, comp := range topo.ConnectedComponents(g) {
		ids := make([]int, len(comp))
		honest := false
		for k, v := range comp {
			ids[k] = int(v.ID())
			honest = honest || running[ids[k]] && role[ids[k]] == roleHonest
		}
		if honest {
			slices.Sort(ids)
			out = append(out, ids)
		}
	}
	slices.SortStableFunc(out, func(a, b []int) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return cmp.Compare(a[0], b[0])
	})
	return out
}
