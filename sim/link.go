package sim

import (
	"time"

	"p2pmesh/mesh"
)

// The link model. A link is a TCP connection: per direction it delivers
// frames in order and loses none while the connection lives. Loss is
// segment loss that TCP repairs: a frame whose segment is lost arrives one
// retransmission timeout later, and later still if the retransmission is
// lost too (the timeout doubles each time, as Linux backs off), and every
// frame behind it on the connection waits (head-of-line blocking). While a
// partition cuts a connection its frames are retransmitted with the same
// backoff until the partition heals or an end closes the connection (the
// engine's keepalive gives up): a connection dies only by a crash, a close,
// or a partition that outlasts the keepalive. docs/network-model.md
// compares the model with Shadow's and ns-3's.

// MinRTO is the floor of the retransmission timeout (Linux's
// TCP_RTO_MIN).
const MinRTO = 200 * time.Millisecond

// LinkProps are the properties of one kind of link: those within a segment,
// or those between two segments.
type LinkProps struct {
	Latency Latency
	// Loss is the probability that a frame's segment is lost on the way
	// and must be retransmitted.
	Loss float64
	// Bandwidth, for the links between two segments (a WAN), is the
	// capacity in bits per second that all their frames share, each
	// direction its own FIFO queue; 0 is unlimited. (Within a segment
	// capacity is per node: Capacity.)
	Bandwidth int64
	// free is when each direction of a shared link is free (lower segment
	// to higher, and back).
	free [2]mesh.Time
	// rto is the retransmission timeout: the round trip (twice the mean
	// one-way latency) plus MinRTO, what Linux computes when the round
	// trip varies little.
	rto mesh.Time
}

func (p *LinkProps) setRTO() { p.rto = 2*p.Latency.Average() + MinRTO }

// RTO returns the retransmission timeout of links of this kind.
func (p LinkProps) RTO() time.Duration {
	p.setRTO()
	return p.rto
}

// retransmissions draws how many times one frame's segment is lost before
// it gets through, and the delay that costs: the timeout, doubled at each
// further loss.
func (s *Sim) retransmissions(p *LinkProps) (n uint64, delay mesh.Time) {
	if p.Loss <= 0 {
		return 0, 0
	}
	rto := p.rto
	for s.rng.Float64() < p.Loss {
		n++
		delay += rto
		rto *= 2
	}
	return n, delay
}

// held reports whether a frame that reached a cut connection is held for
// retransmission (true: it has been pushed again, later), or is gone
// because an end has closed.
func (s *Sim) held(ev *event, c *conn) bool {
	if !c.openA || !c.openB {
		return false
	}
	p := s.classes[c.class]
	backoff := p.rto << min(ev.pkt.retries, 16)
	ev.pkt.retries++
	s.counters.Retransmitted++
	at := s.now + backoff
	last := &c.lastAB
	if ev.node == c.a {
		last = &c.lastBA
	}
	at = max(at, *last)
	*last = at
	s.push(event{at: at, kind: evFrame, node: ev.node, gen: ev.gen, link: ev.link, pkt: ev.pkt})
	return true
}
