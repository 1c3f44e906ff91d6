package mesh

// Anti-siphoning. A siphoner takes links but serves nobody: it accepts no
// incoming links and relays nothing. Honest nodes recognise it by the load it
// reports (no incoming links and no free slot, in its Hello and pings) and
// give such free riders at most MaxFreeRiders of their incoming slots, refuse
// them while at that cap, evict them first when a needy node needs room, and
// never dial peers that offer no slots. A free rider that becomes one after
// being accepted and pushes the count over the cap is dropped and banned for
// BanTime (the last 256 such bans are kept). Config.Validate rejects honest
// configurations with fewer incoming than outgoing slots, which would siphon
// capacity from the mesh by design.

type ban struct {
	id    NodeID
	until Time
}

func (e *Engine) isBanned(id NodeID) bool {
	for i := range e.banned {
		if e.banned[i].id == id && e.banned[i].until > e.now {
			return true
		}
	}
	return false
}

func (e *Engine) banPeer(id NodeID) {
	if e.cfg.BanTime <= 0 {
		return
	}
	for i := range e.banned {
		if e.banned[i].id == id {
			e.banned[i].until = e.now + e.cfg.BanTime
			return
		}
	}
	if len(e.banned) >= maxBans {
		// A stranger that keeps coming back under new ids must not grow
		// the list without end: the ban that ends soonest makes room.
		soonest := 0
		for i := range e.banned {
			if e.banned[i].until < e.banned[soonest].until {
				soonest = i
			}
		}
		e.banned = append(e.banned[:soonest], e.banned[soonest+1:]...)
	}
	e.banned = append(e.banned, ban{id: id, until: e.now + e.cfg.BanTime})
	e.known.forget(id)
}

// maxBans bounds the list of banned peers.
const maxBans = 256

func (e *Engine) expireBans() {
	j := 0
	for _, b := range e.banned {
		if b.until > e.now {
			e.banned[j] = b
			j++
		}
	}
	e.banned = e.banned[:j]
}

// isFreeRider reports whether the peer of an established incoming link offers
// no incoming links of its own.
func (l *link) isFreeRider() bool {
	return l.state == linkEstablished && l.dir == Incoming && !l.peerLoad.OffersLinks()
}

func (e *Engine) countFreeRiders() int {
	n := 0
	for i := range e.links {
		if e.links[i].isFreeRider() {
			n++
		}
	}
	return n
}

// checkFreeRider enforces the cap after the load of link i's peer changed.
func (e *Engine) checkFreeRider(i int) {
	if !e.links[i].isFreeRider() || e.countFreeRiders() <= e.cfg.MaxFreeRiders {
		return
	}
	e.stats.FreeRiders++
	e.banPeer(e.links[i].peer)
	e.closeLink(i, ReasonFreeRider, true)
}
