package viz

import (
	"bytes"
	"strings"
	"testing"

	"gonum.org/v1/gonum/graph/formats/dot"
	"gonum.org/v1/gonum/graph/formats/dot/ast"

	"p2pmesh/sim/report"
)

// parseDOT parses DOT text and returns the attributes of every node by ID
// and the edges as "a--b".
func parseDOT(t *testing.T, text string) (nodes map[string]map[string]string, edges []string) {
	t.Helper()
	f, err := dot.ParseString(text)
	if err != nil {
		t.Fatalf("the DOT does not parse: %v\n%s", err, text)
	}
	if len(f.Graphs) != 1 || f.Graphs[0].Directed {
		t.Fatalf("want one undirected graph, got %d", len(f.Graphs))
	}
	nodes = map[string]map[string]string{}
	unquote := func(s string) string { return strings.Trim(s, `"`) }
	for _, st := range f.Graphs[0].Stmts {
		switch st := st.(type) {
		case *ast.NodeStmt:
			a := map[string]string{}
			for _, at := range st.Attrs {
				a[at.Key] = unquote(at.Val)
			}
			nodes[unquote(st.Node.ID)] = a
		case *ast.EdgeStmt:
			edges = append(edges, unquote(st.From.(*ast.Node).ID)+"--"+unquote(st.To.Vertex.(*ast.Node).ID))
		}
	}
	return nodes, edges
}

func TestDOT(t *testing.T) {
	t.Parallel()
	top := ringTopology()
	l := NewLayout(top)
	var buf bytes.Buffer
	if err := DOT(&buf, top, l, 1); err != nil {
		t.Fatal(err)
	}
	nodes, edges := parseDOT(t, buf.String())
	if len(nodes) != 7 {
		t.Errorf("%d nodes, want all 7", len(nodes))
	}
	if strings.Join(edges, " ") != "n0--n1 n0--n5 n4--n5" {
		t.Errorf("edges %v", edges)
	}
	for name, want := range map[string][2]string{
		"n0": {report.StateAlive, "#0072b2"},
		"n2": {report.StateKilled, "#4d4d4d"},
		"n4": {report.StatePartitioned, "#e69f00"},
		"n6": {report.StateNotStarted, "#999999"},
	} {
		a := nodes[name]
		if a["state"] != want[0] || a["fillcolor"] != want[1] || a["label"] != name {
			t.Errorf("%s: attributes %v, want state %s and colour %s", name, a, want[0], want[1])
		}
		if !strings.HasSuffix(a["pos"], "!") {
			t.Errorf("%s: no pinned position: %q", name, a["pos"])
		}
	}
	if !strings.Contains(buf.String(), `label="ring — snapshot after at t = 9 s"`) {
		t.Errorf("no title:\n%s", buf.String())
	}
}

func TestDOTOddNames(t *testing.T) {
	t.Parallel()
	top := &report.Topology{
		Nodes:     []report.TopoNode{{Name: "a b"}, {Name: `q"uote`}, {Name: "a b"}, {Name: ""}},
		Snapshots: []report.Snapshot{{Name: "x", States: []string{"alive", "alive", "alive"}, Edges: [][2]int{{0, 1}, {1, 2}, {2, 3}}}},
	}
	var buf bytes.Buffer
	if err := DOT(&buf, top, nil, 0); err != nil {
		t.Fatal(err)
	}
	// Names are not unique: node ids fall back to positions, labels stay.
	nodes, edges := parseDOT(t, buf.String())
	if len(nodes) != 4 || len(edges) != 3 {
		t.Errorf("%d nodes, %d edges:\n%s", len(nodes), len(edges), buf.String())
	}
	if nodes["node0"]["label"] != "a b" {
		t.Errorf("node0: %v", nodes["node0"])
	}
	if _, ok := nodes["node0"]["pos"]; ok {
		t.Error("a position without a layout")
	}
	if err := DOT(&buf, top, nil, 1); err == nil {
		t.Error("no error for a missing snapshot")
	}
}

func TestDOTDeterministic(t *testing.T) {
	t.Parallel()
	top := meshTopology(sized(60, 300), 3, 1)
	var a, b bytes.Buffer
	if err := DOT(&a, top, NewLayout(top), 1); err != nil {
		t.Fatal(err)
	}
	if err := DOT(&b, top, NewLayout(top), 1); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two encodings differ")
	}
	_, edges := parseDOT(t, a.String())
	if len(edges) != len(top.Snapshots[1].Edges) {
		t.Errorf("%d edges, want %d", len(edges), len(top.Snapshots[1].Edges))
	}
}
