package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// Limits that keep a hostile or mistaken file from exhausting memory.
const (
	// MaxNodes bounds how many nodes one file may create.
	MaxNodes = 1_000_000
	// MaxSegments bounds how many LAN segments a file may declare.
	MaxSegments = 100_000
	// MaxBroadcastCount bounds the count of one broadcast action.
	MaxBroadcastCount = 1_000_000
)

// StaticPeerRandom as a start's static_peer gives each new node a static
// link to a node picked at random, from the run's seed, among the nodes
// started by earlier items in other segments.
const StaticPeerRandom = "random"

// Defaults of the optional top-level keys.
const (
	DefaultSettle      = 5 * time.Second
	DefaultSampleEvery = time.Second
	DefaultLatency     = 5 * time.Millisecond
	DefaultDialTimeout = time.Second
	DefaultSegment     = "lan"
	DefaultPrefix      = "n"
	DefaultPayloadSize = 64
)

// Scenario is one validated scenario file. All times are virtual times since
// the start of the run.
type Scenario struct {
	// File is the name the file was parsed under; Name is its `name:`.
	File, Name, Description string
	// Seed is the file's default seed; HasSeed tells whether it gave one. A
	// seed given to the runner (e.g. --seed) takes precedence.
	Seed    uint64
	HasSeed bool
	// Duration is when the run ends: the file's `duration:`, or else
	// LastAction + Settle.
	Duration time.Duration
	// LastAction is the time at which the timeline's last activity happens:
	// the latest of the timeline cursor after the last item, the end of the
	// last node start spread by `over`, and the last message of a broadcast
	// with `count`/`every`.
	LastAction time.Duration
	// Settle is the quiet time after the last action; SampleEvery the period
	// of time-series samples.
	Settle, SampleEvery time.Duration
	// Node is the file-level node configuration: mesh.DefaultConfig with the
	// file's `node:` keys applied. Start actions may override it per group.
	Node    mesh.Config
	Network Network
	// Timeline is every item of the file's timeline, in file order, which is
	// also non-decreasing time order.
	Timeline []Action
	// Expect holds the expectations checked at the end of the run.
	Expect []Expectation
	// Nodes is every node the file creates, in creation order.
	Nodes []NodeDecl
}

// Lookup returns the declaration of the node with the given name.
func (s *Scenario) Lookup(name string) (*NodeDecl, bool) {
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			return &s.Nodes[i], true
		}
	}
	return nil, false
}

// Network describes the simulated network.
type Network struct {
	// Latency is the one-way delay within a segment; CrossLatency the delay
	// of links between different segments (defaults to Latency).
	Latency, CrossLatency Latency
	// Loss is the probability that a frame's segment is lost on a link
	// (TCP retransmits it: the frame arrives later, never lost); BeaconLoss
	// the probability that one node misses one beacon. Both in [0, 1).
	Loss, BeaconLoss float64
	// Capacity is every node's bandwidth (`bandwidth:`); zero is unlimited.
	Capacity Capacity
	// PerSegment and Between change the links of one segment and those
	// between two segments.
	PerSegment, Between []LinkOverride
	// DialTimeout is how long a dial to an unreachable or dead node takes to
	// fail.
	DialTimeout time.Duration
	// Segments names the LAN segments, in declaration order. A beacon reaches
	// the nodes of its own segment only. Never empty.
	Segments []string
}

// LatencyDist names a latency distribution: the simulator's own type.
type LatencyDist = sim.LatencyDist

// Latency distributions.
const (
	LatencyFixed   = sim.Fixed
	LatencyUniform = sim.Uniform
	LatencyNormal  = sim.Normal
)

// latencyDists maps the YAML names to distributions.
var latencyDists = []struct {
	name string
	dist LatencyDist
}{
	{"fixed", LatencyFixed},
	{"uniform", LatencyUniform},
	{"normal", LatencyNormal},
}

// Latency is a one-way delay distribution (the simulator's type). Only the
// fields of its Dist are meaningful: Value for fixed, Min and Max for
// uniform, Mean and Stddev for normal.
type Latency = sim.Latency

