package mesh

// Which LAN a peer is on. Beacons never leave their LAN, so hearing a
// peer's beacon proves it is on ours; but Trickle keeps most of a large LAN
// silent, so most LAN peers are known only second hand, and second-hand
// news alone cannot tell them from peers on other LANs. So every node
// carries its LAN's name, a tag agreed by beacons: a node takes the
// smallest tag it hears by beacon, and one that has joined and beacons
// before it has heard any names the LAN after itself. Beacons, Hellos and peer exchanges
// carry the sender's tag, so both ends of a link know whether it crosses
// LANs (a node that takes a new tag tells its neighbours at once), and
// every exchanged peer comes with its place as the sender knows it: on the
// sender's LAN, on another, or unknown (relayed says what that makes it
// for the receiver). The passive list keeps a share for peers not placed
// on our LAN, those known to be elsewhere first (knownpeers.go); exchanges
// give half their room to those (and, across a LAN's edge, to peers on the
// sender's LAN), so every node of a LAN soon knows several (exchange.go);
// exchanges cross a LAN's edge every maintenance round and news of peers
// elsewhere spreads through a LAN as a rumour, so a LAN knows hundreds
// (elsewhere.go); and a LAN that loses its bridges finds the others
// through them (bridging.go).
//
// Tags of different LANs differ unless two node ids hash alike (one chance
// in 2^32 per pair of LANs). While a LAN settles on the smallest tag its
// nodes may disagree: a node remembers another name its LAN goes by (the
// one it gave up, or a larger one it heard by beacon), so a neighbour still
// telling it is not taken for one elsewhere, and a neighbour whose tell
// moves it to or from another LAN hears our tag back.

// lanFacts are an engine's yes-or-no facts about its LAN, one bit each.
type lanFacts uint8

const (
	lanSure       lanFacts = 1 << iota // another node's beacon carried e.lan
	lostElsewhere                      // a link off our LAN or to a bridge died, and the node has had none off it since (bridging.go)
	elsewhereNews                      // an exchange told of a peer elsewhere the node did not know to be: pass it on (elsewhere.go)
)

func (f lanFacts) has(x lanFacts) bool { return f&x != 0 }

// set turns fact x on or off.
func (f *lanFacts) set(x lanFacts, on bool) {
	if on {
		*f |= x
	} else {
		*f &^= x
	}
}

// LANTag names a LAN; 0 is no name yet.
type LANTag uint32

// Place says where a peer is, relative to the node that knows it: in a
// peer exchange, the sender.
type Place uint8

const (
	PlaceUnknown  Place = iota // heard of second hand, from a node that did not know
	PlaceSameLAN               // on the LAN of the node that knows it
	PlaceOtherLAN              // on another LAN
)

// tagOf is the tag a node names its LAN with: its id, mixed (so that the
// smallest tag is no particular node) and never 0.
func tagOf(id NodeID) LANTag {
	x := uint64(id)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	if t := LANTag(x); t != 0 {
		return t
	}
	return 1
}

// lanTag is the LAN tag the node tells in handshakes and exchanges: its
// tag once another node's beacon has carried it, 0 before. A node that
// named its LAN itself may have done so on a LAN whose name it has not
// heard yet: until its name is confirmed it places no peer by it, and
// tells nobody, so that no link between two nodes of one LAN is taken for
// one between LANs and no such mistake spreads by exchange.
func (e *Engine) lanTag() LANTag {
	if !e.lanFacts.has(lanSure) {
		return 0
	}
	return e.lan
}

// beaconLANTag is the tag a beacon carries: a node that has joined (is at
// its minimum degree) and has heard no name for its LAN names it after
// itself as it speaks. Every node on the LAN hears the beacon, so every
// name in use has been heard LAN-wide, and the smallest wins everywhere.
// A needy node's beacons carry no name: they are a newcomer's (or a
// survivor's) call for links, which the LAN answers with beacons that
// carry its name.
func (e *Engine) beaconLANTag() LANTag {
	if e.lan == 0 && !e.needy() {
		e.lan = tagOf(e.id)
	}
	return e.lan
}

