package replay

import (
	"cmp"
	"math"
	"slices"

	"p2pmesh/sim/report"
	"p2pmesh/viz"
)

// Modes of the page: what its graph shows.
const (
	// ModeLinks: every node, the overlay at any instant rebuilt from the
	// overlay log (overlay.json).
	ModeLinks = "links"
	// ModeSnapshots: every node, the overlay of the last snapshot before
	// the instant (no overlay log: a run on real sockets).
	ModeSnapshots = "snapshots"
	// ModeLANs: one mark per LAN segment at each snapshot, links weighted
	// by the number of links between LANs (more than
	// report.OverlayNodeLimit nodes).
	ModeLANs = "lans"
)

// data is the content of replay-data.js, in columns.
type data struct {
	Scenario    string   `json:"scenario"`
	Seed        uint64   `json:"seed"`
	DurationMS  float64  `json:"duration_ms"`
	Mode        string   `json:"mode"`
	Note        string   `json:"note,omitempty"`
	Segments    []string `json:"segments"`
	Groups      []string `json:"groups"`
	NodesTotal  int      `json:"nodes_total"`
	TruncatedAt float64  `json:"truncated_at_ms,omitempty"`

	Nodes      *nodes      `json:"nodes,omitempty"`
	Links      *links      `json:"links,omitempty"`
	NodeEvents *nodeEvents `json:"node_events,omitempty"`
	Broadcasts []broadcast `json:"broadcasts"`
	Series     series      `json:"series"`
	Events     []event     `json:"events"`
	Snapshots  []snapshot  `json:"snapshots,omitempty"`
	LANs       *lans       `json:"lans,omitempty"`
}

type nodes struct {
	Name      []string  `json:"name"`
	Seg       []int     `json:"seg"`
	Group     []int     `json:"group"`
	Siphon    []int8    `json:"siphon"`
	X         []float64 `json:"x"`
	Y         []float64 `json:"y"`
	Delivered []uint64  `json:"delivered"`
	Redundant []uint64  `json:"redundant"`
}

type links struct {
	At []float64 `json:"at"`
	A  []int32   `json:"a"`
	B  []int32   `json:"b"`
	Up []int8    `json:"up"`
}

type nodeEvents struct {
	At   []float64 `json:"at"`
	Node []int32   `json:"node"`
	Kind []int8    `json:"kind"`
	Part []int32   `json:"part"`
}

type broadcast struct {
	ID          string    `json:"id"`
	Origin      int       `json:"origin"`
	SentAt      float64   `json:"sent_at"`
	Reliability float64   `json:"reliability"`
	Delivered   int       `json:"delivered"`
	Alive       int       `json:"alive"`
	Node        []int32   `json:"node,omitempty"`
	From        []int32   `json:"from,omitempty"`
	Hop         []uint16  `json:"hop,omitempty"`
	At          []float64 `json:"at,omitempty"`
	// OwedKnown says spread.json recorded the nodes owed the broadcast
	// (report.BroadcastSpread.Owed); Missed then lists those of them that
	// never delivered it, and a node neither reached nor missed was not
	// owed it (down or restarted since the send, started after it, a
	// siphoner, another network key), as the PNG pictures mark them.
	OwedKnown bool    `json:"owed_known,omitempty"`
	Missed    []int32 `json:"missed,omitempty"`
}

type series struct {
	At          []float64  `json:"at"`
	Alive       []int      `json:"alive"`
	Links       []int      `json:"links"`
	Components  []int      `json:"components"`
	Reliability []*float64 `json:"reliability"`
}

type event struct {
	At    float64 `json:"at"`
	Kind  string  `json:"kind"`
	Label string  `json:"label,omitempty"`
}

// snapshot states: 0 not started, 1 running, 2 stopped, 3 partitioned.
type snapshot struct {
	Name   string  `json:"name"`
	At     float64 `json:"at"`
	States []int8  `json:"states,omitempty"`
	A      []int   `json:"a,omitempty"`
	B      []int   `json:"b,omitempty"`
	// LAN mode: running nodes per LAN, and links between LANs A[k]–B[k]
	// (A[k] == B[k]: links inside a LAN) W[k] in number.
	Alive []int `json:"alive,omitempty"`
	W     []int `json:"w,omitempty"`
}

