package mesh

import "fmt"

// FrameType says what a frame on a link carries.
type FrameType uint8

// Frame types. Values are part of the wire format: never renumber them.
const (
	// FrameHello opens the handshake: the dialer's identity and load.
	FrameHello FrameType = 1
	// FrameWelcome accepts a Hello: the acceptor's identity and load.
	FrameWelcome FrameType = 2
	// FrameReject refuses a Hello, with a reason; the link is then closed.
	FrameReject FrameType = 3
	// FramePing is a keepalive that also refreshes the sender's load.
	FramePing FrameType = 4
	// FrameData carries one broadcast message.
	FrameData FrameType = 5
	// FramePeers carries a sample of known peers (peer exchange).
	FramePeers FrameType = 6
	// FrameLeave announces that the sender closes the link on purpose.
	FrameLeave FrameType = 7
	// FrameIHave announces message ids without payload (tree broadcast).
	FrameIHave FrameType = 8
	// FrameGraft adds the link to the sender's tree, and asks for a message.
	FrameGraft FrameType = 9
	// FramePrune removes the link from the sender's broadcast tree.
	FramePrune FrameType = 10
	// FramePosition tells a neighbour where the sender stands in the
	// broadcast tree: its root, the root's round and its rank (tree mode).
	// It also refreshes the sender's load: in tree mode it is the keepalive.
	FramePosition FrameType = 11
	// FrameRoundRequest asks, on the way up the broadcast tree, for a new
	// round of the root (tree mode): a node cut off from the root needs one
	// to choose a new parent safely.
	FrameRoundRequest FrameType = 12
)

func (t FrameType) String() string {
	switch t {
	case FrameHello:
		return "hello"
	case FrameWelcome:
		return "welcome"
	case FrameReject:
		return "reject"
	case FramePing:
		return "ping"
	case FrameData:
		return "data"
	case FramePeers:
		return "peers"
	case FrameLeave:
		return "leave"
	case FrameIHave:
		return "ihave"
	case FrameGraft:
		return "graft"
	case FramePrune:
		return "prune"
	case FramePosition:
		return "position"
	case FrameRoundRequest:
		return "round-request"
	}
	return fmt.Sprintf("frame(%d)", uint8(t))
}

// Reason explains a Reject or a Leave. Values are part of the wire format.
type Reason uint8

// Reasons.
const (
	ReasonNone      Reason = 0
	ReasonFull      Reason = 1  // no free incoming slot
	ReasonDuplicate Reason = 2  // a link between the pair exists or wins the tie-break
	ReasonSelf      Reason = 3  // the dialer reached itself
	ReasonLeaving   Reason = 4  // the sender shuts down
	ReasonEvicted   Reason = 5  // room was made for a node below the minimum degree
	ReasonFreeRider Reason = 6  // the peer takes links but offers none
	ReasonProtocol  Reason = 7  // an unexpected or malformed frame
	ReasonDead      Reason = 8  // keepalives stopped (local only, never sent)
	ReasonHandshake Reason = 9  // the handshake did not finish in time
	ReasonSurplus   Reason = 10 // the link is no longer wanted
)

