package main

import (
	"fmt"
	"strings"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// gossipsubMeshed tells whether a host's gossipsub mesh has formed: it holds
// at least Dlo peers, or, if fewer peers can be in it now, all of them. A
// host with fewer than Dlo subscribed neighbours can never have Dlo mesh
// peers; nor, for a minute, can a host whose other neighbours pruned it (or
// were pruned by it) from their over-full meshes: gossipsub backs those off
// for PruneBackoff and its heartbeat grafts none of them before that. The
// rule asks exactly what the heartbeat would still do: nothing, once it
// holds.
func gossipsubMeshed(s meshState) bool {
	return s.Mesh >= min(pubsub.GossipSubDlo, s.Graftable)
}

// hostCheck is what one poll learned of one host.
type hostCheck struct {
	known  int  // subscribed neighbours the host knows of
	meshed bool // floodsub: always; gossipsub: gossipsubMeshed
	// backedOff: meshed only because neighbours are backed off (below Dlo
	// and below its known subscribers).
	backedOff bool
	state     meshState
}

// waitReady polls the hosts until every host knows the subscriptions of
// all its degree[i] connected peers and, on gossipsub, has its mesh formed
// (gossipsubMeshed). It returns a note on how readiness was reached, when
// that needs saying, and an error after timeout.
//
// A poll asks only the hosts that were not ready at the previous one (each
// question is a round trip through that host's pubsub event loop: asking
// all 500 hosts every 10 ms took a good part of a core); once none is left,
// one pass over every host confirms it.
//
// Now and then pubsub never learns of a neighbour's subscription (its
// stream to that peer is declared dead while the connection stays up);
// rather than wait for it forever, the network also counts as ready once
// the known subscriptions have not changed for settleAfter, every host
// knows at least one subscribed peer and the meshes have formed among the
// known ones; the note then says how many subscriptions were missing.
func waitReady(router string, topics []*pubsub.Topic, watch []*meshWatch, degree []int, timeout time.Duration) (note, err string) {
	const poll, settleAfter = 10 * time.Millisecond, 250 * time.Millisecond
	check := func(i int) hostCheck {
		known := topics[i].ListPeers()
		c := hostCheck{known: len(known), meshed: true}
		if router == "gossipsub" {
			c.state = watch[i].state(known)
			c.meshed = gossipsubMeshed(c.state)
			c.backedOff = c.meshed && c.state.Mesh < min(pubsub.GossipSubDlo, len(known))
		}
		return c
	}
	ready := func(i int, c hostCheck) bool { return c.meshed && c.known >= degree[i] }

	checks := make([]hostCheck, len(topics))
	pending := make([]int, len(topics))
	for i := range pending {
		pending[i] = i
	}
	readyBy := time.Now().Add(timeout)
	lastKnown, stableSince := -1, time.Now()
	links := 0
	for _, d := range degree {
		links += d
	}
	for {
		var left []int
		for _, i := range pending {
			if checks[i] = check(i); !ready(i, checks[i]) {
				left = append(left, i)
			}
		}
		if len(left) == 0 { // confirm with every host
			for i := range checks {
				if checks[i] = check(i); !ready(i, checks[i]) {
					left = append(left, i)
				}
			}
		}
		pending = left

		someone, formed, total, missing, backedOff := true, true, 0, 0, 0
		var short []string
		example := "" // a host meshed only because of backoffs
		for i, c := range checks {
			total += c.known
			missing += max(0, degree[i]-c.known)
			someone = someone && c.known > 0
			if !c.meshed {
				formed = false
				short = append(short, fmt.Sprintf("host %d: %d mesh peers, %d known subscribers of %d connections, %d of them backed off",
					i, c.state.Mesh, c.known, degree[i], c.state.BackedOff))
			}
			if c.backedOff {
				backedOff++
				if example == "" {
					example = fmt.Sprintf("e.g. host %d: %d mesh peers, %d connections, %d backed off",
						i, c.state.Mesh, degree[i], c.state.BackedOff)
				}
			}
		}
		if total != lastKnown {
			lastKnown, stableSince = total, time.Now()
		}
		formed = formed && someone
		var notes []string
		if formed && backedOff > 0 {
			notes = append(notes, fmt.Sprintf("%d hosts below Dlo = %d mesh peers with every other subscribed neighbour backed off (PruneBackoff %v; %s)",
				backedOff, pubsub.GossipSubDlo, pubsub.GossipSubPruneBackoff, example))
		}
		if formed && missing == 0 {
			return strings.Join(notes, "; "), ""
		}
		if formed && time.Since(stableSince) >= settleAfter {
			notes = append(notes, fmt.Sprintf("%d of %d subscriptions never seen; publishing after %v without news", missing, links, settleAfter))
			return strings.Join(notes, "; "), ""
		}
		if time.Now().After(readyBy) {
			err = fmt.Sprintf("not ready after %v (%d subscriptions missing, %d hosts short of a mesh", timeout, missing, len(short))
			if len(short) > 0 {
				err += "; " + short[0]
			}
			return strings.Join(notes, "; "), err + "); publishing anyway"
		}
		time.Sleep(poll)
	}
}
