package mesh

// Unsent broadcasts. A node with no established link has nobody to send a
// broadcast to: a node that has just started or restarted, or lost every
// link at once. Rather than lose what its application broadcasts meanwhile,
// the engine keeps such messages, up to Config.UnsentLimit of them, and sends
// them as soon as a link finishes its handshake, in the order they were
// broadcast: the payload over that first link, and on to the others by the
// broadcast's own rule. The message's id (and so its place in the
// application's and the simulator's books) is the one Broadcast returned, at
// the moment it was asked for. When the limit is reached the oldest message
// waiting is dropped: counted in Stats.UnsentDropped and reported by an
// OutUnsentDropped output that names it. Leave drops what still waits
// without reporting it (the node asked to go).

// unsentQueue holds the broadcasts that wait for a link. An engine holds it
// behind a pointer, only while something waits: most engines never need one.
type unsentQueue struct {
	msgs []Message
}

// Unsent returns how many of this node's broadcasts wait for a first link.
func (e *Engine) Unsent() int {
	if e.unsent == nil {
		return 0
	}
	return len(e.unsent.msgs)
}

// hold keeps m until the node links; it reports false when no link is
// needed because one is established.
func (e *Engine) hold(m Message) bool {
	if e.nIn+e.nOut > 0 {
		return false
	}
	e.stats.Unsent++
	if e.unsent == nil {
		e.unsent = new(unsentQueue)
	}
	q := e.unsent
	q.msgs = append(q.msgs, m)
	if len(q.msgs) > e.cfg.UnsentLimit {
		e.dropUnsent()
	}
	if len(q.msgs) == 0 {
		e.unsent = nil
	}
	return true
}

// dropUnsent drops the oldest waiting broadcast and reports it.
func (e *Engine) dropUnsent() {
	q := e.unsent
	e.stats.UnsentDropped++
	o := e.emitNew(OutUnsentDropped)
	o.Msg = q.msgs[0]
	q.msgs[0] = Message{}
	q.msgs = q.msgs[1:]
}

// sendUnsent sends what waits over link i, which has just finished its
// handshake, and relays it as the broadcast rule says over the others.
func (e *Engine) sendUnsent(i int) {
	q := e.unsent
	if q == nil {
		return
	}
	e.unsent = nil
	for _, m := range q.msgs {
		e.sendData(i, m)
		e.bcast.relay(e, i, m)
	}
}
