package mesh

import (
	"fmt"
	"math/bits"
	"slices"
)

// Tree broadcast (ModeTree), after Plumtree (Leitão, Pereira and Rodrigues,
// "Epidemic Broadcast Trees", SRDS 2007).
//
// A node pushes the payload of a new message over its links on the
// broadcast tree ("eager": the links to its tree parent and to its
// children; treeroot.go shapes the tree) and only announces the message's
// id over the others ("lazy": IHave, batched for IHaveDelay). A node that
// hears of a message it has not received asks an announcer for it (Graft
// with the message id) if it has not arrived over the tree GraftTimeout
// later, and the next announcer every half timeout after that, so a message
// reaches everybody even while the tree is broken; recent messages are
// cached to answer. A copy of a message already seen that arrives over a
// link off the receiver's tree shows that the sender still takes that link
// for a tree link: the receiver Prunes it.
//
// Which links are "eager" is decided per origin (treeorigins.go): the
// shared tree's for an origin's first message, then the origin's own tree,
// learnt from duplicates and announcements.

type treeState struct {
	missing []missing
	cache   messageCache
	shape   treeShape
	origins originTrees // per-origin pushes (treeorigins.go)
	centre  centring    // the root's walk to the centre (treecentre.go)
	// links holds what link i of the engine has in tree mode at i (the
	// link table keeps the two in step through addLink and removeLink), so
	// that a link itself holds no pointer and the collector never scans
	// the link tables.
	links []treeLink
}

// treeLink is what a link holds in tree mode only.
type treeLink struct {
	pos   Position       // the peer's last position
	srv   Survey         // and its survey (treecentre.go)
	ihave []Announcement // announcements waiting to be flushed
	lazy  bool           // off the broadcast tree, gets announcements only
	child bool           // the peer takes this node as its tree parent
	// owed counts the messages in a row that the peer, as this node's
	// parent, left to others; noRelay marks a peer caught relaying nothing
	// (treerelays.go).
	owed    uint8
	noRelay bool
}

// lazy reports whether link i is off the broadcast tree.
func (tr *treeState) lazy(i int) bool { return tr.links[i].lazy }

// carried counts the origins whose payloads link i carries: once for each
// origin it carries to the peer, and for each origin whose payloads come
// from the peer (this node's source) once, and once more for each link this
// node passes them on over: closing a source link leaves this node and
// everything below it to repair the origin's tree. (Rotation weighed the
// two alike: tree-single-1000, seed 20, a node 3 hops from the sender that
// pushed its payloads over all its 9 other links rotated its link to its
// source away, and the sender's next message reached those 9 subtrees
// over repairs from their far edges, up to 12 hops.)
func (tr *treeState) carried(e *Engine, i int) int {
	b, peer, n := linkBit(i), e.links[i].peer, 0
	for k := range tr.origins.list {
		switch o := &tr.origins.list[k]; {
		case o.from == peer:
			n += 1 + bits.OnesCount64(o.eager&^b)
		case o.eager&b != 0:
			n++
		}
	}
	return n
}

func (tr *treeState) onTree(i int) bool { return !tr.links[i].lazy }

// keepsOutgoing: rotation gives up only a link off the tree, so while every
// unprotected outgoing link carries the tree, the node keeps them all.
// resendsRecent: no; a message that missed the tree is fetched from an
// announcer (Graft), and copies over new links would only be redundant.
func (tr *treeState) resendsRecent() bool { return false }

func (tr *treeState) keepsOutgoing(e *Engine) bool {
	for i := range e.links {
		if l := &e.links[i]; l.state == linkEstablished && l.dir == Outgoing && !l.protected() && tr.links[i].lazy {
			return false
		}
	}
	return true
}

// relaying: the node relayed a message within the last GraftTimeout. A
// link closed then loses the payloads in flight on it, and its peer
// fetches them from announcers (tens of ms late).
func (tr *treeState) relaying(e *Engine) bool { return tr.passedWithin(e, e.cfg.GraftTimeout) }

// sending: the node's own message went out within the last window. Its
// payloads then start over its own links to the peers its previous
// message reached first, and every link stays eager for them until its
// peer prunes it (treeorigins.go): a link rotation closes leaves its peer,
// and every node below that peer in the sender's tree, to find the
// sender's next message by repair, an announcement and a fetch later.
func (tr *treeState) sending(e *Engine, window Time) bool {
	k, ok := tr.origins.index[e.id]
	if !ok {
		return false
	}
	o := &tr.origins.list[k]
	return o.seq != 0 && e.now-o.at < window
}

