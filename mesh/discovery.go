package mesh

import "math/rand/v2"

// Discovery: LAN beacons paced by a Trickle timer (RFC 6206).
//
// A node beacons only when it has something to offer (free incoming slots,
// or room it would make for a needy node it just heard) or when it needs
// help. The Trickle interval starts at BeaconMin and doubles up to BeaconMax
// while nothing changes; it resets to BeaconMin when the node becomes needy
// or hears a needy node, and a silent node whose slots free up resumes at
// BeaconMax. Within an interval a node that offers stays silent if it
// already heard BeaconRedundancy beacons, so a segment of any size sends
// only a few beacons per interval; a node with nothing to offer sends none.
//
// A node below its minimum degree (needy) does not offer: it is busy
// getting its own links. It beacons, marked needy, to beg, and full nodes
// make room for it. A newcomer begs only when it heard of no peer with a
// free slot within the last BeaconMin: otherwise it dials the offers it
// hears and the peers it is referred to (exchange.go), and the offers of the
// few nodes that speak in each interval serve every newcomer of the segment
// at once. So a LAN that joins all together costs a few beacons per interval
// rather than one per newcomer; since every beacon is heard by the whole
// segment, newcomers announcing themselves would cost the square of its
// size. A newcomer with no link that has heard only other newcomers gives
// the LAN BeaconMin to answer one's beg before it dials it (awaitTheLAN),
// so that newcomers that start together join the mesh rather than each
// other. A node that had its minimum degree and lost it (its neighbours
// crashed) begs at every interval whatever it knows: what it knows may have
// died with its links, and beacons from the living are what heals a mesh
// after a mass failure quickly.
//
// Offers and calls. A beacon with free slots from a node that is not needy
// is an offer (Beacon.Offer); a needy node's beg and a full node's answer
// to one are calls. A node whose every slot is in use (MaxIn incoming links,
// and the outgoing links it dials for: dialing.go's huntTarget) has no use
// for offers: it can neither dial them
// nor offer anything itself, and every offer of its LAN would still be an
// input to it (at scale-100k 16 of the 40 beacons a node heard went to
// such nodes). So it tells its driver to stop handing it offers
// (OutHearOffers: the simulator skips it, a socket driver drops them
// before the engine) until a link goes, and ignores any it is handed. It
// still hears calls: a newcomer's beg reaches it and it makes room, and a
// restarted neighbour's beg (it is needy) tells it of the new life. What
// it misses meanwhile is news of free slots it has no use for, and a
// rename of its LAN told only by offers: its next lost link (a rotation,
// an eviction) makes it hear them again.

// trickle is the Trickle timer of the node's beacons: its intervals, the
// point of each where the node may speak, and the beacons heard meanwhile
// (the suppression count). It decides nothing about what a beacon says or
// whether the node has anything to offer: the engine tells it.
//
// Its one timer is the speaking point: there the node speaks or not, and
// the next interval is begun at once, to start where this one ends (its
// speaking point drawn, its count empty). So the node does not wake up at
// every interval's end, only to begin the next (at scale-100k that was half
// of all beacon timers); beacons heard between the speaking point and the
// end belong to no interval that still has a speaking point, and are not
// counted (hear).
type trickle struct {
	interval Time  // current Trickle interval I
	start    Time  // start of the current interval (may lie ahead: see above)
	fireAt   Time  // the point t in [I/2, I) where the node may speak
	heard    int32 // beacons heard in the current interval (c)
	dormant  bool  // nothing to offer: no timer armed
	joined   bool  // the node has had its minimum degree since it started
	// deaf: every slot of the node is in use, and it hears no offers
	// (hearOffers). It lives here, in the padding of the Trickle state,
	// rather than in the engine, which would grow by a word.
	deaf bool
	// heardMesh: the node has heard a beacon of a node with links
	// (awaitTheLAN). In the padding too.
	heardMesh bool
}

// begin starts an interval of length interval at now and returns the point
// of its second half, drawn from rng, where the node may speak; a node
// with nothing to offer goes dormant instead (ok false: no timer).
func (t *trickle) begin(now, interval Time, offering bool, rng *rand.Rand) (speakAt Time, ok bool) {
	t.interval = interval
	if !offering {
		t.dormant = true
		return 0, false
	}
	t.dormant = false
	t.start = now
	t.heard = 0
	half := interval / 2
	t.fireAt = now + half + Time(rng.Int64N(int64(interval-half)+1))
	return t.fireAt, true
}

// fastest reports whether the timer already runs intervals of length min.
func (t *trickle) fastest(min Time) bool { return !t.dormant && t.interval == min }

// hear counts a beacon heard at now, if it falls in the current interval.
func (t *trickle) hear(now Time) {
	if now >= t.start {
		t.heard++
	}
}

// end returns when the current interval ends.
func (t *trickle) end() Time { return t.start + t.interval }

// next returns the length of the next interval: twice this one, at most max.
func (t *trickle) next(max Time) Time { return min(t.interval*2, max) }

// offering reports whether a beacon would tell others anything useful.
func (e *Engine) offering() bool {
	if e.cfg.adversary.Siphon() {
		return false // a siphoner hides; it only takes
	}
	return e.Load().FreeIn > 0 || e.needy() || e.now < e.answerNeedyUntil
}

// beginBeacons starts a Trickle interval of length interval now.
func (e *Engine) beginBeacons(interval Time) { e.beginBeaconsAt(e.now, interval) }

// beginBeaconsAt starts a Trickle interval of length interval at start (now
// or later).
func (e *Engine) beginBeaconsAt(start, interval Time) {
	if at, ok := e.beacon.begin(start, interval, e.offering(), e.rng); ok {
		e.setTimer(TimerBeacon, at)
	} else {
		e.timers[TimerBeacon] = 0
	}
}

