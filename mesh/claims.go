package mesh

import "math"

// Claims and evidence. What a beacon says (a node id, its instance, its
// port and load) is a claim: anybody on the LAN can send any beacon, replay
// a real one later or alter it, and peer exchange passes on such claims
// second hand. A Welcome on a connection this node dialed is evidence: a
// node with that id answered at that address. The engine never lets a claim
// undo evidence, and it notices when claims keep failing:
//
//   - a beacon that gives a linked peer another instance or port closes the
//     link only when the link has gone quiet (nothing heard for longer than
//     halfway from the longest silence of a healthy peer to DeadAfter: 2 5/8
//     keepalive intervals by default): then the peer really
//     restarted and the link belongs to its previous life. While the link
//     is alive the beacon is a replay or a stranger using the peer's id,
//     and it is ignored;
//   - a peer forgotten after three failed dials keeps its backoff when a
//     beacon of the very same life at the same address brings it back (a
//     dead node's beacon replayed): it is dialed at ever longer intervals,
//     up to 64 DialBackoffs, not three times a cycle forever;
//   - a claimed peer at the address of a node we are linked with is not
//     dialed (knownPeers.dialable): one altered beacon (a flipped bit in the
//     id) would otherwise send the node to its own neighbour over and over,
//     which refuses it each time as linked already; nor at an address where
//     a dial reached the node itself (its own beacon, altered);
//   - a claim does not move a peer whose address a Welcome confirmed; a
//     failed dial takes the confirmation back, so a peer that really moved
//     is learnt again from its next beacon;
//   - while the LAN is flooded with strangers (more nodes never heard of
//     before announce themselves in a maintenance period than the passive
//     list holds, so that the list is replaced entirely), the node does not
//     rotate links away (healing.go): the peer it would dial instead is
//     most likely bogus;
//   - a node whose dials of claimed peers fail more times in a row than its
//     passive list holds is being fed bogus beacons (or its LAN has
//     collapsed): it waits between rounds of dials, DialBackoff doubling
//     with every further failure up to 64 times, and tries the peers a
//     Welcome confirmed first. The first dial that succeeds ends this.
//
// A flood of bogus beacons thus costs a few dials a minute rather than a
// dial storm, and neither the node's links nor the peers it has linked with
// before. Ignored beacons and paused rounds are counted
// (Stats.BeaconConflicts, Stats.DialPauses) for the driver to report. A
// network key (package netkey) keeps strangers' beacons out altogether.

// linkQuiet reports a link heard from less recently than a healthy link
// ever is: halfway between the longest silence of a healthy peer (quietGap,
// healing.go) and DeadAfter.
func (e *Engine) linkQuiet(l *link) bool {
	return e.now-l.lastRecv > (e.quietGap()+e.cfg.DeadAfter)/2
}

// beaconContradictsLink checks a beacon against the links to its sender. It
// reports true when the beacon gives a live link's peer another instance or
// port, and must be ignored. A quiet link to a peer that announces a new
// life is closed instead, and the peer's address may be learnt anew.
func (e *Engine) beaconContradictsLink(b *Beacon) bool {
	for i := 0; i < len(e.links); {
		l := &e.links[i]
		if l.peer != b.ID || l.state != linkEstablished || (l.peerInst == b.Instance && l.addr.Port == b.Port) {
			i++
			continue
		}
		if !e.linkQuiet(l) {
			return true
		}
		e.closeLink(i, ReasonDead, false) // the next link moves into i
		e.known.unconfirm(b.ID)
	}
	return false
}

// strangerHeard counts a node first heard of by beacon.
func (e *Engine) strangerHeard() {
	if e.strangers[0] < math.MaxUint16 {
		e.strangers[0]++
	}
}

// lanFlooded reports more strangers in this or the last maintenance period
// than the passive list holds.
func (e *Engine) lanFlooded() bool {
	return int(max(e.strangers[0], e.strangers[1])) > e.cfg.PassiveSize
}

// newPeriodOfStrangers starts a maintenance period's count of strangers.
func (e *Engine) newPeriodOfStrangers() {
	e.strangers[1], e.strangers[0] = e.strangers[0], 0
}

// maxSelfAddrs bounds the addresses remembered as this node's own: one per
// interface it can be reached on, in practice.
const maxSelfAddrs = 8

// isSelf reports an address where a dial reached this node itself.
func (e *Engine) isSelf(a Addr) bool {
	for _, s := range e.selfAddrs {
		if s == a {
			return true
		}
	}
	return false
}

// neighbourAt reports an established link to a node listening at a.
func (e *Engine) neighbourAt(a Addr) bool {
	for i := range e.links {
		if e.links[i].state == linkEstablished && e.links[i].addr == a {
			return true
		}
	}
	return false
}

// claimFailed records a dial of a claimed peer that failed: nothing
// answered, or something else than a node with the claimed id.
func (e *Engine) claimFailed() {
	if e.dialFails < 1<<30 {
		e.dialFails++
	}
	if over := int(e.dialFails) - e.cfg.PassiveSize; over > 0 {
		e.stats.DialPauses++
		e.dialPauseUntil = e.now + backoff(e.cfg.DialBackoff, uint8(min(over, 7)))
	}
}

// claimHeld records a dial that a Welcome answered.
func (e *Engine) claimHeld() {
	e.dialFails, e.dialPauseUntil = 0, 0
}

// dialsPaused reports whether dials of claimed peers wait.
func (e *Engine) dialsPaused() bool { return e.now < e.dialPauseUntil }

// pickPeer chooses a known peer to dial (knownPeers.pick); while dials keep
// failing, a peer a Welcome confirmed comes first.
func (e *Engine) pickPeer() int {
	if int(e.dialFails) > e.cfg.PassiveSize {
		if k := e.pickKnownWhere(e.mayDialFull(), (*knownPeer).isConfirmed); k >= 0 {
			return k
		}
	}
	return e.pickKnown()
}
