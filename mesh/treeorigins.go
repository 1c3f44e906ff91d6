package mesh

import "slices"

// Per-origin trees (tree mode): Plumtree's optimisation, per sender.
//
// The shared tree (treeroot.go) carries a message from any origin, but along
// the tree's path, which runs through the root for most pairs of nodes:
// about twice as many hops as the shortest path. So each node keeps, for
// the origins it has heard from, how that origin's payloads flow over its
// own links, learnt from their messages:
//
//   - First message. A node that has not received an origin's message yet
//     pushes it over the shared tree's links. A node's own first message
//     goes over every link: it enters every branch of the tree around the
//     sender at once rather than through the sender's own, at about a
//     duplicate per link of the sender (multi-1000: medians 38.4 -> 35.5
//     ms, RMR 0.003 -> 0.013; burst-100 18.5 -> 15.3 ms, see BENCHMARKS.md).
//     Its later messages also go straight to its neighbours closer to the
//     shared tree's root than itself: they skip a hop of the climb, and no
//     path gets longer than the tree's; and to neighbours linked since its
//     previous message, which have no path from it yet (a neighbour that
//     rotation had linked again got the sender's next two messages by
//     announcement and fetch, 40 ms each, in burst-100). Every link a node pushes an
//     origin's payload over keeps carrying that origin's payloads (the
//     tree may move; these links stay) until its peer prunes it: a
//     neighbour the sender's own copy reached first prunes the tree's copy
//     for that origin only (its tree links stay), one the tree reached
//     first prunes the sender.
//   - Prune a duplicate. A copy of a message seen already shows that another
//     path is quicker: the node prunes the sender for that origin (Prune
//     naming the origin). So after one message of an origin each node keeps
//     the link its first copy came over: the origin's first-arrival tree.
//   - Graft a shortcut. An announcement of a message seen already whose hop
//     count is below the one the node's copy came with (by originGain or
//     more) shows a shorter path: the node grafts the announcer for that
//     origin (Graft naming the origin, sequence 0) and prunes the peer its
//     copy came from and the shared tree's links. Hop counts along the new
//     links fall strictly towards the origin, so no cycle forms. The node
//     also announces its shorter path at once to the neighbours that do not
//     take the origin's payloads from it (reannounce), so that shortcuts
//     spread within one message (a distance vector for the origin, carried
//     by the announcements) rather than one hop a message: an origin's
//     second message already follows a shortest-path tree from it
//     (burst-100's second round: p99 31.6 -> 24.5 ms on seed 1, for about
//     7% more bytes there and 13% in multi-1000, where no sender sends
//     twice).
//   - Later messages. A node pushes the origin's payloads over the links
//     that carry them, and over links to tree children that came since the
//     origin's last message (a node that joined or restarted has no source).
//   - Repair. An announcement of an origin's message that has not arrived
//     means its copy is late (the tree broke upstream): the node fetches it
//     after IHaveDelay/2 rather than GraftTimeout (graftDelay). So does a
//     node that hears of a message from its parent: what the parent relayed
//     before the node's Graft reached it was announced, not pushed, and a
//     parent announces again to a new child what it relayed within the
//     last GraftTimeout (announceRecent, treerelays.go; in burst-100 on
//     seed 7 a node that moved to a new parent 15 ms into the first round,
//     over a link that had just come up, fetched 31 messages after 190 ms). A node whose
//     source's link closed grafts the announcer of the last message with the
//     fewest hops, if any (lostSource); one without a source makes the peer
//     it fetches from its source (newSource).
//
// A node remembers originTreeSize origins, the least recently used one
// forgotten first; a forgotten origin's next message goes over the shared
// tree again and costs a duplicate per link its neighbours had pruned.
// Links beyond the 64th have no per-origin state.

// originTreeSize is how many origins a node keeps per-origin state for
// (about 100 bytes each).
const originTreeSize = 1024

// originGain is how many hops an announcement must save over the copy
// received before the node grafts its announcer.
const originGain = 1

// originTree is what a node keeps about one origin's payloads. Link masks
// hold bit j for link j of the engine (kept in step by removeLink).
type originTree struct {
	origin NodeID
	eager  uint64 // peers that asked for this origin's payloads
	pruned uint64 // peers that asked not to get them
	cut    uint64 // peers this node asked not to send them
	from   NodeID // the peer the latest message's first copy came from
	seq    uint64 // that message's sequence number ...
	hops   uint16 // ... and the hops it took (shortened by grafts)
	at     Time   // when it came
	alt    NodeID // the announcer of that message with the fewest hops ...
	altHop uint16 // ... not more than hops+1 (so not through this node)
	used   uint32 // recency, for eviction
}

