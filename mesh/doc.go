// Package mesh is the protocol engine of the peer-to-peer mesh, written as an
// I/O-free state machine.
//
// One Engine value is one node. A driver (the deterministic simulator in
// package sim, or the socket runtime in mesh/meshnode) feeds it inputs together
// with the current time: a beacon heard, a link opened or closed, a frame
// received, a timer fired, a broadcast requested. Each input returns the
// outputs it caused: frames to send, links to dial or close, a beacon to
// multicast, messages to deliver to the application and timers to set. The
// engine never reads a clock, never touches a socket or a goroutine, and draws
// randomness only from the source its driver hands it, so the same inputs give
// the same outputs everywhere.
//
// The rules it implements, one file each:
//
//   - discovery.go: LAN beacons paced by a Trickle timer (slowing down and
//     finally silent when there is nothing to offer), with suppression so a
//     segment of any size sends only a few per period, even while all its
//     nodes join: newcomers dial the offers they hear and beg for room only
//     when they heard of none.
//   - knownpeers.go: the passive list of known peers fed by beacons and by peer
//     exchange, bounded and expiring.
//   - exchange.go: peer exchange, and referrals of refused dialers to
//     neighbours with room and to each other.
//   - claims.go: beacons are claims anybody can make; they never close a live
//     link nor move a peer a handshake confirmed, and dials that keep failing
//     slow down instead of becoming a dial storm.
//   - links.go: dialing, the handshake, link limits (5 in, 5 out by default),
//     load-aware peer choice, the backoff of the search for links beyond the
//     minimum degree, and the tie-break that keeps exactly one link per pair
//     of nodes when both dial at once.
//   - room.go: room for short nodes: a full node makes room for a node
//     with fewer links than MaxOut by evicting the incoming peer with the
//     most links, if that peer keeps MaxOut, so that every node of a LAN
//     soon has MaxOut links.
//   - freeriders.go: anti-siphoning: peers that take links but offer none
//     get at most a small share of an honest node's incoming slots.
//   - healing.go: keepalives, dead-link detection, replacing lost links,
//     forced admission of nodes below the minimum degree, graceful leave.
//   - flood.go and seencache.go: broadcast by flooding with message ids, hop
//     counts and a bounded seen-cache so each message is delivered once.
//   - unsent.go: a broadcast made while the node has no link waits (bounded)
//     and goes out over its first link, in either mode.
//   - tree.go: broadcast along a tree (Config.Mode ModeTree), after Plumtree:
//     payloads over tree links, message ids announced over the others,
//     missing messages fetched from an announcer.
//   - treeroot.go: the shape of that tree: one shortest-path tree below the
//     oldest root, parents chosen without loops, repaired within a round.
//   - codec.go and beacon.go: the versioned wire format of frames and beacons
//     (reading and writing them on a stream is package mesh/framing's).
package mesh