type lans struct {
	X     []float64 `json:"x"`
	Y     []float64 `json:"y"`
	Nodes []int     `json:"nodes"`
}

func stateCode(s string) int8 {
	switch s {
	case report.StateAlive:
		return 1
	case report.StateKilled:
		return 2
	case report.StatePartitioned:
		return 3
	}
	return 0
}

// round3 keeps positions and times short in the page.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// build assembles the page's data. o may be nil (no overlay log), sp too
// (no spread.json), and t (no topology.json: the page then shows the time
// series alone).
func build(r *report.Report, t *report.Topology, o *report.Overlay, sp *report.Spread) *data {
	d := &data{Scenario: r.Scenario, Seed: r.Seed, DurationMS: r.DurationMS, Broadcasts: []broadcast{}, Events: []event{}}
	// Arrivals node by node only where the page draws nodes: a broadcast
	// of a million-node run would add megabytes it cannot show.
	if t == nil || len(t.Nodes) > report.OverlayNodeLimit {
		sp = nil
	}
	index := map[string]int{}
	for i, n := range r.Nodes {
		index[n.Name] = i
	}
	for k, b := range r.Broadcasts {
		bc := broadcast{ID: b.ID, Origin: -1, SentAt: b.SentAtMS, Reliability: b.Reliability, Delivered: b.Delivered, Alive: b.Alive}
		if i, ok := index[b.Origin]; ok {
			bc.Origin = i
		}
		if sp != nil && k < len(sp.Broadcasts) {
			bc.arrivals(&sp.Broadcasts[k])
		}
		d.Broadcasts = append(d.Broadcasts, bc)
	}
	for _, s := range r.Series {
		d.Series.At = append(d.Series.At, s.AtMS)
		d.Series.Alive = append(d.Series.Alive, s.Alive)
		d.Series.Links = append(d.Series.Links, s.Links)
		d.Series.Components = append(d.Series.Components, s.Components)
		d.Series.Reliability = append(d.Series.Reliability, s.Reliability)
	}
	for _, e := range r.Events {
		d.Events = append(d.Events, event{At: e.AtMS, Kind: e.Kind, Label: e.Label})
	}
	if t == nil {
		d.Mode, d.Note = ModeSnapshots, "No topology.json: only the time series can be shown."
		return d
	}
	d.NodesTotal = len(t.Nodes)
	segs, groups := map[string]int{}, map[string]int{}
	for _, n := range t.Nodes {
		if _, ok := segs[n.Segment]; !ok {
			segs[n.Segment] = len(d.Segments)
			d.Segments = append(d.Segments, n.Segment)
		}
		if _, ok := groups[n.Group]; !ok {
			groups[n.Group] = len(d.Groups)
			d.Groups = append(d.Groups, n.Group)
		}
	}
	if len(t.Nodes) > report.OverlayNodeLimit {
		d.Mode = ModeLANs
		d.Note = "This run has more nodes than the replay draws one by one (10,000): it shows one mark per LAN, sized by its running nodes, and the links between LANs at each snapshot."
		d.LANs, d.Snapshots = lanLevel(t, segs)
		return d
	}
	d.Nodes = nodeColumns(r, t, segs, groups)
	if o == nil {
		d.Mode = ModeSnapshots
		d.Note = "This run kept no overlay log (a run on real sockets): the graph shows the snapshots, each from its own time on."
		for _, s := range t.Snapshots {
			sn := snapshot{Name: s.Name, At: s.AtMS, States: make([]int8, len(s.States))}
			for i, st := range s.States {
				sn.States[i] = stateCode(st)
			}
			for _, e := range s.Edges {
				sn.A, sn.B = append(sn.A, e[0]), append(sn.B, e[1])
			}
			d.Snapshots = append(d.Snapshots, sn)
		}
		return d
	}
	d.Mode = ModeLinks
	d.Links = &links{At: make([]float64, len(o.LinkAtMS)), A: o.LinkA, B: o.LinkB, Up: o.LinkUp}
	for k, at := range o.LinkAtMS {
		d.Links.At[k] = round3(at)
	}
	d.NodeEvents = &nodeEvents{At: o.NodeAtMS, Node: o.Node, Kind: o.NodeKind, Part: o.NodePart}
	if o.Truncated {
		d.TruncatedAt = o.TruncatedAtMS
		d.Note = "The overlay log reached its limit: links after the time shown in red are not replayed."
	}
	return d
}