// resetBeacons starts a new interval at BeaconMin (Trickle's reaction to
// change).
func (e *Engine) resetBeacons() {
	if !e.beacon.fastest(e.cfg.BeaconMin) {
		e.beginBeacons(e.cfg.BeaconMin)
	}
}

// beaconTimer handles the beacon timer, the speaking point of the
// interval, and begins the next interval where this one ends.
func (e *Engine) beaconTimer() {
	t := &e.beacon
	needy := e.needy()
	begging := needy && (t.joined || !e.heardOffer())
	if e.offering() && (begging || !needy && int(t.heard) < e.cfg.BeaconRedundancy) {
		h := e.hello()
		e.emit(Output{Kind: OutBeacon, Beacon: Beacon{ID: e.id, Instance: e.instance, Port: e.cfg.Port, Load: h.Load, Flags: h.Flags &^ HelloBridge, LAN: e.beaconLANTag()}})
	}
	e.beginBeaconsAt(t.end(), t.next(e.cfg.BeaconMax))
}

// beaconsAfterLinkChange adapts the schedule to a change of links: a node
// that became needy speaks up at once; a silent node that has a free slot
// again resumes at the slowest pace, so that the slot is advertised without
// turning every link change of a large segment into a burst of beacons.
func (e *Engine) beaconsAfterLinkChange() {
	if !e.needy() {
		e.beacon.joined = true
	}
	switch {
	case e.needy():
		e.resetBeacons()
	case e.beacon.dormant && e.offering():
		e.beginBeacons(e.cfg.BeaconMax)
	}
}

// hearOffers tells the driver, when it changes, whether the node wants
// offers: not while every slot is in use (see Offers and calls above).
func (e *Engine) hearOffers() {
	deaf := int(e.nIn) >= e.cfg.MaxIn && int(e.nOut) >= e.huntTarget()
	if deaf == e.beacon.deaf {
		return
	}
	e.beacon.deaf = deaf
	e.emitNew(OutHearOffers).Hear = !deaf
}

// HandleBeacon handles a beacon heard on the LAN from the host at from (the
// packet's source address; its port is ignored). An offer is ignored
// while the node said it hears none (OutHearOffers).
func (e *Engine) HandleBeacon(now Time, b *Beacon, from Addr) []Output {
	e.begin(now)
	if !e.active() || b.ID == e.id || b.ID == 0 || b.Port == 0 || e.beacon.deaf && b.Offer() {
		return e.box.out
	}
	e.beacon.hear(now)
	stranger := e.known.index(b.ID) < 0
	if e.beaconContradictsLink(b) || !e.heardOf(b.ID, from.WithPort(b.Port), b.Instance, b.Load, newsBeacon) {
		e.stats.BeaconConflicts++
		return e.box.out // a replay, or a stranger using the peer's id (claims.go)
	}
	waiting := e.awaitTheLAN(b, stranger)
	e.heardLANTag(b.LAN)
	if b.Flags&HelloNeedy != 0 && !e.linkedOrPending(b.ID) {
		// A node below its minimum degree (a newcomer, a restarted node, a
		// node that lost its links) is looking for peers: answer soon, even
		// when full, since a full node makes room for it.
		e.answerNeedyUntil = now + 2*e.cfg.BeaconMin
		e.resetBeacons()
	}
	if !waiting && (b.Load.FreeIn > 0 || e.needy()) {
		e.scheduleDial()
	}
	return e.box.out
}

// awaitTheLAN keeps a node with no link that has heard no node with links
// from dialing, for BeaconMin, a stranger whose beacon (b) is a beg with
// no link, and reports whether it does: the node then decides its next
// dial when the wait is over, or sooner if news of a node with links calls
// for it. Nodes that start together hear each other's begs before the
// LAN's answers (its nodes speak within BeaconMin of a beg), and dialing
// at once linked a cohort of newcomers to the first of them that begged:
// an island that nothing merged until rotation (the last 11-22 newcomers
// of a 60-node LAN started over 2 s, at 4 of seeds 1-300;
// siphoners.yaml at seed 4). Meanwhile the node dials the nodes that
// answer, which are in the mesh; a LAN of newcomers only (every node
// started at once) links BeaconMin later. Once the node has heard a node
// with links it dials as before: it knows where the mesh is.
//
// Both modes wait. In tree mode, where nodes dial for every outgoing slot
// (dialing.go's huntTarget), the hunt for the last free ones merged such
// islands, but not their shape: a cohort that linked among itself hung
// off the mesh as a deep branch, and an overlay of such branches is a deep
// one. In tree-burst-100 the latency of the later rounds, which follow
// each sender's shortest-path tree, follows the overlay's eccentricity,
// and over seeds 1-120 the tree's p99 was over 1.25 times its flood
// twin's at 10 seeds without the wait, at 1 with it (seed 93's overlay was
// two clusters); see BENCHMARKS.md, "burst-100 within 1.25x".
func (e *Engine) awaitTheLAN(b *Beacon, stranger bool) bool {
	if b.Flags&HelloNeedy == 0 || b.Load.Degree() > 0 {
		e.beacon.heardMesh = true // an offer, or a beacon of a node with links
		return false
	}
	if !stranger || e.beacon.heardMesh || e.Load().Degree() > 0 {
		return false
	}
	e.known.backoff(b.ID, e.now+e.cfg.BeaconMin)
	// The whole LAN heard the same beg: a dial timer's jitter after the
	// wait spreads the dials of the nodes that waited for it.
	e.armTimer(TimerDial, e.now+e.cfg.BeaconMin+Time(e.rng.Int64N(int64(e.cfg.BeaconMin/4)+1)))
	return true
}
