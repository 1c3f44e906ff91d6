package mesh

import "slices"

// The root walks to the overlay's centre (tree mode).
//
// The shared tree's root is the oldest node (treeroot.go), wherever it sits
// in the overlay. A sender's first message climbs to the root and descends,
// so the tree's longest path is up to twice the root's eccentricity and its
// typical path twice the root's mean distance to the nodes (its farness
// over n). The oldest node can be far from the centre: on multi-1000, seed
// 2, its eccentricity was 8 in an overlay of radius 6, and a first message
// reached its last node at hop 16.
//
// So the root surveys its neighbours, one at a time, as candidate roots,
// and hands the root to one that is more central: a local search on
// (eccentricity, farness), each step measured exactly, as the classic
// tree-centre walk does on a tree's heights but over the overlay itself.
//
//   - A survey. The root names a candidate (Survey.Cand) in its round's
//     Position; each node takes the candidate from its parent, as it takes
//     the round. The candidate's distance spreads as a distance vector
//     (Survey.Dist, told on change): a node's distance is one more than its
//     least neighbour's, and within one survey it only falls, so it never
//     counts to infinity. Up the tree flow, per subtree, the largest rank
//     and distance to the candidate (Height, CandHeight) and their sums
//     (Far, CandFar): a node whose children have all reported their whole
//     subtree in the current round sends its own to its parent (Done; a
//     leaf's round Position is its report), the echo of the round's pulse.
//     So the root learns, once a round, its own eccentricity and farness
//     over the tree and the candidate's over the overlay.
//   - A move. From the survey's second round on (distances have spread),
//     once the root's own figures held still from one round to the next
//     (within centreMargin percent) and no message passed for centreQuiet
//     rounds, the root hands the root to the candidate when it is strictly
//     less eccentric and at most centreMargin percent farther, or as
//     eccentric and centreMargin percent less far (centralThan):
//     a RoundRequest naming the candidate as root and the next round. The
//     candidate stands as root in that round, which is newer than the old
//     root's, so every node joins its tree by the rules of treeroot.go (the
//     old root among them: it starts no round while it waits, up to two
//     rounds). Each move lowers (eccentricity, farness), so the walk cannot
//     cycle while the overlay stands still (a settled tree is a shortest-path
//     tree: its height is the root's eccentricity); the margin keeps a
//     move from trading much farness for it.
//   - Candidates. The root's children that relay (treerelays.go: a free
//     rider is never surveyed, so never a root), the one with the deepest
//     subtree first, then the one with the most distant nodes, at most
//     centreTries in a sweep; the survey of a candidate that gave no answer
//     in centreRounds rounds is given up. A new root waits centreSettle
//     rounds for its tree to form.
//   - Rest. A survey starts, and goes on, only while the root's tree holds
//     still: no message passed the root for centreQuiet rounds (the root
//     moves only then: a move re-forms the tree under the messages in
//     flight, so a survey while messages flow only measured again, round
//     after round; tcp-loss sent 17% more bytes), and nobody asked for a
//     round since the last pulse (a node cut off asks: the tree re-forms
//     under the survey, as while the overlay grows; a survey under way then
//     ends, its candidate not counted as tried). When the walk has stopped
//     — a sweep moved nothing and found the root's own figures steady, or
//     the tree is less than centreDeep deep — the root is settled, and its
//     surveys rest. A sweep that moved nothing while the root's figures
//     changed rests centreRest rounds, twice as long after each, up to
//     centreRest<<(centreFails-1), and sweeps again.
//   - The trigger. What can move the centre is a change of the root or of
//     the overlay: nodes joining or leaving in numbers, a partition
//     healing, links rotating over minutes. A new root starts a walk of its
//     own (it is not settled). The overlay the root cannot see, so a
//     settled root probes it every centreProbe rounds: a survey of itself
//     as candidate, whose distances need not spread (a node's distance to
//     the root comes with the round from its parent) and which costs one
//     report per inner node, once. A probe wakes the walk when the tree is
//     centreDeep or more deep and its height differs from the settled
//     one's, or its farness by more than centreShift percent (woken): that
//     many nodes more or fewer, or farther, than when the walk stopped. So
//     a settled mesh surveys one round in centreProbe, and under steady
//     traffic none. (Before, a settled root swept its neighbours every 4 to
//     32 rounds, and a survey went on round after round while messages
//     passed: 2-10% more engine events in tree mode.)
//
// A survey adds 10 bytes (candidate and distance) to the Positions of its
// rounds, 23 to those to a parent (with the subtree's report), a Position
// per link for each fall of a node's distance, and one report per inner
// node a round to its parent; its end is not told (the next round's
// Positions carry no survey). No timer and nothing in the Engine.
const (
	centreSettle = 1  // rounds a new root waits before its first survey
	centreRounds = 3  // rounds a survey may take before its candidate is given up
	centreTries  = 8  // candidates surveyed in a sweep
	centreRest   = 4  // rounds of rest after a first fruitless sweep (then doubled)
	centreMargin = 3  // percent: how much farther a less eccentric candidate may be, and how still the root's figures must hold
	centreHold   = 2  // rounds the old root waits for the new one
	centreQuiet  = 3  // rounds without a message before the root moves
	centreDeep   = 7  // the eccentricity from which the root walks
	centreFails  = 4  // the rest doubles up to this many times
	centreProbe  = 16 // rounds between a settled root's probes
	centreShift  = 5  // percent: the change of farness a probe wakes the walk for
	centreNone   = -1 // no candidate link
)

