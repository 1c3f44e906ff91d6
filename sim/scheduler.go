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

// schedule is a binary min-heap of events ordered by (at, seq): O(log n) per
// push and pop whatever the size of the network.
type schedule struct {
	heap []event
	seq  uint64
}

func (s *schedule) len() int { return len(s.heap) }

func less(a, b *event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (s *schedule) push(ev event) {
	s.seq++
	ev.seq = s.seq
	s.heap = append(s.heap, ev)
	h := s.heap
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(&h[i], &h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// peek returns the time of the earliest event; ok is false when empty.
func (s *schedule) peek() (mesh.Time, bool) {
	if len(s.heap) == 0 {
		return 0, false
	}
	return s.heap[0].at, true
}

func (s *schedule) pop() event {
	h := s.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event{}
	h = h[:last]
	s.heap = h
	i, n := 0, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(&h[r], &h[l]) {
			m = r
		}
		if !less(&h[m], &h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top
}
