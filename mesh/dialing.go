package mesh

// Dialing and its backoff. A node dials its static peers, then the best
// peers of its passive list (knownpeers.go) until it has its target of
// outgoing links (huntTarget, one below MaxOut by default): load-aware,
// weighted by free slots. Below its minimum degree it dials every slot up
// to the target at once; beyond it, one dial at a time, backing off after
// refusals (hunt), so that each try uses what the last one taught. Failed
// dials of static peers back off per peer.
//
// The target. MaxOut and MaxIn are limits, not what a node dials for: with
// every node dialing for MaxOut links into MaxIn = MaxOut slots, the mesh's
// demand for incoming slots equals their number, the last free slots are
// scarce, and the news of them is stale by the time it travels; at
// scale-100k 7.4 of a node's 12.4 dials were refused, each about 4.5 engine
// events. Dialing for one link fewer leaves a fifth of the incoming slots
// free: at scale-100k (seed 1), with the probe below, 9.8 dials per node
// instead of 12.4 (5.4 refused instead of 7.4) and 397,700 links instead of
// 437,400, so 4 fewer Data receptions per node for its 5 floods: 131.5
// engine events per node instead of 149.2; churn's reliability (seeds 1-8)
// 0.9963 against 0.9971. Dialing for MaxOut-2 saved a further 10% but churn
// fell to 0.9945. Filling the last slot only on fresh news of a free one
// (an offer heard within BeaconMin, a referral, a handshake) gave it all
// back: that news is what every node of the LAN hears at once. Static
// peers and a bridge's link into its LAN still use every outgoing slot
// (wantOut), and a node takes a link another node dials into it up to
// MaxIn as before. This is for flooding, where every link carries every
// message; in tree mode nodes dial for MaxOut (huntTarget).
//
// Refusals. A dialer refused for lack of room decides its next dial at
// once, in the input that brings the refusal (its referral, or the Reject),
// rather than through the dial timer (0-250 ms) that batches other news:
// the referral is first-hand news of where there is room, and waiting
// added a timer per refusal. At scale-100k seeds 1-3: 102.7 / 102.9 / 102.9
// engine events per node instead of 109.1 (dial timers 6.2 -> 2.4 per
// node). It once left a LAN's newcomers in islands (a referral names the
// dialers refused just before, other newcomers); it keeps a LAN whole only
// since newcomers wait for the LAN's answer to a beg (discovery.go's
// awaitTheLAN), and only where nodes dial for fewer outgoing links than
// MaxOut (flooding: dialsOnRefusal). In tree mode (before tree-mode
// newcomers waited for the LAN too) it moved tree-burst-100's p50 at
// seed 4 to 29 ms (bound 26) and tree-single-1000's last delivery hop at
// seed 5 to 13 (bound 11): tree mode dials through the timer as before.

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
	e.known.failed(peer, e.now, e.cfg.DialBackoff, e.cfg.PassiveSize)
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
	if e.wantOut() <= 0 || len(e.statics) == 0 && (e.huntWant() <= 0 || !e.huntAllowed()) {
		return // the maintenance timer tries again when the wait is over
	}
	jitter := Time(e.rng.Int64N(int64(e.cfg.BeaconMin/4) + 1))
	e.armTimer(TimerDial, e.now+jitter)
}

// wantOut is how many more outgoing links the node may dial now: up to
// MaxOut, for static peers and a bridge's link into its LAN.
func (e *Engine) wantOut() int {
	return e.cfg.MaxOut - int(e.Load().Out) - e.pendingOut()
}

// huntTarget is how many outgoing links a node dials for on its own (see
// "The target" above). When flooding: at most four fifths of its incoming
// slots (rounded up), so that a mesh of such nodes keeps a fifth of its
// incoming slots free, but no more than MaxOut and at least its minimum
// degree (within MaxOut); with the defaults (5 in, 5 out, minimum 2) it is
// 4, and with fewer than 5 incoming slots it is MaxOut. In tree mode it is
// MaxOut: links off the tree carry no payloads, and the tree needs them
// (see strategies' everyLinkCarries). Config.TargetOut, when set, replaces
// this rule in either mode.
func (e *Engine) huntTarget() int {
	if e.cfg.TargetOut > 0 {
		return e.cfg.TargetOut
	}
	if int(e.cfg.Mode) >= len(strategies) || !strategies[e.cfg.Mode].everyLinkCarries {
		return e.cfg.MaxOut
	}
	return min(e.cfg.MaxOut, max(e.cfg.MaxIn-e.cfg.MaxIn/5, e.cfg.MinLinks, 1))
}

