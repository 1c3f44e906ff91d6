package viz

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/encoding"
	"gonum.org/v1/gonum/graph/encoding/dot"
	"gonum.org/v1/gonum/graph/iterator"

	"p2pmesh/sim/report"
)

// dotShapes are the Graphviz shapes of running nodes by role, close to the
// markers of the pictures; a killed node is an octagon, one not started a
// circle.
var dotShapes = [numRoles]string{
	roleHonest:   "circle",
	roleSiphon:   "box",
	roleOtherKey: "triangle",
}

// dotNode is a node of a snapshot with its Graphviz attributes.
type dotNode struct {
	id    int64
	name  string
	attrs []encoding.Attribute
}

func (n dotNode) ID() int64                        { return n.id }
func (n dotNode) DOTID() string                    { return n.name }
func (n dotNode) Attributes() []encoding.Attribute { return n.attrs }

// dotGraph is one snapshot as a gonum graph for the DOT encoder: every node
// of the run with its state, the snapshot's links as edges.
type dotGraph struct {
	*linkGraph
	id    string
	title string
	byID  []graph.Node
}

func (g dotGraph) DOTID() string { return g.id }

func (g dotGraph) Node(id int64) graph.Node {
	if !g.valid(id) {
		return nil
	}
	return g.byID[id]
}

func (g dotGraph) Nodes() graph.Nodes { return iterator.NewOrderedNodes(g.byID) }

func (g dotGraph) From(id int64) graph.Nodes {
	if !g.valid(id) {
		return graph.Empty
	}
	out := make([]graph.Node, len(g.adj[id]))
	for k, n := range g.adj[id] {
		out[k] = g.byID[n.ID()]
	}
	return iterator.NewOrderedNodes(out)
}

// DOTAttributers implements dot.Attributers: the title and the defaults.
func (g dotGraph) DOTAttributers() (gr, nodes, edges encoding.Attributer) {
	return attrs{{Key: "label", Value: g.title}, {Key: "labelloc", Value: "t"}, {Key: "outputorder", Value: "edgesfirst"}},
		attrs{{Key: "style", Value: "filled"}, {Key: "fontname", Value: "Helvetica"}, {Key: "fontsize", Value: "10"}},
		attrs{{Key: "color", Value: hexColor(lightGrey)}}
}

// attrs is a list of DOT attributes.
type attrs []encoding.Attribute

func (a attrs) Attributes() []encoding.Attribute { return a }

// hexColor writes c as #rrggbb.
func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// snapshotGraph builds the DOT graph of snapshot k. Node positions come from
// l, in points, pinned, so Graphviz (neato -n) draws the same picture.
func snapshotGraph(t *report.Topology, l *Layout, k int) dotGraph {
	s := &t.Snapshots[k]
	n := len(t.Nodes)
	g := dotGraph{linkGraph: newLinkGraph(n, nil, s.Edges), id: "snapshot", byID: make([]graph.Node, n),
		title: fmt.Sprintf("%s — snapshot %s at t = %s", orRun(t.Scenario), s.Name, seconds(s.AtMS))}
	unique := map[string]bool{}
	for i := range n {
		unique[t.Nodes[i].Name] = true
	}
	if l == nil {
		l = &Layout{Drawn: make([]bool, n)}
	}
	v := newSnapshotView(t, l, k)
	for i := range n {
		node := t.Nodes[i]
		shape, col, group := "circle", notStartedStyle.color, ""
		switch st := v.state[i]; {
		case st.running():
			shape, col = dotShapes[v.role[i]], v.colour.colour(i)
			group = v.colour.groups[v.colour.of[i]].label
		case st == stateKilled:
			shape, col = "octagon", killedStyle.color
		}
		state := report.StateNotStarted
		if i < len(s.States) && s.States[i] != "" {
			state = s.States[i]
		}
		font := okBlack
		if lum := 0.299*float64(col.R) + 0.587*float64(col.G) + 0.114*float64(col.B); lum < 140 {
			font = white
		}
		a := []encoding.Attribute{
			{Key: "label", Value: node.Name},
			{Key: "state", Value: state},
			{Key: "segment", Value: node.Segment},
			{Key: "shape", Value: shape},
			{Key: "fillcolor", Value: hexColor(col)},
			{Key: "color", Value: hexColor(col)},
			{Key: "fontcolor", Value: hexColor(font)},
		}
		if node.Group != "" {
			a = append(a, encoding.Attribute{Key: "mesh_group", Value: node.Group})
		}
		if group != "" {
			a = append(a, encoding.Attribute{Key: "colour_group", Value: group})
		}
		if node.Siphon {
			a = append(a, encoding.Attribute{Key: "siphon", Value: "true"})
		}
		if i < len(l.Drawn) && l.Drawn[i] {
			a = append(a, encoding.Attribute{Key: "pos", Value: fmt.Sprintf("%.1f,%.1f!", l.Pos[i].X*720, l.Pos[i].Y*720)})
		}
		id := node.Name
		if id == "" || len(unique) != n {
			id = fmt.Sprintf("node%d", i)
		}
		g.byID[i] = dotNode{id: int64(i), name: id, attrs: a}
	}
	return g
}

// orRun is the scenario name, or a stand-in.
func orRun(s string) string {
	if s == "" {
		return "run"
	}
	return s
}

// DOT writes snapshot k of t in Graphviz DOT, encoded by gonum's
// graph/encoding/dot: every node with its name, state, segment and colour,
// positioned as in the pictures when l is not nil (render with neato -n),
// and the snapshot's links.
func DOT(w io.Writer, t *report.Topology, l *Layout, k int) error {
	if k < 0 || k >= len(t.Snapshots) {
		return fmt.Errorf("viz: no snapshot %d (the topology has %d)", k, len(t.Snapshots))
	}
	b, err := dot.Marshal(snapshotGraph(t, l, k), "", "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
