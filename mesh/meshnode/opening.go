package meshnode

import (
	"p2pmesh/mesh"
)

// One-input openings: the engine is told of a connection together with the
// first frame read on it, as the simulator tells it (package sim), so that
// both drive the engine along the same path.
//
//   - An accepted connection is told with the dialer's Hello
//     (Engine.HandleAccepted). Until that frame arrives the engine holds
//     nothing for it: the reader's handshake deadline and the MaxPending
//     bound alone keep such connections in check, and one that closes, says
//     nothing within HandshakeTimeout, or sends a frame that does not
//     decode is dropped (and refused, counted and logged by the reader)
//     without the engine hearing of it.
//   - A dialed connection sends the dial's Hello (the frame OutDial
//     carries) as soon as it opens, and the dialer is told with the first
//     frame of the answer, a Welcome, a referral or a Reject
//     (Engine.HandleDialAnswered). One that closes or answers nothing
//     within HandshakeTimeout before that is, to the engine, a failed dial
//     (Engine.HandleDialFailed).
//
// A dial that carries no Hello is told at once (Engine.HandleLinkOpened),
// and the engine sends its Hello itself.

// opened registers a connection just accepted or dialed (ev) and tells the
// engine of it, or sends the dial's Hello and waits for the answer.
func (n *Node) opened(now mesh.Time, ev *event) {
	if ev.kind == evAccepted {
		c := n.newConn(ev.nc, mesh.Incoming, connUnseen)
		n.log.Debug("connection accepted", "link", c.id, "remote", c.remote)
		return
	}
	if len(ev.hello) == 0 {
		c := n.newConn(ev.nc, mesh.Outgoing, connOpen)
		n.log.Debug("connection dialed", "link", c.id, "peer", ev.peer, "addr", ev.addr)
		n.told++
		n.handle(n.eng.HandleLinkOpened(now, c.id, mesh.Outgoing, ev.peer, ev.addr))
		return
	}
	c := n.newConn(ev.nc, mesh.Outgoing, connUnseen)
	c.peer, c.addr = ev.peer, ev.addr
	n.log.Debug("connection dialed; Hello sent", "link", c.id, "peer", ev.peer, "addr", ev.addr)
	c.q <- ev.hello // the queue is new and holds at least one frame (Config.Validate)
	n.stats.FramesSent++
}

// firstFrame tells the engine of the unseen connection c together with f,
// the first frame read on it.
func (n *Node) firstFrame(now mesh.Time, c *conn, f *mesh.Frame) []mesh.Output {
	c.state = connOpen
	n.told++
	if c.inbound {
		return n.eng.HandleAccepted(now, c.id, mesh.AddrFrom(c.remote), f)
	}
	return n.eng.HandleDialAnswered(now, c.id, c.peer, c.addr, f)
}

// unseenClosed forgets the unseen connection c, which ended before its
// first frame: an accepted one the engine never hears of, a dialed one is
// a failed dial.
func (n *Node) unseenClosed(now mesh.Time, c *conn, err error) {
	if c.inbound {
		n.log.Debug("connection closed before its Hello", "link", c.id, "remote", c.remote, "err", err)
		return
	}
	n.stats.DialFailures++
	n.log.Debug("dial closed unanswered", "link", c.id, "peer", c.peer, "addr", c.addr, "err", err)
	n.handle(n.eng.HandleDialFailed(now, c.peer, c.addr))
}

// encodeHello encodes the Hello a dial carries, to be sent when its
// connection opens; nil when the dial carries none. It is encoded at once:
// the frame is only valid until the next engine call.
func (n *Node) encodeHello(o *mesh.Output) []byte {
	if o.Frame.Type != mesh.FrameHello {
		return nil
	}
	b, err := mesh.AppendFrame(nil, &o.Frame)
	if err != nil {
		n.log.Error("engine asked to dial with a Hello that cannot be encoded; the engine will send its own", "peer", o.Peer, "addr", o.Addr, "err", err)
		return nil
	}
	return b
}
