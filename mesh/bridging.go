package mesh

// LAN bridging. With static peers bridging LANs, the bridge node's links
// tend to fill with far peers (peer exchange offers them), and a LAN whose
// bridge has no link into it becomes an island. bridgeLAN keeps every
// node with static peers linked into its own LAN.

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
