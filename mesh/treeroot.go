package mesh

// The shape of the broadcast tree (tree mode): one tree, shared by every
// sender, kept as a shortest-path tree below a root.
//
// Plumtree lets duplicates carve its tree out of the overlay and re-parents
// a node onto a shorter path it hears of, message by message. With one
// sender that converges on a shallow tree around the sender; with many, each
// message pulls the tree towards its own origin, and what is short for one
// sender is long for the next (measured on 1,000 nodes with 30 random
// senders: deepest delivery 20 hops against 9 when flooding, and 100
// simultaneous senders kept re-adding cycles: RMR 1.0). Here the nodes agree
// on a root instead and each takes as its tree parent a neighbour closest to
// that root. A message from any origin then travels at most depth(origin) +
// depth(node) hops — about twice the overlay's radius, 5 or 6 hops for 1,000
// nodes with ten links each — and since the tree has no cycle, nobody gets a
// payload twice, however many send at once. That is the path of an origin's
// first message; its later ones follow a tree of the origin's own, carved
// from this one per origin (treeorigins.go), where the shared tree's own
// rules, applied to one origin at a time, do not pull against each other.
//
// Positions. A node tells each neighbour its Position when the link opens
// and whenever it changes: the root it follows, that root's latest round and
// its rank (links to the root; RankNone when cut off). The root starts a new
// round every KeepaliveInterval; a node takes the round from its parent and
// passes it on, so rounds flow down the tree like a pulse and show that the
// path to the root still works. As every link carries a Position every
// round, Positions are the keepalives of tree mode.
//
// Parents, without loops (Babel's feasibility condition, RFC 8966): a
// neighbour is a feasible parent when it is in a newer round than the node,
// or in the same round with a rank below the smallest rank the node has held
// in that round. A node's descendants are never feasible, so no choice
// closes a cycle. A node keeps its parent while it is feasible and moves to
// a feasible neighbour strictly closer to the root (a Graft to the new
// parent, a Prune to the old: a link is on the tree when it leads to the
// parent or to a child). When its parent is lost, cut off, no longer
// feasible, or stays a round behind a neighbour for GraftTimeout (a crash
// not yet detected upstream), it takes the closest feasible neighbour. With
// none it is cut off: it keeps its parent, if the link is still there, so
// that its subtree stays whole, and asks the root for a new round through
// its closest neighbour still on a route (RoundRequest, passed from parent to
// parent, once per round; Babel's seqno request); in the new round every
// neighbour is feasible again.
//
// Roots. The oldest root wins: the one in the highest round (the smaller id
// on a tie; a root in round 0 has not begun and is older than nobody), so
// nodes that join or restart never uproot a working tree, and the roots of
// two halves of a partition agree once it heals. A node whose root has
// started no round for two rounds takes it for dead — after one round and
// GraftTimeout already when a neighbour is in another tree, so that the news
// spreads at once — ignores that root's rounds heard so far for DeadAfter,
// and joins the oldest tree among its neighbours or stands as a root itself,
// starting its first round at once. A root that hears of itself in a later
// round (it restarted) jumps past it.

// treeShape is the node's place in the tree.
type treeShape struct {
	pos      Position
	low      uint16 // the smallest rank held in pos.Round (feasibility)
	parent   NodeID // zero when none
	round    uint32 // this node's own rounds while it is a root
	heard    Time   // when pos.Round last advanced
	behind   bool   // TimerTree is armed: a neighbour is in a newer round
	asked    uint32 // the latest round asked of the root
	dead     NodeID // a root taken for dead ...
	deadTill Time   // ... until then ...
	deadRnd  uint32 // ... in its rounds up to this one
	leaving  bool
	// parentSince is when the node took its parent (treerelays.go).
	parentSince Time
}

// start makes a starting node the root of a tree of its own.
func (tr *treeState) start(e *Engine) {
	tr.shape = treeShape{pos: Position{Root: e.id}, heard: e.now}
}

// linkUp tells a new neighbour where this node stands, and announces this
// node's own recent messages to it (announceOwn).
func (tr *treeState) linkUp(e *Engine, i int) {
	tr.links[i].lazy = true
	tr.sendPosition(e, i)
	tr.announceOwn(e, i)
}

