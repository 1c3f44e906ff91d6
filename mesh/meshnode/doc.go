// Package meshnode runs one mesh.Engine on real sockets and real time: it is
// the driver that turns the engine's outputs into effects on the network and
// feeds what happens back in as inputs. It implements no protocol rule; the
// engine alone decides whom to dial, what to send and when a link is dead.
// What the runtime adds is transport hygiene, so that the rules hold on a
// real network:
//
//   - One goroutine owns the engine (loop.go). It selects on one channel of
//     inbound events (accepted and dialed connections, frames, closed
//     connections, beacons), on the engine's timers (timers.go), on calls
//     from the application (Broadcast, Stats, Links) and on shutdown.
//   - The engine is told of a connection with the first frame read on it
//     (opening.go), as the simulator tells it: an accepted one with the
//     dialer's Hello, a dialed one, which sends the dial's Hello as soon as
//     it opens, with the answer. One that closes or stays silent for
//     HandshakeTimeout before that never reaches the acceptor's engine, and
//     is a failed dial to the dialer's.
//   - Every connection (conn.go) has a reader goroutine, which decodes
//     frames (package mesh/framing) with a read deadline (the first frame within HandshakeTimeout,
//     then within IdleTimeout), and a writer goroutine fed by a bounded send
//     queue. A peer whose queue is full is too slow: its link is closed and
//     reported closed to the engine, so one stuck peer never stalls the loop
//     or the other links.
//   - One TCP port per node (transport.go), keepalives off (the engine has
//     its own); dials run in goroutines with a timeout, and every dial the
//     engine asks for is answered exactly once.
//   - Beacons travel by UDP multicast (package p2pmesh/mesh/discovery), or
//     by another BeaconTransport (Config.Beacons), such as the in-process
//     bus of package beaconbus that lets many nodes of one process find
//     each other.
//   - Messages are handed to the application through a buffered channel
//     (Node.Deliveries). When the application does not keep up, the loop
//     waits up to DeliveryWait for room, then drops the delivery, counts it
//     and logs it, so that a stalled reader cannot stall the mesh.
//   - Close (node.go) leaves gracefully: the engine's Leave frames are
//     flushed with a bounded wait, every socket is closed, and Close returns
//     only when every goroutine of the node has ended. Kill stops a node as
//     if its process had been killed: no Leave frames.
//
// A harness that runs many nodes in one process (p2psim --transport tcp)
// can also supply each node's listener and dialer (Config.Listener,
// Config.Dial), to stand between the nodes, and an Observer that follows
// every payload frame, to measure broadcasts.
package meshnode
