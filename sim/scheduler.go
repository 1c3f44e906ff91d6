package sim

import (
	"p2pmesh/mesh"
)

type eventKind uint8

const (
	evTimer      eventKind = iota + 1 // an engine timer
	evFrame                           // a frame arrives on a link
	evOpenIn                          // an incoming connection reaches the acceptor
	evOpenOut                         // an outgoing connection completes at the dialer
	evDialFailed                      // a dial fails at the dialer
	evClosed                          // the other end's close reaches a node
	evBeacon                          // a beacon reaches a segment
	evStart                           // a node starts
	evCall                            // a scheduled callback (scenario actions, sampling)
)

// event is one entry of the schedule. Events at the same time run in the
// order they were scheduled (seq), which makes runs reproducible.
type event struct {
	at    mesh.Time
	seq   uint64
	node  int32
	gen   uint32 // the node's incarnation the event belongs to
	kind  eventKind
	timer mesh.TimerKind
	link  mesh.LinkID
	pkt   *packet // frame, beacon or dial payload
	fn    func()
}

// packet carries the bulky part of an event; packets are recycled.
type packet struct {
	frame  mesh.Frame
	beacon mesh.Beacon
	peer   mesh.NodeID
	addr   mesh.Addr
	dir    mesh.Direction
}

// schedule orders events by (at, seq): a 4-ary min-heap of 24-byte entries
// pointing into a slab of events, so sifting moves small entries instead of
// whole events. Push and pop cost O(log n) whatever the size of the network.
type schedule struct {
	heap []entry
	slab []event
	free []int32
	seq  uint64
}

type entry struct {
	at   mesh.Time
	seq  uint64
	slot int32
}

func (s *schedule) len() int { return len(s.heap) }

func (a *entry) before(b *entry) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (s *schedule) push(ev event) {
	s.seq++
	var slot int32
	if n := len(s.free); n > 0 {
		slot = s.free[n-1]
		s.free = s.free[:n-1]
		s.slab[slot] = ev
	} else {
		slot = int32(len(s.slab))
		s.slab = append(s.slab, ev)
	}
	e := entry{at: ev.at, seq: s.seq, slot: slot}
	h := append(s.heap, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
	s.heap = h
}

// peek returns the time of the earliest event; ok is false when empty.
func (s *schedule) peek() (mesh.Time, bool) {
	if len(s.heap) == 0 {
		return 0, false
	}
	return s.heap[0].at, true
}

// pop removes the earliest event and returns it.
func (s *schedule) pop() event {
	h := s.heap
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	if n := len(h); n > 0 {
		i := 0
		for {
			c := 4*i + 1
			if c >= n {
				break
			}
			m := c
			for k := c + 1; k < min(c+4, n); k++ {
				if h[k].before(&h[m]) {
					m = k
				}
			}
			if !h[m].before(&last) {
				break
			}
			h[i] = h[m]
			i = m
		}
		h[i] = last
	}
	s.heap = h
	ev := s.slab[top.slot]
	s.slab[top.slot] = event{}
	s.free = append(s.free, top.slot)
	return ev
}
