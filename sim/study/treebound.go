package study

// The tree-bound study asks how fast any single-copy broadcast could be on
// the overlay a scenario builds (issue 18, point 3: tree latency within
// 1.25 times flooding's). It plays the scenario, takes the overlay and the
// tree's root at the moment of each send, and computes with gonum's
// shortest paths the delivery latencies that these dissemination schemes
// would reach on that overlay, each frame's delay drawn anew from the
// scenario's latency distribution, as the simulator does:
//
//   - flood: every node sends over every link; a node's first copy comes
//     along the quickest path of freshly drawn delays (first-passage
//     percolation): a model of flooding, to check the model against the
//     flood twin's measured figures.
//   - per-sender shortest-path trees: every node gets one copy, along a
//     path of as few hops as the overlay allows from the sender; with
//     independent delays per frame no single-copy scheme delivers sooner in
//     expectation, so this bounds every scheme with RMR about 0.
//   - shared tree: one shortest-path tree below a root, the same for every
//     send: the node the tree scenario's nodes follow at the send (the
//     oldest), the overlay's centre (least farness, on the overlay at the
//     first send), or the best root for these senders (of the Candidates
//     least far nodes, the one whose tree paths from the run's senders are
//     shortest: chosen in hindsight, a bound for any shared tree rooted
//     near the centre); a message travels the tree's path from its sender.
//   - shared tree plus the sender's links: the sender also sends its copy
//     over every link (a one-hop flood into several branches of the tree),
//     at an RMR of about twice its links off the tree over the nodes; plus
//     its neighbours' links too: a two-hop flood.
//   - the ideal shared tree (idealtree.go): not on the run's overlay but
//     on the best one for a shared tree, the tree of least distances
//     between all pairs within the engine's link bound, over as many nodes:
//     a bound for every shared tree at RMR 0, however the overlay is built.
//   - multi-point injection (treeinjection.go): the run's shared tree and
//     the sender's links, and nodes near the sender that push their first
//     copy over some of their other links too, by one of several rules;
//     played as events, since those links carry the message one way only.
//
// Each broadcast's p50 and p99 (nearest rank over its receivers, as the
// ledger computes them) are averaged over Draws draws and then over the
// broadcasts, as the README's tables average the report's.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"

	"p2pmesh/mesh"
	"p2pmesh/sim"
	"p2pmesh/sim/measure"
	"p2pmesh/sim/runner"
	"p2pmesh/sim/scenario"
)

// TreeBound configures the study of one scenario and seed.
type TreeBound struct {
	Scenario *scenario.Scenario
	Seed     uint64
	// Draws is how many times each broadcast's delays are drawn (default
	// 20).
	Draws int
	// Candidates is how many of the overlay's least far nodes are tried as
	// the best root for the run's senders (default 20).
	Candidates int
	// IdealSenders is how many senders, evenly spaced, the ideal shared
	// tree's row averages over (default 200; every node when the overlay
	// has fewer).
	IdealSenders int
	// MeasureOnly skips the schemes: the run's own figures only.
	MeasureOnly bool
}

// BoundRow is one scheme's figures: the means over broadcasts of each
// broadcast's p50 and p99 delivery latency, its RMR, and the deepest first
// delivery (hops).
type BoundRow struct {
	Scheme   string
	P50, P99 float64 // ms
	RMR      float64
	Depth    int
	// PairHops is the mean number of hops between two nodes: of the
	// overlay at the first send in the measured rows (a message flooded
	// there crosses no more on average from a random sender: its first
	// copy is no later than the one along a shortest path), of the tree in
	// the ideal shared tree's row (a message on any shared tree crosses no
	// fewer); 0 in the other rows.
	PairHops float64
}

// engines is what the study needs of the simulator network beyond Network.
type engines interface {
	Engine(i sim.NodeIndex) *mesh.Engine
	IndexOf(id mesh.NodeID) (sim.NodeIndex, bool)
}

// send is the overlay at one broadcast.
type send struct {
	topo *sim.Topology
	from sim.NodeIndex
	root sim.NodeIndex // the sender's tree root; -1 when none
}

// watch is the simulator network, recording the overlay at each send.
type watch struct {
	runner.Network
	sends []send
}

func (w *watch) Broadcast(i sim.NodeIndex, size int) (mesh.MsgID, error) {
	s := send{topo: w.Topology(), from: i, root: -1}
	if e, ok := w.Network.(engines); ok {
		if eng := e.Engine(i); eng != nil {
			if p, _ := eng.TreePosition(); p.Root != 0 {
				if r, ok := e.IndexOf(p.Root); ok {
					s.root = r
				}
			}
		}
	}
	w.sends = append(w.sends, s)
	return w.Network.Broadcast(i, size)
}

