package mesh

// Links: dialing, the handshake, link limits, load-aware choice of peers, the
// search for links beyond the minimum degree (one dial at a time, backing
// off after refusals; see hunt) and the tie-break that keeps one link per
// pair of nodes.
//
// A link is established in three steps: the dialer's transport connects and
// the dialer sends Hello; the acceptor answers Welcome (or Reject and close).
// When two nodes dial each other at once, both ends keep the connection that
// was dialed by the smaller node id and drop the other, so they agree without
// another round trip.

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
	linkLAN                             // the peer was heard by beacon: it is on our LAN
)

func (l *link) static() bool    { return l.flags&linkStatic != 0 }
func (l *link) protected() bool { return l.flags&linkProtected != 0 }
func (l *link) lan() bool       { return l.flags&linkLAN != 0 }

// set turns flag f on or off.
func (l *link) set(f linkFlags, on bool) {
	if on {
		l.flags |= f
	} else {
		l.flags &^= f
	}
}

type dial struct {
	peer     NodeID // zero when dialing a static address
	addr     Addr
	static   bool
	priority bool
}

type staticPeer struct {
	addr    Addr
	id      NodeID // learned from the first Welcome
	self    bool   // the address turned out to be this node
	retryAt Time
	fails   uint8
}

// HandleLinkOpened reports a new connection. For an outgoing one, peer and
// addr repeat the OutDial it answers; for an incoming one, peer is zero and
// addr is the remote address (its port is ignored: the Hello gives the listen
// port).
func (e *Engine) HandleLinkOpened(now Time, id LinkID, dir Direction, peer NodeID, addr Addr) []Output {
	e.begin(now)
	if !e.active() || e.linkIndex(id) >= 0 {
		e.emit(Output{Kind: OutClose, Link: id, Peer: peer, Reason: ReasonLeaving})
		return e.box.out
	}
	switch dir {
	case Outgoing:
		di := e.dialIndex(peer, addr)
		if di < 0 {
			// The dial was cancelled meanwhile (the tie-break chose the other
			// connection, or the peer linked to us first).
			e.emit(Output{Kind: OutClose, Link: id, Peer: peer, Reason: ReasonDuplicate})
			return e.box.out
		}
		d := e.dials[di]
		e.removeDial(di)
		l := link{peer: d.peer, addr: d.addr, dir: Outgoing, state: linkHandshaking,
			since: now, lastRecv: now, lastSent: now}
		l.set(linkStatic, d.static)
		l.set(linkProtected, d.static || d.priority)
		i := e.addLink(id, l)
		h := e.hello()
		if d.static || d.priority {
			h.Flags |= HelloPriority
		}
		e.send(i, Frame{Type: FrameHello, Hello: h})
	case Incoming:
		if e.countHandshaking(Incoming) >= e.cfg.MaxIn+e.cfg.MaxOut+1 {
			e.emit(Output{Kind: OutClose, Link: id, Reason: ReasonFull})
			return e.box.out
		}
		e.addLink(id, link{addr: addr, dir: Incoming, state: linkHandshaking,
			since: now, lastRecv: now, lastSent: now})
	}
	return e.box.out
}

// HandleDialFailed reports that an OutDial could not connect.
func (e *Engine) HandleDialFailed(now Time, peer NodeID, addr Addr) []Output {
	e.begin(now)
	di := e.dialIndex(peer, addr)
	if di < 0 {
		return e.box.out
	}
	d := e.dials[di]
	e.removeDial(di)
	e.dialFailed(d.peer, d.addr, d.static)
	if e.active() {
		e.scheduleDial()
	}
	return e.box.out
}