// NodeDecl is one node created by a start action.
type NodeDecl struct {
	Name    string
	Segment string
	// Group is the start action's `group:`, "" when it gave none.
	Group string
	// StaticPeer names the node this one keeps a static link to, "" for
	// none, or StaticPeerRandom: a node picked by the runner, from the run's
	// seed, among those started by earlier items in other segments.
	// Config.StaticPeers is left empty: the runner fills in the address.
	StaticPeer string
	// NetworkKey names the node's network key (`network_key:`), "" for
	// none. Nodes link and hear beacons only within one key (or among
	// nodes without one).
	NetworkKey string
	// Config is the node's configuration, validated (with a placeholder
	// static peer when StaticPeer is set). The nodes of one start action
	// share it: do not modify it.
	Config *mesh.Config
	// StartAt is when the node first starts: a start action at time T that
	// creates k nodes over a duration D starts its i-th node (from 0) at
	// T + D*i/k.
	StartAt time.Duration
	// Action is the index in Scenario.Timeline of the start action.
	Action int
	// Pos is the position of the start action.
	Pos Pos
}

// ActionKind tells which field of an Action is set.
type ActionKind uint8

// Action kinds. Their String is the YAML key.
const (
	ActStart ActionKind = iota + 1
	ActKill
	ActRestart
	ActPartition
	ActHeal
	ActBroadcast
	ActSnapshot
	ActCheck
	ActWait
)

var actionNames = []struct {
	name string
	kind ActionKind
}{
	{"start", ActStart},
	{"kill", ActKill},
	{"restart", ActRestart},
	{"partition", ActPartition},
	{"heal", ActHeal},
	{"broadcast", ActBroadcast},
	{"snapshot", ActSnapshot},
	{"check", ActCheck},
	{"wait", ActWait},
}