// dialsOnRefusal reports whether a refusal for lack of room makes the node
// decide its next dial at once (see "Refusals" above): where it dials for
// fewer outgoing links than MaxOut.
func (e *Engine) dialsOnRefusal() bool { return e.huntTarget() < e.cfg.MaxOut }

// huntWant is how many more outgoing links the node dials for now, up to
// its target (huntTarget).
func (e *Engine) huntWant() int {
	return e.huntTarget() - int(e.Load().Out) - e.pendingOut()
}

// fillLinks dials static peers that are not linked, then the best known peers
// up to the node's target (huntTarget): load-aware, weighted by free slots.
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
	if !e.huntAllowed() || e.dialsPaused() {
		return
	}
	e.bridgeLAN()
	// Beyond the minimum degree dial one at a time, so that each try uses
	// what the last one taught (a refusal, a referral) instead of a crowd
	// of nodes all dialing the same peers on the same stale news. Below it,
	// dial every outgoing slot up to the target at once: after a mass
	// failure many of the known peers are dead, and each of them costs a
	// dial timeout.
	n := e.huntWant()
	if !e.needy() {
		n = min(n, 1-e.pendingOut())
	}
	if n <= 0 {
		e.probe()
	}
	for ; n > 0; n-- {
		k := e.pickPeer()
		if k < 0 {
			break
		}
		e.startDial(e.known.dial(k))
	}
	e.reachElsewhere() // beside those, not in their stead
}

// probe makes, once in the node's life, one dial beyond its target, when
// it first has its target of outgoing links: to a peer of its LAN with
// free slots, weighted by them, as for any dial. A LAN that starts at once
// forms islands (nodes that linked to each other as they joined, referred
// to each other); while nodes dialed for every outgoing slot, the hunt for
// the last free ones merged them, but nodes that stop at their target
// could stay apart until they rotate (RotateInterval): a 60-node LAN
// started over 2 s stayed in two parts of 26 and 34 nodes at 2 of 80
// seeds (tree and flood modes, seeds 1-40 each) and at none with the
// probe. A link the probe makes is kept like any other; a refusal counts
// for the hunt's backoff. Islands of newcomers that linked to the first of
// them to beg the probe did not always merge (4 of 300 starts of 60 nodes
// over 2 s); discovery.go's awaitTheLAN keeps them from forming.
func (e *Engine) probe() {
	if e.hunt.probed || e.wantOut() <= 0 || e.pendingOut() > 0 {
		return
	}
	e.hunt.probed = true
	if k := e.pickKnownWhere(false, (*knownPeer).notElsewhere); k >= 0 {
		e.startDial(e.known.dial(k))
	}
}

// startDial records dial d as pending and asks the driver to open it. The
// output carries the dial's Hello, for a driver that sends it as soon as
// the connection opens (HandleDialAnswered).
func (e *Engine) startDial(d dial) {
	e.dials = append(e.dials, d)
	hello := e.dialHello(d)
	o := e.emitNew(OutDial)
	o.Peer, o.Addr, o.Frame = d.peer, d.addr, hello
}

// dialHello is the Hello that opens dial d's handshake: it carries the
// node's peer exchange, but a static dial's, which knows neither whom it
// reaches nor where, follows the Welcome (onWelcome).
func (e *Engine) dialHello(d dial) Frame {
	h := e.hello()
	if d.static || d.priority {
		h.Flags |= HelloPriority
	}
	hello := Frame{Type: FrameHello, Hello: h}
	if !d.static {
		hello.Peers = e.peerSampleFor(d.peer, e.known.elsewhere(d.peer))
	}
	return hello
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
	// probed: the node has made its one dial beyond its target (probe).
	// It lives here, in the padding after refusals, rather than in the
	// engine, which would grow out of its size class.
	probed bool
	// reachTries: dials to peers elsewhere the node still makes after a
	// link of its died, short or not (bridging.go: reachElsewhere). It
	// lives in the same padding.
	reachTries uint8
	last       Time // of the last refusal
}

// reset ends the backoff.
func (h *hunt) reset() { h.refusals, h.last = 0, 0 }

