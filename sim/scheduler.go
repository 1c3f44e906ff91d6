package sim

import (
	"slices"

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
	tseq  uint8 // evTimer: the timer's number among its node's timers of that kind (timers.go)
	link  mesh.LinkID
	pkt   *packet // frame, beacon or dial payload
	fn    func()
}

// packet carries the bulky part of an event; packets are recycled.
type packet struct {
	frame  mesh.Frame
	peers  []mesh.PeerInfo // frame.Peers: an engine's list is only good until its next call
	beacon mesh.Beacon
	peer   mesh.NodeID
	addr   mesh.Addr
	dir    mesh.Direction
	// retries counts the retransmissions of a frame held by a partition.
	retries uint8
}

// schedule orders events by (at, seq). It is a calendar queue: time is cut
// into windows of bucketWidth; the events of the current window are sorted
// once into a run (and those pushed into it while it runs go to a small
// 4-ary min-heap, late), those of the next ringSize-1 windows sit in
// unsorted buckets of a ring (appending is all a push costs), and those
// further out in a second heap (far). When the window is used up the next
// non-empty bucket is sorted into the run. Most events of a mesh are frames
// due a few milliseconds ahead, so what every pop touches stays small and
// cache-resident however large the network: a single heap of all pending
// events spent most of its time in cache misses at 10,000 nodes. The
// sorted run also tells which events come next, so that the simulator can
// ask for their memory before it needs it (Sim.Run).
//
// Entries are 24 bytes and point into a slab of events, so sifting moves
// small entries instead of whole events. The order is exactly (at, seq),
// whatever the bucket width: runs are reproducible and independent of it.
type schedule struct {
	run     []entry  // the current window's events in order, from run[ri] on
	ri      int      // next entry of run
	late    []entry  // heap: events pushed for the current window while it runs
	ring    []bucket // ring[w%ringSize]: events of window w, cur < w < cur+ringSize
	far     []entry  // heap: events of windows from cur+ringSize on
	cur     int64    // the current window
	inRing  int      // entries in the ring
	chunks  []chunk  // the buckets' storage; chunks[0] is never used
	spare   []int32  // free chunks
	slab    []event
	free    []int32
	seq     uint64
	scratch []entry // sortRun's buffer
}

// Calendar geometry: 1 ms windows, a ring of 4,096 of them (4 s ahead:
// frames, dials and keepalives land in the ring; long timers go far).
const (
	bucketWidth = mesh.Time(1e6)
	ringSize    = 4096
)

// A bucket is a list of chunks of entries, in the order pushed. Chunks come
// from one pool, so the ring's memory follows the number of events pending
// rather than the sum of every window's peak, and steady-state pushes do
// not allocate.
type bucket struct{ head, tail int32 } // chunk indices; 0 when empty

const chunkLen = 32

type chunk struct {
	e    [chunkLen]entry
	n    int32
	next int32
}

// newChunk returns the index of an empty chunk.
func (s *schedule) newChunk() int32 {
	if n := len(s.spare); n > 0 {
		c := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return c
	}
	if len(s.chunks) == 0 {
		s.chunks = append(s.chunks, chunk{}) // index 0 means "none"
	}
	s.chunks = append(s.chunks, chunk{})
	return int32(len(s.chunks) - 1)
}

// add appends e to bucket b.
func (s *schedule) add(b *bucket, e entry) {
	if b.tail == 0 || s.chunks[b.tail].n == chunkLen {
		c := s.newChunk()
		if b.tail == 0 {
			b.head = c
		} else {
			s.chunks[b.tail].next = c
		}
		b.tail = c
	}
	t := &s.chunks[b.tail]
	t.e[t.n] = e
	t.n++
}

// drain appends the entries of b to dst, empties b and frees its chunks.
func (s *schedule) drain(b *bucket, dst []entry) []entry {
	for c := b.head; c != 0; {
		ch := &s.chunks[c]
		dst = append(dst, ch.e[:ch.n]...)
		next := ch.next
		ch.n, ch.next = 0, 0
		s.spare = append(s.spare, c)
		c = next
	}
	*b = bucket{}
	return dst
}

type entry struct {
	at   mesh.Time
	seq  uint64
	slot int32     // the event in slab
	node NodeIndex // the event's node, for prefetching (see Sim.Run)
}

func (s *schedule) len() int { return len(s.run) - s.ri + len(s.late) + s.inRing + len(s.far) }

func (a *entry) before(b *entry) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func window(at mesh.Time) int64 { return int64(at / bucketWidth) }

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
	s.insert(entry{at: ev.at, seq: s.seq, slot: slot, node: ev.node})
}

