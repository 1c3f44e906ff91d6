package mesh

// Peer exchange. When a link is established (the acceptor's sample rides
// on its Welcome, the dialer's follows in a Peers frame), and every
// ExchangeInterval with one random neighbour, a node sends a sample of the peers it knows with
// their free slots: its neighbours (whose load it hears in every ping) and
// its passive list. This is how knowledge of peers spreads beyond one LAN and
// how a node finds replacements that beacons alone would not show it. A node
// that refuses a dialer for lack of room refers it to neighbours with free
// slots and to the dialers it refused just before that have free slots
// themselves (refer).

func (e *Engine) sendPeers(i int) { e.exchange(i, false) }

// exchange sends a sample of known peers on link i (peerSample); tellTag
// sends the frame even with no peer in it, for the LAN tag it carries
// (lan.go).
func (e *Engine) exchange(i int, tellTag bool) {
	if e.cfg.adversary.Siphon() || e.cfg.ExchangeSize == 0 {
		return
	}
	peers := e.peerSample(i, e.links[i].elsewhere())
	if len(peers) == 0 && !tellTag {
		return
	}
	e.send(i, Frame{Type: FramePeers, Peers: peers, LAN: e.lanTag()})
}

// peerSample is the sample of known peers an exchange on link i names
// (none from a siphoner). Half its room goes first to what the receiver
// lacks most (sampleWhere): within our LAN, peers known to be elsewhere,
// its way out should the LAN's bridges die; across a LAN's edge, peers on
// our LAN, which are elsewhere for the receiver (peers we know to be
// elsewhere may be on its LAN, and it could not place them). So the few
// nodes with links off a LAN bring in many peers elsewhere, and every node
// of the LAN soon knows several.
func (e *Engine) peerSample(i int, elsewhere bool) []PeerInfo {
	return e.peerSampleFor(e.links[i].peer, elsewhere)
}

// peerSampleFor is peerSample for a receiver known by its id (zero: not
// known yet), elsewhere or not.
func (e *Engine) peerSampleFor(peer NodeID, elsewhere bool) []PeerInfo {
	if e.cfg.adversary.Siphon() || e.cfg.ExchangeSize == 0 {
		return nil
	}
	peers := e.box.peerList(e.cfg.ExchangeSize)
	if elsewhere {
		peers = e.sampleWhere(peers, peer, (*knownPeer).onLAN)
	} else {
		peers = e.sampleWhere(peers, peer, (*knownPeer).elsewhere)
	}
	return e.samplePeers(peers, peer, false)
}

// samplePeers fills res up to its capacity with peers other than exclude,
// uniformly by reservoir sampling (the entries res already holds stay): the
// neighbours (full ones too: a needy receiver may ask them to make room) and
// the known peers with free slots, and those known to be on another LAN
// even when full; for a referral, only the neighbours with free slots. None
// of them is one res already names.
func (e *Engine) samplePeers(res []PeerInfo, exclude NodeID, referral bool) []PeerInfo {
	far := res[:len(res):len(res)]
	named := func(id NodeID) bool {
		for i := range far {
			if far[i].ID == id {
				return true
			}
		}
		return false
	}
	fixed, seen := len(res), 0
	offer := func(p PeerInfo) {
		if len(res) < cap(res) {
			res = append(res, p)
		} else if j := e.rng.IntN(seen + 1); j < len(res)-fixed {
			res[fixed+j] = p
		}
		seen++
	}
	for i := range e.links {
		l := &e.links[i]
		if l.state == linkEstablished && l.peer != exclude && l.addr.Port != 0 && (!referral || l.peerLoad.FreeIn > 0) && !named(l.peer) {
			offer(PeerInfo{ID: l.peer, Addr: l.addr, FreeIn: l.peerLoad.FreeIn, Place: l.place()})
		}
	}
	if referral {
		return res
	}
	for i := range e.known.list {
		p, id := &e.known.list[i], e.known.ids[i]
		if id != exclude && !named(id) && (p.freeIn > 0 || p.elsewhere()) && !e.linkedOrPending(id) {
			offer(PeerInfo{ID: id, Addr: p.addr, FreeIn: p.freeIn, Place: p.place})
		}
	}
	return res
}

