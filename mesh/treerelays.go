package mesh

// Only relays may be tree parents (tree mode). A node waits on its tree
// parent for every payload from outside its subtree: a parent that takes
// payloads but passes none on leaves its whole subtree to the slow path of
// announcements and Grafts. Two rules keep such peers off the tree:
//
//   - A peer whose load shows that it accepts no incoming links takes
//     without serving (a free rider, freeriders.go): its positions are
//     ignored (usable), so it is never a parent, never a way to a root, and
//     never uproots a tree; it still takes an honest node as its own parent
//     and gets every payload.
//   - A parent that leaves parentPatience messages in a row to others
//     relays nothing: announcers told this node of them, and GraftTimeout
//     later they had still not come over the tree, so it asked an announcer
//     (tree.go's graftMissing). It announces without sending, or never
//     delivers to its children. The link is marked as not relaying and the
//     node takes another parent at once. A payload from the parent, even a
//     late copy, clears the count: an honest parent whose own path broke
//     delivers late, not never. Nor does a new parent count for what it
//     relayed before the node's Graft reached it: messages first heard of
//     within GraftTimeout of taking a parent are nobody's fault. The mark
//     lasts as long as the link.
//
// Not caught: a peer that claims to accept links, relays nothing and is the
// root of the tree. Its children get the messages from outside their
// subtrees through their own subtrees (Grafted deeper down, then pushed up
// the tree), so none of them counts a miss against it; the tree then works
// as several trees glued by Grafts (slow, and redundant copies).

// parentPatience is how many messages in a row a parent may leave to
// others before it is replaced.
const parentPatience = 3

// relays reports whether the peer on link j may be followed: it accepts
// links and has not been caught relaying nothing.
func (tr *treeState) relays(e *Engine, j int) bool {
	return e.links[j].peerLoad.OffersLinks() && !tr.links[j].noRelay
}

// settled reports whether this node had its parent for GraftTimeout
// already when it heard of a message at time heard: long enough that the
// parent knew it as its child when it relayed that message.
func (tr *treeState) settled(e *Engine, heard Time) bool {
	return heard-tr.shape.parentSince >= e.cfg.GraftTimeout
}

// parentDelivered notes a payload that arrived on link i (-1: this node's
// own message): from the parent, it clears the parent's count.
func (tr *treeState) parentDelivered(e *Engine, i int) {
	if i >= 0 && e.links[i].peer == tr.shape.parent {
		tr.links[i].owed = 0
	}
}

// parentMissed notes n messages the parent left to others; at
// parentPatience in a row it is replaced.
func (tr *treeState) parentMissed(e *Engine, n int) {
	p := e.peerLink(tr.shape.parent)
	if p < 0 || n == 0 {
		return
	}
	t := &tr.links[p]
	t.owed = uint8(min(int(t.owed)+n, parentPatience))
	if t.owed >= parentPatience {
		t.noRelay = true
		tr.reselect(e)
	}
}

// announceRecent: the peer on link i has just taken this node as its
// parent. What this node relayed within the last GraftTimeout went to that
// peer as an announcement at best (none while the link was not up yet),
// and the peer waits for it over the tree: this node announces it again, so
// that the peer fetches what it lacks at once (an announcement from the
// parent is never followed by the payload; graftDelay). It sends them at
// once, with what was queued for the peer, rather than IHaveDelay later: a
// batch would only wait for messages that the node now pushes to its child.
// (tree-burst-100, seed 11: a node that moved to a new parent 30 ms into a
// burst of 100 senders heard of six messages its new parent had relayed
// only 20 ms later, and had them 75 ms after they were sent.)
func (tr *treeState) announceRecent(e *Engine, i int) {
	tr.cache.since(e.now-e.cfg.GraftTimeout, func(m *Message, _ Time) {
		tr.announceOnce(e, i, Announcement{ID: m.ID, Hops: m.Hops})
	})
	tr.flushLink(e, i)
}