// passedWithin reports whether a message passed the node within the last
// window.
func (tr *treeState) passedWithin(e *Engine, window Time) bool {
	at, ok := tr.cache.newest()
	return ok && e.now-at < window
}

func (tr *treeState) position() (Position, NodeID) { return tr.shape.pos, tr.shape.parent }

func (tr *treeState) frame(e *Engine, i int, f *Frame) {
	switch f.Type {
	case FrameIHave:
		tr.onIHave(e, i, f.IHave)
	case FrameGraft:
		tr.onGraft(e, i, f.IDs)
	case FramePrune:
		tr.onPrune(e, i, f.IDs)
	case FramePosition:
		tr.onPosition(e, i, f.Pos, f.Survey)
	case FrameRoundRequest:
		tr.onRoundRequest(e, i, f.Pos)
	}
}

func (tr *treeState) timer(e *Engine, kind TimerKind) {
	switch kind {
	case TimerGraft:
		tr.graftMissing(e)
	case TimerIHave:
		tr.flushIHave(e)
	case TimerTree:
		tr.roundOverdue(e)
	}
}

// keepalive: every round of the tree reaches every link (treeroot.go), so
// only a link silent for a whole interval needs a keepalive, and that
// keepalive is a Position.
func (tr *treeState) keepalive(e *Engine, i int) {
	if e.now-e.links[i].lastSent >= e.cfg.KeepaliveInterval {
		tr.sendPosition(e, i)
	}
}

// tellLoad sends a Position, which carries the load.
func (tr *treeState) tellLoad(e *Engine, i int) { tr.sendPosition(e, i) }

func (tr *treeState) leave() { tr.shape.leaving = true }

func (tr *treeState) addLink(capacity int) {
	if tr.links == nil {
		tr.links = make([]treeLink, 0, capacity)
	}
	tr.links = append(tr.links, treeLink{})
}

func (tr *treeState) removeLink(i int) {
	last := len(tr.links) - 1
	copy(tr.links[i:], tr.links[i+1:])
	tr.links[last] = treeLink{}
	tr.links = tr.links[:last]
	tr.origins.removeLink(i)
}

// validateTree checks the configuration fields of tree mode.
func validateTree(c *Config) (errs []error) {
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.GraftTimeout <= 0 {
		bad("graft_timeout must be positive, got %v", c.GraftTimeout)
	}
	if c.IHaveDelay < 0 {
		bad("ihave_delay must not be negative, got %v", c.IHaveDelay)
	}
	if c.MessageCacheSize < 1 {
		bad("message_cache must be at least 1, got %d", c.MessageCacheSize)
	}
	return errs
}

// missing is a message this node has heard of but not received.
type missing struct {
	id         MsgID
	due        Time
	announcers []NodeID // in the order they announced it
	asked      bool     // a Graft was sent for it
	heard      Time     // when it was first announced
	// nearest announced it with the fewest hops (hops): a shortcut to its
	// origin, once the message has come (heardShorter).
	nearest NodeID
	hops    uint16
}

// relay pushes m over the links that carry its origin's payloads
// (treeorigins.go) and queues its id for the others.
func (tr *treeState) relay(e *Engine, skip int, m Message) {
	tr.cache.add(e.cfg.MessageCacheSize, m, e.now)
	o, prev, heard := tr.received(e, skip, m)
	queued := false
	for j := range e.links {
		l := &e.links[j]
		if j == skip || l.state != linkEstablished {
			continue
		}
		if tr.pushes(e, o, j, skip < 0, prev) {
			o.eager |= linkBit(j) // until the peer prunes it: the tree may move
			e.sendData(j, m)
			continue
		}
		t := &tr.links[j]
		t.ihave = append(t.ihave, Announcement{ID: m.ID, Hops: m.Hops})
		queued = true
	}
	if queued {
		e.armTimer(TimerIHave, e.now+e.cfg.IHaveDelay)
	}
	tr.heardShorter(e, heard)
}

// received notes the first copy of m, from link skip (-1: the node's own):
// the parent delivered, m is no longer missing, and where its origin's
// payloads came from (firstCopy). heard is what the node had heard of m
// before (zero: nothing).
func (tr *treeState) received(e *Engine, skip int, m Message) (o *originTree, prev Time, heard missing) {
	tr.parentDelivered(e, skip)
	heard = tr.clearMissing(m.ID)
	o, prev = tr.firstCopy(e, skip, m, heard.asked)
	return o, prev, heard
}

