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
// short node that lost any link to a crash does the same while it has
// room, so that a LAN whose bridges all died links to the others again
// (lan.go says how nodes know where peers are). Nodes that never saw a
// link die do not, so that a LAN joining does not link every newcomer
// across a WAN. On one LAN nobody knows a peer elsewhere, and nothing
// changes.
func (e *Engine) reachElsewhere() {
	afterFailure := e.stats.DeadLinks > 0 && e.short() && e.wantOut() > 0
	if !e.lanFacts.has(lostElsewhere) && !afterFailure {
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
	e.startDial(e.known.dial(k))
}