// Run plays the scenario and returns the run's own figures and the
// schemes' bounds.
func (b TreeBound) Run() (measured BoundRow, rows []BoundRow, err error) {
	if b.Draws <= 0 {
		b.Draws = 20
	}
	if b.Candidates <= 0 {
		b.Candidates = 20
	}
	if b.IdealSenders <= 0 {
		b.IdealSenders = 200
	}
	w := &watch{}
	res, err := runner.Run(b.Scenario, runner.Options{Seed: b.Seed, HasSeed: true,
		Network: func(sc *scenario.Scenario, seed uint64) (runner.Network, error) {
			n, err := runner.NewSimNetwork(sc, seed)
			w.Network = n
			return w, err
		}})
	if err != nil {
		return measured, nil, err
	}
	measured = BoundRow{Scheme: "measured (" + b.Scenario.Name + ")", RMR: res.Report.Summary.RMRMean, Depth: res.Report.Summary.LDHMax}
	for _, bc := range res.Report.Broadcasts {
		measured.P50 += bc.LatencyMS.P50 / float64(len(res.Report.Broadcasts))
		measured.P99 += bc.LatencyMS.P99 / float64(len(res.Report.Broadcasts))
	}
	overlays := map[*sim.Topology]*overlay{}
	of := func(s send) *overlay {
		o := overlays[s.topo]
		if o == nil {
			o = newOverlay(s.topo)
			overlays[s.topo] = o
		}
		return o
	}
	if len(w.sends) > 0 {
		measured.PairHops = meanPairHops(of(w.sends[0]).farness())
	}
	if b.MeasureOnly || len(w.sends) == 0 {
		return measured, nil, nil
	}
	m := newModel(b.Scenario.Network.Latency, b.Seed, b.Draws)
	centre, best := fixedRoots(w.sends, of, b.Candidates)
	// fixed is a root kept for every send, or the sender's own root where
	// it has gone.
	fixed := func(root int64) func(o *overlay, s send) int64 {
		return func(o *overlay, s send) int64 {
			if o.g.Node(root) != nil {
				return root
			}
			return o.runRoot(s)
		}
	}
	type rooted = func(o *overlay, s send) int64
	schemes := []struct {
		name  string
		root  rooted // the shared tree's root; nil: none
		own   bool   // a tree of the sender's own
		star  bool   // plus the sender's links
		star2 bool   // plus its neighbours' links too
		flood bool
	}{
		{name: "flood (model)", flood: true},
		{name: "per-sender shortest-path trees", own: true},
		{name: "shared tree, root of the run", root: (*overlay).runRoot},
		{name: "shared tree, centre root", root: fixed(centre)},
		{name: "shared tree, best root for these senders", root: fixed(best)},
		{name: "shared tree, root of the run, + sender's links", root: (*overlay).runRoot, star: true},
		{name: "shared tree, centre root, + sender's links", root: fixed(centre), star: true},
		{name: "shared tree, centre root, + sender's and its neighbours' links", root: fixed(centre), star: true, star2: true},
	}
	rows = make([]BoundRow, len(schemes))
	for k, sc := range schemes {
		rows[k].Scheme = sc.name
		for _, s := range w.sends {
			o := of(s)
			d := dissemination{g: o.g, directed: true}
			switch {
			case sc.own:
				d = dissemination{g: o.tree(int64(s.from))}
			case sc.root != nil:
				d = dissemination{g: o.tree(sc.root(o, s))}
			}
			if sc.star {
				d.g = o.withStar(d.g, s.from)
			}
			if sc.star2 {
				for nb := o.g.From(int64(s.from)); nb.Next(); {
					d.g = o.withStar(d.g, sim.NodeIndex(nb.Node().ID()))
				}
			}
			p50, p99, rmr, depth := m.spread(d, s.from)
			n := float64(len(w.sends))
			rows[k].P50 += p50 / n
			rows[k].P99 += p99 / n
			rows[k].RMR += rmr / n
			rows[k].Depth = max(rows[k].Depth, depth)
		}
	}
	// The ideal shared tree over as many nodes as the overlay had at the
	// first send, within the engine's link bound: no shared tree on any
	// overlay does better at RMR 0 (idealtree.go).
	ideal := IdealTreeBound(len(w.sends[0].topo.Nodes), b.Scenario.Node.MaxIn+b.Scenario.Node.MaxOut,
		b.Scenario.Network.Latency, b.Seed, b.Draws, b.IdealSenders)
	rows = append(rows, ideal)
	for _, sc := range injectionSchemes {
		r := BoundRow{Scheme: "injection: " + sc.name}
		for _, s := range w.sends {
			o := of(s)
			p50, p99, rmr, depth := m.inject(o.view(o.runRoot(s)), s.from, sc.rule, sc.rootAtOnce)
			n := float64(len(w.sends))
			r.P50 += p50 / n
			r.P99 += p99 / n
			r.RMR += rmr / n
			r.Depth = max(r.Depth, depth)
		}
		rows = append(rows, r)
	}
	return measured, rows, nil
}

