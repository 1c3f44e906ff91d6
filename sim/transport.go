package sim

import (
	"p2pmesh/mesh"
)

// The in-memory transport: it carries out engine outputs by scheduling their
// effects on other nodes, and hands arriving events to engines.

func (s *Sim) newPacket() *packet {
	if n := len(s.free); n > 0 {
		p := s.free[n-1]
		s.free = s.free[:n-1]
		return p
	}
	return new(packet)
}

func (s *Sim) recycle(p *packet) {
	*p = packet{peers: p.peers[:0]}
	s.free = append(s.free, p)
}

// reachable reports whether a and b can talk (same partition label).
func (s *Sim) reachable(a, b NodeIndex) bool { return s.nodes[a].part == s.nodes[b].part }

// recut marks the connections that a partition cuts: frames on the hot path
// check the connection's flag instead of both nodes, whose structs would
// otherwise be brought into the cache for every frame.
func (s *Sim) recut() {
	for i := range s.conns {
		c := &s.conns[i]
		c.set(connCut, !s.reachable(c.a, c.b))
	}
}

func (s *Sim) latency(a, b NodeIndex) mesh.Time {
	return s.classes[s.classOf(a, b)].Latency.Sample(s.rng)
}

func (s *Sim) lost(p float64) bool { return p > 0 && s.rng.Float64() < p }

func (s *Sim) conn(id mesh.LinkID) *conn {
	slot := int(uint32(id)) - 1
	if slot < 0 || slot >= len(s.conns) || s.conns[slot].gen != uint32(id>>32) {
		return nil // never opened, or closed and its slot reused since
	}
	return &s.conns[slot]
}

// Connection slots are recycled once neither end can use them any more, so
// that memory follows the connections open rather than all ever opened
// (rotation and churn open many). A LinkID carries the slot's incarnation
// in its upper half: events still in flight for an earlier connection of
// the slot find no connection.

// newConn returns the id and slot of a fresh connection.
func (s *Sim) newConn(c conn) (mesh.LinkID, *conn) {
	var slot int
	if n := len(s.freeConns); n > 0 {
		slot = int(s.freeConns[n-1])
		s.freeConns = s.freeConns[:n-1]
		c.gen = s.conns[slot].gen + 1
		s.conns[slot] = c
	} else {
		slot = len(s.conns)
		s.conns = append(s.conns, c)
	}
	return mesh.LinkID(uint64(c.gen)<<32 | uint64(slot+1)), &s.conns[slot]
}

// release frees the slot of c when both ends are closed or belong to a
// node incarnation that has ended.
func (s *Sim) release(id mesh.LinkID, c *conn) {
	gone := func(n NodeIndex, gen uint32) bool { return !s.nodes[n].alive || s.nodes[n].gen != gen }
	if (c.openA && !gone(c.a, c.genA)) || (c.openB && !gone(c.b, c.genB)) {
		return
	}
	c.openA, c.openB = false, false
	s.freeConns = append(s.freeConns, int32(uint32(id)-1))
}

// apply carries out the outputs of node i's engine. Nothing here calls
// another engine: every effect on another node is a scheduled event.
func (s *Sim) apply(i NodeIndex, outs []mesh.Output) {
	s.prefetchConns(outs)
	for k := range outs {
		o := &outs[k]
		switch o.Kind {
		case mesh.OutSend:
			s.send(i, o)
		case mesh.OutDial:
			s.dial(i, o)
		case mesh.OutClose:
			s.close(i, o.Link)
		case mesh.OutBeacon:
			s.beacon(i, &o.Beacon)
		case mesh.OutDeliver:
			s.counters.DeliveriesApp++
			s.metrics.Delivered(i, &o.Msg, s.now, s.nodes[i].startedAt)
		case mesh.OutTimer:
			s.setTimer(i, o)
		case mesh.OutUnsentDropped:
			s.metrics.event(s.now, "unsent-dropped", s.nodes[i].name)
		case mesh.OutHearOffers:
			s.nodes[i].deaf = !o.Hear
		}
	}
}

