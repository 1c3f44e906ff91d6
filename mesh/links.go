package mesh

// Links: the engine's connections and the inputs about them (opened,
// closed, a frame received), link limits (5 in, 5 out by default, counted
// as links are established and lost), sending on a link and closing it.
// The handshake that establishes a link is handshake.go's, dialing
// dialing.go's; the table that holds the links is linktable.go.
//
// Either end may be told of a connection when it opens (HandleLinkOpened)
// or together with the first frame read on it: the acceptor with the
// dialer's Hello (HandleAccepted), the dialer with the answer
// (HandleDialAnswered), when its driver sent the Hello the dial carries
// (OutDial's Frame) as soon as the connection opened. The handshake is the
// same; each end takes one input fewer per dial, refused or not, and holds
// no state for a connection that has said nothing yet. At scale-100k that
// was 19.6 of the 131.5 engine events per node (9.8 dials, both ends).
// The simulator and the socket runtime (meshnode) both do it.

type linkState uint8

const (
	linkHandshaking linkState = iota + 1
	linkEstablished
)

// link is one connection of the engine. Its id is Engine.linkIDs at the same
// position, not repeated here, and what it has in tree mode is
// treeState.links: every byte of a link counts eleven times per node in a
// million-node simulation. It is 64 bytes without a pointer, so a full
// node's table takes the 704-byte size class and the collector does not
// scan it.
type link struct {
	peer     NodeID // zero until known (incoming before Hello, static dials)
	since    Time   // opened, then established
	lastRecv Time
	lastSent Time
	peerInst uint64
	addr     Addr // the peer's listen address, once known
	peerLoad Load
	dir      Direction
	state    linkState
	flags    linkFlags
}

// linkFlags are a link's yes-or-no facts, one bit each.
type linkFlags uint8

const (
	linkStatic    linkFlags = 1 << iota // dialed to a configured static peer
	linkProtected                       // a bridge: never evicted or rotated away
	linkLAN                             // the peer was heard by beacon or carries our LAN tag: it is on our LAN
	linkElsewhere                       // the peer carries another LAN tag (lan.go)
	linkToBridge                        // the peer's handshake said it bridges LANs (HelloBridge)
)

func (l *link) static() bool    { return l.flags&linkStatic != 0 }
func (l *link) protected() bool { return l.flags&linkProtected != 0 }
func (l *link) lan() bool       { return l.flags&linkLAN != 0 }
func (l *link) elsewhere() bool { return l.flags&linkElsewhere != 0 }
func (l *link) toBridge() bool  { return l.flags&linkToBridge != 0 }

// set turns flag f on or off.
func (l *link) set(f linkFlags, on bool) {
	if on {
		l.flags |= f
	} else {
		l.flags &^= f
	}
}

// HandleLinkOpened reports a new connection. For an outgoing one, peer and
// addr repeat the OutDial it answers; for an incoming one, peer is zero and
// addr is the remote address (its port is ignored: the Hello gives the listen
// port).
func (e *Engine) HandleLinkOpened(now Time, id LinkID, dir Direction, peer NodeID, addr Addr) []Output {
	e.begin(now)
	e.linkOpened(id, dir, peer, addr, false)
	return e.box.out
}

// HandleAccepted reports an incoming connection together with the first
// frame read on it (the dialer's Hello): HandleLinkOpened(Incoming) and
// HandleFrame in one input. A driver that reads the Hello before it tells
// the engine of the connection spares the engine one input per dial, and
// the acceptor holds no state for a connection that has said nothing yet
// (its driver bounds and times out those). The simulator does this: at
// scale-100k it is 9.8 of 131.5 engine events per node, one per dial.
func (e *Engine) HandleAccepted(now Time, id LinkID, addr Addr, first *Frame) []Output {
	e.begin(now)
	if e.linkIndex(id) < 0 {
		e.linkOpened(id, Incoming, 0, addr, false)
	}
	e.frame(id, first)
	return e.box.out
}

// HandleDialAnswered reports a dialed connection together with the first
// frame read on it, when the driver sent the dial's Hello itself (the
// frame OutDial carries) as soon as the connection opened:
// HandleLinkOpened(Outgoing), without the Hello it would send, and
// HandleFrame in one input. peer and addr repeat the OutDial. The driver
// gives up a connection that answers nothing within HandshakeTimeout and
// reports HandleDialFailed, as it does when one closes unanswered.
func (e *Engine) HandleDialAnswered(now Time, id LinkID, peer NodeID, addr Addr, first *Frame) []Output {
	e.begin(now)
	if e.linkIndex(id) < 0 {
		e.linkOpened(id, Outgoing, peer, addr, true)
	}
	e.frame(id, first)
	return e.box.out
}

// linkOpened is HandleLinkOpened without beginning an input; helloSent
// says that the driver sent the dial's Hello (HandleDialAnswered).
func (e *Engine) linkOpened(id LinkID, dir Direction, peer NodeID, addr Addr, helloSent bool) {
	if !e.active() || e.linkIndex(id) >= 0 {
		e.emit(Output{Kind: OutClose, Link: id, Peer: peer, Reason: ReasonLeaving})
		return
	}
	switch dir {
	case Outgoing:
		di := e.dialIndex(peer, addr)
		if di < 0 {
			// The dial was cancelled meanwhile (the tie-break chose the other
			// connection, or the peer linked to us first).
			e.emit(Output{Kind: OutClose, Link: id, Peer: peer, Reason: ReasonDuplicate})
			return
		}
		d := e.dials[di]
		e.removeDial(di)
		l := link{peer: d.peer, addr: d.addr, dir: Outgoing, state: linkHandshaking,
			since: e.now, lastRecv: e.now, lastSent: e.now}
		l.set(linkStatic, d.static)
		l.set(linkProtected, d.static || d.priority)
		i := e.addLink(id, l)
		if !helloSent {
			e.send(i, e.dialHello(d))
		}
	case Incoming:
		if e.countHandshaking(Incoming) >= e.cfg.MaxIn+e.cfg.MaxOut+1 {
			e.emit(Output{Kind: OutClose, Link: id, Reason: ReasonFull})
			return
		}
		e.addLink(id, link{addr: addr, dir: Incoming, state: linkHandshaking,
			since: e.now, lastRecv: e.now, lastSent: e.now})
	}
}