// overlay is one moment's overlay as a gonum graph, with what the study
// derives from it.
type overlay struct {
	g     *simple.UndirectedGraph
	trees map[int64]*simple.UndirectedGraph
	views map[int64]*treeView
	far   map[int64]float64 // farness, once asked for
}

func newOverlay(t *sim.Topology) *overlay {
	g := simple.NewUndirectedGraph()
	for _, n := range t.Nodes {
		g.AddNode(simple.Node(n))
	}
	for _, e := range t.Edges {
		if e[0] != e[1] {
			g.SetEdge(g.NewEdge(simple.Node(e[0]), simple.Node(e[1])))
		}
	}
	return &overlay{g: g, trees: map[int64]*simple.UndirectedGraph{}, views: map[int64]*treeView{}}
}

// tree returns the shortest-path tree (in hops) of the overlay below root.
func (o *overlay) tree(root int64) *simple.UndirectedGraph {
	if t := o.trees[root]; t != nil {
		return t
	}
	t := o.buildTree(root)
	o.trees[root] = t
	return t
}

// view returns the tree below root with its depths and branches.
func (o *overlay) view(root int64) *treeView {
	if v := o.views[root]; v != nil {
		return v
	}
	v := newTreeView(o, root)
	o.views[root] = v
	return v
}

// buildTree builds the shortest-path tree below root, not kept. Of the
// paths with the fewest hops it takes the same one in every run: gonum
// walks a simple graph's links in map order, so ties go by a tiny weight
// of each link's ends instead.
func (o *overlay) buildTree(root int64) *simple.UndirectedGraph {
	sp := path.DijkstraFrom(simple.Node(root), tieBroken{o.g})
	t := simple.NewUndirectedGraph()
	nodes := o.g.Nodes()
	for nodes.Next() {
		t.AddNode(nodes.Node())
	}
	nodes.Reset()
	for nodes.Next() {
		if p, _ := sp.To(nodes.Node().ID()); len(p) >= 2 {
			t.SetEdge(t.NewEdge(p[len(p)-2], p[len(p)-1]))
		}
	}
	return t
}

// tieBroken weighs each link of a graph at one hop plus a sliver (under a
// millionth of a hop for a path of up to 1,000 links) fixed by its ends,
// so that its shortest paths have the fewest hops and no ties.
type tieBroken struct{ *simple.UndirectedGraph }

func (g tieBroken) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	if !g.HasEdgeBetween(x, y) {
		return math.Inf(1), false
	}
	x, y = min(x, y), max(x, y)
	h := uint64(x)*0x9e3779b97f4a7c15 ^ uint64(y)*0xc2b2ae3d27d4eb4f
	return 1 + float64(h>>44)*1e-15, true
}

// runRoot is the root the sender followed, or the sender itself when it
// had none (flood mode).
func (o *overlay) runRoot(s send) int64 {
	if s.root >= 0 && o.g.Node(int64(s.root)) != nil {
		return int64(s.root)
	}
	return int64(s.from)
}

// centres returns the overlay's nodes by farness (the sum of their
// distances to every node), least first: the first is the overlay's centre
// by closeness.
func (o *overlay) centres() []int64 {
	far := o.farness()
	ids := make([]int64, 0, len(far))
	for id := range far {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		if c := cmpFloat(far[a], far[b]); c != 0 {
			return c
		}
		return cmpFloat(float64(a), float64(b))
	})
	return ids
}

// farness returns each node's farness on the overlay (farness), computed
// once.
func (o *overlay) farness() map[int64]float64 {
	if o.far == nil {
		o.far = farness(o.g)
	}
	return o.far
}

