// Package report defines the files a simulation run leaves behind:
// report.json (results and expectations) and topology.json (the overlay at
// each snapshot). Both are deterministic: the same scenario and seed give
// byte-identical files, so they hold no wall-clock figures (a run on real
// sockets, p2psim --transport tcp, writes the same fields but cannot be
// reproduced). Field names are an interface other tools rely on; add
// fields, never rename them.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// File names inside a report directory.
const (
	ReportFile   = "report.json"
	TopologyFile = "topology.json"
	SpreadFile   = "spread.json"
)

// Report is the content of report.json.
type Report struct {
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	File        string `json:"file,omitempty"`
	Seed        uint64 `json:"seed"`
	// Transport is "tcp" for a run on real sockets (p2psim --transport
	// tcp), whose times are wall-clock times; absent for the simulator.
	Transport    string        `json:"transport,omitempty"`
	DurationMS   float64       `json:"duration_ms"`
	Nodes        []Node        `json:"nodes"`
	Broadcasts   []Broadcast   `json:"broadcasts"`
	Summary      Summary       `json:"summary"`
	Expectations []Expectation `json:"expectations"`
	Series       []Sample      `json:"series"`
	Events       []Event       `json:"events"`
	Repairs      []Repair      `json:"repairs"`
	Snapshots    []SnapshotRef `json:"snapshots"`
}

// Repair is how long the mesh took to heal the damage of a disruption (a
// kill, leave or healed partition): until each node it damaged (the running
// honest neighbours of the nodes killed; every running honest node for a
// heal) that still runs in the same life held no link to a node that is
// down, had its minimum number of links (or links to all others, in
// smaller meshes), and was in the component with the most running honest
// nodes. docs/scenarios.md defines it.
type Repair struct {
	Kind       string  `json:"kind"`
	Label      string  `json:"label,omitempty"`
	AtMS       float64 `json:"at_ms"`
	HealedAtMS float64 `json:"healed_at_ms"` // -1: not healed by the end of the run
	RepairMS   float64 `json:"repair_ms"`    // -1: not healed by the end of the run
}

// Node is one node at the end of the run.
type Node struct {
	Name    string `json:"name"`
	Group   string `json:"group,omitempty"`
	Segment string `json:"segment"`
	ID      string `json:"id"`
	Alive   bool   `json:"alive"`
	Siphon  bool   `json:"siphon,omitempty"`
	// NetworkKey names the node's network key in the scenario
	// (`network_key:`); absent for none.
	NetworkKey string `json:"network_key,omitempty"`
	Starts     int    `json:"starts"`
	LinksIn    int    `json:"links_in"`
	LinksOut   int    `json:"links_out"`
	MaxIn      int    `json:"max_in"`
	MaxOut     int    `json:"max_out"`
	Delivered  uint64 `json:"delivered"`
	Redundant  uint64 `json:"redundant"`
	// Traffic is what the node sent and how it queued; present only when
	// some node's bandwidth is limited.
	Traffic *Traffic `json:"traffic,omitempty"`
}

// Traffic is what the network did: frames and bytes sent on links, segments
// retransmitted (loss, or a partition holding a connection), frames that
// waited behind others on an uplink, the largest uplink backlog and the
// longest wait in it.
type Traffic struct {
	Frames        uint64  `json:"frames"`
	Bytes         uint64  `json:"bytes"`
	Retransmitted uint64  `json:"retransmitted"`
	Queued        uint64  `json:"queued"`
	MaxQueueBytes uint64  `json:"max_queue_bytes"`
	MaxWaitMS     float64 `json:"max_wait_ms"`
}

// Broadcast is the outcome of one broadcast.
type Broadcast struct {
	ID       string  `json:"id"`
	Origin   string  `json:"origin"`
	SentAtMS float64 `json:"sent_at_ms"`
	Alive    int     `json:"alive"`
	// Running counts the honest nodes other than the origin (with its
	// network key) that were running when it was sent: the receivers it
	// was owed to then. Alive is the part of them still running in the
	// same life at the end.
	Running     int     `json:"running"`
	Delivered   int     `json:"delivered"`
	Reliability float64 `json:"reliability"`
	// Reachable counts the nodes of Alive that could be reached (their
	// life had a connection open before the message's last delivery), and
	// ReliabilityReachable the share of them that delivered it.
	Reachable            int     `json:"reachable"`
	ReliabilityReachable float64 `json:"reliability_reachable"`
	Transmissions        uint64  `json:"transmissions"`
	Redundant            uint64  `json:"redundant"`
	RMR                  float64 `json:"rmr"`
	LDH                  int     `json:"ldh"`
	LatencyMS            Latency `json:"latency_ms"`
	// Foreign counts deliveries by nodes with another network key than
	// the origin's (not counted in Alive and Delivered); absent when 0.
	Foreign int `json:"foreign,omitempty"`
}

// Latency summarises delivery latencies in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Summary aggregates the run.
type Summary struct {
	Broadcasts      int     `json:"broadcasts"`
	ReliabilityMin  float64 `json:"reliability_min"`
	ReliabilityMean float64 `json:"reliability_mean"`
	// The same over reachable nodes (Broadcast.ReliabilityReachable).
	ReliabilityReachableMin  float64 `json:"reliability_reachable_min"`
	ReliabilityReachableMean float64 `json:"reliability_reachable_mean"`
	RMRMean                  float64 `json:"rmr_mean"`
	LDHMax                   int     `json:"ldh_max"`
	TransmissionsTotal       uint64  `json:"transmissions_total"`
	RedundantTotal           uint64  `json:"redundant_total"`
	DuplicateDeliveries      uint64  `json:"duplicate_deliveries"`
	NodesTotal               int     `json:"nodes_total"`
	AliveFinal               int     `json:"alive_final"`
	LinksFinal               int     `json:"links_final"`
	ComponentsFinal          int     `json:"components_final"`
	RepairMSMax              float64 `json:"repair_ms_max"` // -1 if a disruption never healed
	// Traffic totals the network's work over every node; present only when
	// links have loss or some bandwidth is limited.
	Traffic      *Traffic `json:"traffic,omitempty"`
	EngineEvents uint64   `json:"engine_events"`
	TraceDigest  string   `json:"trace_digest"`
}