// originTrees is a node's per-origin state, at most originTreeSize entries,
// made as origins are heard of.
type originTrees struct {
	list  []originTree
	index map[NodeID]int32 // origin -> its entry in list
	clock uint32
}

// find returns the entry of origin o, or nil.
func (ot *originTrees) find(o NodeID) *originTree {
	k, ok := ot.index[o]
	if !ok {
		return nil
	}
	ot.clock++
	ot.list[k].used = ot.clock
	return &ot.list[k]
}

// get returns the entry of origin o, making one (and forgetting the least
// recently used origin when full) when there is none.
func (ot *originTrees) get(o NodeID) *originTree {
	if t := ot.find(o); t != nil {
		return t
	}
	if ot.index == nil {
		ot.index = make(map[NodeID]int32)
	}
	ot.clock++
	k := len(ot.list)
	if k < originTreeSize {
		ot.list = append(ot.list, originTree{})
	} else {
		k = 0
		for j := range ot.list {
			if ot.list[j].used < ot.list[k].used {
				k = j
			}
		}
		delete(ot.index, ot.list[k].origin)
	}
	ot.list[k] = originTree{origin: o, used: ot.clock}
	ot.index[o] = int32(k)
	return &ot.list[k]
}

// removeLink drops bit i from every mask, moving the bits of later links
// down by one, as the link table does.
func (ot *originTrees) removeLink(i int) {
	if i >= 64 {
		return
	}
	drop := func(m uint64) uint64 {
		low := m & (1<<i - 1)
		return low | (m>>(i+1))<<i
	}
	for k := range ot.list {
		t := &ot.list[k]
		t.eager, t.pruned, t.cut = drop(t.eager), drop(t.pruned), drop(t.cut)
	}
}

func linkBit(j int) uint64 {
	if j >= 64 {
		return 0
	}
	return 1 << j
}

// pushes reports whether this node sends origin o's payloads over link j,
// for a message of its own (own) or received; prev is when the origin's
// previous message came, -1 for its first (a node's own first message goes
// over every link).
func (tr *treeState) pushes(e *Engine, o *originTree, j int, own bool, prev Time) bool {
	b := linkBit(j)
	switch {
	case o.pruned&b != 0:
		return false
	case o.eager&b != 0:
		return true
	case tr.links[j].lazy:
		return own && (prev < 0 || tr.shallower(j) || e.links[j].since > prev)
	}
	return prev < 0 || tr.links[j].child && e.links[j].since > prev
}

// firstCopy records that the first copy of m came over link skip (-1: the
// node's own message), fetched or pushed, with m.Hops-1 hops, and returns
// its origin's entry and when the origin's previous message came (-1:
// none).
func (tr *treeState) firstCopy(e *Engine, skip int, m Message, fetched bool) (o *originTree, prev Time) {
	o = tr.origins.get(m.ID.Origin)
	prev = -1
	if o.seq != 0 {
		prev = o.at
	}
	o.seq, o.hops, o.alt, o.at = m.ID.Seq, m.Hops-1, 0, e.now
	switch {
	case fetched && skip >= 0 && e.peerLink(o.from) >= 0 && o.from != e.links[skip].peer:
		tr.takeFetchSource(e, skip, o)
	case fetched && e.peerLink(o.from) >= 0:
		// The source delivered what was fetched from it.
	case fetched || skip < 0:
		o.from = 0 // no source: the next fetch makes one (newSource)
	default:
		o.from = e.links[skip].peer
	}
	return o, prev
}

// pruneOrigin asks the peer on link j not to send origin's payloads.
func (tr *treeState) pruneOrigin(e *Engine, j int, origin NodeID) {
	o := tr.origins.get(origin)
	o.cut |= linkBit(j)
	if o.from == e.links[j].peer {
		o.from = 0 // a fetch was quicker: the next one finds a source
	}
	e.stats.Prunes++
	e.send(j, Frame{Type: FramePrune, IDs: []MsgID{{Origin: origin}}})
}

// shortcut handles an announcement of a message already seen, on link i: a
// shorter path than the one the node's copy took makes the announcer the
// node's source of that origin's payloads.
func (tr *treeState) shortcut(e *Engine, i int, a Announcement) {
	o := tr.origins.find(a.ID.Origin)
	if o == nil || o.seq != a.ID.Seq || !tr.relays(e, i) || i >= 64 {
		return
	}
	if int(a.Hops)+originGain > int(o.hops) {
		if a.Hops <= o.hops+1 && (o.alt == 0 || a.Hops < o.altHop) {
			o.alt, o.altHop = e.links[i].peer, a.Hops
		}
		return
	}
	if j := e.peerLink(o.from); j >= 0 && j != i {
		tr.pruneOrigin(e, j, a.ID.Origin)
		o.pruned |= linkBit(j) // it had the message before this node
	}
	for j := range e.links {
		if j != i && j < 64 && !tr.links[j].lazy && o.cut&linkBit(j) == 0 && e.links[j].state == linkEstablished {
			tr.pruneOrigin(e, j, a.ID.Origin) // the tree's copies would be duplicates
		}
	}
	o.cut &^= linkBit(i)
	o.from, o.hops = e.links[i].peer, a.Hops
	e.stats.Grafts++
	e.send(i, Frame{Type: FrameGraft, IDs: []MsgID{{Origin: a.ID.Origin}}})
	tr.reannounce(e, i, o, Announcement{ID: a.ID, Hops: a.Hops + 1})
}