// String returns the YAML key of the action.
func (k ActionKind) String() string {
	for _, e := range actionNames {
		if e.kind == k {
			return e.name
		}
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// Action is one timeline item. Exactly the field named by Kind is set
// (Check for ActCheck, Wait for ActWait).
type Action struct {
	// At is the absolute virtual time of the action.
	At   time.Duration
	Pos  Pos
	Kind ActionKind

	Start     *Start
	Kill      *Kill
	Restart   *Selector
	Partition *Partition
	Heal      *Heal
	Broadcast *Broadcast
	Snapshot  *Snapshot
	Check     []Expectation
	// Wait is the amount a wait item advanced the cursor; the runner has
	// nothing to do for it (the next item's At already includes it).
	Wait time.Duration
}

// Start creates and starts new nodes.
type Start struct {
	// Names are the nodes created, in order (generated from the prefix, or
	// given by `names:`).
	Names []string
	// Over spreads the starts: node i of k starts at At + Over*i/k. The
	// same times are in NodeDecl.StartAt.
	Over time.Duration
	// Segment is the segment of the new nodes; with `segments:` (Segments
	// set) each of those segments gets the action's count of nodes, and
	// Segment is the first. Over then spreads the starts in each segment
	// alike.
	Segment  string
	Segments []string
	Group    string
	// StaticPeer names an earlier node every new node keeps a static link
	// to, "" for none, or StaticPeerRandom (see NodeDecl).
	StaticPeer string
	// NetworkKey names the nodes' network key, or "" for none.
	NetworkKey string
	// Config is the nodes' configuration: the file's node config, the
	// action's `node:` overrides, and Siphon/MaxIn=0 for `siphon: true`.
	Config *mesh.Config
}

// Selector picks nodes. Exactly one of Nodes, Count and Percent is set;
// Group (only with Count or Percent) restricts the pool to one group. What
// the pool is depends on the action: running nodes for kill and partition,
// killed nodes for restart.
type Selector struct {
	Nodes   []string
	Count   int
	Percent float64
	Group   string
	// Bridges narrows the pool to the bridges: the nodes at either end of
	// a static link that static_peer: random made (the new node and the
	// node picked for it). Which nodes those are is drawn when the run
	// starts, so the file's checks take the pool without it.
	Bridges bool
}

// Size returns how many nodes the selector picks from a pool of the given
// size: len(Nodes); Count capped at the pool; or Percent of the pool rounded
// to the nearest integer (halves up), but at least 1 when the pool is not
// empty.
func (s Selector) Size(pool int) int {
	switch {
	case len(s.Nodes) > 0:
		return len(s.Nodes)
	case s.Count > 0:
		return min(s.Count, pool)
	case s.Percent > 0 && pool > 0:
		n := int(math.Floor(float64(pool)*s.Percent/100 + 0.5))
		return min(max(n, 1), pool)
	}
	return 0
}

// Kill stops nodes: a crash (silent) by default, a graceful leave if
// Graceful.
type Kill struct {
	Select   Selector
	Graceful bool
}

// Partition cuts the selected nodes off from all others until healed.
type Partition struct {
	Name   string
	Select Selector
}

// Heal ends a partition.
type Heal struct {
	// Name is the partition to heal; "" heals every partition.
	Name string
}

// Broadcast originates Count messages of Size bytes, Every apart (the first
// at the action's time).
type Broadcast struct {
	// From is the origin node; "" means a node chosen at random among the
	// running ones (among FromGroup if set), afresh for every message.
	From      string
	FromGroup string
	// All makes every running node send each message of the series (`from:
	// all`), one after the other in node order.
	All   bool
	Count int
	Every time.Duration
	Size  int
}

// Snapshot asks the runner to record the state of the mesh under a name.
type Snapshot struct {
	Name string
}

// ExpectKind names a measured quantity.
type ExpectKind uint8

// Expectation kinds. Their String is the YAML key.
const (
	// ExpReliability is the smallest per-broadcast reliability in the window.
	ExpReliability ExpectKind = iota + 1
	// ExpReliabilityMean is the mean per-broadcast reliability in the window.
	ExpReliabilityMean
	// ExpComponents is the number of connected components among running nodes.
	ExpComponents
	// ExpRMR is the mean RMR of the broadcasts in the window.
	ExpRMR
	// ExpLDH is the largest last delivery hop of the broadcasts in the window.
	ExpLDH
	// ExpLatencyP99 is the largest per-broadcast 99th percentile delivery
	// latency in the window. Its bounds are in nanoseconds.
	ExpLatencyP99
	// ExpAlive is the number of running nodes.
	ExpAlive
	// ExpMinDegree is the smallest link count of any running node.
	ExpMinDegree
	// ExpLinkLimits holds when no running node has more links than its
	// max_in/max_out allow. It has no bounds.
	ExpLinkLimits
	// ExpDuplicates is the number of application-level duplicate deliveries
	// so far.
	ExpDuplicates
	// ExpForeignDeliveries is the number of deliveries, of the broadcasts
	// in the window, by nodes whose network key differs from the origin's.
	ExpForeignDeliveries
	// ExpForeignLinks is the number of links now between running nodes
	// with different network keys.
	ExpForeignLinks
	// ExpRepair is the longest repair time of the disruptions so far (see
	// the runner's definition); one not healed yet counts the time since
	// it happened. Its bounds are in nanoseconds.
	ExpRepair
	// ExpReliabilityReachable and ExpReliabilityReachableMean are the
	// smallest and the mean reachable reliability (reliability owed only
	// to nodes that could be reached) of the broadcasts in the window.
	ExpReliabilityReachable
	ExpReliabilityReachableMean
	// ExpLatencyP50 is the largest per-broadcast median delivery latency in
	// the window. Its bounds are in nanoseconds.
	ExpLatencyP50
)

type valueKind uint8

const (
	valRatio    valueKind = iota + 1 // a fraction in [0, 1]
	valCount                         // a non-negative integer
	valReal                          // a non-negative real
	valDuration                      // a duration, stored in nanoseconds
	valBool                          // `true`, no bounds
)

// expectKinds is the table of expectation keys.
var expectKinds = []struct {
	name     string
	kind     ExpectKind
	val      valueKind
	windowed bool // takes after/before
}{
	{"reliability", ExpReliability, valRatio, true},
	{"reliability_mean", ExpReliabilityMean, valRatio, true},
	{"components", ExpComponents, valCount, false},
	{"rmr", ExpRMR, valReal, true},
	{"ldh", ExpLDH, valCount, true},
	{"latency_p50", ExpLatencyP50, valDuration, true},
	{"latency_p99", ExpLatencyP99, valDuration, true},
	{"alive", ExpAlive, valCount, false},
	{"min_degree", ExpMinDegree, valCount, false},
	{"link_limits", ExpLinkLimits, valBool, false},
	{"duplicates", ExpDuplicates, valCount, false},
	{"foreign_deliveries", ExpForeignDeliveries, valCount, true},
	{"foreign_links", ExpForeignLinks, valCount, false},
	{"repair", ExpRepair, valDuration, false},
	{"reliability_reachable", ExpReliabilityReachable, valRatio, true},
	{"reliability_reachable_mean", ExpReliabilityReachableMean, valRatio, true},
}

// String returns the YAML key of the kind.
func (k ExpectKind) String() string {
	for _, e := range expectKinds {
		if e.kind == k {
			return e.name
		}
	}
	return fmt.Sprintf("expect(%d)", uint8(k))
}

// Windowed reports whether the kind measures broadcasts, and so honours
// Expectation.After and Before.
func (k ExpectKind) Windowed() bool {
	for _, e := range expectKinds {
		if e.kind == k {
			return e.windowed
		}
	}
	return false
}

// IsDuration reports whether values of the kind are durations (stored in
// nanoseconds in Min and Max).
func (k ExpectKind) IsDuration() bool {
	return k == ExpLatencyP50 || k == ExpLatencyP99 || k == ExpRepair
}

// Format formats a value of this kind for people: durations as durations,
// other numbers in their shortest form.
func (k ExpectKind) Format(v float64) string {
	if k.IsDuration() {
		return time.Duration(v).String()
	}
	return formatFloat(v)
}

// FormatMeasured is Format for a measured value, rounded as people read
// it: four significant digits (0.9965, 6.017, 123.5), integers whole.
// Bounds from a file keep every digit they were given (Format).
func (k ExpectKind) FormatMeasured(v float64) string {
	if k.IsDuration() {
		return time.Duration(v).Round(roundDuration(time.Duration(v))).String()
	}
	if v == math.Trunc(v) || math.IsInf(v, 0) || math.IsNaN(v) {
		return formatFloat(v)
	}
	decimals := min(max(3-int(math.Floor(math.Log10(math.Abs(v)))), 0), 8)
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// roundDuration is the precision a duration is shown with: a microsecond
// below a millisecond, a millisecond below a minute, a second above.
func roundDuration(d time.Duration) time.Duration {
	switch d = max(d, -d); {
	case d < time.Millisecond:
		return time.Microsecond
	case d < time.Minute:
		return time.Millisecond
	}
	return time.Second
}

// Expectation is one condition on the measurements.
type Expectation struct {
	// Name is the file's `name:`, or a generated label such as
	// "reliability >= 1 after 10s".
	Name string
	Kind ExpectKind
	// Min and Max are the inclusive bounds; nil means unbounded. `eq: v`
	// sets both to v. ExpLinkLimits has neither.
	Min, Max *float64
	// After and Before delimit the window of broadcast kinds: broadcasts
	// sent at times in [After, Before). Before == 0 means no upper limit.
	After, Before time.Duration
	// Seeds, when set (`seeds:`), are the only seeds at which the bounds
	// are judged: a bound that holds at the file's seed but not at every
	// seed (the scenario's comment says why). At other seeds the value is
	// measured and reported, and the expectation passes.
	Seeds []uint64
	Pos   Pos
}

// JudgedAt reports whether the bounds are judged in a run with this seed.
func (e *Expectation) JudgedAt(seed uint64) bool {
	return len(e.Seeds) == 0 || slices.Contains(e.Seeds, seed)
}

// Holds reports whether a measured value lies within the bounds.
func (e *Expectation) Holds(v float64) bool {
	if e.Min != nil && v < *e.Min {
		return false
	}
	if e.Max != nil && v > *e.Max {
		return false
	}
	return true
}

// InWindow reports whether a broadcast sent at time t falls in the window.
func (e *Expectation) InWindow(t time.Duration) bool {
	return t >= e.After && (e.Before == 0 || t < e.Before)
}

// label builds the default name of an expectation.
func (e *Expectation) label() string {
	k := e.Kind
	s := k.String()
	switch {
	case e.Min != nil && e.Max != nil && *e.Min == *e.Max:
		s += " == " + k.Format(*e.Min)
	case e.Min != nil && e.Max != nil:
		s = k.Format(*e.Min) + " <= " + s + " <= " + k.Format(*e.Max)
	case e.Min != nil:
		s += " >= " + k.Format(*e.Min)
	case e.Max != nil:
		s += " <= " + k.Format(*e.Max)
	}
	switch {
	case e.After > 0 && e.Before > 0:
		s += fmt.Sprintf(" in [%v, %v)", e.After, e.Before)
	case e.After > 0:
		s += fmt.Sprintf(" after %v", e.After)
	case e.Before > 0:
		s += fmt.Sprintf(" before %v", e.Before)
	}
	return s
}
