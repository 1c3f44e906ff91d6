// Package mesh is the protocol engine of the peer-to-peer mesh, written as an
// I/O-free state machine.
//
// One Engine value is one node. A driver (the deterministic simulator in
// package sim, or the socket runtime in mesh/meshnode) feeds it inputs together
// with the current time: a beacon heard, a link opened or closed, a frame
// received, a timer fired, a broadcast requested. A driver may tell
// either end of a connection of it together with the first frame read on
// it, in one input (HandleAccepted, HandleDialAnswered: links.go), as the
// simulator and the socket runtime both do. Each input returns the
// outputs it caused: frames to send, links to dial or close, a beacon to
// multicast, messages to deliver to the application and timers to set. The
// engine never reads a clock, never touches a socket or a goroutine, and draws
// randomness only from the source its driver hands it, so the same inputs give
// the same outputs everywhere.
//
// The rules of the original program, and the file that implements each:
//
//   - Discovery: discovery.go (LAN beacons paced by a Trickle timer, with
//     suppression so a segment of any size sends only a few per period;
//     newcomers dial the offers they hear and beg for room only when they
//     heard of none, and give the LAN time to answer another newcomer's beg
//     before they dial it), knownpeers.go (the passive list of peers heard of,
//     bounded and expiring) and exchange.go (peer exchange, and referrals
//     of refused dialers to peers with room).
//   - Link limits (5 in, 5 out by default): handshake.go counts a link in
//     when it is established and refuses a Hello when full, links.go counts
//     it out when it closes, dialing.go dials no more than the outgoing
//     quota (and, when flooding, on its own for 4 of the 5: huntTarget).
//   - Load balancing: dialing.go (peers chosen by their free slots, one
//     dial at a time beyond the minimum degree, backing off after
//     refusals) and room.go (a full node makes room for a short or needy
//     dialer by evicting its incoming peer with the most links).
//   - Anti-siphoning: freeriders.go (peers that take links but offer none
//     get at most a small share of an honest node's incoming slots, and
//     are banned when they exceed it).
//   - No duplicate links: handshake.go (the tie-break: when two nodes dial
//     each other at once, both keep the connection the smaller id dialed).
//   - Healing with a fallback link: healing.go (keepalives, dead links,
//     replacing lost links, rotation, graceful leave; a node below its
//     minimum degree dials with priority and full peers make room for it,
//     room.go) and bridging.go (a node bridging LANs keeps a link into its
//     own LAN, so that LANs do not become islands).
//   - Flooding: broadcast.go (message ids, deliver once, the seam of the
//     broadcast strategies), flood.go (relay on every other link) and
//     seencache.go (the bounded cache of ids seen).
//
// Added since:
//
//   - tree.go and treeroot.go: broadcast along a tree (Config.Mode
//     ModeTree), after Plumtree: payloads over tree links, message ids
//     announced over the others, missing messages fetched from an
//     announcer; the tree's shape is one shortest-path tree below the
//     oldest root, parents chosen without loops, repaired within a round.
//     It is the second implementation of broadcast.go's strategy.
//   - treeorigins.go: per-origin trees (Plumtree's optimisation): after
//     an origin's first message, its payloads follow a tree of its own,
//     pruned by duplicates and grafted onto shorter paths that
//     announcements show, so a sender's later messages take shortest paths.
//   - treerelays.go: only relays are tree parents: free riders never, and a
//     parent that leaves messages to others is replaced.
//   - unsent.go: a broadcast made while the node has no link waits
//     (bounded) and goes out over its first link, in either mode.
//   - claims.go: beacons are claims anybody can make; they never close a
//     live link nor move a peer a handshake confirmed, and dials that keep
//     failing slow down instead of becoming a dial storm.
//   - linktable.go: the table of links, kept in step with the broadcast
//     strategy's per-link state.
//   - engine.go: the Engine, its outbox, timers and Start; output.go,
//     frame.go, ids.go, config.go and mode.go: what crosses the engine's
//     boundary.
//   - codec.go and beacon.go: the versioned wire format of frames and
//     beacons (reading and writing frames on a stream is package
//     mesh/framing's).
//
// The engine guards its purity: a test (purity_test.go) fails when the
// package imports anything outside an allowlist, starts a goroutine, reads
// the clock or the global random source. Misbehaviour for simulations
// (siphoners) comes from package p2pmesh/internal/adversary through
// Config.Misbehave, which only this module's code can use.
package mesh
