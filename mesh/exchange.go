package mesh

// Peer exchange. When a link is established, and every ExchangeInterval with
// one random neighbour, a node sends a sample of the peers it knows with
// their free slots: its neighbours (whose load it hears in every ping) and
// its passive list. This is how knowledge of peers spreads beyond one LAN and
// how a node finds replacements that beacons alone would not show it. A node
// that refuses a dialer for lack of room refers it to neighbours with free
// slots (refer).

func (e *Engine) sendPeers(i int) {
	if e.cfg.Siphon || e.cfg.ExchangeSize == 0 {
		return
	}
	peers := e.samplePeers(e.links[i].peer, false)
	if len(peers) == 0 {
		return
	}
	e.send(i, Frame{Type: FramePeers, Peers: peers})
}

// samplePeers picks up to ExchangeSize peers other than exclude, uniformly
// by reservoir sampling: the neighbours (full ones too: a needy receiver may
// ask them to make room) and the known peers with free slots; for a
// referral, only the neighbours with free slots.
func (e *Engine) samplePeers(exclude NodeID, referral bool) []PeerInfo {
	res := make([]PeerInfo, 0, e.cfg.ExchangeSize)
	seen := 0
	offer := func(p PeerInfo) {
		if len(res) < cap(res) {
			res = append(res, p)
		} else if j := e.rng.IntN(seen + 1); j < len(res) {
			res[j] = p
		}
		seen++
	}
	for i := range e.links {
		l := &e.links[i]
		if l.state == linkEstablished && l.peer != exclude && l.addr.Port != 0 && (!referral || l.peerLoad.FreeIn > 0) {
			offer(PeerInfo{ID: l.peer, Addr: l.addr, FreeIn: l.peerLoad.FreeIn})
		}
	}
	if referral {
		return res
	}
	for i := range e.known.list {
		p := &e.known.list[i]
		if p.id != exclude && p.freeIn > 0 && !e.linkedOrPending(p.id) {
			offer(PeerInfo{ID: p.id, Addr: p.addr, FreeIn: p.freeIn})
		}
	}
	return res
}

// refer answers a dialer that is refused for lack of room (link i, still
// in its handshake) with a referral: a Peers frame, sent before the Reject,
// naming up to ExchangeSize neighbours that have free slots (their load is
// fresh: it comes with every keepalive), so that the dialer's next try goes
// where there is room. When a LAN joins at once, its newcomers hear the same
// few beacons and dial the same nodes; referrals spread them over the nodes
// that joined just before, which have free slots. The passive list is left
// out: its news of free slots is too old to send anybody on.
func (e *Engine) refer(i int) {
	if e.cfg.Siphon || e.cfg.ExchangeSize == 0 {
		return
	}
	if peers := e.samplePeers(e.links[i].peer, true); len(peers) > 0 {
		e.send(i, Frame{Type: FramePeers, Peers: peers})
	}
}

func (e *Engine) exchangeWithRandomNeighbour() {
	n := 0
	for i := range e.links {
		if e.links[i].state == linkEstablished {
			n++
		}
	}
	if n == 0 {
		return
	}
	r := e.rng.IntN(n)
	for i := range e.links {
		if e.links[i].state != linkEstablished {
			continue
		}
		if r == 0 {
			e.sendPeers(i)
			return
		}
		r--
	}
}

// onPeers merges a received sample into the passive list.
func (e *Engine) onPeers(i int, peers []PeerInfo) {
	for _, p := range peers {
		if p.ID == e.id || e.isBanned(p.ID) {
			continue
		}
		e.known.observe(e, p.ID, p.Addr, 0, Load{FreeIn: p.FreeIn}, newsExchange)
	}
	if e.wantOut() > 0 {
		e.scheduleDial()
	}
}