// Expectation is one checked expectation.
type Expectation struct {
	Name   string  `json:"name"`
	AtMS   float64 `json:"at_ms"`
	OK     bool    `json:"ok"`
	Value  float64 `json:"value"`
	Detail string  `json:"detail"`
}

// Sample is one point of the time series.
type Sample struct {
	AtMS        float64  `json:"at_ms"`
	Alive       int      `json:"alive"`
	Links       int      `json:"links"`
	Components  int      `json:"components"`
	Reliability *float64 `json:"reliability,omitempty"` // mean over broadcasts sent since the previous sample
}

// Event marks something that happened on the time line.
type Event struct {
	AtMS  float64 `json:"at_ms"`
	Kind  string  `json:"kind"` // start, kill, leave, restart, partition, heal, snapshot, broadcast
	Label string  `json:"label,omitempty"`
}

// SnapshotRef names a snapshot stored in topology.json.
type SnapshotRef struct {
	Name string  `json:"name"`
	AtMS float64 `json:"at_ms"`
}

// Topology is the content of topology.json: every node that ever ran, and
// the overlay at each snapshot.
type Topology struct {
	Scenario  string     `json:"scenario"`
	Seed      uint64     `json:"seed"`
	Nodes     []TopoNode `json:"nodes"`
	Snapshots []Snapshot `json:"snapshots"`
}

// TopoNode is a node of the topology file; snapshots refer to it by its
// position in Topology.Nodes.
type TopoNode struct {
	Name    string `json:"name"`
	Group   string `json:"group,omitempty"`
	Segment string `json:"segment"`
	Siphon  bool   `json:"siphon,omitempty"`
	// NetworkKey names the node's network key in the scenario; absent for
	// none.
	NetworkKey string `json:"network_key,omitempty"`
}

// Node states in a snapshot.
const (
	StateAlive       = "alive"
	StateKilled      = "killed"
	StatePartitioned = "partitioned"
	StateNotStarted  = "not-started"
)

// Snapshot is the overlay at one moment.
type Snapshot struct {
	Name       string   `json:"name"`
	AtMS       float64  `json:"at_ms"`
	States     []string `json:"states"` // per node of Topology.Nodes
	Edges      [][2]int `json:"edges"`  // pairs of positions in Topology.Nodes
	Components int      `json:"components"`
	// TreeParent is, in tree mode, each node's parent in the broadcast
	// tree (a position in Topology.Nodes; -1 for a root, a node without a
	// parent or a node not running); absent in flood mode.
	TreeParent []int32 `json:"tree_parent,omitempty"`
}

// Spread is the content of spread.json: how the broadcasts spread, node by
// node, and their delivery latencies. Nodes are positions in
// Topology.Nodes (and Report.Nodes).
type Spread struct {
	Scenario   string            `json:"scenario"`
	Seed       uint64            `json:"seed"`
	Broadcasts []BroadcastSpread `json:"broadcasts"` // in the order of Report.Broadcasts
}

// BroadcastSpread is how one broadcast spread.
type BroadcastSpread struct {
	ID string `json:"id"` // as Broadcast.ID
	// LatencyMS holds the percentiles 0, 1, …, 100 (nearest rank) of its
	// delivery latencies; empty when nobody delivered it.
	LatencyMS []float64 `json:"latency_ms"`
	// Parent, Hop and ArrivalMS are per node: the node it first got the
	// payload from, the hop count and time after the send at which it
	// delivered it; -1 for a node that never delivered it (and Parent -1
	// for the origin). Absent when the run did not follow the broadcast
	// node by node (runs too large for it, real sockets).
	Parent    []int32   `json:"parent,omitempty"`
	Hop       []int     `json:"hop,omitempty"`
	ArrivalMS []float64 `json:"arrival_ms,omitempty"`
	// Owed is per node whether the broadcast was owed to it as its
	// reliability counts (Broadcast.Alive of them): an honest node other
	// than the origin, with the origin's network key, running at the end
	// of the run in a life that began no later than the send. A node owed
	// it with Hop -1 missed it. Present with Parent (absent in files
	// written before it was added).
	Owed []bool `json:"owed,omitempty"`
}

// Write writes v as indented JSON to dir/name. The encoder writes straight
// into the file, indenting as it goes (indenter): the report of a million
// nodes is hundreds of megabytes, and one more copy of it in memory is what
// a large run can least afford.
func Write(dir, name string, v any) error { return write(dir, name, v, true) }

// WriteCompact writes v as JSON without indentation to dir/name (for files
// of long columns, which indentation would double).
func WriteCompact(dir, name string, v any) error { return write(dir, name, v, false) }

func write(dir, name string, v any, indent bool) error {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	if indent {
		enc = json.NewEncoder(&indenter{w: w})
	}
	err = enc.Encode(v)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Read reads dir/name into v.
func Read(dir, name string, v any) error {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
