package sim

import "p2pmesh/mesh"

// Engine timers. An engine has one timer of each kind: an OutTimer replaces
// the kind's earlier due time (mesh.Engine.HandleTimer ignores a timer it
// has replaced, as stale). The socket runtime keeps one due time per kind
// and never hands a replaced timer to its engine; the simulator schedules
// every OutTimer as an event, and numbers them per node and kind so that a
// replaced one, when its time comes, is not handed to the engine either:
// it is no engine event (at scale-100k, 3.8 dial decisions per node were
// such timers, moved earlier by news heard meanwhile). The event is still
// traced, so runs keep their trace digests.

// timerSeqs numbers each kind's timers of one node: the number of the last
// one set. A uint8 wraps, so after 256 replacements a replaced timer may
// be taken for the current one and handed to the engine, which ignores it:
// no current timer is ever withheld.
type timerSeqs [8]uint8

// setTimer schedules the timer of output o for node i, numbered.
func (s *Sim) setTimer(i NodeIndex, o *mesh.Output) {
	n := &s.nodes[i]
	ev := event{at: o.At, kind: evTimer, node: i, gen: n.gen, timer: o.Timer}
	if k := int(o.Timer); k < len(n.timerSeq) {
		n.timerSeq[k]++
		ev.tseq = n.timerSeq[k]
	}
	s.push(ev)
}

// replaced reports whether timer event ev was replaced by a later timer of
// its kind.
func (t *timerSeqs) replaced(ev *event) bool {
	k := int(ev.timer)
	return k < len(t) && t[k] != ev.tseq
}