// announceOwn announces to the new neighbour on link i the messages this
// node broadcast within the last DeadAfter and two rounds while none of its
// links of then is left: a node whose neighbours all crashed a moment ago
// sends its broadcast over links nobody reads, and nobody else has it to
// announce; its next links, made once DeadAfter has closed the dead ones,
// hear of it and fetch it (the tree's counterpart of flooding's
// resendsRecent, unsent.go). While a link of then is up, the message went
// somewhere and the tree's own repair spreads it. (tree-mass-failure, seed
// 55 at 2ac1b35: a broadcast 1 s after the crash reached nobody.)
func (tr *treeState) announceOwn(e *Engine, i int) {
	oldest := e.now // when the oldest other link came
	for j := range e.links {
		if j != i && e.links[j].state == linkEstablished {
			oldest = min(oldest, e.links[j].since)
		}
	}
	tr.cache.since(e.now-e.cfg.DeadAfter-2*e.cfg.KeepaliveInterval, func(m *Message, at Time) {
		if m.ID.Origin == e.id && at < oldest {
			tr.announceOnce(e, i, Announcement{ID: m.ID, Hops: m.Hops})
		}
	})
}

// keep: a siphoner passes nothing on, but a message it received is no
// longer missing. (Before, it went on asking announcers for the messages it
// had, counted them against its parents, and once it had marked every
// neighbour as relaying nothing it had no parent left and fetched every
// message GraftTimeout late: tree-siphoners, seed 16, p99 196 ms.)
func (tr *treeState) keep(e *Engine, i int, m Message) { tr.received(e, i, m) }

// flushIHave sends the queued announcements.
func (tr *treeState) flushIHave(e *Engine) {
	for j := range e.links {
		tr.flushLink(e, j)
	}
}

// flushLink sends the announcements queued for link j.
func (tr *treeState) flushLink(e *Engine, j int) {
	t := &tr.links[j]
	if len(t.ihave) == 0 || e.links[j].state != linkEstablished {
		t.ihave = t.ihave[:0]
		return
	}
	anns := slices.Clone(t.ihave)
	t.ihave = t.ihave[:0]
	e.stats.IHaves += uint64(len(anns))
	e.send(j, Frame{Type: FrameIHave, IHave: anns})
}

// duplicate handles a redundant copy of message id that arrived on link i:
// another path of its origin is quicker, so the sender is pruned for that
// origin (treeorigins.go). Over a link off the tree, the sender may also
// take the link for a tree link, and is told otherwise.
func (tr *treeState) duplicate(e *Engine, i int, id MsgID) {
	tr.parentDelivered(e, i)
	if tr.links[i].lazy {
		e.stats.Prunes++
		e.send(i, Frame{Type: FramePrune})
	}
	tr.pruneOrigin(e, i, id.Origin)
}

// onIHave records announcements of messages not seen yet.
func (tr *treeState) onIHave(e *Engine, i int, anns []Announcement) {
	peer := e.links[i].peer
	for _, a := range anns {
		id := a.ID
		if e.seen.has(id) {
			tr.shortcut(e, i, a)
			continue
		}
		k := slices.IndexFunc(tr.missing, func(m missing) bool { return m.id == id })
		if k < 0 {
			due := e.now + tr.graftDelay(e, i, a)
			tr.missing = append(tr.missing, missing{id: id, due: due, announcers: []NodeID{peer}, heard: e.now, nearest: peer, hops: a.Hops})
			e.armTimer(TimerGraft, due)
			continue
		}
		if !slices.Contains(tr.missing[k].announcers, peer) {
			tr.missing[k].announcers = append(tr.missing[k].announcers, peer)
		}
		if a.Hops < tr.missing[k].hops {
			tr.missing[k].nearest, tr.missing[k].hops = peer, a.Hops
		}
		if due := e.now + e.cfg.IHaveDelay/2; tr.fromParent(e, i, id.Origin) && due < tr.missing[k].due {
			tr.missing[k].due = due // the parent announced it: it will not push it
			e.armTimer(TimerGraft, due)
			askFirst(tr.missing[k].announcers, peer)
		}
	}
}

// askFirst moves peer, one of the announcers, to the front: it is asked
// next. The parent that announced a missing message is asked before the
// others: it has it, and relays (the first announcer may be busier, or a
// free rider; in tree-burst-100, seed 11, at the height of a burst of 100
// senders, its copies came 15 ms after the Graft).
func askFirst(announcers []NodeID, peer NodeID) {
	if j := slices.Index(announcers, peer); j > 0 {
		copy(announcers[1:j+1], announcers[:j])
		announcers[0] = peer
	}
}

