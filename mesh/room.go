package mesh

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
// minimum (see hunt). A short node may therefore dial full peers when it
// knows of no free slot.

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