func (s *Sim) send(from NodeIndex, o *mesh.Output) {
	c := s.conn(o.Link)
	if c == nil {
		return
	}
	s.counters.frame(&o.Frame)
	if o.Frame.Type == mesh.FrameData {
		s.metrics.Transmitted(&o.Frame.Msg)
	}
	to, last := c.b, &c.lastAB
	if from == c.b {
		to, last = c.a, &c.lastBA
	}
	props := &s.classes[c.class]
	at := s.now + props.Latency.Sample(s.rng)
	if s.shaped {
		at = s.transmit(from, to, props, &o.Frame, at)
	} else if props.Loss > 0 {
		n, delay := s.retransmissions(props)
		s.counters.Retransmitted += n
		at += delay
	}
	if at < *last {
		at = *last // a link delivers in order, like TCP
	}
	*last = at
	p := s.newPacket()
	p.frame = o.Frame
	if o.Frame.Peers != nil {
		p.peers = append(p.peers[:0], o.Frame.Peers...)
		p.frame.Peers = p.peers
	}
	s.push(event{at: at, kind: evFrame, node: to, gen: s.genAt(c, to), link: o.Link, pkt: p})
}

// dialedAt returns the peer and address of the dial that opened c, as
// its OutDial named them.
func (s *Sim) dialedAt(c *conn) (mesh.NodeID, mesh.Addr) {
	b := &s.nodes[c.b]
	if c.is(connStaticDial) {
		return 0, b.addr
	}
	return b.id, b.addr
}

// answerTimeout gives the dialer of c, which has not been told that its
// dial connected (connUnseenA), up on it after its HandshakeTimeout, as a
// driver reading the answer with a deadline would: when its Hello reached
// an acceptor that is gone, or a partition holds the Hello or the answer.
func (s *Sim) answerTimeout(id mesh.LinkID, c *conn) {
	p := s.newPacket()
	p.peer, p.addr = s.dialedAt(c)
	s.push(event{at: s.now + s.nodes[c.a].cfg.HandshakeTimeout, kind: evDialFailed, node: c.a, gen: c.genA, link: id, pkt: p})
}

// genAt is the incarnation of node n that owns its end of c.
func (s *Sim) genAt(c *conn, n NodeIndex) uint32 {
	if n == c.a {
		return c.genA
	}
	return c.genB
}

func (s *Sim) dial(from NodeIndex, o *mesh.Output) {
	// The node listening at the address, if it holds the id dialed (a
	// static dial names no id).
	var to NodeIndex = -1
	if idx, ok := s.nodeAt(o.Addr); ok && (o.Peer == 0 || s.nodes[idx].id == o.Peer) {
		to = idx
	}
	s.counters.Dials++
	p := s.newPacket()
	p.peer, p.addr = o.Peer, o.Addr
	p.frame = o.Frame // the dial's Hello
	if o.Frame.Peers != nil {
		p.peers = append(p.peers[:0], o.Frame.Peers...)
		p.frame.Peers = p.peers
	}
	gen := s.nodes[from].gen
	if to < 0 || !s.nodes[to].alive || !s.reachable(from, to) {
		delay := s.net.DialTimeout
		if to >= 0 && s.nodes[to].left && s.reachable(from, to) {
			delay = 2 * s.latency(from, to) // the host is up, the port closed: refused
		}
		s.counters.DialFailures++
		s.push(event{at: s.now + delay, kind: evDialFailed, node: from, gen: gen, pkt: p})
		return
	}
	if s.nodes[from].key != s.nodes[to].key {
		// The network key's handshake fails: the connection opens, the
		// keys' messages cross once, and the dialer gives up.
		s.counters.DialFailures++
		s.counters.KeyRefused++
		delay := 2*s.latency(from, to) + 2*s.latency(to, from)
		s.push(event{at: s.now + delay, kind: evDialFailed, node: from, gen: gen, pkt: p})
		return
	}
	s.counters.ConnectionsOpened++
	id, c := s.newConn(conn{a: from, b: to, genA: gen, genB: s.nodes[to].gen, openA: true, openB: true,
		class: s.classOf(from, to), flags: connUnseenA | connUnseenB})
	c.set(connStaticDial, o.Peer == 0)
	there := s.latency(from, to)
	back := s.latency(to, from)
	c.lastAB, c.lastBA = s.now+there, s.now+there+back
	in := s.newPacket()
	in.addr = s.nodes[from].addr
	s.push(event{at: s.now + there, kind: evOpenIn, node: to, gen: c.genB, link: id, pkt: in})
	s.push(event{at: s.now + there + back, kind: evOpenOut, node: from, gen: gen, link: id, pkt: p})
}