// refused records a refusal for lack of room at now.
func (h *hunt) refused(now Time) {
	if h.refusals < 255 {
		h.refusals++
	}
	h.last = now
}

// allowed reports whether the node may dial for more links now: after three
// refusals in a row it waits DialBackoff, doubling with every further
// refusal up to 64 times, but a short node (room.go) no longer than
// shortBackoffSteps allow: full peers make room for it as soon as any of
// their incoming peers has more than MaxOut links, which a LAN that is still
// joining may not have yet but soon will, and a node that falls short
// while it waits (a neighbour rotated away) must not wait a minute. A node
// below its minimum degree never waits.
//
// base is DialBackoff; needy says whether the node would stay below its
// minimum degree even if its pending dials succeed, short whether it has
// fewer links than MaxOut (room.go).
func (h *hunt) allowed(now, base Time, needy, short bool) bool {
	if h.refusals <= 3 || needy {
		return true
	}
	steps := h.refusals - 3
	if short {
		steps = min(steps, shortBackoffSteps)
	}
	return now >= h.last+backoff(base, steps)
}

// huntAllowed asks the node's hunt whether it may dial for more links now.
func (e *Engine) huntAllowed() bool {
	return e.hunt.allowed(e.now, e.cfg.DialBackoff, e.needyWith(e.pendingOut()), e.short())
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

// pickKnown chooses a known peer to dial: among dialable peers with free slots, at
// random weighted by free slots (least loaded first, without every joining
// node rushing to the same one). A node that would stay short even if its
// pending dials succeed also tries full peers, which make room for it
// (room.go). Peers known to be on another LAN are not dialed here: a node
// links within its LAN and reaches across on purpose only (bridging.go:
// its static peers, a bridge's link into its LAN, a node whose link off
// the LAN or to a bridge died), so that what it knows of other LANs does
// not fill a WAN with links. When they were dialed like any other,
// wan.yaml's 2 KB messages queued for 8 s on its WAN; when they came last,
// as the fallback of a node whose LAN peers were all full, its 500 ms
// bound held at 8 to 10 of seeds 1-30 once exchanges named several peers
// elsewhere (exchange.go), and at 28 without the fallback.
func (e *Engine) pickKnown() int {
	return e.pickKnownWhere(e.mayDialFull(), (*knownPeer).notElsewhere)
}

// pickKnownWhere picks among dialable peers that pass keep (nil keeps all):
// weighted by free slots, or uniformly among full ones if allowFull and none
// has a free slot. It returns the peer's index, or -1.
func (e *Engine) pickKnownWhere(allowFull bool, keep func(*knownPeer) bool) int {
	k := &e.known
	ok := func(i int) bool { return e.dialable(i) && (keep == nil || keep(&k.list[i])) }
	total, n := 0, 0
	for i := range k.list {
		if ok(i) {
			total += int(k.list[i].freeIn)
			n++
		}
	}
	switch {
	case total > 0:
		r := e.rng.IntN(total)
		for i := range k.list {
			if ok(i) {
				if r -= int(k.list[i].freeIn); r < 0 {
					return i
				}
			}
		}
	case allowFull && n > 0:
		r := e.rng.IntN(n)
		for i := range k.list {
			if ok(i) {
				if r == 0 {
					return i
				}
				r--
			}
		}
	}
	return -1
}

// dialable reports whether known peer i may be dialed now: its wait is
// over, it is not banned, not linked or being dialed, and not this node.
func (e *Engine) dialable(i int) bool {
	k := &e.known
	p := &k.list[i]
	return k.waitUntil(i) <= e.now && !e.isBanned(k.ids[i]) && !e.linkedOrPending(k.ids[i]) && !e.neighbourAt(p.addr) && !e.isSelf(p.addr)
}

// hasAlternative reports whether a peer we are not linked to could be dialed.
func (e *Engine) hasAlternative() bool {
	for i := range e.known.list {
		if e.dialable(i) {
			return true
		}
	}
	return false
}

// heardOffer reports whether the node heard, within the last BeaconMin, of a
// peer with a free slot that it is not linked to (it may be dialing it).
func (e *Engine) heardOffer() bool {
	k := &e.known
	for i := range k.list {
		p := &k.list[i]
		if p.freeIn > 0 && e.now-p.heard <= e.cfg.BeaconMin && e.peerLink(k.ids[i]) < 0 {
			return true
		}
	}
	return false
}
