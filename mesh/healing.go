package mesh

// Self-healing. Every KeepaliveInterval the engine pings links it has not
// sent on for half an interval, closes links it has heard nothing on for
// DeadAfter (a crashed peer, a partition) and handshakes older than
// HandshakeTimeout, forgets stale peers, sends a peer exchange now and then,
// and dials replacements for lost links. A node leaving gracefully sends
// Leave on every link so its neighbours replace it at once instead of waiting
// for keepalives; a node below MinLinks dials with priority and full nodes
// make room for it (see evictFor), so nobody who can reach two other nodes
// stays with fewer than two links. A node that falls below its minimum
// tells its neighbours at once (tellLowLoad), so that none evicts it on
// the strength of links it no longer has.

func (e *Engine) maintain() {
	now := e.now
	for i := 0; i < len(e.links); {
		if !e.checkLink(i) {
			i++ // else the next link has moved into i
		}
	}
	e.bcast.pulse(e)
	e.known.expire(e.now, e.cfg.PeerTTL)
	e.expireUnsent(int(e.Load().Degree()))
	e.newPeriodOfStrangers()
	e.expireBans()
	if now >= e.nextExchange {
		e.nextExchange = now + e.cfg.ExchangeInterval
		e.exchangeWithRandomNeighbour(nil)
	}
	e.spreadElsewhere()
	if e.cfg.RotateInterval > 0 && now >= e.nextRotate && !e.rotationWaits() {
		e.nextRotate = now + e.rotatePeriod()
		e.rotate()
	}
	e.fillLinks()
}

// checkLink closes link i when its handshake timed out or the peer went
// silent, and otherwise keeps it alive. It reports whether it closed it.
func (e *Engine) checkLink(i int) bool {
	l := &e.links[i]
	switch {
	case l.state == linkHandshaking && e.now-l.since > e.cfg.HandshakeTimeout:
		if l.dir == Outgoing {
			e.dialFailed(l.peer, l.addr, l.static())
		}
		e.closeLink(i, ReasonHandshake, false)
		return true
	case l.state == linkEstablished && e.now-l.lastRecv > e.cfg.DeadAfter:
		e.stats.DeadLinks++
		e.hunt.reachTries = reachTriesAfterDeath
		if l.elsewhere() || l.toBridge() {
			e.lanFacts.set(lostElsewhere, true)
		}
		e.closeLink(i, ReasonDead, false)
		return true
	case l.state == linkEstablished:
		e.bcast.keepalive(e, i)
	}
	return false
}

// keepaliveDue reports whether link i needs a keepalive at this maintenance
// round: when the node has sent nothing on it for keepaliveIdle. An idle
// link thus gets one every other round with the default DeadAfter of three
// intervals, half as many as one per round (at scale-100k pings were an
// eighth of all engine events).
func (e *Engine) keepaliveDue(i int) bool {
	return e.now-e.links[i].lastSent >= e.keepaliveIdle()
}

// keepaliveIdle is how long a link may stay idle before it gets a
// keepalive. With a DeadAfter of at least three keepalive intervals it is
// 5/4 of an interval (a quarter of slack for rounds that come late), so that
// the peer hears from the node at least every 2 1/4 intervals (quietGap),
// 3/4 of one before it would give the link up. A shorter DeadAfter leaves
// no room for that: half an interval, a keepalive every round.
func (e *Engine) keepaliveIdle() Time {
	k := e.cfg.KeepaliveInterval
	if e.cfg.DeadAfter >= 3*k {
		return k + k/4
	}
	return k / 2
}

// quietGap is the longest a healthy peer stays silent on a link: it sends
// a keepalive at the first maintenance round after keepaliveIdle.
func (e *Engine) quietGap() Time { return e.keepaliveIdle() + e.cfg.KeepaliveInterval }