// HandleLinkClosed reports that the transport lost a link (the peer closed it,
// or it broke).
func (e *Engine) HandleLinkClosed(now Time, id LinkID) []Output {
	e.begin(now)
	if i := e.linkIndex(id); i >= 0 {
		l := e.links[i]
		if l.state == linkEstablished {
			e.hunt.reset() // replace the lost link at once
		}
		e.dropLink(i)
		if l.state == linkHandshaking && l.dir == Outgoing {
			e.dialFailed(l.peer, l.addr, l.static())
		}
		if e.active() {
			e.scheduleDial()
		}
	}
	return e.box.out
}

// HandleFrame handles a frame received on a link.
func (e *Engine) HandleFrame(now Time, id LinkID, f *Frame) []Output {
	e.begin(now)
	e.frame(id, f)
	return e.box.out
}

// frame is HandleFrame without beginning an input.
func (e *Engine) frame(id LinkID, f *Frame) {
	i := e.linkIndex(id)
	if i < 0 || !e.active() {
		return
	}
	l := &e.links[i]
	l.lastRecv = e.now
	if l.state == linkHandshaking {
		switch {
		case l.dir == Incoming && f.Type == FrameHello:
			e.onHello(i, f)
		case l.dir == Outgoing && f.Type == FrameWelcome:
			e.onWelcome(i, f)
		case l.dir == Outgoing && f.Type == FrameReject:
			e.onReject(i, f.Reason)
		case l.dir == Outgoing && f.Type == FramePeers:
			// A referral: the peer is full and names others (see refer).
			e.onReferral(i, f)
		default:
			e.protocolError(i)
		}
		return
	}
	switch f.Type {
	case FramePing:
		l.peerLoad = f.Load
		e.checkFreeRider(i)
	case FrameData:
		e.onData(i, &f.Msg)
	case FramePeers:
		e.onPeers(i, f)
	case FrameLeave:
		e.onLeave(i, f.Reason)
	case FrameIHave, FrameGraft, FramePrune, FrameRoundRequest:
		e.bcast.frame(e, i, f)
	case FramePosition:
		l.peerLoad = f.Load
		e.bcast.frame(e, i, f)
		e.checkFreeRider(i)
	default:
		e.protocolError(i)
	}
}

func (e *Engine) protocolError(i int) {
	e.stats.ProtocolError++
	e.closeLink(i, ReasonProtocol, e.links[i].state == linkEstablished)
}

// send queues a frame on link i.
func (e *Engine) send(i int, f Frame) { *e.sendFrame(i, f.Type) = f }

// sendFrame queues a frame of type t on link i and returns it to be filled
// in place (see emitNew), until the next output is emitted.
func (e *Engine) sendFrame(i int, t FrameType) *Frame {
	l := &e.links[i]
	l.lastSent = e.now
	o := e.emitNew(OutSend)
	o.Link, o.Peer = e.linkIDs[i], l.peer
	o.Frame.Type = t
	return &o.Frame
}

// closeLink closes link i, telling the peer why first when notify is set and
// the link is established.
func (e *Engine) closeLink(i int, r Reason, notify bool) {
	l := e.links[i]
	if notify && l.state == linkEstablished {
		e.send(i, Frame{Type: FrameLeave, Reason: r})
	}
	e.emit(Output{Kind: OutClose, Link: e.linkIDs[i], Peer: l.peer, Reason: r})
	lost := l.state == linkEstablished && r != ReasonSurplus && r != ReasonDuplicate
	e.dropLink(i)
	if lost && (r != ReasonEvicted || e.short()) {
		// A link was lost: replace it at once. A link given up to make
		// room for a short node is not: the node keeps MaxOut links
		// (room.go) and looks for another like any node beyond its
		// minimum.
		e.hunt.reset()
	}
}

// dropLink forgets link i.
func (e *Engine) dropLink(i int) {
	established := e.links[i].state == linkEstablished
	switch {
	case !established:
		e.shaking[e.links[i].dir]--
	case e.links[i].dir == Incoming:
		e.nIn--
	default:
		e.nOut--
	}
	peer := e.links[i].peer
	e.removeLink(i, e.bcast)
	if established {
		e.stats.LinksLost++
		e.linkCountChanged()
		e.tellLowLoad()
		e.bcast.linkDown(e, peer)
	}
}

// linkCountChanged reacts to a link appearing or disappearing: discovery
// wakes up when the node has something new to offer or needs links.
func (e *Engine) linkCountChanged() {
	if e.active() {
		e.beaconsAfterLinkChange()
		e.hearOffers()
	}
}

// addLink appends link id and returns its index.
func (e *Engine) addLink(id LinkID, l link) int {
	if l.state == linkHandshaking {
		e.shaking[l.dir]++
	}
	return e.appendLink(id, l, e.cfg.MaxIn+e.cfg.MaxOut+1, e.bcast)
}

func (e *Engine) countHandshaking(dir Direction) int { return int(e.shaking[dir]) }
