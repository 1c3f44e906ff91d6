package meshnode

import "p2pmesh/mesh"

// Observer is told of a node's payload traffic as it happens, so that a
// harness can follow every broadcast through a mesh of real nodes (p2psim
// --transport tcp measures reliability, redundancy, hops and latency this
// way, with the simulator's own ledger). Its methods are called on the
// node's event loop: they must return quickly and must not call the Node.
// The Message is only valid during the call.
type Observer interface {
	// Originated: the node broadcast message id. It is called before any
	// frame of the message is sent.
	Originated(id mesh.MsgID)
	// Sent: a Data frame carrying m was queued on a link.
	Sent(m *mesh.Message)
	// Received: a Data frame carrying m arrived on a link, new or not.
	Received(m *mesh.Message)
	// Delivered: m was handed to the application (Deliveries).
	Delivered(m *mesh.Message)
}
