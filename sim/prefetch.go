package sim

import (
	"unsafe"

	"p2pmesh/mesh"
)

// Cache prefetching. A large simulation touches its nodes in the random
// order of their events, so nearly every event starts with cache misses: its
// slot in the schedule, its node, the node's engine, the connection and the
// packet, each a dependent load of about 100 ns. The events of the current
// window are sorted in advance, so the simulator knows which nodes come next
// and asks for their memory a few events ahead, while it is busy with the
// present one (prefetchAhead in Run). Prefetches are hints: they never
// change what runs, only how long the processor waits.

// prefetchAhead, called as an event is taken, asks for the memory of those
// still to come: the schedule slot and node of the fourth, the engine,
// connection and packet of the third (whose slot and node were asked for
// one event earlier).
func (s *Sim) prefetchAhead() {
	if e, ok := s.events.ahead(3); ok {
		prefetch(unsafe.Pointer(&s.events.slab[e.slot]))
		prefetch(unsafe.Pointer(&s.nodes[e.node]))
	}
	if e, ok := s.events.ahead(2); ok {
		ev := &s.events.slab[e.slot]
		if ev.kind == evCall || ev.kind == evStart || ev.kind == evBeacon {
			return
		}
		if eng := s.nodes[e.node].eng; eng != nil {
			prefetch(unsafe.Pointer(eng))
		}
		if ev.pkt != nil {
			prefetch(unsafe.Pointer(ev.pkt))
		}
		if slot := int(uint32(ev.link)) - 1; slot >= 0 && slot < len(s.conns) {
			prefetch(unsafe.Pointer(&s.conns[slot]))
		}
	}
}

// prefetchMember asks for the memory of the segment members a beacon will
// reach after members[j]: the node four ahead, the engine two ahead.
func (s *Sim) prefetchMember(members []NodeIndex, j int) {
	if j+4 < len(members) {
		prefetch(unsafe.Pointer(&s.nodes[members[j+4]]))
	}
	if j+2 < len(members) {
		if eng := s.nodes[members[j+2]].eng; eng != nil {
			prefetch(unsafe.Pointer(eng))
		}
	}
}

// prefetchConns asks for the connections of all the frames an engine sent
// at once (a relay sends one on nearly every link), so that their misses
// overlap instead of following one another.
func (s *Sim) prefetchConns(outs []mesh.Output) {
	if len(outs) < 2 {
		return
	}
	for k := range outs {
		if outs[k].Kind != mesh.OutSend {
			continue
		}
		if slot := int(uint32(outs[k].Link)) - 1; slot >= 0 && slot < len(s.conns) {
			prefetch(unsafe.Pointer(&s.conns[slot]))
		}
	}
}
