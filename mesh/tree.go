package mesh

import "slices"

// Tree broadcast (ModeTree), after Plumtree (Leitão, Pereira and Rodrigues,
// "Epidemic Broadcast Trees", SRDS 2007).
//
// A node's first MinLinks links start on the broadcast tree ("eager"), later
// ones off it ("lazy"), so that links opened by rotation or healing do not
// add cycles to a tree that already works. A node pushes the
// payload of a new message over its eager links and only announces its id
// (IHave, batched for IHaveDelay) over the others ("lazy"). A copy that
// arrives for a message already seen shows a cycle: the receiver moves that
// link off the tree and tells the sender (Prune), so the eager links thin out
// to a spanning tree and payloads travel each link once. A node that hears
// of a message (IHave) it does not get over the tree within GraftTimeout asks
// the announcer for it (Graft), which puts that link back on the tree: the
// tree repairs itself when links or nodes die. Recent messages are cached to
// answer grafts.

type treeState struct {
	missing []missing
	cache   messageCache
}

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
		if !l.lazy {
			e.sendData(j, m)
			continue
		}
		l.ihave = append(l.ihave, m.ID)
		queued = true
	}
	if queued {
		e.armTimer(TimerIHave, e.now+e.cfg.IHaveDelay)
	}
}

// flushIHave sends the queued announcements.
func (e *Engine) flushIHave() {
	for j := range e.links {
		l := &e.links[j]
		if len(l.ihave) == 0 || l.state != linkEstablished {
			l.ihave = l.ihave[:0]
			continue
		}
		ids := slices.Clone(l.ihave)
		l.ihave = l.ihave[:0]
		e.stats.IHaves += uint64(len(ids))
		e.send(j, Frame{Type: FrameIHave, IDs: ids})
	}
}

// pruneLink takes link i off the tree after a redundant copy arrived on it,
// and tells the sender, which still has the link on its own tree.
func (e *Engine) pruneLink(i int) {
	e.links[i].lazy = true
	e.stats.Prunes++
	e.send(i, Frame{Type: FramePrune})
}

// onIHave records announcements of messages not seen yet.
func (e *Engine) onIHave(i int, ids []MsgID) {
	peer := e.links[i].peer
	for _, id := range ids {
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

// graftMissing asks an announcer for each message that is overdue, grafting
// that link onto the tree; the next announcer is tried after half a timeout.
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
			e.links[j].lazy = false
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

// onGraft puts link i back on the tree and sends the requested message.
func (e *Engine) onGraft(i int, ids []MsgID) {
	e.links[i].lazy = false
	for _, id := range ids {
		if m, ok := e.tree.cache.get(id); ok {
			e.sendData(i, m)
		}
	}
}

func (e *Engine) clearMissing(id MsgID) {
	e.tree.missing = slices.DeleteFunc(e.tree.missing, func(m missing) bool { return m.id == id })
}

// peerLink returns the index of the established link to peer, or -1.
func (e *Engine) peerLink(peer NodeID) int {
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

func (c *messageCache) get(id MsgID) (Message, bool) {
	for i := range c.ring {
		if c.ring[i].ID == id {
			return c.ring[i], true
		}
	}
	return Message{}, false
}

// eagerLinks counts the established links on the broadcast tree.
func (e *Engine) eagerLinks() int {
	n := 0
	for j := range e.links {
		if l := &e.links[j]; l.state == linkEstablished && !l.lazy {
			n++
		}
	}
	return n
}
