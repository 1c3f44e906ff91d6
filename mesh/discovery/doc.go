// Package discovery carries the mesh's LAN discovery rule (mesh/discovery.go:
// beacons paced by a Trickle timer) over UDP multicast.
//
// The engine decides when to beacon and what a beacon says; this package only
// moves beacons between the engine and the LAN:
//
//   - one UDP socket per node, bound to the group's port (49152 by default)
//     with SO_REUSEADDR and SO_REUSEPORT, so that several nodes on one host
//     share it;
//   - membership of the group (239.192.77.7 by default, administratively
//     scoped) on every up, multicast-capable interface, or on the ones named;
//     a failure on one interface is logged and the others are used;
//   - beacons are sent with TTL 1 (they never leave the LAN) and multicast
//     loopback on (nodes on the same host hear each other), one copy per
//     joined interface;
//   - a datagram is passed on only if it was addressed to our group (Linux
//     hands a socket bound to a shared port the traffic of other groups too),
//     carries the beacon magic and version, and comes from another node id.
//     The sender is identified by the node id and listen port inside the
//     beacon and by the datagram's source IP, never by its source port.
package discovery