// sendPosition tells the neighbour on link i where this node stands, and
// the survey under way (treecentre.go): its candidate and distance, and to
// the parent the subtree's report.
func (tr *treeState) sendPosition(e *Engine, i int) {
	t := &tr.shape
	v := tr.survey(e)
	switch {
	case t.parent == 0 || e.links[i].peer != t.parent:
		v = Survey{Cand: v.Cand, Dist: v.Dist}
	case v.Done:
		tr.centre.doneRound = t.pos.Round
	}
	e.send(i, Frame{Type: FramePosition, Pos: t.pos, Load: e.Load(), Survey: v})
}

// linkDown reacts to the loss of the last link to peer.
func (tr *treeState) linkDown(e *Engine, peer NodeID) {
	t := &tr.shape
	if e.peerLink(peer) >= 0 {
		return // another link to the same peer remains
	}
	if t.leaving || peer == 0 {
		return
	}
	if peer == t.parent {
		t.parent = 0
		tr.reselect(e)
	}
	tr.lostSource(e, peer)
}

// onPosition records a neighbour's position and survey.
func (tr *treeState) onPosition(e *Engine, i int, p Position, v Survey) {
	tr.links[i].pos = p
	tr.links[i].srv = heardSurvey(tr.links[i].srv, v)
	tr.track(e)
	tr.moved(e, i, p)
	tr.surveyed(e)
}

// moved acts on a neighbour's new position.
func (tr *treeState) moved(e *Engine, i int, p Position) {
	t := &tr.shape
	if p.Root == e.id && t.pos.Root == e.id && p.Round > t.round {
		// This node restarted: its old tree still knows it in later rounds.
		t.round = p.Round + 1
		tr.setPosition(e, Position{Root: e.id, Round: t.round, Rank: 0})
		return
	}
	if p.Root != t.pos.Root && tr.checkRoot(e) {
		return
	}
	tr.reselect(e)
}

// pulse runs every KeepaliveInterval: a root starts a new round; a node
// whose root has gone silent gives it up.
func (tr *treeState) pulse(e *Engine) {
	t := &tr.shape
	if t.pos.Root == e.id {
		if !tr.holding(e) { // not handed over (treecentre.go)
			tr.nextRound(e)
		}
		return
	}
	tr.centre.rooted = false
	tr.checkRoot(e)
}

// nextRound starts the root's next round.
func (tr *treeState) nextRound(e *Engine) {
	t := &tr.shape
	t.round++
	tr.plan(e)
	tr.setPosition(e, Position{Root: e.id, Round: t.round, Rank: 0})
}

// checkRoot gives up the root when it has started no round for two rounds,
// or for one round and a little while a neighbour is in another tree
// already (the root's death spreads): the node joins the oldest other tree
// among its neighbours, or stands as a root itself and starts its first
// round at once.
func (tr *treeState) checkRoot(e *Engine) bool {
	t := &tr.shape
	silent := e.now - t.heard
	if t.pos.Root == e.id || silent <= e.cfg.KeepaliveInterval+e.cfg.GraftTimeout {
		return false
	}
	if silent <= 2*e.cfg.KeepaliveInterval && !tr.otherTree(e) {
		return false
	}
	t.dead, t.deadRnd, t.deadTill = t.pos.Root, t.pos.Round, e.now+e.cfg.DeadAfter
	tr.setParent(e, 0)
	t.pos = Position{Root: e.id} // silently: reselect tells the neighbours
	t.round, t.low, t.heard = 0, 0, e.now
	tr.reselect(e)
	if t.pos.Root == e.id {
		t.round = 1
		tr.setPosition(e, Position{Root: e.id, Round: 1, Rank: 0})
	}
	return true
}

// otherTree reports whether a neighbour follows another live root than this
// node's, one that has begun its rounds (a node that has just started is in
// round 0 of a tree of its own).
func (tr *treeState) otherTree(e *Engine) bool {
	for j := range e.links {
		if p := tr.links[j].pos; tr.usable(e, j) && p.Root != tr.shape.pos.Root && p.Round > 0 {
			return true
		}
	}
	return false
}

