package mesh

// LAN bridging. With static peers bridging LANs, the bridge node's links
// tend to fill with far peers (peer exchange offers them), and a LAN whose
// bridge has no link into it becomes an island. bridgeLAN keeps every
// node with static peers or a link to another LAN linked into its own LAN;
// reachElsewhere links LANs again when their bridges die.

// bridgeLAN keeps bridges linked into their own LAN. A node with static
// peers or a link to another LAN (lan.go) without a link to a peer of its
// LAN that is no bridge itself (a bridge, which peer exchange fills with far
// peers; the first node of a LAN, which the first nodes of the others dial)
// while it knows peers on its LAN dials one of them with priority, dropping
// an outgoing link if it has no room. This keeps LANs from becoming
// islands, and what the bridge learns of other LANs flows into its own.
// Links to other bridges do not count: the bridges of a LAN start alike,
// hear each other's beacons and link to each other, and with those counted
// every bridge was "in its LAN" while the rest of the LAN, which never heard
// their beacons, stayed an island (wan.yaml at seed 11, and 14 at fb88488:
// east and west apart from the start).
func (e *Engine) bridgeLAN() {
	if !e.bridging() {
		return
	}
	for i := range e.links {
		l := &e.links[i]
		if (l.lan() || l.peer != 0 && e.known.onLAN(l.peer)) && !l.toBridge() {
			return
		}
	}
	for i := range e.dials {
		if e.dials[i].priority || e.known.onLAN(e.dials[i].peer) {
			return
		}
	}
	k := e.pickKnownWhere(true, (*knownPeer).onLAN)
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

// bridging reports whether the node bridges LANs: it has static peers or
// a link to another LAN. Its handshakes say so (HelloBridge).
func (e *Engine) bridging() bool {
	return len(e.statics) > 0 || e.linkedElsewhere()
}

// linkedElsewhere reports whether the node has a link to a peer on
// another LAN (lan.go).
func (e *Engine) linkedElsewhere() bool {
	for i := range e.links {
		if e.links[i].elsewhere() {
			return true
		}
	}
	return false
}

// reachElsewhere keeps LANs from becoming islands when their bridges die.
// A node whose link off its LAN died (its peer crashed or the WAN cut it),
// or whose link to a bridge died (its handshake said it bridges: the
// bridge's LAN neighbours take over from it), and that has no link off its
// LAN dials a peer it knows to be on
// another LAN, one at a time, dropping an outgoing link if it has no room:
// the LAN's end of a WAN link is one link among many and never short, so
// waiting for room would leave two LANs cut apart once their bridges
// crashed together. After a mass failure every survivor is short, and a
// node that lost any link to a crash does the same while it has room and
// is short, and for reachTriesAfterDeath dials after its last link died
// even once it is not, so that a LAN whose bridges all died links to the
// others again (lan.go says how nodes know where peers are). Nodes that
// never saw a link die do not, so that a LAN joining does not link every
// newcomer across a WAN. On one LAN nobody knows a peer elsewhere, and
// nothing changes.
func (e *Engine) reachElsewhere() {
	if !e.reaching() {
		return
	}
	if e.linkedElsewhere() {
		e.lanFacts.set(lostElsewhere, false)
		return
	}
	for i := range e.dials {
		if e.known.elsewhere(e.dials[i].peer) {
			return
		}
	}
	k := e.pickKnownWhere(true, (*knownPeer).elsewhere)
	if k < 0 || e.wantOut() <= 0 && !e.dropOutgoing() {
		return
	}
	if e.hunt.reachTries > 0 {
		e.hunt.reachTries--
	}
	e.startDial(e.known.dial(k))
}

// reaching reports whether the node reaches across (reachElsewhere): its
// link off its LAN or to a bridge died, or it lost a link to a crash and
// is short or has tries left, with room.
func (e *Engine) reaching() bool {
	afterFailure := e.stats.DeadLinks > 0 && (e.short() || e.hunt.reachTries > 0) && e.wantOut() > 0
	return e.lanFacts.has(lostElsewhere) || afterFailure
}

// reachTriesAfterDeath is how many dials to peers elsewhere a node that
// lost a link to a crash makes whether it is short or not. A LAN cut off
// by a mass failure regains its links within two or three seconds, and
// its survivors stop being short long before their dials across (mostly
// to dead peers: 90% of what they knew of other LANs died too) find a live
// one: in seed 27 of many-lans-mass-failure (with the periodic exchange
// postponed by other exchanges), nine survivors of lan4 knew the one live
// peer elsewhere their LAN knew of, none of them short, and the LAN stayed
// apart to the end.
const reachTriesAfterDeath = 3

// followReferral goes on with a dial to a peer elsewhere (reachElsewhere's:
// no other dial but a static one crosses), or to one the refusal placed
// elsewhere while the node reaches across, that was refused for lack of
// room, where the referral points: it dials at once one of the
// peers named that it now knows to be elsewhere (the referrer's LAN
// neighbours) and that have free slots, first-hand news milliseconds old.
// After a mass failure most of the peers elsewhere a LAN knows are dead,
// and it may know only one or two live ones: a refusal by one of those is
// the LAN's way to the others, and the node that got it has often stopped
// reaching across by then (it regained its LAN links). Seed 3 of
// many-lans-mass-failure with the periodic exchange postponed by other
// exchanges: three survivors of lan4 were refused by the one live peer
// elsewhere they knew, each with a referral naming live peers elsewhere
// with room; none dialed them, and lan4 stayed apart for good.
func (e *Engine) followReferral(peers []PeerInfo) {
	if e.linkedElsewhere() || e.wantOut() <= 0 {
		return
	}
	pick, seen := -1, 0
	for _, p := range peers {
		k := e.known.index(p.ID)
		if k < 0 || p.FreeIn == 0 || !e.known.list[k].elsewhere() || !e.dialable(k) {
			continue
		}
		if seen++; e.rng.IntN(seen) == 0 {
			pick = k
		}
	}
	if pick >= 0 {
		e.startDial(e.known.dial(pick))
	}
}