// heardShorter: announcements of a message that came before its first
// copy name paths to its origin too. The one with the fewest hops is taken
// as a shortcut once the copy is in, as if it had come after it. (In
// tree-burst-100's first round a first copy climbs the shared tree while
// nearer neighbours' announcements of it arrive first; they were dropped,
// and 15% of the nodes were a hop farther from each sender in its second
// round than in its third.)
func (tr *treeState) heardShorter(e *Engine, heard missing) {
	if j := e.peerLink(heard.nearest); heard.nearest != 0 && j >= 0 {
		tr.shortcut(e, j, Announcement{ID: heard.id, Hops: heard.hops})
	}
}

// reannounce tells the neighbours the shorter path this node has just taken
// to an origin (a), so that theirs shorten within the same message rather
// than one hop a message: all but the new source (link skip) and those that
// take the origin's payloads from this node already (their path shortens
// with it).
func (tr *treeState) reannounce(e *Engine, skip int, o *originTree, a Announcement) {
	for j := range e.links {
		if j == skip || e.links[j].state != linkEstablished || o.eager&linkBit(j) != 0 {
			continue
		}
		tr.announceOnce(e, j, a)
	}
}

// announceOnce queues announcement a on link j unless one of the same
// message is queued there already (that one keeps the fewer hops), and
// arms the flush. relay, which queues each message's first announcement,
// appends without the search.
func (tr *treeState) announceOnce(e *Engine, j int, a Announcement) {
	t := &tr.links[j]
	if k := slices.IndexFunc(t.ihave, func(q Announcement) bool { return q.ID == a.ID }); k >= 0 {
		t.ihave[k].Hops = min(t.ihave[k].Hops, a.Hops) // not flushed yet
		return
	}
	t.ihave = append(t.ihave, a)
	e.armTimer(TimerIHave, e.now+e.cfg.IHaveDelay)
}

// onOriginGraft: the peer on link i wants origin's payloads. When that peer
// is this node's own source of them, it has lost its way to the origin and
// found no other (lostSource): the node looks for its own (reroute).
func (tr *treeState) onOriginGraft(e *Engine, i int, origin NodeID) {
	o := tr.origins.get(origin)
	b := linkBit(i)
	o.eager |= b
	o.pruned &^= b
	if o.from != 0 && o.from == e.links[i].peer {
		o.from = 0
		tr.reroute(e, o, i)
	}
}

// reroute: this node's source of origin o's payloads, on link skip, lost
// its way to the origin. The announcer of o's latest message that is
// closer to the origin than that source (so not below it) becomes the
// source; with none, the node passes the news on to the peers that take
// o's payloads from it (askBelow). Either way the old source now takes
// them from this node.
func (tr *treeState) reroute(e *Engine, o *originTree, skip int) {
	if j := e.peerLink(o.alt); j >= 0 && j < 64 && o.altHop <= o.hops && o.eager&linkBit(j) == 0 {
		o.hops, o.alt = o.altHop, 0
		tr.graftSource(e, j, o)
		return
	}
	tr.askBelow(e, o, skip)
}

// askBelow: this node has no source of origin o's payloads and found no
// other: it asks each peer that takes them from it (but the one on link
// skip) for them, a Graft naming the origin. Each of those finds its own
// way to the origin (reroute), so that the subtree that hung below the
// lost link is fed again from its edge, before the origin's next message
// (tree-burst-100, seed 6: rotation closed the one link through which 21
// nodes took an origin's payloads, and they fetched its next message
// 42-73 ms late).
func (tr *treeState) askBelow(e *Engine, o *originTree, skip int) {
	for j := range e.links {
		if j != skip && j < 64 && o.eager&linkBit(j) != 0 && e.links[j].state == linkEstablished {
			e.stats.Grafts++
			e.send(j, Frame{Type: FrameGraft, IDs: []MsgID{{Origin: o.origin}}})
		}
	}
}