func (r Reason) String() string {
	switch r {
	case ReasonNone:
		return "none"
	case ReasonFull:
		return "full"
	case ReasonDuplicate:
		return "duplicate"
	case ReasonSelf:
		return "self"
	case ReasonLeaving:
		return "leaving"
	case ReasonEvicted:
		return "evicted"
	case ReasonFreeRider:
		return "free-rider"
	case ReasonProtocol:
		return "protocol"
	case ReasonDead:
		return "dead"
	case ReasonHandshake:
		return "handshake-timeout"
	case ReasonSurplus:
		return "surplus"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Load is what a node tells others about its links: how many it has in each
// direction and how many more it would accept.
type Load struct {
	In, Out, FreeIn uint8
}

// Degree is the number of links.
func (l Load) Degree() int { return int(l.In) + int(l.Out) }

// OffersLinks reports whether the node accepts incoming links at all: a node
// that neither has nor offers incoming slots only takes.
func (l Load) OffersLinks() bool { return l.In > 0 || l.FreeIn > 0 }

// HelloFlags qualify a Hello.
type HelloFlags uint8

const (
	// HelloNeedy marks a dialer below its minimum degree: the acceptor makes
	// room for it even when full (self-healing).
	HelloNeedy HelloFlags = 1 << 0
	// HelloPriority asks to be admitted even when the acceptor is full: the
	// dialer is reaching a configured static peer, or making its only link
	// into its own LAN. Such links bridge networks on purpose: the acceptor
	// makes room, and neither end evicts or rotates them.
	HelloPriority HelloFlags = 1 << 1
	// HelloBridge marks a node with static peers or a link to another LAN:
	// a link to it from its own LAN does not count as a bridge's link into
	// that LAN (bridging.go).
	HelloBridge HelloFlags = 1 << 2
)

// Hello is a node's identity card, sent in Hello and Welcome frames.
type Hello struct {
	ID       NodeID
	Instance uint64 // changes on every start
	Port     uint16 // the port the node accepts links on
	Load     Load
	Flags    HelloFlags
	LAN      LANTag // the sender's LAN (lan.go), 0 while it knows none
}

// PeerInfo is one entry of a peer exchange.
type PeerInfo struct {
	ID     NodeID
	Addr   Addr
	FreeIn uint8
	Place  Place // where the peer is, as the sender knows it (lan.go)
}

// Message is a broadcast message as carried by a Data frame.
type Message struct {
	ID   MsgID
	Hops uint16 // links traversed so far, counting the one it arrives on
	// Payload is shared, never copied, by the engine: drivers must not modify
	// it after handing it in.
	Payload []byte
}

// Announcement names a message without its payload (tree broadcast): the id
// and the hop count the receiver would get if it fetched it from the sender.
type Announcement struct {
	ID   MsgID
	Hops uint16
}

// Position is where a node stands in the broadcast tree (tree mode): the
// root it follows, the latest round of that root it has heard, and its rank,
// the number of links between it and the root (RankNone when its path to
// the root is broken).
type Position struct {
	Root  NodeID
	Round uint32
	Rank  uint16
}

// Survey rides on Position frames while the root measures a candidate
// root, one of its neighbours, or itself in a probe (treecentre.go): the
// sender's distance to the candidate and, summed over the sender's subtree
// of the broadcast tree, how far its nodes are from the root and from the
// candidate (the report: told to the parent only, and left off the wire
// when all its fields are zero).
type Survey struct {
	Cand       NodeID // the candidate root measured; zero: no survey (and no survey part on the wire)
	Dist       uint16 // the sender's distance to Cand, RankNone while unknown
	Done       bool   // the figures below cover the sender's whole subtree in Pos.Round
	Height     uint16 // the largest rank in the sender's subtree
	CandHeight uint16 // the largest distance to Cand in it, RankNone if one is unknown
	Far        uint32 // the sum of the ranks in it
	CandFar    uint32 // the sum of the distances to Cand in it
}

// reports reports whether v carries its subtree's figures (the report).
func (v Survey) reports() bool {
	return v.Done || v.Height != 0 || v.CandHeight != 0 || v.Far != 0 || v.CandFar != 0
}

// RankNone is the rank of a node cut off from its root.
const RankNone = ^uint16(0)

// Frame is one decoded frame. Only the fields of its Type are meaningful.
type Frame struct {
	Type   FrameType
	Hello  Hello          // Hello, Welcome
	Reason Reason         // Reject, Leave
	Load   Load           // Ping, Position
	Msg    Message        // Data
	Peers  []PeerInfo     // Peers
	LAN    LANTag         // Peers: the sender's LAN (lan.go), 0 while it knows none
	IHave  []Announcement // IHave
	IDs    []MsgID        // Graft: the message wanted (sequence 0: its origin's payloads), or none to join the tree only; Prune: an origin (sequence 0), or none to leave the tree
	Pos    Position       // Position; RoundRequest: the root and the round wanted (to the root's neighbour named: take the root from that round on)
	Survey Survey         // Position, while the root surveys a candidate
}