func (s *Sim) close(from NodeIndex, id mesh.LinkID) {
	c := s.conn(id)
	if c == nil {
		return
	}
	to, last := c.b, &c.lastAB
	if from == c.b {
		to, last = c.a, &c.lastBA
		c.openB = false
	} else {
		c.openA = false
		if c.is(connUnseenB) {
			// b's engine never heard of the connection: its end goes
			// with the dialer's (see connUnseenB), and the FIN's latency
			// is drawn all the same, as below.
			c.openB = false
		}
	}
	if !s.reachable(from, to) {
		s.release(id, c)
		return // the FIN is lost; the peer notices by keepalive
	}
	if !s.open(c, to) {
		// The other end closed first (a refused dial: the acceptor closes
		// after its Reject, the dialer on reading it): nobody is left to
		// tell. The FIN's latency is drawn all the same, so that every
		// later draw, and so every run, stays what it was.
		s.latency(from, to)
		s.release(id, c)
		return
	}
	at := s.now + s.latency(from, to)
	if at < *last {
		at = *last
	}
	*last = at
	s.push(event{at: at, kind: evClosed, node: to, gen: s.genAt(c, to), link: id})
	s.release(id, c)
}

func (s *Sim) beacon(from NodeIndex, b *mesh.Beacon) {
	s.counters.Beacons++
	p := s.newPacket()
	p.beacon = *b
	p.addr = s.nodes[from].addr
	s.push(event{at: s.now + s.classes[s.segs[s.nodes[from].seg].class].Latency.Sample(s.rng), kind: evBeacon, node: from, pkt: p})
}

// open reports whether node n's end of c is still open in its current life.
func (s *Sim) open(c *conn, n NodeIndex) bool {
	if c == nil {
		return false
	}
	if n == c.a {
		return c.openA
	}
	return c.openB
}