// onOriginPrune: the peer on link i does not want origin's payloads.
func (tr *treeState) onOriginPrune(i int, origin NodeID) {
	o := tr.origins.get(origin)
	b := linkBit(i)
	o.pruned |= b
	o.eager &^= b
}

// cutOff reports whether this node asked the peer on link j not to send
// origin's payloads (so a message of that origin it misses is not the
// peer's fault).
func (tr *treeState) cutOff(j int, origin NodeID) bool {
	o := tr.origins.find(origin)
	return o != nil && o.cut&linkBit(j) != 0
}

// lostSource: the link to peer closed. Each origin whose payloads came
// from it takes them from the announcer of its latest message with the
// fewest hops (not through this node), or else from the tree parent, unless
// the parent takes that origin's payloads from this node: grafting it would
// close a cycle that no payload enters (tree-burst-100, seed 1: a node whose
// link to an origin rotated away grafted its parent, which got the origin's
// next message 44 ms late, by a fetch, and so did the node and its whole
// subtree). With none, the next message of that origin comes by
// announcement, soon (graftDelay), and its fetch makes the announcer push the
// origin's payloads again.
func (tr *treeState) lostSource(e *Engine, peer NodeID) {
	for k := range tr.origins.list {
		o := &tr.origins.list[k]
		if o.from != peer {
			continue
		}
		o.from = 0
		src, hops := o.alt, o.altHop
		if e.peerLink(src) < 0 {
			src, hops = tr.shape.parent, o.hops+1
		}
		if j := e.peerLink(src); j >= 0 && j < 64 && o.eager&linkBit(j) == 0 {
			o.hops, o.alt = hops, 0
			tr.graftSource(e, j, o)
			continue
		}
		tr.askBelow(e, o, -1)
	}
}

// graftDelay is how long a node waits for a message it heard of, from the
// peer on link i, before asking the announcer: GraftTimeout, or IHaveDelay/2
// when its origin's payloads come no farther than the announcement's
// (announced after IHaveDelay, the copy is overdue: the origin's tree broke
// upstream), or when the announcer is the node's tree parent, which it did
// not cut off for that origin: a parent announces only what it relayed
// before it took the node as its child (the node has just moved to it), and
// will not push it.
func (tr *treeState) graftDelay(e *Engine, i int, a Announcement) Time {
	if o := tr.origins.find(a.ID.Origin); o != nil && o.seq != 0 {
		return e.cfg.IHaveDelay / 2
	}
	if tr.fromParent(e, i, a.ID.Origin) {
		return e.cfg.IHaveDelay / 2
	}
	return e.cfg.GraftTimeout
}

// fromParent reports whether link i leads to the node's tree parent and
// the node has not cut it off for origin's payloads.
func (tr *treeState) fromParent(e *Engine, i int, origin NodeID) bool {
	return e.links[i].peer == tr.shape.parent && !tr.cutOff(i, origin)
}

// newSource: the node fetches a message of origin from the peer on link j.
// When the link its payloads came over is gone, that peer becomes the
// origin's source for this node (a Graft for the origin), so that the
// origin's tree heals with the first message it lost.
func (tr *treeState) newSource(e *Engine, j int, origin NodeID) {
	o := tr.origins.get(origin)
	if j >= 64 || (o.from != 0 && e.peerLink(o.from) >= 0) {
		return
	}
	tr.graftSource(e, j, o)
}

// takeFetchSource: the first copy of an origin's message came over link
// j, fetched, while the node's source for that origin was still linked
// but late. The peer it was fetched from had it in time: it becomes the
// source. (Before, the source stayed, its late copy then pruned it as a
// duplicate, and the node had no source at all: in tree-burst-100 that
// was a third of the fetches of rounds 2-5.)
func (tr *treeState) takeFetchSource(e *Engine, j int, o *originTree) {
	if j < 64 {
		tr.graftSource(e, j, o)
	}
}

// graftSource makes the peer on link j (below 64) the node's source of
// origin o's payloads: a Graft naming the origin.
func (tr *treeState) graftSource(e *Engine, j int, o *originTree) {
	o.from = e.links[j].peer
	o.cut &^= linkBit(j)
	e.stats.Grafts++
	e.send(j, Frame{Type: FrameGraft, IDs: []MsgID{{Origin: o.origin}}})
}

// shallower reports whether the peer on link j, in this node's tree, is
// closer to its root than this node. (Pushing to a neighbour as deep as
// this node too measured 2 ms quicker medians, but a copy that climbs from
// there can make the longest path one hop longer than the tree's: the last
// delivery hop of multi-1000 reached 15 on seed 2.)
func (tr *treeState) shallower(j int) bool {
	p := tr.links[j].pos
	return p.Root != 0 && p.Root == tr.shape.pos.Root && p.Rank < tr.shape.pos.Rank
}
