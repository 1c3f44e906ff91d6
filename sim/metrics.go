package sim

import (
	"p2pmesh/mesh"
)

// metrics follows every broadcast through the run (the Ledger) and keeps the
// markers and samples of the time series.
type metrics struct {
	Ledger
	marks   []Mark
	samples []Sample
}

// Mark is an event worth marking on a time line: a kill, a partition, a heal.
type Mark struct {
	At    mesh.Time
	Kind  string
	Label string
}

// Sample is one point of the time series.
type Sample struct {
	At         mesh.Time
	Alive      int
	Links      int
	Components int
}

func (m *metrics) event(at mesh.Time, kind, label string) {
	m.marks = append(m.marks, Mark{At: at, Kind: kind, Label: label})
}

// Mark records a marker on the time line (the runner uses it for snapshots
// and kills).
func (s *Sim) Mark(kind, label string) { s.metrics.event(s.now, kind, label) }

// Marks returns the markers recorded so far.
func (s *Sim) Marks() []Mark { return s.metrics.marks }

// Sample records a time-series point now and returns it.
func (s *Sim) Sample() Sample {
	t := s.Topology()
	smp := Sample{At: s.now, Alive: len(t.Nodes), Links: len(t.Edges), Components: s.Components(t)}
	s.metrics.samples = append(s.metrics.samples, smp)
	return smp
}

// Samples returns the time series recorded so far.
func (s *Sim) Samples() []Sample { return s.metrics.samples }

// DuplicateDeliveries counts messages an application received twice in one
// life of its node. The engine's seen-cache makes it zero.
func (s *Sim) DuplicateDeliveries() uint64 { return s.metrics.DuplicateDeliveries() }

// NodeRedundant returns the redundant Data receptions of node i over all its
// lives.
func (s *Sim) NodeRedundant(i NodeIndex) uint64 { return s.metrics.NodeRedundant(i) }

// NodeDelivered returns the messages node i delivered over all its lives.
func (s *Sim) NodeDelivered(i NodeIndex) uint64 { return s.metrics.NodeDelivered(i) }

// Delivered reports whether node i's application received message id.
func (s *Sim) Delivered(id mesh.MsgID, i NodeIndex) bool { return s.metrics.HasDelivered(id, i) }

// Broadcasts returns the result of every broadcast so far, judged now.
func (s *Sim) Broadcasts() []BroadcastResult { return s.metrics.Results(s.nodeState) }

// Deliveries returns the delivery latencies of broadcast k (in the order
// sent; nanoseconds, in the order of delivery) and how it spread node by
// node, nil when it was not followed (Ledger.SpreadBudget). Both are the
// simulator's: do not modify them.
func (s *Sim) Deliveries(k int) ([]int64, *Spread) {
	return s.metrics.Latencies(k), s.metrics.Spread(k)
}

// Owed returns, for broadcast k when it is followed node by node, whether
// each node is owed it as its reliability counts now (Ledger.Owed); nil
// when it is not followed.
func (s *Sim) Owed(k int) []bool { return s.metrics.Owed(k, s.nodeState) }

// nodeState tells the Ledger what it needs to know of node i.
func (s *Sim) nodeState(i NodeIndex) NodeState {
	n := &s.nodes[i]
	return NodeState{Alive: n.alive, StartedAt: n.startedAt, LinkedAt: n.linkedAt, Siphon: n.cfg.Misbehaviour().Siphon(), Network: n.key}
}
