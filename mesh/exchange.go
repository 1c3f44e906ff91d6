package mesh

// Peer exchange. When a link is established, and every ExchangeInterval with
// one random neighbour, a node sends a sample of the peers it knows with
// their free slots: its neighbours (whose load it hears in every ping) and
// its passive list. This is how knowledge of peers spreads beyond one LAN and
// how a node finds replacements that beacons alone would not show it.

func (e *Engine) sendPeers(i int) {
	if e.cfg.Siphon || e.cfg.ExchangeSize == 0 {
		return
	}
	peers := e.samplePeers(e.links[i].peer)
	if len(peers) == 0 {
		return
	}
	e.send(i, Frame{Type: FramePeers, Peers: peers})
}

// samplePeers picks up to ExchangeSize peers other than exclude, uniformly
// by reservoir sampling: the neighbours (full ones too: a needy receiver may
// ask them to make room) and the known peers with free slots.
func (e *Engine) samplePeers(exclude NodeID) []PeerInfo {
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
		if l.state == linkEstablished && l.peer != exclude && l.addr.Port != 0 {
			offer(PeerInfo{ID: l.peer, Addr: l.addr, FreeIn: l.peerLoad.FreeIn})
		}
	}
	for i := range e.known.list {
		p := &e.known.list[i]
		if p.id != exclude && p.freeIn > 0 && !e.linkedOrPending(p.id) {
			offer(PeerInfo{ID: p.id, Addr: p.addr, FreeIn: p.freeIn})
		}
	}
	return res
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
		e.known.observe(e, p.ID, p.Addr, 0, Load{FreeIn: p.FreeIn}, false)
	}
	if e.wantOut() > 0 {
		e.scheduleDial()
	}
}
