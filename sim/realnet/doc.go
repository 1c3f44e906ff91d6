// Package realnet plays scenarios on real nodes: it is the network under
// test of p2psim run --transport tcp, the counterpart of the simulator for
// package runner (it implements runner.Network).
//
// Every node of the scenario is a meshnode.Node — the same mesh.Engine the
// simulator drives, on real sockets and real time — with its own TCP port
// on 127.0.0.1, opened when the node is declared and kept across restarts.
// Every LAN segment is a beacon bus (package beaconbus), since loopback has
// no multicast. The timeline runs on the wall clock (clock.go). The package
// implements no protocol rule; it stands between the nodes to do what the
// scenario asks of the network:
//
//   - kills: a crash stops the node without a Leave (meshnode.Node.Kill) and
//     its links go dark; a leave closes it gracefully (life.go);
//   - partitions: links across go dark, dials across hang until the dial
//     timeout, beacons do not cross (cut.go);
//   - dark links: both ends of every connection are wrapped so that a link
//     can fail silently, as when a host dies, instead of with a FIN
//     (conn.go);
//   - network keys: every key name of the scenario becomes a real key of
//     the run (net.go), and the runtime secures the node's links and seals
//     its beacons with it, so nodes with different keys meet the real
//     handshake and refuse each other;
//   - measurement: every node reports its payload traffic through a
//     meshnode.Observer into one measure.Ledger, the simulator's own, so that
//     broadcasts are judged by the same rules (life.go).
//
// What a real run cannot reproduce or measure exactly is described in
// docs/transport-tcp.md.
package realnet
