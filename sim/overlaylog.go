package sim

import (
	"slices"

	"p2pmesh/mesh"
)

// LinkEvent is a link of the overlay appearing (Up) or disappearing at a
// moment: the edge between A and B (A < B) of Topology as it changed. The
// overlay at any instant is the sum of the events up to it.
type LinkEvent struct {
	At   mesh.Time
	A, B NodeIndex
	Up   bool
}

// NodeEvent is a node starting, stopping or changing sides of a partition.
type NodeEvent struct {
	At   mesh.Time
	Node NodeIndex
	Kind NodeEventKind
	// Part is the partition the node is in after the event (0: none),
	// numbered in the order partitions were made.
	Part int32
}

// NodeEventKind says what happened to a node.
type NodeEventKind uint8

// Node events.
const (
	NodeStarted NodeEventKind = iota
	NodeCrashed
	NodeLeft
	NodeMoved // into or out of a partition
)

// OverlayLog is what RecordOverlay keeps: every change of the overlay and
// every node starting, stopping or changing sides, in the order they
// happened. Truncated says the limit of link events was reached: LinkEvents
// then stops at TruncatedAt. (How each broadcast spread is followed by the
// ledger; see Deliveries.)
type OverlayLog struct {
	LinkEvents  []LinkEvent
	NodeEvents  []NodeEvent
	Truncated   bool
	TruncatedAt mesh.Time
}

// overlayLog follows the overlay link by link. lists[i] holds the peers
// node i's engine reports a link to (sorted), listedBy[i] the nodes whose
// engines list i: an edge is in the overlay when both ends run and one of
// them lists the other (as in Topology).
type overlayLog struct {
	OverlayLog
	maxLinkEvents   int
	lists, listedBy [][]NodeIndex
	buf             []mesh.LinkInfo
	next, old       []NodeIndex
}

// RecordOverlay makes the simulation keep an OverlayLog from now on, of at
// most maxLinkEvents link events (16 bytes each). Call it before the first
// node starts. It costs a look at the links of an engine after each input
// that may change them.
func (s *Sim) RecordOverlay(maxLinkEvents int) {
	s.olog = &overlayLog{maxLinkEvents: maxLinkEvents}
}

// OverlayLog returns what RecordOverlay kept (nil without it).
func (s *Sim) OverlayLog() *OverlayLog {
	if s.olog == nil {
		return nil
	}
	return &s.olog.OverlayLog
}

func (o *overlayLog) grow(n int) {
	for len(o.lists) < n {
		o.lists = append(o.lists, nil)
		o.listedBy = append(o.listedBy, nil)
	}
}

// visible reports whether the edge i–j is in the overlay.
func (s *Sim) visible(i, j NodeIndex) bool {
	o := s.olog
	if !s.nodes[i].alive || !s.nodes[j].alive {
		return false
	}
	_, a := slices.BinarySearch(o.lists[i], j)
	_, b := slices.BinarySearch(o.lists[j], i)
	return a || b
}

func (s *Sim) linkEvent(i, j NodeIndex, up bool) {
	o := s.olog
	if o.Truncated {
		return
	}
	if len(o.LinkEvents) >= o.maxLinkEvents {
		o.Truncated, o.TruncatedAt = true, s.now
		return
	}
	if j < i {
		i, j = j, i
	}
	o.LinkEvents = append(o.LinkEvents, LinkEvent{At: s.now, A: i, B: j, Up: up})
}

// linkFrame reports whether a frame of type t may establish or end a link;
// others (payloads, pings, peer lists, the tree's frames), which are most
// frames, need no look at the links after them.
func linkFrame(t mesh.FrameType) bool {
	switch t {
	case mesh.FrameHello, mesh.FrameWelcome, mesh.FrameReject, mesh.FrameLeave:
		return true
	}
	return false
}

// relist brings node i's list up to date with its engine (empty when it
// does not run), recording every edge that appears or disappears.
func (s *Sim) relist(i NodeIndex) {
	o := s.olog
	next := o.next[:0]
	if n := &s.nodes[i]; n.alive {
		o.buf = n.eng.Links(o.buf[:0])
		for k := range o.buf {
			if j, ok := s.peerIndex(i, &o.buf[k]); ok && j != i {
				next = append(next, j)
			}
		}
		slices.Sort(next)
		next = slices.Compact(next)
	}
	o.next = next
	s.setList(i, next)
}

// setList makes next (sorted) the list of node i, recording every edge that
// appears or disappears.
func (s *Sim) setList(i NodeIndex, next []NodeIndex) {
	o := s.olog
	o.grow(len(s.nodes))
	if slices.Equal(o.lists[i], next) {
		return
	}
	// A copy: the removals below shift o.lists[i] in place.
	old := append(o.old[:0], o.lists[i]...)
	o.old = old
	// Removals, then additions, each judged before and after.
	for _, j := range old {
		if _, still := slices.BinarySearch(next, j); still {
			continue
		}
		before := s.visible(i, j)
		o.lists[i] = remove(o.lists[i], j)
		o.listedBy[j] = remove(o.listedBy[j], i)
		if before && !s.visible(i, j) {
			s.linkEvent(i, j, false)
		}
	}
	for _, j := range next {
		if _, had := slices.BinarySearch(o.lists[i], j); had {
			continue
		}
		before := s.visible(i, j)
		o.lists[i] = insert(o.lists[i], j)
		o.listedBy[j] = insert(o.listedBy[j], i)
		if !before && s.visible(i, j) {
			s.linkEvent(i, j, true)
		}
	}
}

// stopping records the edges of node i that disappear as it stops: its own
// list goes with its engine, then the links others hold to it. Call it
// while i still runs.
func (s *Sim) stopping(i NodeIndex, graceful bool) {
	kind := NodeCrashed
	if graceful {
		kind = NodeLeft
	}
	s.nodeEvent(i, kind)
	s.setList(i, nil)
	for _, k := range s.olog.listedBy[i] {
		if k != i && s.nodes[k].alive {
			s.linkEvent(i, k, false)
		}
	}
}

// started records the edges of node i, just started, to the running nodes
// that still list it.
func (s *Sim) started(i NodeIndex) {
	o := s.olog
	o.grow(len(s.nodes))
	s.nodeEvent(i, NodeStarted)
	for _, k := range o.listedBy[i] {
		if k != i && s.nodes[k].alive {
			s.linkEvent(i, k, true)
		}
	}
}

func (s *Sim) nodeEvent(i NodeIndex, kind NodeEventKind) {
	o := s.olog
	o.NodeEvents = append(o.NodeEvents, NodeEvent{At: s.now, Node: i, Kind: kind, Part: s.nodes[i].part})
}

func insert(list []NodeIndex, v NodeIndex) []NodeIndex {
	k, found := slices.BinarySearch(list, v)
	if found {
		return list
	}
	return slices.Insert(list, k, v)
}

func remove(list []NodeIndex, v NodeIndex) []NodeIndex {
	k, found := slices.BinarySearch(list, v)
	if !found {
		return list
	}
	return slices.Delete(list, k, k+1)
}
