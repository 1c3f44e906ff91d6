package mesh

import "fmt"

// Broadcast. A message gets an id (origin, sequence); every node that sees it
// for the first time delivers it to its application once and relays it with
// the hop count raised by one; receptions of a message already seen are
// counted as redundant and go no further. Which links a relay uses is the
// broadcast strategy's choice (below): every link but the one it came from
// when flooding (flood.go), the links of a tree (tree.go).

// broadcast is how messages travel over the links: the strategy that
// Config.Mode chooses (flooding in flood.go, a tree in tree.go). The engine
// handles what every strategy shares — message ids, the seen cache,
// delivery, the links themselves — and calls its strategy at the few points
// where they differ. A strategy's state lives in its own value (the
// engine's bcast), with what it keeps per link index-aligned with the link
// table (links.go's linkTable keeps the two in step).
//
// Adding a strategy takes one new file with its type and these methods,
// plus its Mode constant and an entry in strategies.
type broadcast interface {
	// start: the engine starts (Start).
	start(e *Engine)
	// relay passes message m on: one this node originates (skip is -1) or
	// one it received first, on link skip, with the hop count raised.
	relay(e *Engine, skip int, m Message)
	// keep: a siphoner received message m first on link i, hop count
	// raised, and passes nothing on; the strategy notes what a receiver
	// notes (a message that came is no longer missing).
	keep(e *Engine, i int, m Message)
	// duplicate: a copy of message id, already seen, arrived on link i.
	duplicate(e *Engine, i int, id MsgID)
	// frame handles a frame of the strategy's own (IHave, Graft, Prune,
	// Position, RoundRequest) on established link i; a Position's load is
	// recorded already. A strategy that has no use for a frame ignores it.
	frame(e *Engine, i int, f *Frame)
	// timer handles a timer of the strategy's own (TimerGraft, TimerIHave,
	// TimerTree).
	timer(e *Engine, kind TimerKind)

	// linkUp: link i finished its handshake.
	linkUp(e *Engine, i int)
	// linkDown: an established link to peer closed (it may have another).
	linkDown(e *Engine, peer NodeID)
	// keepalive: maintenance visits established link i; the strategy keeps
	// it from falling silent (a Ping, or the tree's Position).
	keepalive(e *Engine, i int)
	// tellLoad tells the peer on link i this node's load at once.
	tellLoad(e *Engine, i int)
	// pulse runs at every maintenance, after the links were visited.
	pulse(e *Engine)
	// leave: the node leaves gracefully; its links close next.
	leave()

	// lazy reports whether link i carries announcements rather than
	// payloads: such links are the first to give up (dropOutgoing).
	lazy(i int) bool
	// carried is how many senders' payloads link i carries in either
	// direction although it is lazy (per-sender trees): of the lazy links,
	// those that carry fewest are given up first.
	carried(e *Engine, i int) int
	// onTree reports whether link i is on this node's broadcast tree
	// (LinkInfo.Tree); false where the strategy has no tree.
	onTree(i int) bool
	// keepsOutgoing reports whether every outgoing link must be kept for
	// the broadcast's sake, so that rotation gives none up.
	keepsOutgoing(e *Engine) bool
	// relaying reports whether messages are passing through the node now,
	// so that rotation waits for a quiet moment (a link closed under a
	// message loses the frames in flight on it).
	relaying(e *Engine) bool
	// sending reports whether the node's own messages went out within the
	// last window, so that rotation waits for them to stop where its own
	// payloads start over its links (tree mode).
	sending(e *Engine, window Time) bool
	// resendsRecent reports whether the node's own broadcasts of the last
	// DeadAfter go over the links it makes meanwhile (unsent.go): where
	// nothing fetches a message that missed the links it went out on.
	resendsRecent() bool
	// position returns where the node stands in the broadcast tree and its
	// parent; zero where the strategy has no tree.
	position() (Position, NodeID)

	// addLink and removeLink keep the per-link state index-aligned with the
	// link table: a link appended with room for capacity links, link i
	// removed (later ones move down by one).
	addLink(capacity int)
	removeLink(i int)
}

// strategies describes each broadcast mode, indexed by Mode.
var strategies = [...]struct {
	name string
	// make returns the state of one engine: nothing for flooding (no
	// allocation), a tree's own state for a tree.
	make func() broadcast
	// validate checks the configuration fields the strategy reads and
	// returns what is wrong with them (nil, without allocating, when all
	// is well: every engine a simulation starts validates its config).
	validate func(c *Config) []error
	// everyLinkCarries: every message crosses every link (flooding), so
	// a link costs a copy of each one, and nodes dial for fewer outgoing
	// links than MaxOut (dialing.go's huntTarget). A tree pushes payloads
	// over its tree links only, and its other links are what it repairs
	// and reroutes over: with a fifth fewer links, tree-burst-100's p99
	// latency rose from 45-53 ms (72 at one seed) to 52-74 ms over seeds
	// 1-10, past its 65 ms bound at 7 of them.
	everyLinkCarries bool
}{
	ModeFlood: {"flood", func() broadcast { return flooding{} }, func(*Config) []error { return nil }, true},
	ModeTree:  {"tree", func() broadcast { return new(treeState) }, validateTree, false},
}

// Broadcast originates a message with the given payload. The payload is
// retained and shared, not copied.
func (e *Engine) Broadcast(now Time, payload []byte) (MsgID, []Output, error) {
	e.begin(now)
	if !e.active() {
		return MsgID{}, e.box.out, fmt.Errorf("mesh: node %s is not running", e.id)
	}
	if len(payload) > e.cfg.MaxPayload {
		return MsgID{}, e.box.out, fmt.Errorf("mesh: payload of %d bytes exceeds the %d-byte limit", len(payload), e.cfg.MaxPayload)
	}
	e.seq++
	id := MsgID{Origin: e.id, Seq: e.seq}
	e.seen.add(id)
	e.stats.Broadcasts++
	if m := (Message{ID: id, Hops: 1, Payload: payload}); !e.hold(m) {
		e.bcast.relay(e, -1, m)
	}
	return id, e.box.out, nil
}

// onData handles a Data frame received on link i.
func (e *Engine) onData(i int, m *Message) {
	if len(m.Payload) > e.cfg.MaxPayload {
		e.protocolError(i)
		return
	}
	if !e.seen.add(m.ID) {
		e.stats.Redundant++
		e.bcast.duplicate(e, i, m.ID)
		return
	}
	e.stats.Delivered++
	o := e.emitNew(OutDeliver)
	o.Peer, o.Msg = e.links[i].peer, *m
	next := *m
	if next.Hops < ^uint16(0) {
		next.Hops++
	}
	if e.cfg.adversary.Siphon() {
		e.bcast.keep(e, i, next) // a siphoner relays nothing
		return
	}
	e.bcast.relay(e, i, next)
}

func (e *Engine) sendData(j int, m Message) {
	e.stats.DataSent++
	e.sendFrame(j, FrameData).Msg = m
}
