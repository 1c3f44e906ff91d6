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
//
// One link is not enough either, nor are links that just died: two nodes
// that restart together often link to each other first, and what one
// broadcasts over that only link reaches the other and stops there; a few
// restarted nodes may link among themselves; a node whose neighbours all
// crashed a moment ago sends over links nobody reads until DeadAfter tells
// it. So the node keeps what it broadcast for as long as it stays below
// its minimum degree and, when flooding (broadcast.resendsRecent; a tree
// fetches what missed it from announcers), for DeadAfter, and every link it
// makes meanwhile gets those messages (the receivers' seen caches drop what
// they already have).
// (In churn.yaml a broadcast of a node that had restarted half a second
// before reached 1 of 59 nodes over its one link to another restarted node;
// in flood-mass-failure.yaml one whose nine neighbours had all crashed
// reached nobody.)

// unsentQueue holds the broadcasts that wait for a link. An engine holds it
// behind a pointer, only while something waits: most engines never need one.
type unsentQueue struct {
	msgs []Message
	at   []Time // when each message was broadcast
	// fresh counts the newest messages that have not gone out over any
	// link yet; the others went out and are kept for the links to come.
	fresh int
}

// Unsent returns how many of this node's broadcasts wait for a first link.
func (e *Engine) Unsent() int {
	if e.unsent == nil {
		return 0
	}
	return e.unsent.fresh
}

// hold keeps m (see above). It reports whether m must wait: true when the
// node has no established link, false when m goes out now.
func (e *Engine) hold(m Message) bool {
	degree := int(e.nIn) + int(e.nOut)
	if degree > 0 && (e.cfg.UnsentLimit == 0 || degree >= e.cfg.MinLinks && !e.bcast.resendsRecent()) {
		return false
	}
	// What went out more than DeadAfter ago is let go first, so that a
	// node that keeps broadcasting on a stable set of links holds only
	// the last DeadAfter of them, not UnsentLimit.
	e.expireUnsent(degree)
	if e.unsent == nil {
		e.unsent = new(unsentQueue)
	}
	q := e.unsent
	q.msgs, q.at = append(q.msgs, m), append(q.at, e.now)
	if degree == 0 {
		e.stats.Unsent++
		q.fresh++
	}
	if len(q.msgs) > e.cfg.UnsentLimit {
		e.dropUnsent()
	}
	if len(q.msgs) == 0 {
		e.unsent = nil
	}
	return degree == 0
}

// dropUnsent drops the oldest kept broadcast, and reports it if it never
// went out.
func (e *Engine) dropUnsent() {
	q := e.unsent
	if len(q.msgs) == q.fresh {
		e.stats.UnsentDropped++
		o := e.emitNew(OutUnsentDropped)
		o.Msg = q.msgs[0]
		q.fresh--
	}
	q.msgs[0] = Message{}
	q.msgs, q.at = q.msgs[1:], q.at[1:]
}

// sendUnsent sends what is kept over link i, which has just finished its
// handshake: messages that never went out are relayed on as the broadcast
// rule says, the others only go over i.
func (e *Engine) sendUnsent(i int) {
	// Link i counts already: whether the node was below its minimum
	// degree is the question without it.
	if e.expireUnsent(int(e.nIn) + int(e.nOut) - 1); e.unsent == nil {
		return
	}
	q := e.unsent
	sent := len(q.msgs) - q.fresh
	for k, m := range q.msgs {
		e.sendData(i, m)
		if k >= sent {
			e.bcast.relay(e, i, m)
		}
	}
	q.fresh = 0
}

// expireUnsent lets go of the kept messages that went out, unless the node
// is below its minimum degree (it has degree links): when flooding, of those that went out more
// than DeadAfter ago.
func (e *Engine) expireUnsent(degree int) {
	q := e.unsent
	if q == nil || degree < e.cfg.MinLinks {
		return
	}
	for len(q.msgs) > q.fresh && (e.now-q.at[0] > e.cfg.DeadAfter || !e.bcast.resendsRecent()) {
		q.msgs[0] = Message{}
		q.msgs, q.at = q.msgs[1:], q.at[1:]
	}
	if len(q.msgs) == 0 {
		e.unsent = nil
	}
}