// centring is a node's part in the surveys.
type centring struct {
	cand      NodeID // the candidate surveyed: the root's own, or its parent's
	dist      uint16 // this node's distance to cand, RankNone while unknown
	toldCand  NodeID // what the neighbours last heard
	toldDist  uint16
	doneRound uint32 // the round whose whole-subtree report went to the parent (the root: was judged)
	// The root's own.
	rooted bool   // the fields below are this root's
	from   uint32 // the round the survey began
	pulsed uint32 // the round of the last pulse
	next   uint32 // no survey before this round
	tried  [centreTries]NodeID
	ntried uint8
	fails  uint8 // sweeps in a row that moved nothing
	// unsteady: a judgement of this sweep found the root's figures moving.
	// settled: the walk stopped; only probes until they find the tree
	// changed from restHeight and restFar, its figures then.
	unsteady, settled bool
	restHeight        uint16
	restFar           uint32
	// The root's own height and farness at its last judgement.
	lastHeight uint16
	lastFar    uint32
	handTo     NodeID // the neighbour the root was handed to, ...
	handAt     Time   // ... then
}

// heardSurvey is what link i keeps of a neighbour's survey v: without one,
// the last heights (the root orders its candidates by them).
func heardSurvey(old, v Survey) Survey {
	if v.Cand != 0 {
		return v
	}
	return Survey{Dist: RankNone, Height: old.Height, Far: old.Far}
}

// survey is what this node tells its neighbours of the current survey.
func (tr *treeState) survey(e *Engine) Survey {
	if tr.centre.cand == 0 {
		return Survey{}
	}
	v, done := tr.gather(e)
	v.Done = done
	return v
}

// gather sums the survey over this node's subtree from its children's
// reports in the current round; done: every child reported its whole
// subtree.
func (tr *treeState) gather(e *Engine) (v Survey, done bool) {
	c, t := &tr.centre, &tr.shape
	rank := t.pos.Rank
	v = Survey{Cand: c.cand, Dist: c.dist, Height: rank, CandHeight: c.dist, Far: uint32(rank), CandFar: uint32(c.dist)}
	done = rank != RankNone
	for j := range e.links {
		tl := &tr.links[j]
		if !tl.child || e.links[j].state != linkEstablished {
			continue
		}
		s := &tl.srv
		if s.Cand != c.cand || !s.Done || tl.pos.Round != t.pos.Round || tl.pos.Root != t.pos.Root {
			done = false
			continue
		}
		v.Height = max(v.Height, s.Height)
		v.Far += s.Far
		if v.CandHeight == RankNone || s.CandHeight == RankNone {
			v.CandHeight = RankNone
		} else {
			v.CandHeight = max(v.CandHeight, s.CandHeight)
		}
		v.CandFar += s.CandFar
	}
	return v, done
}

// track takes the candidate from the parent and lowers this node's
// distance to it from its neighbours', without telling anybody.
func (tr *treeState) track(e *Engine) {
	c, t := &tr.centre, &tr.shape
	if t.pos.Root != e.id {
		if p := e.peerLink(t.parent); p >= 0 && tr.links[p].pos.Root == t.pos.Root && tr.links[p].srv.Cand != c.cand {
			c.cand, c.dist, c.doneRound = tr.links[p].srv.Cand, RankNone, 0
			if c.cand == e.id {
				c.dist = 0
			}
		}
	}
	if c.cand == 0 || c.cand == e.id {
		return
	}
	for j := range e.links {
		s := &tr.links[j].srv
		if s.Cand == c.cand && s.Dist < c.dist-1 && e.links[j].state == linkEstablished && tr.relays(e, j) {
			c.dist = s.Dist + 1
		}
	}
}

