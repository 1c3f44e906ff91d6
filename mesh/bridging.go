package mesh

// LAN bridging. With static peers bridging LANs, the bridge node's links
// tend to fill with far peers (peer exchange offers them), and a LAN whose
// bridge has no link into it becomes an island. bridgeLAN keeps every
// node with static peers or a link to another LAN linked into its own LAN;
// reachElsewhere links LANs again when their bridges die.

// bridgeLAN keeps bridges linked into their own LAN. A node with static
// peers or a link to another LAN (lan.go) whose links all lead elsewhere
// (a bridge, which peer exchange fills with far peers; the first node of a
// LAN, which the first nodes of the others dial) while it knows peers on
// its LAN dials one of them with priority, dropping an outgoing link if it
// has no room. This keeps LANs from becoming islands, and what the bridge
// learns of other LANs flows into its own.
func (e *Engine) bridgeLAN() {
	bridge := len(e.statics) > 0
	for i := range e.links {
		if e.links[i].lan() || (e.links[i].peer != 0 && e.known.onLAN(e.links[i].peer)) {
			return
		}
		bridge = bridge || e.links[i].elsewhere()
	}
	if !bridge {
		return
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

// reachElsewhere keeps LANs from becoming islands when their bridges die:
// a node that has lost a link to a crash (a dead link), is short (fewer
// links than MaxOut) and has no link off its LAN dials a peer it knows to
// be on another LAN, one at a time, while it has room for another outgoing
// link. After a mass failure every survivor is short, so each LAN's
// survivors try the far peers they know until some answer, and a LAN whose
// bridges all died links to the others again (lan.go says how nodes know
// where peers are). Nodes that never saw a crash do not, so that a LAN
// joining does not link every newcomer across a WAN. On one LAN nobody
// knows a peer elsewhere, and nothing changes.
func (e *Engine) reachElsewhere() {
	if e.stats.DeadLinks == 0 || !e.short() || e.wantOut() <= 0 {
		return
	}
	for i := range e.links {
		if e.links[i].elsewhere() {
			return
		}
	}
	for i := range e.dials {
		if e.known.elsewhere(e.dials[i].peer) {
			return
		}
	}
	if k := e.pickKnownWhere(true, (*knownPeer).elsewhere); k >= 0 {
		e.startDial(e.known.dial(k))
	}
}