// sampleWhere appends to res, in up to half the room it has left, peers
// of the passive list that pass keep, other than exclude, drawn uniformly
// (reservoir sampling). Uniformly, not by free slots as a dial chooses:
// these are named for where they are. When every exchange named the one
// peer elsewhere with the most free slots (news that is stale by the time
// it crosses a LAN), every node of a LAN with one bridge knew the same
// twenty or so; after 90% of ten LANs of 1,000 crashed none of those
// survived in a LAN of seeds 6, 9 and 10, and it stayed apart.
func (e *Engine) sampleWhere(res []PeerInfo, exclude NodeID, keep func(*knownPeer) bool) []PeerInfo {
	start, room, seen := len(res), (cap(res)-len(res)+1)/2, 0
	for i := range e.known.list {
		p, id := &e.known.list[i], e.known.ids[i]
		if id == exclude || !keep(p) {
			continue
		}
		pi := PeerInfo{ID: id, Addr: p.addr, FreeIn: p.freeIn, Place: p.place}
		if len(res)-start < room {
			res = append(res, pi)
		} else if j := e.rng.IntN(seen + 1); j < room {
			res[start+j] = pi
		}
		seen++
	}
	return res
}

// refer answers a dialer that is refused for lack of room (link i, still
// in its handshake) with a referral: a Peers frame, sent before the Reject,
// naming up to ExchangeSize peers with free slots whose news is fresh: the
// dialers refused just before (see waitingDialers) and neighbours (their
// load comes with every keepalive), so that the dialer's next try goes where
// there is room. When a LAN joins at once, its newcomers hear the same few
// beacons and dial the same nodes; referrals spread them over the nodes
// that joined just before, which have free slots. The passive list is left
// out: its news of free slots is too old to send anybody on. The dialer
// takes the referral for the refusal (onReferral); the Reject still follows,
// for a dialer that is sent no referral.
func (e *Engine) refer(i int) {
	if e.cfg.adversary.Siphon() || e.cfg.ExchangeSize == 0 {
		return
	}
	l := &e.links[i]
	peers := e.box.peerList(e.cfg.ExchangeSize)
	if e.waiting != nil {
		peers = e.waiting.name(e, peers, l.peer)
	}
	if peers = e.samplePeers(peers, l.peer, true); len(peers) > 0 {
		e.send(i, Frame{Type: FramePeers, Peers: peers, LAN: e.lanTag()})
	}
	if l.peerLoad.FreeIn > 0 && l.addr.Port != 0 {
		if e.waiting == nil {
			e.waiting = new(waitingDialers)
		}
		// A Hello's load is a claim: nobody is named more often than a
		// node of ours could have free slots.
		free := min(l.peerLoad.FreeIn, clamp8(e.cfg.MaxIn))
		e.waiting.add(e, PeerInfo{ID: l.peer, Addr: l.addr, FreeIn: free, Place: l.place()})
	}
}

// waitingDialers remembers the last few dialers this node refused for lack
// of room that have free incoming slots themselves. Dialers refused for lack
// of room are the nodes with free outgoing slots, and those among them with
// free incoming slots are what the others look for: so a full node that
// many dial (a LAN joining at once hears the same few beacons; a settled
// LAN's last free slots are scattered) introduces them to each other. Their
// news is first hand and milliseconds old: each says its load in its Hello.
// An entry is named in referrals for BeaconMin at most, and at most as many
// times as it has free slots, so that it does not become the next crowded
// node.
type waitingDialers [4]waitingDialer

type waitingDialer struct {
	peer PeerInfo // FreeIn counts the referrals it may still be named in
	at   Time     // refused then
}

// add remembers a refused dialer, in place of the oldest entry.
func (w *waitingDialers) add(e *Engine, p PeerInfo) {
	oldest := 0
	for k := range w {
		if w[k].peer.ID == p.ID {
			oldest = k
			break
		}
		if w[k].at < w[oldest].at {
			oldest = k
		}
	}
	w[oldest] = waitingDialer{peer: p, at: e.now}
}