// surveyed follows a change of positions or surveys: it tells the
// neighbours a new candidate or distance, and reports a complete subtree to
// the parent (the root judges it). The end of a survey is not told: the
// next round's Positions carry none (telling it at once cost a Position
// per link of every node).
func (tr *treeState) surveyed(e *Engine) {
	c, t := &tr.centre, &tr.shape
	tr.track(e)
	if c.cand != 0 && (c.cand != c.toldCand || c.dist != c.toldDist) {
		tr.tellAll(e)
	}
	if c.cand == 0 || c.doneRound == t.pos.Round {
		return
	}
	v, done := tr.gather(e)
	if !done {
		return
	}
	if t.pos.Root == e.id {
		c.doneRound = t.pos.Round
		tr.judge(e, v)
		return
	}
	if p := e.peerLink(t.parent); p >= 0 {
		tr.sendPosition(e, p) // records doneRound
	}
}

// plan runs at the root's pulse, before its new round is told: it gives up
// a survey that took too long and starts the next one (a settled root: a
// probe), or rests.
func (tr *treeState) plan(e *Engine) {
	c, t := &tr.centre, &tr.shape
	if !c.rooted {
		*c = centring{rooted: true, next: t.round + centreSettle, dist: RankNone, toldCand: c.toldCand, toldDist: c.toldDist}
	}
	asked := t.round != c.pulsed+1 // a round was asked since the last pulse: the tree re-forms
	c.pulsed = t.round
	switch {
	case c.cand != 0 && asked:
		c.cand = 0 // measured on a tree that changed: again once it holds still (not tried)
	case c.cand == e.id && t.round > c.from+centreRounds:
		c.cand, c.next = 0, t.round+centreRest // a probe without an answer: again later
	case c.cand != 0 && t.round > c.from+centreRounds:
		tr.giveUp(c.cand)
	}
	if c.cand != 0 || t.round < c.next || !e.cfg.CentreRoot || asked || tr.busy(e) {
		return
	}
	if c.settled {
		c.cand, c.dist, c.from, c.doneRound = e.id, 0, t.round, 0
		return
	}
	best := centreNone
	if c.ntried < centreTries {
		for j := range e.links {
			tl := &tr.links[j]
			if !tl.child || e.links[j].state != linkEstablished || !tr.relays(e, j) || tl.pos.Root != e.id ||
				slices.Contains(c.tried[:c.ntried], e.links[j].peer) {
				continue
			}
			if best == centreNone || deeper(tl.srv, tr.links[best].srv) {
				best = j
			}
		}
	}
	if best == centreNone {
		if !c.unsteady && c.lastFar != 0 {
			tr.settle(t.round)
			return
		}
		c.ntried, c.unsteady, c.fails = 0, false, min(c.fails+1, centreFails)
		c.next = t.round + centreRest<<(c.fails-1)
		return
	}
	c.cand, c.dist, c.from, c.doneRound = e.links[best].peer, RankNone, t.round, 0
}

// settle stops the walk in round: surveys rest, but for the probes, from
// the root's figures now.
func (tr *treeState) settle(round uint32) {
	c := &tr.centre
	c.settled, c.cand, c.ntried, c.fails, c.unsteady = true, 0, 0, 0, false
	c.restHeight, c.restFar, c.next = c.lastHeight, c.lastFar, round+centreProbe
}

// busy reports whether a message passed the root within centreQuiet
// rounds: the root does not move then, so it does not survey either.
func (tr *treeState) busy(e *Engine) bool {
	return tr.passedWithin(e, centreQuiet*e.cfg.KeepaliveInterval)
}

// deeper orders candidates: the deeper subtree first, then the farther.
func deeper(a, b Survey) bool {
	return a.Height > b.Height || a.Height == b.Height && a.Far > b.Far
}

// giveUp ends the survey of cand without a move, and counts cand as tried
// in this sweep.
func (tr *treeState) giveUp(cand NodeID) {
	c := &tr.centre
	if c.ntried < centreTries {
		c.tried[c.ntried] = cand
		c.ntried++
	}
	c.cand = 0
}

