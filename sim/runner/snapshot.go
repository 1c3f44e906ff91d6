package runner

import (
	"p2pmesh/sim"
	"p2pmesh/sim/report"
)

// snapshot records the overlay under a name (once per name; a later snapshot
// of the same name is ignored).
func (r *run) snapshot(name string) {
	if r.snapped[name] {
		return
	}
	r.snapped[name] = true
	t := r.topology()
	snap := report.Snapshot{Name: name, AtMS: ms(r.s.Now()), States: make([]string, r.s.NodeCount()),
		Edges: make([][2]int, len(t.Edges)), Components: r.components(t)}
	for i := range snap.States {
		info := r.s.Node(sim.NodeIndex(i))
		switch {
		case info.Alive && info.Partitioned:
			snap.States[i] = report.StatePartitioned
		case info.Alive:
			snap.States[i] = report.StateAlive
		case info.Starts > 0:
			snap.States[i] = report.StateKilled
		default:
			snap.States[i] = report.StateNotStarted
		}
	}
	for k, e := range t.Edges {
		snap.Edges[k] = [2]int{int(e[0]), int(e[1])}
	}
	if tr, ok := r.s.(treeReporter); ok {
		snap.TreeParent = tr.TreeParents()
	}
	r.topo.Snapshots = append(r.topo.Snapshots, snap)
	r.mark("snapshot", name)
}

// treeReporter is a network that can tell each node's parent in the
// broadcast tree (the simulator, which holds the engines).
type treeReporter interface {
	// TreeParents returns each node's tree parent (-1 for none), or nil
	// when no node runs in tree mode.
	TreeParents() []int32
}

// mark records an event on the time line.
func (r *run) mark(kind, label string) {
	r.marks = append(r.marks, sim.Mark{At: r.s.Now(), Kind: kind, Label: label})
}

// sample adds a point to the time series. Its count of components is made
// on another goroutine while the simulation goes on: a sampled topology is a
// snapshot that nothing changes afterwards, so the count is the same
// whenever it is made, and counting a million-node overlay takes a second or
// two that the simulator's goroutine need not wait for. One count at a time:
// should counting be slower than sampling, the simulation waits rather than
// topologies piling up.
func (r *run) sample() {
	t := r.topology()
	r.settleSamples()
	r.samples = append(r.samples, sim.Sample{At: r.s.Now(), Alive: len(t.Nodes), Links: len(t.Edges)})
	count := make(chan int, 1)
	go func() { count <- r.s.Components(t) }()
	r.counting = count
}

// settleSamples waits for the component count of the last sample, if it is
// still being made.
func (r *run) settleSamples() {
	if r.counting != nil {
		r.samples[len(r.samples)-1].Components = <-r.counting
		r.counting = nil
	}
}

// topology returns the overlay now: the final one once the run has ended.
func (r *run) topology() *sim.Topology {
	if r.final != nil {
		return r.final
	}
	return r.s.Topology()
}

// components counts the connected components of t among running honest
// nodes, those of the final overlay once.
func (r *run) components(t *sim.Topology) int {
	if t != r.final {
		return r.s.Components(t)
	}
	if r.finalComponents < 0 {
		r.finalComponents = r.s.Components(t)
	}
	return r.finalComponents
}