// insert files e by its window.
func (s *schedule) insert(e entry) {
	if s.ring == nil {
		s.ring = make([]bucket, ringSize)
		s.cur = -1
	}
	switch w := window(e.at); {
	case w <= s.cur:
		s.late = heapPush(s.late, e)
	case w < s.cur+ringSize:
		s.add(&s.ring[w%ringSize], e)
		s.inRing++
	default:
		s.far = heapPush(s.far, e)
	}
}

// fill makes the current window non-empty, moving on to the next window
// that holds events; false when there are none at all.
func (s *schedule) fill() bool {
	for s.ri == len(s.run) && len(s.late) == 0 {
		if s.inRing == 0 {
			if len(s.far) == 0 {
				return false
			}
			s.cur = max(s.cur, window(s.far[0].at)-1) // skip the empty windows
		}
		s.cur++
		s.run, s.ri = s.run[:0], 0
		if b := &s.ring[s.cur%ringSize]; b.head != 0 {
			s.run = s.drain(b, s.run)
			s.inRing -= len(s.run)
			s.sortRun()
		}
		// The window cur+ringSize-1 has just entered the ring.
		for len(s.far) > 0 && window(s.far[0].at) < s.cur+ringSize {
			var e entry
			e, s.far = heapPop(s.far)
			s.insert(e)
		}
	}
	return true
}

// sortRun puts the window just drained into the run in (at, seq) order.
// A bucket holds its entries in seq order among equal times (direct pushes
// come in seq order; entries moved in from far arrive, in (at, seq) order,
// before any direct push to their window), so a stable sort by time is
// enough: a radix sort on the offset within the window (bucketWidth = 10^6
// ns, under 2^20), two passes of 10 bits, a fifth of the cost of a
// comparison sort at the thousand events a window of a large simulation
// holds.
func (s *schedule) sortRun() {
	const bits, digits = 10, 1 << 10
	const _ = uint64(1<<(2*bits) - bucketWidth) // a window's offsets fit the two passes
	n := len(s.run)
	if n < 64 {
		slices.SortFunc(s.run, compareEntries)
		return
	}
	start := mesh.Time(s.cur) * bucketWidth // every entry lies in [start, start+bucketWidth)
	s.scratch = slices.Grow(s.scratch[:0], n)[:n]
	src, dst := s.run, s.scratch
	for pass := 0; pass < 2; pass++ {
		shift := uint(pass * bits)
		var count [digits + 1]int32
		for i := range src {
			count[(int(src[i].at-start)>>shift)&(digits-1)+1]++
		}
		for d := 1; d <= digits; d++ {
			count[d] += count[d-1]
		}
		for i := range src {
			d := (int(src[i].at-start) >> shift) & (digits - 1)
			dst[count[d]] = src[i]
			count[d]++
		}
		src, dst = dst, src
	}
	// Two passes: the sorted entries are back in s.run.
}

func compareEntries(a, b entry) int {
	if a.before(&b) {
		return -1
	}
	return 1 // entries are never equal: seq is unique
}

// next returns the position of the earliest entry: in run (true) or at the
// top of late (false). The current window must not be empty.
func (s *schedule) next() bool {
	return len(s.late) == 0 || (s.ri < len(s.run) && s.run[s.ri].before(&s.late[0]))
}

// peek returns the time of the earliest event; ok is false when empty.
func (s *schedule) peek() (mesh.Time, bool) {
	if !s.fill() {
		return 0, false
	}
	if s.next() {
		return s.run[s.ri].at, true
	}
	return s.late[0].at, true
}

// pop removes the earliest event and returns it; the schedule must not be
// empty.
func (s *schedule) pop() event {
	s.fill()
	var top entry
	if s.next() {
		top = s.run[s.ri]
		s.ri++
	} else {
		top, s.late = heapPop(s.late)
	}
	ev := s.slab[top.slot]
	s.slab[top.slot] = event{}
	s.free = append(s.free, top.slot)
	return ev
}

// ahead returns the k-th entry after the next one in the current window's
// sorted run (events pushed into the window while it runs are not
// counted), for prefetching; ok is false past the run's end.
func (s *schedule) ahead(k int) (e *entry, ok bool) {
	if i := s.ri + k; i < len(s.run) {
		return &s.run[i], true
	}
	return nil, false
}

// heapPush adds e to the 4-ary min-heap h.
func heapPush(h []entry, e entry) []entry {
	h = append(h, e)
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
	return h
}

// heapPop removes the least entry of the non-empty 4-ary min-heap h.
func heapPop(h []entry) (entry, []entry) {
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	if len(h) > 0 {
		siftDown(h, 0, last)
	}
	return top, h
}

// siftDown places e at position i of h or below.
func siftDown(h []entry, i int, e entry) {
	n := len(h)
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
		if !h[m].before(&e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}