// fixedRoots chooses, on the overlay at the first send, the two roots of a
// shared tree kept for every send: the centre (least farness) and, of the
// candidates least far, the one whose trees give the run's senders the
// fewest hops to every node on average (chosen knowing the senders: what
// no protocol can know, so a bound for any shared tree rooted near the
// centre).
func fixedRoots(sends []send, overlays func(send) *overlay, candidates int) (centre, best int64) {
	ids := overlays(sends[0]).centres()
	ids = ids[:min(candidates, len(ids))]
	bestTotal := math.Inf(1)
	for _, c := range ids {
		total := 0.0
		for _, s := range sends {
			o := overlays(s)
			if o.g.Node(c) == nil {
				total = math.Inf(1)
				break
			}
			sp := path.DijkstraFrom(simple.Node(s.from), o.buildTree(c))
			all := o.g.Nodes()
			for all.Next() {
				total += sp.WeightTo(all.Node().ID())
			}
		}
		if total < bestTotal {
			best, bestTotal = c, total
		}
	}
	return ids[0], best
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// withStar returns tree t plus the overlay's links of node from.
func (o *overlay) withStar(t *simple.UndirectedGraph, from sim.NodeIndex) *simple.UndirectedGraph {
	g := simple.NewUndirectedGraph()
	graph.Copy(g, t)
	nb := o.g.From(int64(from))
	for nb.Next() {
		g.SetEdge(g.NewEdge(simple.Node(from), nb.Node()))
	}
	return g
}

// dissemination is the graph a message crosses: every node passes its
// first copy on over each of its edges but the one it came over (both
// ways of each link, drawn apart, when directed).
type dissemination struct {
	g        *simple.UndirectedGraph
	directed bool
}

// model draws frame delays.
type model struct {
	lat   sim.Latency
	pcg   *rand.PCG
	rng   *rand.Rand
	seed  uint64
	draws int
}

func newModel(lat sim.Latency, seed uint64, draws int) *model {
	pcg := rand.NewPCG(seed, 0)
	return &model{lat: lat, pcg: pcg, rng: rand.New(pcg), seed: seed, draws: draws}
}

// delays is a graph whose edge weights are frame delays of one draw: the
// same for the same frame (its ends and draw), independent otherwise.
type delays struct {
	*simple.UndirectedGraph
	m        *model
	draw     uint64
	directed bool
}

func (d delays) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	if !d.HasEdgeBetween(x, y) {
		return math.Inf(1), false
	}
	if !d.directed && x > y {
		x, y = y, x
	}
	d.m.pcg.Seed(d.m.seed^d.draw*0x9e3779b97f4a7c15, uint64(x)<<32|uint64(y))
	return float64(d.m.lat.Sample(d.m.rng)) / 1e6, true
}

// spread returns one message's mean p50 and p99 (ms) over the draws, the
// RMR of the dissemination graph and its deepest first delivery (hops).
func (m *model) spread(d dissemination, from sim.NodeIndex) (p50, p99, rmr float64, depth int) {
	src := simple.Node(from)
	n := d.g.Nodes().Len()
	hops := path.DijkstraFrom(src, d.g)
	lat := make([]float64, 0, n)
	for draw := range m.draws {
		sp := path.DijkstraFrom(src, delays{UndirectedGraph: d.g, m: m, draw: uint64(draw) + 1, directed: d.directed})
		lat = lat[:0]
		all := d.g.Nodes()
		for all.Next() {
			id := all.Node().ID()
			if w := sp.WeightTo(id); id != int64(from) && !math.IsInf(w, 1) {
				lat = append(lat, w)
			}
			if draw == 0 {
				if h := hops.WeightTo(id); !math.IsInf(h, 1) {
					depth = max(depth, int(h))
				}
			}
		}
		slices.Sort(lat)
		p50 += measure.NearestRank(lat, 50) / float64(m.draws)
		p99 += measure.NearestRank(lat, 99) / float64(m.draws)
	}
	// Each node sends over every edge but the one its first copy came over.
	if r := len(lat); r > 0 {
		rmr = float64(2*d.g.Edges().Len()-r)/float64(r) - 1
	}
	return p50, p99, rmr, depth
}

// BoundMarkdown tabulates the rows of one scenario and seed.
func BoundMarkdown(rows []BoundRow) string {
	var b strings.Builder
	b.WriteString("| scheme | p50 (ms) | p99 (ms) | RMR | deepest | mean hops between nodes |\n|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		hops := "–"
		if r.PairHops > 0 {
			hops = fmt.Sprintf("%.3f", r.PairHops)
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.3f | %d | %s |\n", r.Scheme, r.P50, r.P99, r.RMR, r.Depth, hops)
	}
	return b.String()
}