// HandleLinkClosed reports that the transport lost a link (the peer closed it,
// or it broke).
func (e *Engine) HandleLinkClosed(now Time, id LinkID) []Output {
	e.begin(now)
	if i := e.linkIndex(id); i >= 0 {
		l := e.links[i]
		if l.state == linkEstablished {
			e.hunt = hunt{} // replace the lost link at once
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
	i := e.linkIndex(id)
	if i < 0 || !e.active() {
		return e.box.out
	}
	l := &e.links[i]
	l.lastRecv = now
	if l.state == linkHandshaking {
		switch {
		case l.dir == Incoming && f.Type == FrameHello:
			e.onHello(i, &f.Hello)
		case l.dir == Outgoing && f.Type == FrameWelcome:
			e.onWelcome(i, &f.Hello)
		case l.dir == Outgoing && f.Type == FrameReject:
			e.onReject(i, f.Reason)
		case l.dir == Outgoing && f.Type == FramePeers:
			// A referral: the peer is full and names others (see refer).
			e.onPeers(i, f.Peers)
		default:
			e.protocolError(i)
		}
		return e.box.out
	}
	switch f.Type {
	case FramePing:
		l.peerLoad = f.Load
		e.checkFreeRider(i)
	case FrameData:
		e.onData(i, &f.Msg)
	case FramePeers:
		e.onPeers(i, f.Peers)
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
	return e.box.out
}

// onHello decides on an incoming handshake.
func (e *Engine) onHello(i int, h *Hello) {
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
	e.known.observe(e, h.ID, l.addr, h.Instance, h.Load, newsHello)

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
		e.onHello(after(j, i), h)
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
	e.send(i, Frame{Type: FrameWelcome, Hello: welcome})
	e.sendPeers(i)
	e.bcast.linkUp(e, i)
	e.sendUnsent(i)
}

// onWelcome completes an outgoing handshake.
func (e *Engine) onWelcome(i int, h *Hello) {
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
	e.known.observe(e, h.ID, l.addr, h.Instance, h.Load, newsWelcome)
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
	e.sendPeers(i)
	e.bcast.linkUp(e, i)
	e.sendUnsent(i)
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
		e.known.full(e, l.peer)
		if !l.static() {
			e.hunt.refused(e)
		}
	case ReasonSelf:
		e.markSelf(l.addr)
		if !l.static() {
			e.known.forget(l.peer) // a claim sent us to ourselves
		}
	case ReasonFreeRider:
		e.known.backoff(e, l.peer, e.cfg.BanTime)
	case ReasonDuplicate:
	default:
		e.known.backoff(e, l.peer, e.cfg.DialBackoff)
	}
	e.scheduleDial()
}

func (e *Engine) reject(i int, r Reason) {
	e.stats.Rejected++
	e.send(i, Frame{Type: FrameReject, Reason: r})
	e.closeLink(i, r, false)
}

func (e *Engine) protocolError(i int) {
	e.stats.ProtocolError++
	e.closeLink(i, ReasonProtocol, e.links[i].state == linkEstablished)
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
	l.set(linkLAN, e.known.onLAN(l.peer))
	l.since = e.now
	if l.dir == Outgoing {
		e.hunt = hunt{}
	}
	e.stats.LinksOpened++
	e.linkCountChanged()
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
		e.hunt = hunt{}
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
		e.beacon.linksChanged(e)
	}
}

// addLink appends link id and returns its index.
func (e *Engine) addLink(id LinkID, l link) int {
	if l.state == linkHandshaking {
		e.shaking[l.dir]++
	}
	return e.appendLink(id, l, e.cfg.MaxIn+e.cfg.MaxOut+1, e.bcast)
}

// dialIndex finds a pending dial by peer id, or by address when peer is zero.
func (e *Engine) dialIndex(peer NodeID, addr Addr) int {
	for i := range e.dials {
		d := &e.dials[i]
		if (peer != 0 && d.peer == peer) || (peer == 0 && d.peer == 0 && d.addr == addr) {
			return i
		}
	}
	return -1
}

// removeDial forgets pending dial i. An emptied list is let go: a node dials
// in bursts while it joins and seldom afterwards, and a million settled nodes
// would otherwise each keep the capacity of their largest burst.
func (e *Engine) removeDial(i int) {
	if len(e.dials) == 1 {
		e.dials = nil
		return
	}
	e.dials = append(e.dials[:i], e.dials[i+1:]...)
}

func (e *Engine) countHandshaking(dir Direction) int { return int(e.shaking[dir]) }

// pendingOut counts outgoing links not yet established: dials and handshakes.
func (e *Engine) pendingOut() int { return len(e.dials) + e.countHandshaking(Outgoing) }

// needyWith reports whether the node would stay below its minimum degree
// even if its pending outgoing links (pendingOut) all succeeded.
func (e *Engine) needyWith(pending int) bool {
	return int(e.Load().Degree())+pending < e.cfg.MinLinks
}

// linkedOrPending reports whether a link or dial to peer exists.
func (e *Engine) linkedOrPending(peer NodeID) bool {
	for i := range e.links {
		if e.links[i].peer == peer {
			return true
		}
	}
	return e.dialIndex(peer, Addr{}) >= 0
}

func (e *Engine) dialFailed(peer NodeID, addr Addr, static bool) {
	if static {
		for s := range e.statics {
			sp := &e.statics[s]
			if sp.addr == addr {
				sp.fails++
				sp.retryAt = e.now + backoff(e.cfg.DialBackoff, sp.fails)
			}
		}
		return
	}
	e.known.failed(e, peer)
	e.claimFailed()
}

// markSelf records that addr turned out to be this node: a static peer
// there is never dialed again, nor any claimed peer (claims.go).
func (e *Engine) markSelf(addr Addr) {
	for s := range e.statics {
		if e.statics[s].addr == addr {
			e.statics[s].self = true
		}
	}
	if !e.isSelf(addr) {
		if len(e.selfAddrs) == maxSelfAddrs {
			e.selfAddrs = e.selfAddrs[1:]
		}
		e.selfAddrs = append(e.selfAddrs, addr)
	}
}

// scheduleDial asks for a dial decision soon, so that several beacons or
// exchanges heard close together are weighed at once instead of every node
// rushing to the first peer it hears of.
func (e *Engine) scheduleDial() {
	if e.wantOut() <= 0 || !e.hunt.allowed(e) && len(e.statics) == 0 {
		return // the maintenance timer tries again when the wait is over
	}
	jitter := Time(e.rng.Int64N(int64(e.cfg.BeaconMin/4) + 1))
	e.armTimer(TimerDial, e.now+jitter)
}

// wantOut is how many more outgoing links the node should dial now.
func (e *Engine) wantOut() int {
	return e.cfg.MaxOut - int(e.Load().Out) - e.pendingOut()
}

// fillLinks dials static peers that are not linked, then the best known peers
// until the outgoing quota is used: load-aware, weighted by free slots.
func (e *Engine) fillLinks() {
	if !e.active() {
		return
	}
	for s := range e.statics {
		sp := &e.statics[s]
		if sp.self || sp.retryAt > e.now || e.wantOut() <= 0 {
			continue
		}
		if (sp.id != 0 && e.linkedOrPending(sp.id)) || e.dialIndex(0, sp.addr) >= 0 || e.linkedToAddr(sp.addr) {
			continue
		}
		e.startDial(dial{peer: 0, addr: sp.addr, static: true})
	}
	if !e.hunt.allowed(e) || e.dialsPaused() {
		return
	}
	e.bridgeLAN()
	// Beyond the minimum degree dial one at a time, so that each try uses
	// what the last one taught (a refusal, a referral) instead of a crowd
	// of nodes all dialing the same peers on the same stale news. Below it,
	// dial every free outgoing slot at once: after a mass failure many of
	// the known peers are dead, and each of them costs a dial timeout.
	n := e.wantOut()
	if !e.needy() {
		n = min(n, 1-e.pendingOut())
	}
	for ; n > 0; n-- {
		k := e.pickPeer()
		if k < 0 {
			break
		}
		e.startDial(e.known.dial(k))
	}
}

// startDial records dial d as pending and asks the driver to open it.
func (e *Engine) startDial(d dial) {
	e.dials = append(e.dials, d)
	e.emit(Output{Kind: OutDial, Peer: d.peer, Addr: d.addr})
}

func (e *Engine) linkedToAddr(a Addr) bool {
	for i := range e.links {
		if e.links[i].addr == a {
			return true
		}
	}
	return false
}

// hunt slows down the search for outgoing links beyond the minimum degree
// once peers refuse them for lack of room. In a mesh where every node has as
// many incoming slots as outgoing links, the last free slots are scarce and
// the news of them is stale by the time it travels: without a backoff, the
// nodes still short of outgoing links would dial full peers again and again.
// A node below its minimum degree is never held back, and gaining an
// outgoing link or losing any link ends the backoff.
type hunt struct {
	refusals uint8
	last     Time // of the last refusal
}

// refused records a refusal for lack of room.
func (h *hunt) refused(e *Engine) {
	if h.refusals < 255 {
		h.refusals++
	}
	h.last = e.now
}

// allowed reports whether the node may dial for more links now: after three
// refusals in a row it waits DialBackoff, doubling with every further
// refusal up to 64 times, but a short node (room.go) no longer than
// shortBackoffSteps allow: full peers make room for it as soon as any of
// their incoming peers has more than MaxOut links, which a LAN that is still
// joining may not have yet but soon will, and a node that falls short
// while it waits (a neighbour rotated away) must not wait a minute. A node
// below its minimum degree never waits.
func (h *hunt) allowed(e *Engine) bool {
	if h.refusals <= 3 || e.needyWith(e.pendingOut()) {
		return true
	}
	steps := h.refusals - 3
	if e.short() {
		steps = min(steps, shortBackoffSteps)
	}
	return e.now >= h.last+backoff(e.cfg.DialBackoff, steps)
}

// shortBackoffSteps caps the wait of a short node at 2 DialBackoffs.
const shortBackoffSteps = 2

// backoff doubles base for every failure after the first, up to 64×.
func backoff(base Time, fails uint8) Time {
	if fails > 7 {
		fails = 7
	}
	if fails == 0 {
		fails = 1
	}
	return base << (fails - 1)
}

// bridgeLAN keeps every node linked into its own LAN. A node whose links all
// lead elsewhere (typically the one that bridges to another network, which
// peer exchange fills with far peers) while it knows peers on its LAN dials
// one of them with priority, dropping an outgoing link if it has no room.
// With static peers bridging LANs, this keeps LANs from becoming islands.
func (e *Engine) bridgeLAN() {
	if len(e.statics) == 0 {
		return
	}
	for i := range e.links {
		if e.links[i].lan() || (e.links[i].peer != 0 && e.known.onLAN(e.links[i].peer)) {
			return
		}
	}
	for i := range e.dials {
		if e.dials[i].priority || e.known.onLAN(e.dials[i].peer) {
			return
		}
	}
	k := e.known.pickWhere(e, true, (*knownPeer).onLAN)
	if k < 0 {
		return
	}
	d := e.known.dial(k)
	d.priority = true
	if e.wantOut() <= 0 && !e.dropOutgoing() {
		return
	}
	e.startDial(d)
}

// dropOutgoing closes a random unprotected outgoing link to make room,
// preferring links off the broadcast tree (tree mode).
func (e *Engine) dropOutgoing() bool {
	droppable := func(i int, lazyOnly bool) bool {
		l := &e.links[i]
		return l.state == linkEstablished && l.dir == Outgoing && !l.protected() && (e.bcast.lazy(i) || !lazyOnly)
	}
	n, lazyOnly := 0, false
	for pass := 0; pass < 2 && n == 0; pass++ {
		lazyOnly = pass == 0
		for i := range e.links {
			if droppable(i, lazyOnly) {
				n++
			}
		}
	}
	if n == 0 {
		return false
	}
	r := e.rng.IntN(n)
	for i := range e.links {
		if !droppable(i, lazyOnly) {
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