// heardLANTag takes the tag of a beacon heard on our LAN if it is smaller
// (remembering the one it replaces), and is sure of its own when a beacon
// carries it. A larger one is a node that named the LAN before hearing its
// name (a newcomer that joined without a beacon of ours reaching it):
// Trickle's answer to an inconsistency, beacons soon, tells it the name,
// and meanwhile the node remembers the larger name as another of its
// LAN's. Nodes that named the LAN alike link to each other before they
// hear the smaller name, and to the rest of the LAN: when the rest took
// them for nodes elsewhere, every peer they named by exchange was placed
// elsewhere too, and exchanges passed those on (seed 3 of the ten-LAN mass
// failure: a group of 79 newcomers of lan0 named it anew at 4 s, and by
// 29 s its nodes believed 11,290 of their entries of LAN peers elsewhere;
// seed 9's lan6 4,489).
func (e *Engine) heardLANTag(t LANTag) {
	switch {
	case t == 0:
	case e.lan == 0 || t <= e.lan:
		told := e.lanTag()
		if e.lan != 0 && e.lan != t {
			e.otherLANName = e.lan
			if told != 0 {
				e.unplaceElsewhere()
			}
		}
		e.lan = t
		e.lanFacts.set(lanSure, true)
		if e.lanTag() != told {
			e.tellLANTag()
		}
	default:
		e.otherLANName = t
		e.resetBeacons()
	}
}

// tellLANTag tells every neighbour the node's LAN tag at once, with a peer
// exchange: a link made before either end was sure of its LAN's name (the
// first links of a LAN, a static bridge dialed at start), or while this
// node had another, learns only so whether it crosses LANs.
func (e *Engine) tellLANTag() {
	for i := range e.links {
		if e.links[i].state == linkEstablished {
			e.exchange(i, true)
		}
	}
}

// placeOf is where a node whose LAN tag is t is, relative to this node. A
// node that tells another name our LAN goes by (otherLANName: the one it
// had before its current one, or a larger one heard by beacon) is on our
// LAN: it has not heard the smallest name yet. Taking it for a node
// elsewhere, as when only the current name counted, made whole LANs
// believe half their passive lists were elsewhere: a LAN renamed while it
// joined, every node that told the old name then was placed elsewhere by
// the nodes that had the new one, the LAN peers it named by exchange with
// it, and every exchange passed those on (seed 6 of the ten-LAN mass
// failure: 15 of a node's 32 known peers in lan8, and lan8 stayed apart).
func (e *Engine) placeOf(t LANTag) Place {
	switch {
	case t == 0 || e.lanTag() == 0:
		return PlaceUnknown
	case t == e.lan || t == e.otherLANName:
		return PlaceSameLAN
	}
	return PlaceOtherLAN
}

// unplaceElsewhere takes back every place "elsewhere" the node made, when
// it gives up a name of its LAN it was sure of for a smaller one: it made
// them by the old name, and most are its own LAN's nodes, which told the
// new name. Its passive list, its links and the refused dialers its
// referrals name (refer) keep places, and each would pass them on: by
// exchange, and as rumours (elsewhere.go), to LAN neighbours that had the
// new name and no means to doubt them. Peers truly elsewhere are placed
// again by the next exchange that names them. In one LAN of 500 nodes
// started at once (TestLANGivesEveryNodeItsTargetOfLinks's), whose nodes
// named it four ways and settled on two names within 2 s, 10,026 of the
// 16,000 entries of its passive lists were "elsewhere" at 10 s, and 9,503
// at 60 s (churn.yaml, one LAN, seed 1: 494 of 1,920 at the end); with
// this and oldNameElsewhere, 1,004 and 679, all held by the nodes still
// telling the larger name (full, they hear no offers, the beacons that
// carry the smaller one). Referrals alone, naming dialers refused under
// the old name, gave the LAN its first wrong places 60 ms after a rename.
func (e *Engine) unplaceElsewhere() {
	for i := range e.known.list {
		if p := &e.known.list[i]; p.place == PlaceOtherLAN {
			p.place = PlaceUnknown
		}
	}
	for i := range e.links {
		e.links[i].set(linkElsewhere, false)
	}
	if e.waiting != nil {
		for k := range e.waiting {
			if p := &e.waiting[k].peer.Place; *p == PlaceOtherLAN {
				*p = PlaceUnknown
			}
		}
	}
}

