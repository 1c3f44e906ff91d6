package mesh

// The passive list: peers this node has heard of, from beacons on its LAN and
// from peer exchange over links, with their last known load. It is bounded,
// entries expire, and it is where replacement links come from. knownPeers
// is the list alone, told the time and limits it needs; the engine feeds it
// (heardOf) and chooses from it whom to dial (dialing.go).

// knownPeer is an entry of the passive list. Its id is knownPeers.ids at
// the same position, and the time before which it may not be dialed, if
// any, is in knownPeers.waits: a million-node simulation keeps 32 entries
// per node, all of them with an id and few with a wait, and 40-byte entries
// put a full list in the 1,280-byte size class rather than 1,536.
type knownPeer struct {
	instance uint64
	heard    Time // last news of the peer
	addr     Addr
	freeIn   uint8
	fails    uint8
	place    Place // on our LAN (heard by beacon, or told so), on another, or unknown (lan.go)
	refused  bool  // it refused us for lack of room, and has not spoken to us since
	// confirmed: a handshake on a connection we dialed to addr answered
	// with this id. Claims (beacons, peer exchange) do not move a confirmed
	// peer (see claims.go); a failed dial takes the confirmation back.
	confirmed bool
	// waiting: the entry has a wait in knownPeers.waits (waitUntil).
	waiting bool
}

// news says where news of a peer comes from.
type news uint8

const (
	newsBeacon   news = iota + 1 // a beacon heard on our LAN: a claim
	newsExchange                 // peer exchange: a claim, second hand
	newsHello                    // the peer's own Hello on a connection it opened
	newsWelcome                  // the peer's Welcome on a connection we dialed: evidence
)

// claim reports news that anybody could have made up.
func (n news) claim() bool { return n == newsBeacon || n == newsExchange }

type knownPeers struct {
	list []knownPeer
	// ids holds the id of list[i] at i: every beacon, handshake and exchanged
	// peer looks its peer up, and scanning 8-byte ids touches a fifth of
	// the memory that scanning 40-byte entries does.
	ids []NodeID
	// waits holds, for the entries that may not be dialed yet (refused,
	// failed, backed off), the time from which they may; an entry without
	// one may be dialed. An expired wait may linger until the next expire,
	// which lets go of an empty list: few nodes have waits for long, and
	// every object a million engines keep is work for the collector.
	waits []peerWait
	// gone remembers the last PassiveSize peers forgotten for failing, so
	// that news repeating the very same life at the very same address (a
	// replayed beacon of a dead node) does not restart its backoff. It is
	// nil until a peer fails for good (rare), and behind a pointer, so
	// that the engine stays in its size class.
	gone *goneList
}

type goneList struct{ peers []gonePeer }

type peerWait struct {
	id    NodeID
	until Time
}

// gonePeer is a peer forgotten for failing.
type gonePeer struct {
	id      NodeID
	retryAt Time
	knownPeer
}

// waitUntil returns the time before which entry i may not be dialed, 0 for
// none.
func (k *knownPeers) waitUntil(i int) Time {
	if !k.list[i].waiting {
		return 0
	}
	id := k.ids[i]
	for _, w := range k.waits {
		if w.id == id {
			return w.until
		}
	}
	return 0
}

// setWait records that entry i may not be dialed before until.
func (k *knownPeers) setWait(i int, until Time) {
	id := k.ids[i]
	if k.list[i].waiting {
		for j := range k.waits {
			if k.waits[j].id == id {
				k.waits[j].until = until
				return
			}
		}
	}
	k.list[i].waiting = true
	k.waits = append(k.waits, peerWait{id, until})
}

// clearWait forgets the wait of entry i: it leaves the list, or its peer
// started a new life.
func (k *knownPeers) clearWait(i int) {
	if !k.list[i].waiting {
		return
	}
	k.list[i].waiting = false
	id, w := k.ids[i], k.waits
	for j := range w {
		if w[j].id == id {
			w[j] = w[len(w)-1]
			k.waits = w[:len(w)-1]
			return
		}
	}
}