// roundOverdue handles TimerTree: a neighbour has been in a newer round than
// this node for GraftTimeout, so the parent's path to the root is broken:
// follow the closest neighbour in a newer round.
func (tr *treeState) roundOverdue(e *Engine) {
	t := &tr.shape
	t.behind = false
	best := -1
	for j := range e.links {
		p := tr.links[j].pos
		if tr.usable(e, j) && p.Root == t.pos.Root && p.Round > t.pos.Round && (best < 0 || p.Rank < tr.links[best].pos.Rank) {
			best = j
		}
	}
	if best >= 0 {
		tr.follow(e, best)
	}
}

// usable reports whether link j's position can be followed at all: known,
// on a route to its root, not naming this node or a root taken for dead, and
// from a peer that relays (treerelays.go).
func (tr *treeState) usable(e *Engine, j int) bool {
	l := &e.links[j]
	p := tr.links[j].pos
	t := &tr.shape
	if l.state != linkEstablished || p.Root == 0 || p.Rank == RankNone || p.Root == e.id || !tr.relays(e, j) {
		return false
	}
	return p.Root != t.dead || p.Round > t.deadRnd || e.now >= t.deadTill
}

// older reports whether root a, heard in round ra, is older than root b,
// heard in round rb. A root in round 0 has not started its first round yet:
// it is no older than anybody.
func older(a NodeID, ra uint32, b NodeID, rb uint32) bool {
	return ra > rb || (ra == rb && ra > 0 && a < b)
}

// feasible reports whether a neighbour at position p, in this node's tree,
// can be its parent without closing a cycle.
func (tr *treeState) feasible(e *Engine, p Position) bool {
	t := &tr.shape
	return p.Round > t.pos.Round || (p.Round == t.pos.Round && p.Rank < t.low)
}

// reselect chooses the root and the parent after positions or links
// changed.
func (tr *treeState) reselect(e *Engine) {
	t := &tr.shape
	// A neighbour in an older tree than ours: join that tree through its
	// closest neighbour.
	join := -1
	for j := range e.links {
		p := tr.links[j].pos
		if !tr.usable(e, j) || p.Root == t.pos.Root {
			continue
		}
		if join < 0 {
			if older(p.Root, p.Round, t.pos.Root, t.pos.Round) {
				join = j
			}
			continue
		}
		q := tr.links[join].pos
		if older(p.Root, p.Round, q.Root, q.Round) || (p.Root == q.Root && p.Round == q.Round && p.Rank < q.Rank) {
			join = j
		}
	}
	if join >= 0 {
		tr.follow(e, join)
		return
	}
	if t.pos.Root == e.id {
		return
	}
	cur := e.peerLink(t.parent)
	if cur >= 0 && tr.links[cur].pos.Root != t.pos.Root {
		cur = -1 // the parent left our tree
	}
	fits := func(j int) bool {
		return tr.usable(e, j) && tr.links[j].pos.Root == t.pos.Root && tr.feasible(e, tr.links[j].pos)
	}
	best := -1
	for j := range e.links {
		if fits(j) && (best < 0 || tr.links[j].pos.Rank < tr.links[best].pos.Rank) {
			best = j
		}
	}
	next := best
	if cur >= 0 && fits(cur) && (best < 0 || tr.links[best].pos.Rank >= tr.links[cur].pos.Rank) {
		next = cur // keep the parent unless another is strictly closer
	}
	if next >= 0 {
		tr.follow(e, next)
		return
	}
	// Cut off: keep the parent, if any, so that the subtree stays whole,
	// unless it relays nothing.
	if t.pos.Rank != RankNone {
		e.stats.CutOffs++
	}
	if cur < 0 || !tr.relays(e, cur) {
		tr.setParent(e, 0)
	}
	tr.setPosition(e, Position{Root: t.pos.Root, Round: t.pos.Round, Rank: RankNone})
	tr.askRound(e)
	tr.watchRounds(e)
}

// askRound asks the root for a new round, through the closest neighbour
// still on a route to it: in a new round every neighbour is a feasible
// parent.
func (tr *treeState) askRound(e *Engine) {
	t := &tr.shape
	want := t.pos.Round + 1
	if t.asked >= want {
		return
	}
	best := -1
	for j := range e.links {
		p := tr.links[j].pos
		if tr.usable(e, j) && p.Root == t.pos.Root && (best < 0 || p.Rank < tr.links[best].pos.Rank) {
			best = j
		}
	}
	if best >= 0 {
		t.asked = want
		e.send(best, Frame{Type: FrameRoundRequest, Pos: Position{Root: t.pos.Root, Round: want}})
	}
}