// graftMissing asks an announcer for each message that is overdue; the next
// announcer is asked half a timeout later.
func (tr *treeState) graftMissing(e *Engine) {
	next := Time(0)
	missed := 0
	keep := tr.missing[:0]
	for _, m := range tr.missing {
		for m.due <= e.now && len(m.announcers) > 0 {
			peer := m.announcers[0]
			m.announcers = m.announcers[1:]
			j := e.peerLink(peer)
			if j < 0 {
				continue // that neighbour is gone: try the next one now
			}
			if !m.asked {
				m.asked = true
				if p := e.peerLink(tr.shape.parent); p >= 0 && !tr.cutOff(p, m.id.Origin) && tr.settled(e, m.heard) {
					missed++ // the parent should have sent it
				}
			}
			e.stats.Grafts++
			e.send(j, Frame{Type: FrameGraft, IDs: []MsgID{m.id}})
			tr.newSource(e, j, m.id.Origin)
			m.due = e.now + e.cfg.GraftTimeout/2
		}
		if m.due <= e.now {
			continue // nobody left to ask
		}
		keep = append(keep, m)
		if next == 0 || m.due < next {
			next = m.due
		}
	}
	clear(tr.missing[len(keep):])
	tr.missing = keep
	if next != 0 {
		e.setTimer(TimerGraft, next)
	}
	tr.parentMissed(e, missed)
}

// onGraft sends the requested messages; a Graft without ids makes the
// sender a child of this node, so link i joins the tree. A Graft for a
// message, or for an origin (sequence 0), makes link i carry that origin's
// payloads (treeorigins.go).
func (tr *treeState) onGraft(e *Engine, i int, ids []MsgID) {
	if len(ids) == 0 {
		tr.links[i].child = true
		tr.setLazy(e, i)
		tr.announceRecent(e, i)
	}
	for _, id := range ids {
		if id.Seq == 0 {
			tr.onOriginGraft(e, i, id.Origin)
			continue
		}
		if m := tr.cache.find(id); m != nil {
			e.sendData(i, *m)
		}
	}
}

// onPrune: the peer on link i is no longer a child of this node; a Prune
// with an origin only stops that origin's payloads.
func (tr *treeState) onPrune(e *Engine, i int, ids []MsgID) {
	for _, id := range ids {
		tr.onOriginPrune(i, id.Origin)
	}
	if len(ids) > 0 {
		return
	}
	tr.links[i].child = false
	tr.setLazy(e, i)
}

// clearMissing forgets message id as missing, and returns what the node
// had heard of it (zero if nothing).
func (tr *treeState) clearMissing(id MsgID) (heard missing) {
	if k := slices.IndexFunc(tr.missing, func(m missing) bool { return m.id == id }); k >= 0 {
		heard = tr.missing[k]
		tr.missing = slices.Delete(tr.missing, k, k+1)
	}
	return heard
}

// messageCache keeps the most recent messages as this node relays them (hop
// count already raised), and when, to answer grafts.
type messageCache struct {
	ring []cachedMessage
	next int
}

type cachedMessage struct {
	Message
	at Time
}

func (c *messageCache) add(limit int, m Message, at Time) {
	if len(c.ring) < limit {
		c.ring = append(c.ring, cachedMessage{m, at})
		return
	}
	c.ring[c.next] = cachedMessage{m, at}
	c.next = (c.next + 1) % len(c.ring)
}

// newest returns when the latest message was cached.
func (c *messageCache) newest() (Time, bool) {
	if len(c.ring) == 0 {
		return 0, false
	}
	return c.ring[(c.next-1+len(c.ring))%len(c.ring)].at, true
}

// find returns the cached message with the given id, newest first.
func (c *messageCache) find(id MsgID) *Message {
	for k := 0; k < len(c.ring); k++ {
		i := (c.next - 1 - k + 2*len(c.ring)) % len(c.ring)
		if c.ring[i].ID == id {
			return &c.ring[i].Message
		}
	}
	return nil
}

// since calls fn for each cached message relayed at or after t, newest
// first, with when it was relayed.
func (c *messageCache) since(t Time, fn func(m *Message, at Time)) {
	for k := 0; k < len(c.ring); k++ {
		i := (c.next - 1 - k + 2*len(c.ring)) % len(c.ring)
		if c.ring[i].at < t {
			return
		}
		fn(&c.ring[i].Message, c.ring[i].at)
	}
}
