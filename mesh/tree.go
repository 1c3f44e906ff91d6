package mesh

import "slices"

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

type treeState struct {
	missing []missing
	cache   messageCache
	shape   treeShape
	// links holds what link i of the engine has in tree mode at i (addLink
	// and dropLink keep the two in step), so that a link itself holds no
	// pointer and the collector never scans the link tables.
	links []treeLink
}

// treeLink is what a link holds in tree mode only.
type treeLink struct {
	pos   Position       // the peer's last position
	ihave []Announcement // announcements waiting to be flushed
	lazy  bool           // off the broadcast tree, gets announcements only
	child bool           // the peer takes this node as its tree parent
}

// lazy reports whether link i is off the broadcast tree (tree mode; in
// flood mode every link carries every message).
func (e *Engine) lazy(i int) bool { return e.tree != nil && e.tree.links[i].lazy }

// missing is a message this node has heard of but not received.
type missing struct {
	id         MsgID
	due        Time
	announcers []NodeID // in the order they announced it
}

// treeRelay pushes m over the eager links and queues its id for the lazy
// ones.
func (e *Engine) treeRelay(skip int, m Message) {
	e.tree.cache.add(e.cfg.MessageCacheSize, m)
	e.clearMissing(m.ID)
	queued := false
	for j := range e.links {
		l := &e.links[j]
		if j == skip || l.state != linkEstablished {
			continue
		}
		t := &e.tree.links[j]
		if !t.lazy {
			e.sendData(j, m)
			continue
		}
		t.ihave = append(t.ihave, Announcement{ID: m.ID, Hops: m.Hops})
		queued = true
	}
	if queued {
		e.armTimer(TimerIHave, e.now+e.cfg.IHaveDelay)
	}
}

// flushIHave sends the queued announcements.
func (e *Engine) flushIHave() {
	for j := range e.links {
		t := &e.tree.links[j]
		if len(t.ihave) == 0 || e.links[j].state != linkEstablished {
			t.ihave = t.ihave[:0]
			continue
		}
		anns := slices.Clone(t.ihave)
		t.ihave = t.ihave[:0]
		e.stats.IHaves += uint64(len(anns))
		e.send(j, Frame{Type: FrameIHave, IHave: anns})
	}
}

// treeDuplicate handles a redundant copy that arrived on link i. Over a
// tree link it is a passing effect of a change of parent (copies already
// under way on the old path); over a link off the tree, the sender takes
// the link for a tree link, and is told otherwise.
func (e *Engine) treeDuplicate(i int) {
	if e.tree.links[i].lazy {
		e.stats.Prunes++
		e.send(i, Frame{Type: FramePrune})
	}
}

// onIHave records announcements of messages not seen yet.
func (e *Engine) onIHave(i int, anns []Announcement) {
	peer := e.links[i].peer
	for _, a := range anns {
		id := a.ID
		if e.seen.has(id) {
			continue
		}
		k := slices.IndexFunc(e.tree.missing, func(m missing) bool { return m.id == id })
		if k < 0 {
			e.tree.missing = append(e.tree.missing, missing{id: id, due: e.now + e.cfg.GraftTimeout, announcers: []NodeID{peer}})
			e.armTimer(TimerGraft, e.now+e.cfg.GraftTimeout)
			continue
		}
		if !slices.Contains(e.tree.missing[k].announcers, peer) {
			e.tree.missing[k].announcers = append(e.tree.missing[k].announcers, peer)
		}
	}
}

// graftMissing asks an announcer for each message that is overdue; the next
// announcer is asked half a timeout later.
func (e *Engine) graftMissing() {
	next := Time(0)
	keep := e.tree.missing[:0]
	for _, m := range e.tree.missing {
		for m.due <= e.now && len(m.announcers) > 0 {
			peer := m.announcers[0]
			m.announcers = m.announcers[1:]
			j := e.peerLink(peer)
			if j < 0 {
				continue // that neighbour is gone: try the next one now
			}
			e.stats.Grafts++
			e.send(j, Frame{Type: FrameGraft, IDs: []MsgID{m.id}})
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
	clear(e.tree.missing[len(keep):])
	e.tree.missing = keep
	if next != 0 {
		e.setTimer(TimerGraft, next)
	}
}

// onGraft sends the requested messages; a Graft without ids makes the
// sender a child of this node, so link i joins the tree.
func (e *Engine) onGraft(i int, ids []MsgID) {
	if len(ids) == 0 {
		e.tree.links[i].child = true
		e.setLazy(i)
	}
	for _, id := range ids {
		if m := e.tree.cache.find(id); m != nil {
			e.sendData(i, *m)
		}
	}
}

// onPrune: the peer on link i is no longer a child of this node.
func (e *Engine) onPrune(i int) {
	e.tree.links[i].child = false
	e.setLazy(i)
}

func (e *Engine) clearMissing(id MsgID) {
	e.tree.missing = slices.DeleteFunc(e.tree.missing, func(m missing) bool { return m.id == id })
}

// peerLink returns the index of the established link to peer, or -1.
func (e *Engine) peerLink(peer NodeID) int {
	if peer == 0 {
		return -1
	}
	for j := range e.links {
		if e.links[j].peer == peer && e.links[j].state == linkEstablished {
			return j
		}
	}
	return -1
}

// messageCache keeps the most recent messages as this node relays them (hop
// count already raised), to answer grafts.
type messageCache struct {
	ring []Message
	next int
}

func (c *messageCache) add(limit int, m Message) {
	if len(c.ring) < limit {
		c.ring = append(c.ring, m)
		return
	}
	c.ring[c.next] = m
	c.next = (c.next + 1) % len(c.ring)
}

// find returns the cached message with the given id, newest first.
func (c *messageCache) find(id MsgID) *Message {
	for k := 0; k < len(c.ring); k++ {
		i := (c.next - 1 - k + 2*len(c.ring)) % len(c.ring)
		if c.ring[i].ID == id {
			return &c.ring[i]
		}
	}
	return nil
}