func (k *knownPeers) index(id NodeID) int {
	for i, x := range k.ids {
		if x == id {
			return i
		}
	}
	return -1
}

// heardOf records news of a peer in the passive list, where the news does
// not say which LAN the peer is on (but a beacon does: ours).
func (e *Engine) heardOf(id NodeID, addr Addr, instance uint64, load Load, src news) bool {
	return e.heardOfAt(id, addr, instance, load, src, PlaceUnknown)
}

// heardOfAt records news of a peer in the passive list, with where it is
// (lan.go): first-hand news (a beacon, the peer's handshake) places it,
// second-hand news only when it was not placed. Direct news (beacons,
// handshakes) carries the instance, and a new instance clears the peer's
// failures; exchanged news has instance 0. It reports false when it
// ignored a claim that contradicts a confirmed address.
func (e *Engine) heardOfAt(id NodeID, addr Addr, instance uint64, load Load, src news, place Place) bool {
	if id == e.id || id == 0 || addr.Port == 0 {
		return true
	}
	if src == newsBeacon {
		place = PlaceSameLAN
	}
	k := &e.known
	if i := k.index(id); i >= 0 {
		if !k.update(i, e.now, addr, instance, load, src) {
			return false
		}
		k.locate(id, place, src != newsExchange)
		return true
	}
	entry := knownPeer{addr: addr, instance: instance, freeIn: load.FreeIn, heard: e.now, confirmed: src == newsWelcome, place: place}
	var retryAt Time
	if src.claim() {
		retryAt = k.revive(id, &entry)
	}
	if src == newsBeacon {
		e.strangerHeard()
	}
	k.insert(id, entry, retryAt, e.cfg.PassiveSize)
	return true
}

// update records news, heard at now, of the peer of entry i. It reports
// false when it ignored a claim that contradicts a confirmed address.
func (k *knownPeers) update(i int, now Time, addr Addr, instance uint64, load Load, src news) bool {
	p := &k.list[i]
	if p.confirmed && src.claim() && addr != p.addr {
		return false
	}
	if instance != 0 && instance != p.instance {
		p.instance = instance
		p.fails = 0
		k.clearWait(i)
	}
	if addr != p.addr {
		p.confirmed = false
	}
	p.addr = addr
	// A refusal is first-hand news: second-hand news of free slots (peer
	// exchange, instance 0) may be older, and does not undo it.
	if instance != 0 {
		p.refused = false
	}
	if !p.refused {
		p.freeIn = load.FreeIn
	}
	p.heard = now
	p.confirmed = p.confirmed || src == newsWelcome
	return true
}

// insert adds entry for peer id, not to be dialed before retryAt (0: at
// once), to a list of at most size entries: when the list is full, the
// entry replaces the one that makes room for it (victim), if any.
func (k *knownPeers) insert(id NodeID, entry knownPeer, retryAt Time, size int) {
	i := len(k.list)
	if i < size {
		if k.list == nil {
			// The list fills up soon: allocate it once.
			k.list, k.ids = make([]knownPeer, 0, size), make([]NodeID, 0, size)
		}
		k.list = append(k.list, entry)
		k.ids = append(k.ids, id)
	} else {
		if i = k.victim(&entry, size); i < 0 {
			return
		}
		k.clearWait(i)
		k.list[i] = entry
		k.ids[i] = id
	}
	if retryAt != 0 {
		k.setWait(i, retryAt)
	}
}