// arrivals lists the nodes the broadcast reached in the order it reached
// them, from spread.json's per-node columns.
func (bc *broadcast) arrivals(s *report.BroadcastSpread) {
	var order []int32
	for i, at := range s.ArrivalMS {
		if at >= 0 && int(i) != bc.Origin && i < len(s.Parent) && i < len(s.Hop) {
			order = append(order, int32(i))
		}
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(s.ArrivalMS[a], s.ArrivalMS[b]) })
	if len(s.Owed) > 0 {
		bc.OwedKnown = true
		for i, owed := range s.Owed {
			if owed && (i >= len(s.ArrivalMS) || s.ArrivalMS[i] < 0) {
				bc.Missed = append(bc.Missed, int32(i))
			}
		}
	}
	for _, i := range order {
		bc.Node = append(bc.Node, i)
		bc.From = append(bc.From, s.Parent[i])
		bc.Hop = append(bc.Hop, uint16(s.Hop[i]))
		bc.At = append(bc.At, round3(bc.SentAt+s.ArrivalMS[i]))
	}
}

func nodeColumns(r *report.Report, t *report.Topology, segs, groups map[string]int) *nodes {
	n := len(t.Nodes)
	c := &nodes{Name: make([]string, n), Seg: make([]int, n), Group: make([]int, n), Siphon: make([]int8, n),
		X: make([]float64, n), Y: make([]float64, n), Delivered: make([]uint64, n), Redundant: make([]uint64, n)}
	pos := viz.Positions(t)
	for i, tn := range t.Nodes {
		c.Name[i], c.Seg[i], c.Group[i] = tn.Name, segs[tn.Segment], groups[tn.Group]
		if tn.Siphon {
			c.Siphon[i] = 1
		}
		c.X[i], c.Y[i] = round3(pos[i].X), round3(pos[i].Y)
		if i < len(r.Nodes) && r.Nodes[i].Name == tn.Name {
			c.Delivered[i], c.Redundant[i] = r.Nodes[i].Delivered, r.Nodes[i].Redundant
		}
	}
	return c
}

// lanLevel reduces every snapshot to LANs: running nodes per LAN and links
// per pair of LANs; the LANs are laid out over the union of their links.
func lanLevel(t *report.Topology, segs map[string]int) (*lans, []snapshot) {
	nl := len(segs)
	seg := make([]int, len(t.Nodes))
	l := &lans{Nodes: make([]int, nl)}
	for i, n := range t.Nodes {
		seg[i] = segs[n.Segment]
		l.Nodes[seg[i]]++
	}
	var union [][2]int
	seen := map[[2]int]bool{}
	var snaps []snapshot
	for _, s := range t.Snapshots {
		sn := snapshot{Name: s.Name, At: s.AtMS, Alive: make([]int, nl)}
		for i, st := range s.States {
			if st == report.StateAlive || st == report.StatePartitioned {
				sn.Alive[seg[i]]++
			}
		}
		w := map[[2]int]int{}
		for _, e := range s.Edges {
			a, b := seg[e[0]], seg[e[1]]
			w[[2]int{min(a, b), max(a, b)}]++
		}
		keys := make([][2]int, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(x, y [2]int) int {
			if x[0] != y[0] {
				return x[0] - y[0]
			}
			return x[1] - y[1]
		})
		for _, k := range keys {
			sn.A, sn.B, sn.W = append(sn.A, k[0]), append(sn.B, k[1]), append(sn.W, w[k])
			if k[0] != k[1] && !seen[k] {
				seen[k] = true
				union = append(union, k)
			}
		}
		snaps = append(snaps, sn)
	}
	pos := viz.PlaceGraph(nl, union, t.Seed)
	for _, p := range pos {
		l.X, l.Y = append(l.X, round3(p.X)), append(l.Y, round3(p.Y))
	}
	return l, snaps
}
