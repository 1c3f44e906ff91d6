package report

// OverlayFile holds the run's overlay log (see Overlay).
const OverlayFile = "overlay.json"

// Overlay is the content of overlay.json: every link of the overlay coming
// up or going down and every node starting, stopping or changing sides of a
// partition, for a replay of the run at any instant (the interactive page
// beside index.html; how each broadcast spread is in spread.json). The
// simulator records it for runs of at most OverlayNodeLimit nodes, and at
// most OverlayMaxLinkEvents link events; Truncated says the limit cut the
// log short.
// Columns rather than objects keep the file small: the k-th link event is
// LinkAtMS[k], LinkA[k], LinkB[k], LinkUp[k] (1 up, 0 down), with nodes
// numbered as in topology.json.
type Overlay struct {
	Scenario      string  `json:"scenario"`
	Seed          uint64  `json:"seed"`
	Truncated     bool    `json:"truncated,omitempty"`
	TruncatedAtMS float64 `json:"truncated_at_ms,omitempty"`

	LinkAtMS []float64 `json:"link_at_ms"`
	LinkA    []int32   `json:"link_a"`
	LinkB    []int32   `json:"link_b"`
	LinkUp   []int8    `json:"link_up"`
	// Node events: the k-th is NodeAtMS[k], Node[k], NodeKind[k] (0
	// started, 1 crashed, 2 left, 3 moved into or out of a partition) and
	// NodePart[k], the partition the node is in afterwards (0 none).
	NodeAtMS []float64 `json:"node_at_ms"`
	Node     []int32   `json:"node"`
	NodeKind []int8    `json:"node_kind"`
	NodePart []int32   `json:"node_part"`
}

// Limits of the overlay log: beyond OverlayNodeLimit nodes a run keeps
// none (its replay shows the snapshots LAN by LAN); the event limit bounds
// the log's memory (16 bytes an event while running) and the replay's size
// (about 30 bytes an event in overlay.json and in the page's data).
const (
	OverlayNodeLimit     = 10_000
	OverlayMaxLinkEvents = 2_000_000
)