// victim returns the entry of a full list of size entries that makes room
// for entry, or -1 when none does: the least useful entry (fewest free
// slots, then the stalest) if the newcomer is at least as useful — but a
// share of the list is kept for peers off our LAN. Beacons bring fresher
// news of LAN peers than peer exchange brings of remote ones, so without
// the reserve a node on a busy LAN would soon know nobody elsewhere, and a
// LAN cut off from the rest (its bridges crashed) could never find its way
// back.
//
// One pass over the list (a beacon from a stranger on a busy LAN lands
// here, at every listener) counts the remote entries and finds the least
// useful LAN and remote entry, the first of equals.
func (k *knownPeers) victim(entry *knownPeer, size int) int {
	reserve := size / remoteShare
	remote, worstLAN, worstRemote := 0, -1, -1
	for i := range k.list {
		p := &k.list[i]
		if p.place != PlaceSameLAN {
			remote++
			if worstRemote < 0 || worseRemote(p, &k.list[worstRemote]) {
				worstRemote = i
			}
		} else if worstLAN < 0 || worse(p, &k.list[worstLAN]) {
			worstLAN = i
		}
	}
	worst, force := -1, false // force: even for a less useful newcomer
	switch {
	case entry.place != PlaceSameLAN && remote < reserve:
		worst, force = worstLAN, true
	case entry.place != PlaceSameLAN:
		worst = worstRemote
		// A peer known to be elsewhere replaces one nobody placed, or
		// one this node failed to dial (worseRemote).
		force = entry.place == PlaceOtherLAN && (k.list[worst].place == PlaceUnknown || k.list[worst].fails > entry.fails)
	case remote <= reserve:
		worst = worstLAN
	default:
		worst = k.worseOf(worstLAN, worstRemote)
	}
	if worst >= 0 && (force || !worse(entry, &k.list[worst])) {
		return worst
	}
	return -1
}

// remoteShare: at least 1/remoteShare of the passive list is kept for peers
// off our LAN (learnt by peer exchange) when there are such peers.
const remoteShare = 4

// worseOf returns the less useful of entries i and j (either may be -1 for
// none), the first in the list when they are equally useful.
func (k *knownPeers) worseOf(i, j int) int {
	switch {
	case i < 0:
		return j
	case j < 0:
		return i
	case worse(&k.list[j], &k.list[i]) || !worse(&k.list[i], &k.list[j]) && j < i:
		return j
	}
	return i
}

// worseRemote orders entries off our LAN: one nobody placed is less useful
// than one known to be elsewhere, since only those lead off our LAN for
// sure; then, of two known to be elsewhere, one this node failed to dial
// is less useful than one it did not, whatever their free slots (unplaced
// ones keep their order: on one LAN nothing changes). After a mass failure most peers
// elsewhere a LAN knows are dead, and its nodes' exchanges and rumours
// keep naming them with the free slots they had (stale news, five of five
// at many-lans-mass-failure): ranked by free slots alone, they held the
// share kept for peers off our LAN against live peers elsewhere that a
// referral named with their true one or two free slots, and a survivor
// that learnt of live ones could not keep them (seed 3, with the periodic
// exchange postponed by other exchanges: lan4 stayed apart).
func worseRemote(a, b *knownPeer) bool {
	if a.place != b.place {
		return a.place == PlaceUnknown
	}
	if a.place == PlaceOtherLAN && (a.fails > 0) != (b.fails > 0) {
		return a.fails > 0
	}
	return worse(a, b)
}

func worse(a, b *knownPeer) bool {
	if a.freeIn != b.freeIn {
		return a.freeIn < b.freeIn
	}
	return a.heard < b.heard
}

func (k *knownPeers) forget(id NodeID) {
	if i := k.index(id); i >= 0 {
		k.clearWait(i)
		k.list = append(k.list[:i], k.list[i+1:]...)
		k.ids = append(k.ids[:i], k.ids[i+1:]...)
	}
}

// full records that a peer refused us for lack of room.
// full records that peer id refused us for lack of room: it is not dialed
// again before until, nor taken for one with room on second-hand news.
func (k *knownPeers) full(id NodeID, until Time) {
	if i := k.index(id); i >= 0 {
		k.list[i].freeIn = 0
		k.list[i].refused = true
		k.setWait(i, until)
	}
}

// backoff keeps peer id from being dialed before until.
func (k *knownPeers) backoff(id NodeID, until Time) {
	if i := k.index(id); i >= 0 {
		k.setWait(i, until)
	}
}

func (k *knownPeers) succeeded(id NodeID) {
	if i := k.index(id); i >= 0 {
		k.list[i].fails = 0
	}
}