// tellLowLoad: a node whose links fell below its minimum tells its
// neighbours its load at once (a Ping, or a Position in tree mode) rather
// than at their next keepalive. A full neighbour that must make room for a
// needy node evicts the peer with the most links (evictFor), judging by the
// load that peer last reported: on an old, higher count it could take this
// node's last link. (Telling at the minimum already, too, sends more frames
// while a large LAN joins and shifts its overlay: the tree's deepest
// delivery in tree-single-1000 grew from at most 10 to 13 over ten seeds.)
func (e *Engine) tellLowLoad() {
	load := e.Load()
	if !e.active() || load.Degree() >= e.cfg.MinLinks {
		return
	}
	for i := range e.links {
		if e.links[i].state == linkEstablished {
			e.bcast.tellLoad(e, i)
		}
	}
}

// rotatePeriod is RotateInterval with ±25% jitter, so nodes do not rotate in
// lockstep.
func (e *Engine) rotatePeriod() Time {
	if e.cfg.RotateInterval <= 0 {
		return 0
	}
	q := e.cfg.RotateInterval / 4
	return e.cfg.RotateInterval - q + Time(e.rng.Int64N(int64(2*q)+1))
}

// rotationWaits reports whether a due rotation waits for the next
// maintenance: while messages pass through the node (tree mode), for at
// most a quarter of RotateInterval; and while the node itself broadcasts
// (its own message within the last quarter of RotateInterval, tree mode),
// for at most a whole RotateInterval. So rotation never stops: a node that
// broadcasts all the time rotates at half the rate.
//
// The sender's wait: a rotation under a sender's messages closes a link
// its own payloads start over (tree.go's sending), and its next message
// reaches that peer's part of its tree by repair. In tree-burst-100 (every
// node sends five times, 2 s apart, and rotations fall due during the
// rounds), over seeds 1-120, the tree's p99 latency was over 1.25 times
// its flood twin's at one seed (10: 1.255) without the wait and at none
// with it; see BENCHMARKS.md, "burst-100 within 1.25x".
func (e *Engine) rotationWaits() bool {
	overdue := e.now - e.nextRotate
	return overdue < e.cfg.RotateInterval/4 && e.bcast.relaying(e) ||
		overdue < e.cfg.RotateInterval && e.bcast.sending(e, e.cfg.RotateInterval/4)
}

// rotate drops one random outgoing link (never a bridge, and in tree mode
// never a link of the broadcast tree) when it has the outgoing links it dials
// for (huntTarget) and another peer could be dialed, and lets fillLinks dial a replacement among
// the peers with free slots. The dropped peer now has a
// free slot and says so in its beacons, so in a saturated mesh each rotation
// opens a gap that some other node fills: a random edge swap that keeps the
// overlay mixed. The old peer is not dialed again for a while. A node does
// not rotate while its LAN is flooded with strangers (claims.go).
func (e *Engine) rotate() {
	load := e.Load()
	if int(load.Out) < e.huntTarget() || e.pendingOut() > 0 || load.Degree() <= e.cfg.MinLinks {
		return
	}
	if !e.hasAlternative() {
		return // nobody else to link to: keep what we have
	}
	if e.lanFlooded() {
		return // the alternatives are most likely bogus (claims.go)
	}
	if e.bcast.keepsOutgoing(e) {
		return // every outgoing link carries the broadcast tree: keep them
	}
	e.stats.Rotations++
	e.dropOutgoing()
	e.scheduleDial()
}

// onLeave handles a neighbour closing the link on purpose.
func (e *Engine) onLeave(i int, r Reason) {
	peer := e.links[i].peer
	e.closeLink(i, r, false)
	switch r {
	case ReasonFreeRider:
		e.known.backoff(peer, e.now+e.cfg.BanTime)
	case ReasonLeaving:
		e.known.forget(peer)
	case ReasonEvicted:
		// The peer had to make room: try it again only later.
		e.known.backoff(peer, e.now+e.cfg.DialBackoff)
	}
	e.scheduleDial()
}

// Leave shuts the node down gracefully: every neighbour is told, every link
// closed, and the engine ignores all later input.
func (e *Engine) Leave(now Time) []Output {
	e.begin(now)
	if e.left {
		return e.box.out
	}
	e.bcast.leave()
	for len(e.links) > 0 {
		e.closeLink(len(e.links)-1, ReasonLeaving, true)
	}
	e.dials = nil
	e.unsent = nil
	e.left = true
	e.timers = [numTimers]Time{}
	return e.box.out
}