// dispatch hands one event to its engine (or runs it).
func (s *Sim) dispatch(ev *event) {
	if ev.kind == evCall {
		ev.fn()
		return
	}
	if ev.kind == evStart {
		s.startNow(ev.node)
		return
	}
	if ev.kind == evBeacon {
		s.deliverBeacon(ev)
		return
	}
	n := &s.nodes[ev.node]
	if !n.alive || n.gen != ev.gen {
		// The incarnation the event was meant for is gone.
		if ev.kind == evFrame {
			if c := s.conn(ev.link); c != nil && ev.node == c.b && c.is(connUnseenA) && c.openA {
				// The dial's Hello reached a gone acceptor: one that left
				// closed the connection as it went (its engine never knew
				// of it), a crashed one answers nothing.
				if n.left && n.gen == ev.gen {
					s.close(c.b, ev.link)
				} else {
					s.answerTimeout(ev.link, c)
				}
			}
		}
		if ev.pkt != nil {
			s.recycle(ev.pkt)
		}
		return
	}
	s.trace.record(s.now, ev.kind, ev.node, ev.link, traceDetail(ev))
	eng := n.eng
	var outs []mesh.Output
	kind := numEventKinds // what reaches the engine (EngineEvents); numEventKinds: nothing
	switch ev.kind {
	case evTimer:
		if n.timerSeq.replaced(ev) {
			break
		}
		kind = EventTimer(ev.timer)
		outs = eng.HandleTimer(s.now, ev.timer)
	case evFrame:
		c := s.conn(ev.link)
		if !s.open(c, ev.node) {
			break // the receiver closed its end meanwhile
		}
		if c.is(connCut) {
			if c.is(connUnseenA) && ev.pkt.retries == 0 {
				s.answerTimeout(ev.link, c)
			}
			if s.held(ev, c) {
				return // retransmitted later, when the partition may have healed
			}
			break
		}
		if ev.pkt.frame.Type == mesh.FrameData {
			from := c.a
			if from == ev.node {
				from = c.b
			}
			s.metrics.Received(ev.node, from, &ev.pkt.frame.Msg)
		}
		kind = EventFrame(ev.pkt.frame.Type)
		if ev.node == c.b && c.is(connUnseenB) {
			// The dialer's Hello: the acceptor is told of the connection
			// with it, in one input (see connUnseenB).
			c.set(connUnseenB, false)
			outs = eng.HandleAccepted(s.now, ev.link, s.nodes[c.a].addr, &ev.pkt.frame)
			break
		}
		if ev.node == c.a && c.is(connUnseenA) {
			// The acceptor's answer: the dialer is told that its dial
			// connected with it, in one input (see connUnseenA).
			c.set(connUnseenA, false)
			peer, addr := s.dialedAt(c)
			outs = eng.HandleDialAnswered(s.now, ev.link, peer, addr, &ev.pkt.frame)
			break
		}
		outs = eng.HandleFrame(s.now, ev.link, &ev.pkt.frame)
	case evOpenIn:
		// The connection reaches the acceptor; its engine is told with
		// the Hello (see connUnseenB).
		if n.linkedAt < 0 {
			n.linkedAt = s.now
		}
	case evOpenOut:
		c := s.conn(ev.link)
		if c != nil && s.nodes[c.b].alive && s.nodes[c.b].gen == c.genB && s.reachable(c.a, c.b) {
			if n.linkedAt < 0 {
				n.linkedAt = s.now
			}
			// The dial's Hello goes at once; the dialer's engine is told
			// with the answer (see connUnseenA).
			s.send(ev.node, &mesh.Output{Kind: mesh.OutSend, Link: ev.link, Frame: ev.pkt.frame})
		} else {
			if c != nil {
				c.openA, c.openB = false, false
				s.release(ev.link, c)
			}
			kind = EventDialFailed
			outs = eng.HandleDialFailed(s.now, ev.pkt.peer, ev.pkt.addr)
		}
	case evDialFailed:
		if ev.link != 0 {
			// An answer timeout (answerTimeout): nothing if the answer came.
			c := s.conn(ev.link)
			if c == nil || !c.is(connUnseenA) || !c.openA {
				break
			}
			c.set(connUnseenA, false)
			s.close(ev.node, ev.link)
		}
		kind = EventDialFailed
		outs = eng.HandleDialFailed(s.now, ev.pkt.peer, ev.pkt.addr)
	case evClosed:
		c := s.conn(ev.link)
		if !s.open(c, ev.node) {
			break // both ends closed at once
		}
		if ev.node == c.a {
			c.openA = false
		} else {
			c.openB = false
		}
		s.release(ev.link, c)
		if ev.node == c.a && c.is(connUnseenA) {
			// Closed unanswered: to the dialer's engine, a failed dial.
			c.set(connUnseenA, false)
			kind = EventDialFailed
			peer, addr := s.dialedAt(c)
			outs = eng.HandleDialFailed(s.now, peer, addr)
			break
		}
		kind = EventLinkClosed
		outs = eng.HandleLinkClosed(s.now, ev.link)
	}
	if ev.pkt != nil && ev.kind != evFrame {
		s.recycle(ev.pkt)
	}
	if kind < numEventKinds {
		s.handed(kind)
	}
	s.apply(ev.node, outs)
	if s.olog != nil && (ev.kind != evFrame || linkFrame(ev.pkt.frame.Type)) {
		s.relist(ev.node)
	}
	if ev.kind == evFrame {
		// The frame's payload may live on in the engine; the packet may not.
		s.recycle(ev.pkt)
	}
}

// deliverBeacon hands a beacon to every running member of the sender's
// segment on the sender's side of any partition, an offer only to those
// that hear offers (mesh.OutHearOffers).
func (s *Sim) deliverBeacon(ev *event) {
	from := ev.node
	seg := &s.segs[s.nodes[from].seg]
	part := s.nodes[from].part
	offer := ev.pkt.beacon.Offer()
	kindOfBeacon := EventBeaconCall
	if offer {
		kindOfBeacon = EventBeaconOffer
	}
	for j, m := range seg.members {
		s.prefetchMember(seg.members, j)
		n := &s.nodes[m]
		if m == from || !n.alive || n.part != part || n.key != s.nodes[from].key || offer && n.deaf {
			continue
		}
		if s.lost(s.net.BeaconLoss) {
			s.counters.BeaconsLost++
			continue
		}
		s.trace.record(s.now, evBeacon, m, 0, uint64(ev.pkt.beacon.ID))
		s.counters.BeaconReceptions++
		s.handed(kindOfBeacon)
		s.apply(m, n.eng.HandleBeacon(s.now, &ev.pkt.beacon, ev.pkt.addr))
	}
	s.recycle(ev.pkt)
}