// onRoundRequest passes a request for round p.Round on to the parent, once;
// the root starts that round at once. One that names this node, from its
// parent the root, hands it the root (treecentre.go).
func (tr *treeState) onRoundRequest(e *Engine, i int, p Position) {
	t := &tr.shape
	switch {
	case p.Root == e.id && t.pos.Root != e.id:
		if peer := e.links[i].peer; peer == t.parent && peer == t.pos.Root && p.Round > t.pos.Round {
			tr.takeRoot(e, p.Round)
		}
	case p.Root != t.pos.Root || p.Round <= t.pos.Round:
		// Another tree's, or the round has begun.
	case t.pos.Root == e.id && tr.holding(e):
		// Handing over: the new root starts the rounds. (A hand-over of
		// long ago, by a node that is a root again, holds nothing.)
	case t.pos.Root == e.id:
		t.round = p.Round
		tr.setPosition(e, Position{Root: e.id, Round: t.round, Rank: 0})
	case t.pos.Rank != RankNone && p.Round > t.asked:
		if j := e.peerLink(t.parent); j >= 0 {
			t.asked = p.Round
			e.send(j, Frame{Type: FrameRoundRequest, Pos: p})
		}
	}
}

// follow takes the neighbour on link j as parent, in its tree and round.
func (tr *treeState) follow(e *Engine, j int) {
	t := &tr.shape
	p := tr.links[j].pos
	rank := p.Rank + 1
	if p.Root != t.pos.Root || p.Round != t.pos.Round {
		t.low = rank
		t.heard = e.now
	} else {
		t.low = min(t.low, rank)
	}
	tr.setParent(e, e.links[j].peer)
	tr.setPosition(e, Position{Root: p.Root, Round: p.Round, Rank: rank})
	tr.watchRounds(e)
}

// watchRounds arms TimerTree when a neighbour is in a newer round than this
// node: if the parent has not caught up by then, its path to the root is
// broken.
func (tr *treeState) watchRounds(e *Engine) {
	t := &tr.shape
	if t.behind || t.pos.Root == e.id {
		return
	}
	for j := range e.links {
		p := tr.links[j].pos
		if tr.usable(e, j) && p.Root == t.pos.Root && p.Round > t.pos.Round {
			t.behind = true
			e.setTimer(TimerTree, e.now+e.cfg.GraftTimeout)
			return
		}
	}
}

// setParent makes peer (zero: nobody) the tree parent: a Prune tells the
// old parent, a Graft the new one.
func (tr *treeState) setParent(e *Engine, peer NodeID) {
	t := &tr.shape
	old := t.parent
	if old == peer {
		return
	}
	t.parent, t.parentSince = peer, e.now
	if j := e.peerLink(old); j >= 0 {
		e.stats.Prunes++
		e.send(j, Frame{Type: FramePrune})
		tr.setLazy(e, j)
	}
	if j := e.peerLink(peer); j >= 0 {
		e.stats.Reparents++
		e.send(j, Frame{Type: FrameGraft})
		tr.setLazy(e, j)
	}
}

// setLazy puts link j on the tree when it leads to the parent or to a child,
// and off it otherwise.
func (tr *treeState) setLazy(e *Engine, j int) {
	l, t := &e.links[j], &tr.links[j]
	t.lazy = !t.child && (l.peer == 0 || l.peer != tr.shape.parent)
}

// setPosition changes the node's position and tells every neighbour.
func (tr *treeState) setPosition(e *Engine, p Position) {
	t := &tr.shape
	if p == t.pos {
		return
	}
	t.pos = p
	tr.tellAll(e)
}

// tellAll tells every neighbour where this node stands.
func (tr *treeState) tellAll(e *Engine) {
	for j := range e.links {
		if e.links[j].state == linkEstablished {
			tr.sendPosition(e, j)
		}
	}
	tr.centre.toldCand, tr.centre.toldDist = tr.centre.cand, tr.centre.dist
}