// failed records a dial of peer id that failed at now; it is not dialed
// again before a backoff from base, and a peer that keeps failing is
// forgotten (among the last size such peers remembered, see revive).
func (k *knownPeers) failed(id NodeID, now, base Time, size int) {
	i := k.index(id)
	if i < 0 {
		return
	}
	p := &k.list[i]
	p.confirmed = false // its address may have changed: claims may move it again
	p.fails++
	retryAt := now + backoff(base, p.fails)
	if p.fails < 3 {
		k.setWait(i, retryAt)
		return
	}
	if k.gone == nil {
		k.gone = new(goneList)
	}
	gone := k.gone.peers
	if len(gone) >= size {
		gone = append(gone[:0], gone[1:]...)
	}
	k.gone.peers = append(gone, gonePeer{id, retryAt, *p})
	k.forget(id)
}

// revive returns the failures of a peer forgotten for failing when entry
// repeats its life and address, and the time before which it may not be
// dialed: the backoff goes on growing. Second-hand news (instance 0) of
// the same address repeats the forgotten life too: it takes that life's
// instance, so that the next beacon of it is not mistaken for a restart
// that clears the failures.
func (k *knownPeers) revive(id NodeID, entry *knownPeer) (retryAt Time) {
	if k.gone == nil {
		return 0
	}
	for i := range k.gone.peers {
		g := &k.gone.peers[i]
		if g.id == id && g.addr == entry.addr && (g.instance == entry.instance || entry.instance == 0) {
			entry.instance, entry.fails, retryAt = g.instance, g.fails, g.retryAt
			k.gone.peers = append(k.gone.peers[:i], k.gone.peers[i+1:]...)
			if len(k.gone.peers) == 0 {
				k.gone = nil
			}
			return retryAt
		}
	}
	return 0
}

// expire drops entries without news at now for longer than ttl.
func (k *knownPeers) expire(now, ttl Time) {
	j := 0
	for i := range k.list {
		if now-k.list[i].heard <= ttl {
			if j != i {
				k.list[j], k.ids[j] = k.list[i], k.ids[i]
			}
			j++
		}
	}
	clear(k.list[j:])
	k.list, k.ids = k.list[:j], k.ids[:j]
	// Waits of peers that left the list or that have run out go.
	w := k.waits[:0]
	for _, x := range k.waits {
		i := k.index(x.id)
		switch {
		case i >= 0 && x.until > now:
			w = append(w, x)
		case i >= 0:
			k.list[i].waiting = false
		}
	}
	clear(k.waits[len(w):])
	k.waits = w
	if len(w) == 0 {
		k.waits = nil
	}
}

// dial returns the dial of peer i.
func (k *knownPeers) dial(i int) dial { return dial{peer: k.ids[i], addr: k.list[i].addr} }

func (p *knownPeer) onLAN() bool { return p.place == PlaceSameLAN }

func (p *knownPeer) elsewhere() bool { return p.place == PlaceOtherLAN }

func (p *knownPeer) notElsewhere() bool { return p.place != PlaceOtherLAN }

func (p *knownPeer) isConfirmed() bool { return p.confirmed }

// unconfirm lets claims move peer again (it restarted, perhaps elsewhere).
func (k *knownPeers) unconfirm(id NodeID) {
	if i := k.index(id); i >= 0 {
		k.list[i].confirmed = false
	}
}

// onLAN reports whether peer is known to be on our LAN.
func (k *knownPeers) onLAN(id NodeID) bool {
	i := k.index(id)
	return i >= 0 && k.list[i].place == PlaceSameLAN
}

// elsewhere reports whether peer is known to be on another LAN.
func (k *knownPeers) elsewhere(id NodeID) bool {
	i := k.index(id)
	return i >= 0 && k.list[i].place == PlaceOtherLAN
}

// locate records where peer is, if it is in the list and p is known: news
// first hand (its own Hello, a beacon) overrides what we knew, second-hand
// news only fills in what we did not.
func (k *knownPeers) locate(id NodeID, p Place, firstHand bool) {
	i := k.index(id)
	if i < 0 || p == PlaceUnknown {
		return
	}
	if q := &k.list[i].place; firstHand || *q == PlaceUnknown {
		*q = p
	}
}
