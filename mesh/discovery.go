package mesh

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
// size. A node that had its minimum degree and lost it (its neighbours
// crashed) begs at every interval whatever it knows: what it knows may have
// died with its links, and beacons from the living are what heals a mesh
// after a mass failure quickly.

type trickle struct {
	interval Time // current Trickle interval I
	start    Time // start of the current interval
	fireAt   Time // the point t in [I/2, I) where the node may speak
	heard    int  // beacons heard in the current interval (c)
	fired    bool // t has passed in this interval
	dormant  bool // nothing to offer: no timer armed
	joined   bool // the node has had its minimum degree since it started
}

// offering reports whether a beacon would tell others anything useful.
func (e *Engine) offering() bool {
	if e.cfg.adversary.Siphon() {
		return false // a siphoner hides; it only takes
	}
	return e.Load().FreeIn > 0 || e.needy() || e.now < e.answerNeedyUntil
}

// reset starts a new interval at BeaconMin (Trickle's reaction to change).
func (t *trickle) reset(e *Engine) {
	if !t.dormant && t.interval == e.cfg.BeaconMin {
		return // already at the fastest pace
	}
	t.begin(e, e.cfg.BeaconMin)
}

func (t *trickle) begin(e *Engine, interval Time) {
	if !e.offering() {
		t.dormant = true
		t.interval = interval
		e.timers[TimerBeacon] = 0
		return
	}
	t.dormant = false
	t.interval = interval
	t.start = e.now
	t.heard = 0
	t.fired = false
	half := interval / 2
	t.fireAt = e.now + half + Time(e.rng.Int64N(int64(interval-half)+1))
	e.setTimer(TimerBeacon, t.fireAt)
}

// fire handles the beacon timer: either the speaking point of the interval or
// its end.
func (t *trickle) fire(e *Engine) {
	if !t.fired {
		t.fired = true
		needy := e.needy()
		begging := needy && (e.beacon.joined || !e.known.hasOffer(e))
		if e.offering() && (begging || !needy && t.heard < e.cfg.BeaconRedundancy) {
			h := e.hello()
			e.emit(Output{Kind: OutBeacon, Beacon: Beacon{ID: e.id, Instance: e.instance, Port: e.cfg.Port, Load: h.Load, Flags: h.Flags}})
		}
		e.setTimer(TimerBeacon, t.start+t.interval)
		return
	}
	next := t.interval * 2
	if next > e.cfg.BeaconMax {
		next = e.cfg.BeaconMax
	}
	t.begin(e, next)
}

// linksChanged adapts the schedule to a change of links: a node that became
// needy speaks up at once; a silent node that has a free slot again resumes
// at the slowest pace, so that the slot is advertised without turning every
// link change of a large segment into a burst of beacons.
func (t *trickle) linksChanged(e *Engine) {
	if !e.needy() {
		t.joined = true
	}
	switch {
	case e.needy():
		t.reset(e)
	case t.dormant && e.offering():
		t.begin(e, e.cfg.BeaconMax)
	}
}

// HandleBeacon handles a beacon heard on the LAN from the host at from (the
// packet's source address; its port is ignored).
func (e *Engine) HandleBeacon(now Time, b *Beacon, from Addr) []Output {
	e.begin(now)
	if !e.active() || b.ID == e.id || b.ID == 0 || b.Port == 0 {
		return e.box.out
	}
	e.beacon.heard++
	if e.beaconContradictsLink(b) || !e.known.observe(e, b.ID, from.WithPort(b.Port), b.Instance, b.Load, newsBeacon) {
		e.stats.BeaconConflicts++
		return e.box.out // a replay, or a stranger using the peer's id (claims.go)
	}
	if b.Flags&HelloNeedy != 0 && !e.linkedOrPending(b.ID) {
		// A node below its minimum degree (a newcomer, a restarted node, a
		// node that lost its links) is looking for peers: answer soon, even
		// when full, since a full node makes room for it.
		e.answerNeedyUntil = now + 2*e.cfg.BeaconMin
		e.beacon.reset(e)
	}
	if b.Load.FreeIn > 0 || e.needy() {
		e.scheduleDial()
	}
	return e.box.out
}
