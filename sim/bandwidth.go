package sim

import (
	"fmt"

	"p2pmesh/mesh"
)

// Bandwidth. Each node has an upload and a download capacity; a frame is
// serialised onto the sender's uplink in FIFO order (it waits for the
// frames queued before it), travels, and is serialised again off the
// receiver's downlink (store and forward, as through one switch), also in
// FIFO order. So the more a broadcast mode sends, the longer frames queue.
// Simplifications: the downlink queue is taken in the order frames are sent
// rather than the order they arrive; a retransmitted segment costs time but
// no second serialisation; the connection's congestion window is not
// modelled (a frame may use the whole capacity at once). A capacity of 0
// is unlimited: no queue, no arithmetic on the hot path.

// Capacity is a node's bandwidth in bits per second; 0 is unlimited.
type Capacity struct {
	Up, Down int64
}

// nodeQueue is one node's queues and traffic, kept only when some
// capacity is limited.
type nodeQueue struct {
	upFree, downFree mesh.Time // when the uplink and the downlink are free
	Traffic
}

// Traffic is what a node sent and how long its frames waited.
type Traffic struct {
	Frames, Bytes uint64
	Retransmitted uint64 // segments resent (loss) by this node's connections
	// Queued counts frames that waited behind others on the uplink;
	// MaxQueueBytes is the largest backlog of its uplink and MaxWait the
	// longest a frame waited in it before its serialisation began.
	Queued        uint64
	MaxQueueBytes uint64
	MaxWait       mesh.Time
}

// serialisation is how long size bytes take at bps bits per second.
func serialisation(size int, bps int64) mesh.Time {
	return mesh.Time(int64(size) * 8 * 1e9 / bps)
}

// transmit carries one frame from node from to node to over links props
// with bandwidth: the uplink's queue, the link's latency at (drawn
// already, as now + latency) and retransmissions, then the downlink's
// queue. It returns the arrival time and counts the traffic.
func (s *Sim) transmit(from, to NodeIndex, props *LinkProps, f *mesh.Frame, at mesh.Time) mesh.Time {
	if n := len(s.nodes); len(s.queues) < n {
		s.queues = append(s.queues, make([]nodeQueue, n-len(s.queues))...)
	}
	size := mesh.EncodedSize(f)
	q := &s.queues[from]
	q.Frames++
	q.Bytes += uint64(size)
	if up := s.segs[s.nodes[from].seg].cap.Up; up > 0 {
		start := max(s.now, q.upFree)
		if wait := start - s.now; wait > 0 {
			q.Queued++
			q.MaxWait = max(q.MaxWait, wait)
		}
		q.upFree = start + serialisation(size, up)
		q.MaxQueueBytes = max(q.MaxQueueBytes, uint64((q.upFree-s.now).Nanoseconds()*up/8e9))
		at += q.upFree - s.now
	}
	if props.Bandwidth > 0 {
		// The shared link between two segments, after the uplink.
		depart := max(s.now, q.upFree)
		dir := 0
		if s.nodes[from].seg > s.nodes[to].seg {
			dir = 1
		}
		start := max(depart, props.free[dir])
		props.free[dir] = start + serialisation(size, props.Bandwidth)
		at += props.free[dir] - depart
	}
	if props.Loss > 0 {
		n, delay := s.retransmissions(props)
		q.Retransmitted += n
		s.counters.Retransmitted += n
		at += delay
	}
	if down := s.segs[s.nodes[to].seg].cap.Down; down > 0 {
		r := &s.queues[to]
		start := max(at, r.downFree)
		r.downFree = start + serialisation(size, down)
		at = r.downFree
	}
	return at
}

// NodeTraffic returns what node i sent, and how its frames queued; zero
// unless some capacity is limited.
func (s *Sim) NodeTraffic(i NodeIndex) Traffic {
	if int(i) < len(s.queues) {
		return s.queues[i].Traffic
	}
	return Traffic{}
}

// Shaped reports whether some node's bandwidth is limited (and so
// NodeTraffic is kept).
func (s *Sim) Shaped() bool { return s.shaped }

// SetSegmentLinks gives segment seg's links among its own nodes the
// properties p, and its nodes the capacity c (zero fields of c keep the
// network's). Call it before adding the segment's nodes.
func (s *Sim) SetSegmentLinks(seg int32, p LinkProps, c Capacity) error {
	if seg < 0 || int(seg) >= len(s.segs) {
		return fmt.Errorf("sim: no segment %d", seg)
	}
	k, err := s.addClass(p)
	if err != nil {
		return err
	}
	sg := &s.segs[seg]
	sg.class = k
	if c.Up > 0 {
		sg.cap.Up = c.Up
	}
	if c.Down > 0 {
		sg.cap.Down = c.Down
	}
	if sg.cap != (Capacity{}) {
		s.shaped = true
	}
	return nil
}

// SetPairLinks gives the links between segments a and b (a ≠ b) the
// properties p: a WAN between two LANs.
func (s *Sim) SetPairLinks(a, b int32, p LinkProps) error {
	if a < 0 || b < 0 || int(a) >= len(s.segs) || int(b) >= len(s.segs) || a == b {
		return fmt.Errorf("sim: no pair of distinct segments %d and %d", a, b)
	}
	k, err := s.addClass(p)
	if err != nil {
		return err
	}
	if s.pairClass == nil {
		s.pairClass = make(map[uint64]uint8)
	}
	s.pairClass[pairKey(a, b)] = k
	return nil
}

// addClass adds a kind of link.
func (s *Sim) addClass(p LinkProps) (uint8, error) {
	if err := p.Latency.Validate(); err != nil {
		return 0, fmt.Errorf("sim: latency: %w", err)
	}
	if p.Loss < 0 || p.Loss >= 1 {
		return 0, fmt.Errorf("sim: loss must be in [0, 1), got %v", p.Loss)
	}
	if p.Bandwidth < 0 {
		return 0, fmt.Errorf("sim: bandwidth must not be negative, got %d", p.Bandwidth)
	}
	if p.Bandwidth > 0 {
		s.shaped = true
	}
	if len(s.classes) > 255 {
		return 0, fmt.Errorf("sim: at most 256 kinds of link")
	}
	p.setRTO()
	s.classes = append(s.classes, p)
	return uint8(len(s.classes) - 1), nil
}

func pairKey(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// classOf returns the kind of the links between nodes a and b.
func (s *Sim) classOf(a, b NodeIndex) uint8 {
	sa, sb := s.nodes[a].seg, s.nodes[b].seg
	if sa == sb {
		return s.segs[sa].class
	}
	if k, ok := s.pairClass[pairKey(sa, sb)]; ok {
		return k
	}
	return 1
}
