package mesh

// Making room and eviction. A full node makes room for a dialer that needs
// it by evicting an incoming peer (evictFor: a free rider first, else the
// peer with the most links, as long as it keeps enough without us); a node
// gives up an outgoing link (dropOutgoing, links off the broadcast tree
// first) for a priority dial into its LAN (bridging.go) or a rotation
// (healing.go). Whom a full node makes room for is the rule below.
//
// Room for short nodes. A node is short while it has fewer links than
// MaxOut: it has free outgoing and free incoming slots, and the mesh owes it
// links. In a LAN where every node has as many incoming slots as outgoing
// links, the last free incoming slots are scarce and news of them is stale
// by the time it travels; a short node that waits for such news can stay
// short for minutes while its neighbours sit at ten links. So a full node
// makes room for a short dialer as it does for a needy one: it evicts the
// incoming peer with the most links, provided that peer keeps at least
// MaxOut links without it (evictFor). Every such eviction moves a link from
// a node above MaxOut to one below it, so the shortage of the LAN only
// shrinks, and nobody is made short; the evicted node has a free outgoing
// slot again and looks for a free incoming one like any node beyond its
// minimum (see hunt), up to the outgoing links it dials for (huntTarget:
// 4 of MaxOut 5 when flooding, so a node with 4 outgoing links and no
// incoming one is short but does not dial). A short node may therefore
// dial full peers when it knows of no free slot.

// short reports whether the node has fewer links than MaxOut.
func (e *Engine) short() bool { return int(e.Load().Degree()) < e.cfg.MaxOut }

// mayDialFull reports whether the node may dial a full peer, which makes
// room for it: when it would stay below its minimum degree even if its
// pending dials succeed, or when it is short and has no dial pending (one
// eviction at a time: a peer with a free slot may turn up meanwhile).
func (e *Engine) mayDialFull() bool {
	pending := e.pendingOut()
	return e.needyWith(pending) || pending == 0 && e.short()
}

// roomFloor says whether this node, full, makes room for the dialer of
// Hello h, and how many links the evicted peer must keep: a needy or
// priority dialer may take a peer down to the minimum degree, a short one
// only down to MaxOut.
func (e *Engine) roomFloor(h *Hello) (floor int, ok bool) {
	switch {
	case h.Flags&(HelloNeedy|HelloPriority) != 0:
		return e.cfg.MinLinks, true
	case h.Load.Degree() < e.cfg.MaxOut:
		return e.cfg.MaxOut, true
	}
	return 0, false
}

// dropOutgoing closes a random unprotected outgoing link to make room,
// preferring links off the broadcast tree (tree mode), and of those the
// ones that carry the fewest senders' payloads: a link closed under a
// sender's tree leaves the nodes below it to repair it, and the sender's
// next message reaches them late (tree-burst-100).
func (e *Engine) dropOutgoing() bool {
	droppable := func(i int, lazyOnly bool) bool {
		l := &e.links[i]
		return l.state == linkEstablished && l.dir == Outgoing && !l.protected() && (e.bcast.lazy(i) || !lazyOnly)
	}
	n, lazyOnly, least := 0, false, 0
	for pass := 0; pass < 2 && n == 0; pass++ {
		lazyOnly = pass == 0
		for i := range e.links {
			if !droppable(i, lazyOnly) {
				continue
			}
			switch c := e.bcast.carried(e, i); {
			case n == 0 || c < least:
				n, least = 1, c
			case c == least:
				n++
			}
		}
	}
	if n == 0 {
		return false
	}
	r := e.rng.IntN(n)
	for i := range e.links {
		if !droppable(i, lazyOnly) || e.bcast.carried(e, i) != least {
			continue
		}
		if r == 0 {
			e.closeLink(i, ReasonSurplus, true)
			return true
		}
		r--
	}
	return false
}

// evictFor makes room on a full node for a dialer that needs it (see
// roomFloor): it drops a free rider if there is one, otherwise the incoming
// peer with the highest degree that keeps more than floor links without us.
// It returns the index the evicted link had, or -1 when it freed no slot.
func (e *Engine) evictFor(floor int) int {
	victim, best := -1, -1
	for i := range e.links {
		l := &e.links[i]
		if l.state != linkEstablished || l.dir != Incoming || l.protected() {
			continue
		}
		if l.isFreeRider() {
			victim = i
			break
		}
		if d := l.peerLoad.Degree(); d > floor && d > best {
			victim, best = i, d
		}
	}
	if victim >= 0 {
		e.stats.Evictions++
		e.closeLink(victim, ReasonEvicted, true)
	}
	return victim
}