// name appends to res, up to its capacity, the dialers refused within the
// last BeaconMin that still have a slot to offer, other than exclude.
func (w *waitingDialers) name(e *Engine, res []PeerInfo, exclude NodeID) []PeerInfo {
	for k := range w {
		d := &w[k]
		if len(res) == cap(res) {
			break
		}
		if d.peer.FreeIn == 0 || d.peer.ID == exclude || e.now-d.at > e.cfg.BeaconMin {
			continue
		}
		res = append(res, d.peer)
		d.peer.FreeIn--
	}
	return res
}

// exchangeWithRandomNeighbour sends a peer exchange to a neighbour drawn
// uniformly among the established links that pass keep (nil keeps all).
func (e *Engine) exchangeWithRandomNeighbour(keep func(*link) bool) {
	ok := func(l *link) bool { return l.state == linkEstablished && (keep == nil || keep(l)) }
	n := 0
	for i := range e.links {
		if ok(&e.links[i]) {
			n++
		}
	}
	if n == 0 {
		return
	}
	r := e.rng.IntN(n)
	for i := range e.links {
		if !ok(&e.links[i]) {
			continue
		}
		if r == 0 {
			e.sendPeers(i)
			return
		}
		r--
	}
}

// onPeers merges a received sample (Peers frame f on link i) into the
// passive list, with where each peer is as far as the sender's place and
// its own tell (lan.go).
func (e *Engine) onPeers(i int, f *Frame) {
	e.learnPeers(i, f)
	e.dialForNews()
}

// dialForNews is the dial decision news of peers calls for: the node
// decides its next dial soon (the dial timer) if it wants more links.
func (e *Engine) dialForNews() {
	if e.wantOut() > 0 {
		e.scheduleDial()
	}
}

// learnPeers is onPeers without the dial decision it may call for.
func (e *Engine) learnPeers(i int, f *Frame) {
	before := e.links[i].place()
	e.locatePeer(i, f.LAN)
	e.answerNewPlace(i, before, e.links[i].place())
	e.mergePeers(i, f.Peers, f.LAN)
}

// takePeers merges the sample peers, received on link i from a peer
// already placed (a Peers frame, or the Welcome that carries the
// acceptor's exchange) whose handshake told LAN tag told, into the passive
// list, notes news of peers elsewhere to pass on (elsewhere.go), and dials
// if the node wants more links.
func (e *Engine) takePeers(i int, peers []PeerInfo, told LANTag) {
	e.mergePeers(i, peers, told)
	e.dialForNews()
}

// mergePeers is takePeers without the dial decision.
func (e *Engine) mergePeers(i int, peers []PeerInfo, told LANTag) {
	sender := e.links[i].place()
	across := e.linkedElsewhere()
	oldName := e.oldNameElsewhere(told)
	for _, p := range peers {
		if p.ID == e.id || e.isBanned(p.ID) {
			continue
		}
		place := relayed(p.Place, sender, across)
		if oldName && p.Place == PlaceOtherLAN {
			place = PlaceUnknown
		}
		news := place == PlaceOtherLAN && !e.known.elsewhere(p.ID)
		e.heardOfAt(p.ID, p.Addr, 0, Load{FreeIn: p.FreeIn}, newsExchange, place)
		if news && e.known.elsewhere(p.ID) {
			e.lanFacts.set(elsewhereNews, true)
		}
	}
}

// onReferral handles a referral (Peers frame f on link i, an outgoing
// connection still in its handshake): the peer is full. Only a refusal for
// lack of room comes with one, so the referral is the refusal: the node
// learns the peers named and gives up the connection at once, as it would
// on the Reject that follows, which then finds it closed; and it decides
// its next dial at once (onReject).
func (e *Engine) onReferral(i int, f *Frame) {
	// A dial to a peer known to be elsewhere before it answered, other
	// than a static one, is a reach across (bridging.go); so is one the
	// refusal placed elsewhere while the node reaches across. A hunt's dial
	// that a refusal placed elsewhere is not: following it crossed the WAN
	// of wan.yaml before any failure (seed 4: p99 1.78 s against 0.5).
	peer, static := e.links[i].peer, e.links[i].static()
	reach := !static && e.known.elsewhere(peer)
	e.learnPeers(i, f)
	if !e.dialsOnRefusal() {
		e.dialForNews() // else onReject decides the next dial at once
	}
	e.onReject(i, ReasonFull)
	if !static && (reach || e.known.elsewhere(peer) && e.reaching()) {
		e.followReferral(f.Peers)
	}
}
