package runner

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
	"p2pmesh/sim/scenario"
)

// Network is the network a scenario is played on: the simulator (the
// default) or real sockets (package p2pmesh/sim/realnet). The runner plays
// the timeline, samples, checks expectations and writes the report through
// it alone, so both are judged by the same code. It calls a Network from one
// goroutine only, and only from inside Run or between calls of Run.
type Network interface {
	// Now is the time since the run began.
	Now() time.Duration
	// At runs fn at time at (now if at has passed), after what is already
	// scheduled for that time.
	At(at time.Duration, fn func())
	// Run lets the network run, and the functions scheduled with At, until
	// Now reaches until.
	Run(until time.Duration)

	// AddSegment declares a LAN segment; AddNode declares a node in one. A
	// node runs only once started.
	AddSegment(name string) int32
	// AddNode's cfg may be shared by many nodes (those of one start
	// action): the network must not modify it, and it does not change
	// afterwards.
	AddNode(name, group string, cfg *mesh.Config, seg int32) (sim.NodeIndex, error)
	// SetNetworkKey gives node i, before it starts, the named network key:
	// it links with, and hears the beacons of, nodes with the same key only.
	SetNetworkKey(i sim.NodeIndex, name string) error
	NodeCount() int
	// Node describes node i now.
	Node(i sim.NodeIndex) sim.NodeInfo
	// Alive reports whether node i is running (cheaper than Node).
	Alive(i sim.NodeIndex) bool

	// Start starts (or restarts) node i at time at; Kill stops it now,
	// silently or (graceful) after saying goodbye to its neighbours.
	Start(i sim.NodeIndex, at time.Duration)
	Kill(i sim.NodeIndex, graceful bool)
	// Partition cuts members off from every other node until Heal(name);
	// Heal("") heals every partition.
	Partition(name string, members []sim.NodeIndex)
	Heal(name string) error
	// Broadcast makes node i originate a message of size bytes.
	Broadcast(i sim.NodeIndex, size int) (mesh.MsgID, error)

	// Topology is the overlay now; Components counts its connected
	// components that hold an honest node. Components may run on another
	// goroutine while the network runs (the runner counts samples so): it
	// reads only t and what AddNode fixed.
	Topology() *sim.Topology
	Components(t *sim.Topology) int
	// Broadcasts judges every broadcast so far (see sim.Ledger).
	Broadcasts() []sim.BroadcastResult
	// Deliveries returns the delivery latencies of broadcast k (in
	// nanoseconds) and, when the network followed it node by node, how it
	// spread (nil otherwise).
	Deliveries(k int) ([]int64, *sim.Spread)
	// Owed tells, for broadcast k when it is followed node by node,
	// whether each node is owed it as its reliability counts now (nil
	// when it is not followed).
	Owed(k int) []bool
	NodeDelivered(i sim.NodeIndex) uint64
	NodeRedundant(i sim.NodeIndex) uint64
	DuplicateDeliveries() uint64
	// Trace returns the engine inputs handled so far and a digest of them
	// (equal digests mean identical runs); 0 and "" when the network keeps
	// no trace.
	Trace() (events uint64, digest string)

	// Transport names the network in the report and perf.json: "" for the
	// simulator, "tcp" for real sockets.
	Transport() string
	// Err returns what went wrong carrying out the timeline, if anything
	// did (a real node that would not start).
	Err() error
	// Finish ends the timeline: nothing runs after it. The network may let
	// go of what only running nodes use; everything the report reads stays.
	Finish()
	// Close releases what the network holds, once the report is written.
	Close() error
}

// PerfReporter is a Network that adds figures of its own to perf.json.
type PerfReporter interface {
	AddPerf(p *Perf)
}

// simNetwork is the simulator as a Network.
type simNetwork struct{ *sim.Sim }

// NewSimNetwork builds the simulator network that Run plays sc on by
// default, for the given seed, so that a caller can wrap it (Options.Network)
// and watch the run. Its Engine(i) method reaches node i's engine.
func NewSimNetwork(sc *scenario.Scenario, seed uint64) (Network, error) {
	n, err := sim.New(seed, network(sc))
	if err != nil {
		return nil, fmt.Errorf("%s: network: %w", sc.File, err)
	}
	return simNetwork{n}, nil
}

func (s simNetwork) Alive(i sim.NodeIndex) bool { return s.Engine(i) != nil }

func (s simNetwork) AddNode(name, group string, cfg *mesh.Config, seg int32) (sim.NodeIndex, error) {
	return s.AddNodeShared(name, group, cfg, seg)
}

func (s simNetwork) Transport() string { return "" }
func (s simNetwork) Err() error        { return nil }
func (s simNetwork) Close() error      { return nil }
func (s simNetwork) Finish()           { s.Retire() }

// TreeParents returns each running node's parent in the broadcast tree
// (-1 for none), or nil when no running node is in tree mode.
func (s simNetwork) TreeParents() []int32 {
	var out []int32
	for i := range s.NodeCount() {
		eng := s.Engine(sim.NodeIndex(i))
		if eng == nil || eng.Config().Mode != mesh.ModeTree {
			continue
		}
		if out == nil {
			out = make([]int32, s.NodeCount())
			for k := range out {
				out[k] = -1
			}
		}
		if _, parent := eng.TreePosition(); parent != 0 {
			if p, ok := s.IndexOf(parent); ok {
				out[i] = p
			}
		}
	}
	return out
}

// AddPerf adds the simulated traffic to perf.json: where a run's engine
// events went.
func (s simNetwork) AddPerf(p *Perf) {
	c := s.Counters()
	p.FramesSent, p.BytesSent, p.Dials, p.DialFailures = c.Frames, c.Bytes, c.Dials, c.DialFailures
	p.KeyRefused, p.Beacons, p.BeaconReceptions = c.KeyRefused, c.Beacons, c.BeaconReceptions
	p.Retransmitted, p.BeaconsLost = c.Retransmitted, c.BeaconsLost
	for t, n := range c.FramesByType {
		if n > 0 {
			if p.FramesByType == nil {
				p.FramesByType = map[string]uint64{}
			}
			p.FramesByType[mesh.FrameType(t).String()] = n
		}
	}
	byKind := s.EngineEventsByKind()
	for k, n := range byKind {
		if n > 0 {
			p.EngineEventsByKind = append(p.EngineEventsByKind, EventKindCount{Kind: sim.EventKind(k).String(),
				Events: n, PerNode: float64(n) / float64(max(p.Nodes, 1))})
		}
	}
	slices.SortStableFunc(p.EngineEventsByKind, func(a, b EventKindCount) int { return cmp.Compare(b.Events, a.Events) })
}

func (s simNetwork) Trace() (uint64, string) {
	digest, _ := s.TraceDigest()
	return s.EngineEvents, fmtDigest(digest)
}