// judge compares the candidate with the root, from a survey complete in
// the current round, and hands the root over when it is more central; or
// settles (the tree is shallow), gives the candidate up, or measures again
// next round. A probe's judgement wakes a settled walk when the tree
// changed (woken).
func (tr *treeState) judge(e *Engine, v Survey) {
	c, t := &tr.centre, &tr.shape
	cand := c.cand
	j := e.peerLink(cand)
	steady := c.lastHeight == v.Height && uint64(absDiff(c.lastFar, v.Far))*100 <= uint64(c.lastFar)*centreMargin
	if !steady && c.lastFar != 0 {
		c.unsteady = true
	}
	c.lastHeight, c.lastFar = v.Height, v.Far
	if cand == e.id {
		c.cand, c.next = 0, t.round+centreProbe
		if woken(c.restHeight, c.restFar, v) {
			c.settled, c.unsteady, c.next = false, false, t.round+1
		}
		return
	}
	if v.Height < centreDeep && v.CandHeight != RankNone {
		tr.settle(t.pos.Round) // central enough
		return
	}
	better := centralThan(v) && steady
	if !better && t.pos.Round <= c.from {
		return // distances may still be spreading: they only fall
	}
	if !better && centralThan(v) {
		// More central, but the root's own figures moved: no verdict on
		// the candidate. It is surveyed again in centreRest rounds, not
		// counted as tried. (Given up, on multi-1000's seed 3 the better
		// neighbour was tried while the overlay grew, and the fruitless
		// sweeps' doubled rests put its next survey among the
		// broadcasts, when the root does not move: last hop 15.)
		c.cand, c.next = 0, t.pos.Round+centreRest
		return
	}
	if !better || j < 0 || !tr.relays(e, j) {
		tr.giveUp(cand)
		return
	}
	if tr.busy(e) {
		// Messages pass (they began during the survey): the survey ends,
		// the candidate untried, and the sweep goes on once they stop.
		c.cand = 0
		return
	}
	c.cand, c.handTo, c.handAt = 0, cand, e.now
	e.send(j, Frame{Type: FrameRoundRequest, Pos: Position{Root: cand, Round: t.round + 1}})
}

// woken reports whether a probe v finds the tree changed enough from a
// settled root's figures (height, far) to walk again: centreDeep or more
// deep, and another height or centreShift percent more or less far.
func woken(height uint16, far uint32, v Survey) bool {
	return v.Height >= centreDeep &&
		(v.Height != height || uint64(absDiff(far, v.Far))*100 > uint64(far)*centreShift)
}

// centralThan reports whether survey v's candidate is more central than
// the root of a tree centreDeep or more deep: less eccentric and at most
// centreMargin percent farther, or as eccentric and centreMargin percent
// less far. So every move lowers (eccentricity, farness): no cycle. (With
// the first rule alone the walk stopped on a plateau: on multi-1000, seed
// 3, the oldest root had eccentricity 8 in an overlay of radius 6 and all
// its neighbours 8 or 9, and never moved.)
func centralThan(v Survey) bool {
	if v.CandHeight == RankNone || v.Height < centreDeep {
		return false
	}
	cand, root := uint64(v.CandFar)*100, uint64(v.Far)
	return v.CandHeight < v.Height && cand <= root*(100+centreMargin) ||
		v.CandHeight == v.Height && cand <= root*(100-centreMargin)
}

// holding reports whether this root waits for the neighbour it handed the
// root to, and so starts no round: for centreHold rounds, while its link
// to it stands (once it closed, the new root may never have heard).
func (tr *treeState) holding(e *Engine) bool {
	c := &tr.centre
	if c.handTo != 0 && e.now-c.handAt < centreHold*e.cfg.KeepaliveInterval && e.peerLink(c.handTo) >= 0 {
		return true
	}
	c.handTo = 0
	return false
}

// takeRoot: this node's root, its parent, handed it the root from round
// on.
func (tr *treeState) takeRoot(e *Engine, round uint32) {
	t, c := &tr.shape, &tr.centre
	old := t.parent
	tr.setParent(e, 0)
	t.round, t.low, t.heard = round, 0, e.now
	*c = centring{rooted: true, next: round + centreSettle, dist: RankNone, toldCand: c.toldCand, toldDist: c.toldDist}
	c.tried[0], c.ntried = old, 1 // it was just measured against this node
	tr.setPosition(e, Position{Root: e.id, Round: round, Rank: 0})
}

// absDiff is |a-b|.
func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
