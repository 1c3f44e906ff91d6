package mesh

// How a LAN comes to know many peers elsewhere. A LAN cut off from the
// others (its bridges crashed) finds them again only through the peers
// elsewhere its survivors know (bridging.go: reachElsewhere), and after 90%
// of the nodes crashed at once only a tenth of those live: the LAN's nodes
// must together know hundreds of distinct peers elsewhere, and each know a
// different few. With one exchange per node per ExchangeInterval, what a
// LAN with one or two bridges learnt of the others entered through those
// bridges a few peers every ten seconds: 20 to 60 distinct peers elsewhere
// in all, of which its 100 survivors knew none alive (seeds 3, 6 and 9 of
// scenarios/many-lans-mass-failure.yaml). Three rules widen the way in:
//
//   - Across: a node with links off its LAN sends a peer exchange on each of
//     them every maintenance round. Half of each names peers on its LAN
//     (exchange.go), which are elsewhere for the receiver.
//   - What it names across comes from its whole LAN: such a node places
//     the peers a LAN neighbour says are on the neighbour's LAN on its own
//     (relayed, lan.go), where other nodes leave them unplaced, so it names
//     what every exchange of its LAN brings it, not only the few peers
//     whose beacons it heard.
//   - Inwards, as a rumour: a node that an exchange told of a peer
//     elsewhere it did not know to be elsewhere sends a peer exchange (half
//     of it peers elsewhere) to a random LAN neighbour at its next
//     maintenance round. A bridge passes what crosses on at once, and so
//     does each node that learns something from it, until the news reaches
//     nodes that knew it already; a LAN's nodes thus hold many distinct
//     peers elsewhere rather than the same few.
//
// On one LAN nobody is linked elsewhere or knows a peer elsewhere, and
// nothing changes. Across a WAN it costs one small frame (ExchangeSize
// peers) per link off the LAN and direction each round.

// spreadElsewhere applies the rules above at a maintenance round.
func (e *Engine) spreadElsewhere() {
	for i := range e.links {
		if l := &e.links[i]; l.state == linkEstablished && l.elsewhere() {
			e.sendPeers(i)
		}
	}
	if e.lanFacts.has(elsewhereNews) {
		e.lanFacts.set(elsewhereNews, false)
		e.exchangeWithRandomNeighbour(func(l *link) bool { return !l.elsewhere() })
	}
}
