package mesh

// The handshake and the tie-break. A link is established in three steps:
// the dialer's transport connects and the dialer sends Hello; the acceptor
// answers Welcome (or Reject and close). The acceptor decides on the Hello:
// it refuses itself, banned peers, free riders beyond their share
// (freeriders.go) and, when full, anybody it does not make room for
// (room.go), whom it refers to peers with room first (exchange.go). When
// two nodes dial each other at once, both ends keep the connection that was
// dialed by the smaller node id and drop the other, so they agree without
// another round trip: the tie-break that keeps one link per pair of nodes.

// onHello decides on an incoming handshake (Hello frame f).
func (e *Engine) onHello(i int, f *Frame) {
	h := &f.Hello
	switch {
	case h.ID == e.id:
		e.reject(i, ReasonSelf)
		return
	case h.ID == 0:
		e.protocolError(i)
		return
	case e.isBanned(h.ID):
		e.stats.FreeRiders++
		e.reject(i, ReasonFreeRider)
		return
	}
	l := &e.links[i]
	l.peer, l.peerInst, l.peerLoad = h.ID, h.Instance, h.Load
	if h.Port != 0 {
		l.addr = l.addr.WithPort(h.Port)
	}
	e.heardOfAt(h.ID, l.addr, h.Instance, h.Load, newsHello, e.placeOf(h.LAN))
	e.placeLink(i, e.placeOf(h.LAN))
	e.links[i].set(linkToBridge, h.Flags&HelloBridge != 0)

	// Another link or dial to the same node? The tie-break: both ends keep
	// the connection the smaller id dialed.
	for j := range e.links {
		o := &e.links[j]
		if j == i || o.peer != h.ID {
			continue
		}
		var r Reason
		switch {
		case o.state == linkEstablished && o.peerInst != h.Instance:
			// The peer restarted: the old link is a leftover of its
			// previous life.
			r = ReasonDead
		case o.state == linkEstablished || o.dir == Incoming || e.id < h.ID:
			e.reject(i, ReasonDuplicate)
			return
		default:
			// Our own handshaking dial loses the tie-break: drop it.
			r = ReasonDuplicate
		}
		e.closeLink(j, r, false)
		e.onHello(after(j, i), f)
		return
	}
	if di := e.dialIndex(h.ID, Addr{}); di >= 0 {
		if e.id < h.ID {
			e.reject(i, ReasonDuplicate)
			return
		}
		e.removeDial(di)
	}

	freeRider := !h.Load.OffersLinks()
	if freeRider && e.countFreeRiders() >= e.cfg.MaxFreeRiders {
		e.stats.FreeRiders++
		e.reject(i, ReasonFreeRider)
		return
	}
	if int(e.Load().In) >= e.cfg.MaxIn {
		floor, ok := e.roomFloor(h)
		victim := -1
		if ok && !freeRider {
			victim = e.evictFor(floor)
		}
		if victim < 0 {
			e.refer(i)
			e.reject(i, ReasonFull)
			return
		}
		i = after(victim, i)
	}
	e.links[i].set(linkProtected, h.Flags&HelloPriority != 0)
	welcome := e.hello()
	e.establish(i)
	// The Welcome carries our peer exchange: one frame less per link than
	// a Peers frame after it.
	e.send(i, Frame{Type: FrameWelcome, Hello: welcome, Peers: e.peerSample(i, e.links[i].elsewhere())})
	e.bcast.linkUp(e, i)
	e.sendUnsent(i)
	e.takePeers(i, f.Peers, h.LAN)
}

// onWelcome completes an outgoing handshake (Welcome frame f): the link is
// established, the dialer sends its peer exchange and takes the acceptor's,
// which the Welcome carries.
func (e *Engine) onWelcome(i int, f *Frame) {
	h := &f.Hello
	l := &e.links[i]
	if h.ID == 0 || (l.peer != 0 && h.ID != l.peer) {
		// Somebody else answers at that address now (or a beacon lied).
		e.known.forget(l.peer)
		e.claimFailed()
		e.protocolError(i)
		return
	}
	if h.ID == e.id {
		e.markSelf(l.addr)
		e.closeLink(i, ReasonSelf, false)
		return
	}
	l.peer, l.peerInst, l.peerLoad = h.ID, h.Instance, h.Load
	if l.static() {
		for s := range e.statics {
			if e.statics[s].addr == l.addr {
				e.statics[s].id, e.statics[s].fails = h.ID, 0
			}
		}
	}
	e.heardOfAt(h.ID, l.addr, h.Instance, h.Load, newsWelcome, e.placeOf(h.LAN))
	e.placeLink(i, e.placeOf(h.LAN))
	e.links[i].set(linkToBridge, h.Flags&HelloBridge != 0)
	e.known.succeeded(h.ID)
	e.claimHeld()
	// A static dial learns the peer's id only now: if another link to the
	// same node exists, both ends keep the one the smaller id dialed.
	for j := range e.links {
		o := &e.links[j]
		if j == i || o.peer != h.ID || o.state != linkEstablished {
			continue
		}
		if e.id > h.ID {
			e.closeLink(i, ReasonDuplicate, false)
			return
		}
		e.closeLink(j, ReasonDuplicate, true)
		i = after(j, i)
		break
	}
	e.establish(i)
	if l.static() {
		e.sendPeers(i) // its Hello carried none: see HandleLinkOpened
	}
	e.bcast.linkUp(e, i)
	e.sendUnsent(i)
	e.takePeers(i, f.Peers, h.LAN)
}

// onReject ends an outgoing handshake the peer refused.
func (e *Engine) onReject(i int, r Reason) {
	l := e.links[i]
	e.closeLink(i, r, false)
	if l.static() {
		e.dialFailed(l.peer, l.addr, true)
	}
	switch r {
	case ReasonFull:
		e.known.full(l.peer, e.now+e.cfg.DialBackoff)
		if !l.static() {
			e.hunt.refused(e.now)
		}
	case ReasonSelf:
		e.markSelf(l.addr)
		if !l.static() {
			e.known.forget(l.peer) // a claim sent us to ourselves
		}
	case ReasonFreeRider:
		e.known.backoff(l.peer, e.now+e.cfg.BanTime)
	case ReasonDuplicate:
	default:
		e.known.backoff(l.peer, e.now+e.cfg.DialBackoff)
	}
	if r == ReasonFull && e.dialsOnRefusal() {
		// Refused for lack of room: decide the next dial at once (see
		// dialing.go's "Refusals").
		e.fillLinks()
		return
	}
	e.scheduleDial()
}

func (e *Engine) reject(i int, r Reason) {
	e.stats.Rejected++
	e.send(i, Frame{Type: FrameReject, Reason: r})
	e.closeLink(i, r, false)
}

func (e *Engine) establish(i int) {
	l := &e.links[i]
	l.state = linkEstablished
	e.shaking[l.dir]--
	if l.dir == Incoming {
		e.nIn++
	} else {
		e.nOut++
	}
	if e.known.onLAN(l.peer) {
		e.placeLink(i, PlaceSameLAN) // heard by beacon: proof
	}
	l.since = e.now
	if l.dir == Outgoing {
		e.hunt.reset()
	}
	e.stats.LinksOpened++
	e.linkCountChanged()
}
