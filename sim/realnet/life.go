package realnet

import (
	"context"
	"fmt"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/meshnode"
	"p2pmesh/sim/measure"
)

// A life is one run of a node, from a start to a kill: one meshnode.Node.

type life struct {
	idx       measure.NodeIndex
	rt        *meshnode.Node
	ln        *lifeListener
	startedAt time.Duration
	over      bool // killed: what the node still does is not counted; under Net.mu
	net       *Net
}

// stopWait bounds how long a restart waits for the node's previous life to
// end (a graceful leave takes up to the runtime's LeaveTimeout).
const stopWait = 10 * time.Second

// Start starts node i at time at (again, with a fresh instance, if it ran
// before).
func (n *Net) Start(i measure.NodeIndex, at time.Duration) {
	n.At(at, func() { n.start(i) })
}

func (n *Net) start(i measure.NodeIndex) {
	nd := n.nodes[i]
	if nd.alive {
		return
	}
	if nd.stopped != nil {
		select {
		case <-nd.stopped:
		case <-time.After(stopWait):
			n.fail(fmt.Errorf("realnet: node %s: its previous life did not end within %v; not restarted", nd.name, stopWait))
			return
		}
	}
	lf := &life{idx: i, ln: newLifeListener(nd.ln.Addr()), startedAt: n.Now(), net: n}
	cfg := meshnode.DefaultConfig()
	cfg.Mesh = nd.cfg
	cfg.ID = nd.id
	cfg.Listener = lf.ln
	cfg.Dial = n.dialer(i)
	cfg.Beacons = n.segs[nd.seg].bus.Join(nd.id, n.loopback)
	cfg.Observer = lf
	_, cfg.NetworkKey = n.networkKey(nd)
	cfg.NoMulticast = true
	cfg.DialTimeout = n.sc.Network.DialTimeout
	cfg.IdleTimeout = max(cfg.IdleTimeout, nd.cfg.DeadAfter+5*time.Second)
	if n.opts.Logger != nil {
		cfg.Logger = n.opts.Logger.With("name", nd.name)
	}
	n.mu.Lock()
	nd.up, nd.left, nd.life = true, false, lf
	n.mu.Unlock()
	rt, err := meshnode.Start(context.Background(), cfg)
	if err != nil {
		cfg.Beacons.Close()
		lf.ln.Close()
		n.mu.Lock()
		nd.up, nd.life = false, nil
		n.mu.Unlock()
		n.fail(fmt.Errorf("realnet: node %s: %w", nd.name, err))
		return
	}
	lf.rt = rt
	go func() {
		for range rt.Deliveries() { // counted by the observer
		}
	}()
	nd.alive, nd.startedAt = true, lf.startedAt
	nd.starts++
}

// Kill stops node i now. A crash is silent: its links go dark, so that its
// neighbours notice by missing keepalives, as when a host dies; a graceful
// kill lets the node send its Leave frames first, and its neighbours close
// the links at once.
func (n *Net) Kill(i measure.NodeIndex, graceful bool) {
	nd := n.nodes[i]
	if !nd.alive {
		return
	}
	n.mu.Lock()
	lf := nd.life
	nd.up, nd.left, nd.life = false, graceful, nil
	lf.over = true
	if !graceful {
		n.darken()
	}
	n.mu.Unlock()
	nd.alive = false
	stopped := make(chan struct{})
	nd.stopped = stopped
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer close(stopped)
		if graceful {
			_ = lf.rt.Close(context.Background()) // bounded by LeaveTimeout
		} else {
			lf.rt.Kill()
		}
		s := lf.rt.Stats()
		n.mu.Lock()
		n.totals.add(s)
		n.mu.Unlock()
	}()
}

// Broadcast makes node i originate a message with a payload of size bytes.
func (n *Net) Broadcast(i measure.NodeIndex, size int) (mesh.MsgID, error) {
	nd := n.nodes[i]
	if !nd.alive {
		return mesh.MsgID{}, fmt.Errorf("realnet: node %s is not running", nd.name)
	}
	n.mu.Lock()
	lf := nd.life
	n.mu.Unlock()
	return lf.rt.Broadcast(make([]byte, size))
}

// The life is its node's meshnode.Observer: it writes the node's payload
// traffic into the run's ledger, with the time on the run's clock.

func (lf *life) record(f func(l *measure.Ledger)) {
	n := lf.net
	n.mu.Lock()
	if !lf.over {
		f(&n.ledger)
	}
	n.mu.Unlock()
}

func (lf *life) Originated(id mesh.MsgID) {
	now := lf.net.Now()
	lf.record(func(l *measure.Ledger) { l.Broadcast(id, lf.idx, now, lf.net.nodeState) })
}

func (lf *life) Sent(m *mesh.Message) { lf.record(func(l *measure.Ledger) { l.Transmitted(m) }) }

func (lf *life) Received(m *mesh.Message) {
	lf.record(func(l *measure.Ledger) { l.Received(lf.idx, -1, m) })
}

func (lf *life) Delivered(m *mesh.Message) {
	now := lf.net.Now()
	lf.record(func(l *measure.Ledger) { l.Delivered(lf.idx, m, now, lf.startedAt) })
}

func (t *traffic) add(s meshnode.Stats) {
	t.framesSent += s.FramesSent
	t.bytesSent += s.BytesSent
	t.dials += s.Dials
	t.dialFailures += s.DialFailures
	t.slowLinks += s.SlowLinks
	t.keyRefused += s.KeyRefused
	b := s.Beacons
	t.beaconsRefused += b.Unkeyed + b.Forged + b.Stale + b.Replayed
}