// oldNameElsewhere reports whether the peers that a neighbour telling tag
// t says are elsewhere are to be left unplaced: t is the other name of our
// LAN (otherLANName, always the larger), so the neighbour is on our LAN
// but has not heard its current name, and placed the LAN's nodes that tell
// that name elsewhere. Passed on as "elsewhere", its mistakes spread
// through the LAN as rumours (elsewhere.go); see unplaceElsewhere for the
// measure.
func (e *Engine) oldNameElsewhere(t LANTag) bool {
	return t != 0 && t != e.lan && t == e.otherLANName && e.lanTag() != 0
}

// relayed translates a place a neighbour told us (p, relative to the
// neighbour) to one relative to this node, given where the neighbour is
// and whether this node has a link off its LAN (across). A peer on the LAN
// of a neighbour on another LAN is elsewhere for us, and so is one a
// neighbour on our LAN knows to be elsewhere. A peer a neighbour on our
// LAN says is on its LAN is on ours too, but stays unplaced: the passive
// list keeps a share for peers not placed on our LAN first hand
// (knownpeers.go), and peers learnt second hand belong there, beside those
// known to be elsewhere. They keep the list diverse beyond the few nodes
// whose beacons it hears: counting them as LAN peers lowered churn.yaml's
// mean reliability over 8 seeds from 0.9947 to 0.9915. A node with a link
// off its LAN places them on its LAN all the same: what it names across
// are peers on its LAN (exchange.go), and it then names the LAN peers that
// the whole LAN's exchanges bring it, not only the few whose beacons it
// heard (elsewhere.go).
func relayed(p, neighbour Place, across bool) Place {
	switch {
	case p == PlaceOtherLAN && neighbour == PlaceSameLAN:
		return PlaceOtherLAN
	case p == PlaceSameLAN && neighbour == PlaceOtherLAN:
		return PlaceOtherLAN
	case p == PlaceSameLAN && neighbour == PlaceSameLAN && across:
		return PlaceSameLAN
	}
	return PlaceUnknown
}

// place is where the peer of link l is: on our LAN if it was heard by
// beacon or carries our tag, elsewhere if its tag differs.
func (l *link) place() Place {
	switch {
	case l.lan():
		return PlaceSameLAN
	case l.elsewhere():
		return PlaceOtherLAN
	}
	return PlaceUnknown
}

// placeLink records where the peer of link i is, when known.
func (e *Engine) placeLink(i int, p Place) {
	if p == PlaceUnknown {
		return
	}
	l := &e.links[i]
	l.set(linkLAN, p == PlaceSameLAN)
	l.set(linkElsewhere, p == PlaceOtherLAN)
}

// answerNewPlace tells the peer of link i our tag when its own tell moved it
// to or from another LAN (before and after are its places): its view of us
// is likely as stale as ours of it was. A node that takes a new tag tells
// every neighbour (tellLANTag), but each end places the other by the tags
// it knew then: a neighbour that told its tag before we were sure of ours
// stayed unplaced here (a static bridge dialed at start, for the whole run
// in seed 6 of the ten-LAN mass failure), and one that had placed us
// elsewhere under our old tag kept doing so, and passed that on by
// exchange. The answer changes the other end's view only if it was stale,
// and it answers only then, so the two ends agree after at most two
// answers. A move from unplaced to our LAN is not answered: within one LAN
// that would only add frames (churn.yaml's reliability moved with them).
func (e *Engine) answerNewPlace(i int, before, after Place) {
	if after != before && (after == PlaceOtherLAN || before == PlaceOtherLAN) && e.lanTag() != 0 {
		e.exchange(i, true)
	}
}

// locatePeer records where the peer of link i is, from the LAN tag its
// Hello or peer exchange carried: first-hand news.
func (e *Engine) locatePeer(i int, t LANTag) {
	p := e.placeOf(t)
	e.placeLink(i, p)
	e.known.locate(e.links[i].peer, p, true)
}
