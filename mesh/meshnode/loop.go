package meshnode

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"p2pmesh/mesh"
)

// The event loop: the one goroutine that owns the engine. Everything that
// happens elsewhere (a connection accepted or dialed, a frame read, a
// connection lost, a beacon heard) arrives as an event; the loop hands it to
// the engine and carries out the outputs.

type eventKind uint8

const (
	evAccepted eventKind = iota + 1 // nc accepted
	evDialed                        // a dial of peer/addr ended: nc, or err
	evFrames                        // frames read on link, in order
	evClosed                        // the reader of link ended (err says why)
	evBeacon                        // beacon heard from the host ip
)

func (k eventKind) String() string {
	switch k {
	case evAccepted:
		return "accepted"
	case evDialed:
		return "dialed"
	case evFrames:
		return "frames"
	case evClosed:
		return "closed"
	case evBeacon:
		return "beacon"
	}
	return "event?"
}

type event struct {
	kind   eventKind
	link   mesh.LinkID
	nc     net.Conn
	peer   mesh.NodeID
	addr   mesh.Addr
	err    error
	frames *[]mesh.Frame // from frameBatches; the loop puts it back
	hello  []byte        // evDialed: the dial's Hello, encoded (opening.go)
	beacon mesh.Beacon
	ip     netip.Addr
}

// closeRequest asks the loop to stop: gracefully (Close, bounded by ctx) or
// at once (kill).
type closeRequest struct {
	ctx  context.Context
	kill bool
}

// post hands ev to the loop; false when the node is stopping.
func (n *Node) post(ev event) bool {
	select {
	case n.events <- ev:
		return true
	case <-n.quit:
		return false
	}
}

func (n *Node) run() {
	defer n.wg.Done()
	n.handle(n.eng.Start(n.now()))
	var refresh <-chan time.Time
	if n.mc != nil {
		t := time.NewTicker(n.cfg.RefreshInterval)
		defer t.Stop()
		refresh = t.C
	}
	for {
		select {
		case ev := <-n.events:
			start := time.Now()
			n.onEvent(ev, start.Sub(n.epoch))
			n.checkStall(start, ev.kind.String())
		case <-n.timers.C():
			start := time.Now()
			n.drainEvents()
			n.fireTimers()
			n.checkStall(start, "timer")
		case f := <-n.calls:
			start := time.Now()
			f()
			n.checkStall(start, "call")
		case <-refresh:
			if added := n.mc.Refresh(); len(added) > 0 {
				n.log.Info("multicast discovery joined interfaces", "interfaces", added)
			}
		case req := <-n.closeReq:
			n.shutdown(req)
			return
		}
	}
}

// onEvent hands ev to the engine; now is the time it is handled.
func (n *Node) onEvent(ev event, now mesh.Time) {
	switch ev.kind {
	case evAccepted:
		n.stats.Accepted++
		if n.leaving {
			ev.nc.Close()
			return
		}
		n.opened(now, &ev)
	case evDialed:
		if ev.err != nil || n.leaving {
			if ev.nc != nil {
				ev.nc.Close()
			}
			if ev.err != nil {
				n.stats.DialFailures++
				n.log.Debug("dial failed", "peer", ev.peer, "addr", ev.addr, "err", ev.err)
			}
			n.handle(n.eng.HandleDialFailed(now, ev.peer, ev.addr))
			return
		}
		n.opened(now, &ev)
	case evFrames:
		n.onFrames(now, ev.link, *ev.frames)
		clear(*ev.frames)
		*ev.frames = (*ev.frames)[:0]
		frameBatches.Put(ev.frames)
	case evClosed:
		c := n.conns[ev.link]
		if c == nil {
			return
		}
		delete(n.conns, ev.link)
		n.closeQueue(c)
		if c.state == connUnseen {
			n.unseenClosed(now, c, ev.err)
			return
		}
		if c.state == connOpen {
			c.state = connClosing
			n.log.Debug("connection lost", "link", c.id, "remote", c.remote, "err", ev.err)
			n.links.closing(ev.link, closedWhy(ev.err))
			n.handle(n.eng.HandleLinkClosed(now, ev.link))
		}
	case evBeacon:
		if n.deafOffers && ev.beacon.Offer() {
			return // the engine has no use for offers now (mesh.OutHearOffers)
		}
		conflicts := n.eng.Stats().BeaconConflicts
		n.handle(n.eng.HandleBeacon(now, &ev.beacon, mesh.AddrFrom(netip.AddrPortFrom(ev.ip, 0))))
		if n.eng.Stats().BeaconConflicts > conflicts {
			b := &ev.beacon
			n.rejects.refuse("a beacon that contradicts a live link or a confirmed peer (replayed, altered, or another node using its id)", "from", ev.ip, "id", b.ID, "port", b.Port)
		}
	}
}

// onFrames hands the frames read on link to the engine, in order, as long
// as the link is open.
func (n *Node) onFrames(now mesh.Time, link mesh.LinkID, frames []mesh.Frame) {
	for i := range frames {
		c := n.conns[link]
		if c == nil || c.state == connClosing || (c.state == connUnseen && n.leaving) {
			return // closed meanwhile: the engine has forgotten the link, or never knew it
		}
		f := &frames[i]
		n.stats.FramesReceived++
		if n.obs != nil && f.Type == mesh.FrameData {
			n.obs.Received(&f.Msg)
		}
		if c.state == connUnseen {
			n.handle(n.firstFrame(now, c, f))
			continue
		}
		n.handle(n.eng.HandleFrame(now, link, f))
	}
}

// handle carries out the outputs of one engine call, then reports the links
// that had to be dropped meanwhile (queues full), which may cause more
// outputs.
func (n *Node) handle(outs []mesh.Output) {
	n.dataCache = encodedData{}
	n.apply(outs)
	for len(n.pending) > 0 {
		id := n.pending[0]
		n.pending = n.pending[1:]
		n.apply(n.eng.HandleLinkClosed(n.now(), id))
	}
	n.pending = n.pending[:0]
	n.noteLinks()
	n.noteDegree()
	if p := n.eng.Stats().DialPauses; p > n.dialPauses {
		n.dialPauses = p
		n.rejects.refuse("peers announced by beacons keep failing to answer: dialing more slowly (bogus beacons on the LAN?)", "paused_rounds", p)
	}
}

// apply carries out outputs. It never calls the engine: outs is only valid
// until the next engine call.
func (n *Node) apply(outs []mesh.Output) {
	for i := range outs {
		o := &outs[i]
		switch o.Kind {
		case mesh.OutSend:
			n.send(o.Link, &o.Frame)
		case mesh.OutDial:
			n.dial(o.Peer, o.Addr, n.encodeHello(o))
		case mesh.OutClose:
			n.closeLink(o.Link, o.Reason)
		case mesh.OutBeacon:
			n.sendBeacon(&o.Beacon)
		case mesh.OutDeliver:
			n.deliver(o.Peer, &o.Msg)
		case mesh.OutTimer:
			n.timers.set(o.Timer, o.At)
		case mesh.OutUnsentDropped:
			n.log.Warn("a broadcast made before the first link was dropped unsent: too many waited", "msg", o.Msg.ID, "limit", n.cfg.Mesh.UnsentLimit)
		case mesh.OutHearOffers:
			// One multicast group carries offers and calls alike: the
			// offers are dropped here, before the engine.
			n.deafOffers = !o.Hear
		}
	}
}

// stallWarning is how long one input may hold the loop before it is logged:
// meanwhile no other peer is served.
const stallWarning = 100 * time.Millisecond

func (n *Node) checkStall(start time.Time, what string) {
	if d := time.Since(start); d > stallWarning {
		n.log.Warn("event loop stalled: the host is overloaded or the application is slow", "for", d, "handling", what)
	}
}

// drainEvents handles the events that are already waiting before a timer:
// after a stall (an overloaded host, a long garbage collection) the frames
// that arrived meanwhile must reach the engine before its maintenance timer
// judges links by the time they were last heard from.
func (n *Node) drainEvents() {
	for i := len(n.events); i > 0; i-- {
		select {
		case ev := <-n.events:
			n.onEvent(ev, n.now())
		default:
			return
		}
	}
}

// fireTimers hands every timer that is due to the engine.
func (n *Node) fireTimers() {
	now := n.now()
	for _, kind := range n.timers.expired(now) {
		n.handle(n.eng.HandleTimer(now, kind))
	}
}

// noteDegree logs when the node gains its first link or loses its last.
func (n *Node) noteDegree() {
	d := n.eng.Load().Degree()
	if d == n.lastDegree {
		return
	}
	switch {
	case n.lastDegree == 0 && !n.leaving:
		n.log.Info("joined the mesh", "links", d)
	case d == 0 && !n.leaving:
		n.log.Warn("no links left; looking for peers")
	default:
		n.log.Debug("links changed", "links", d)
	}
	n.lastDegree = d
}

// shutdown stops the node: unless it is killed, it first leaves the mesh
// (see leave); then every socket is closed.
func (n *Node) shutdown(req closeRequest) {
	n.leaving = true
	n.ln.Close()
	n.dialCancel()
	if n.disc != nil {
		n.disc.Close()
	}
	if req.kill {
		n.timers.stop()
	} else {
		n.leave(req.ctx)
	}
	close(n.quit)
	for id, c := range n.conns {
		c.abort()
		n.closeQueue(c)
		delete(n.conns, id)
	}
	n.final = n.snapshot()
	close(n.deliveries)
	n.log.Info("node stopped", "killed", req.kill, "links_closed", n.final.Engine.LinksLost, "delivered", n.final.Deliveries, "dropped", n.final.DeliveriesDropped)
	close(n.stopped)
}

// leave sends Leave frames on every link and waits, bounded by LeaveTimeout
// and ctx, for them to be flushed and for the peers to close their ends.
func (n *Node) leave(ctx context.Context) {
	n.handle(n.eng.Leave(n.now()))
	for _, c := range n.conns {
		switch c.state {
		case connOpen: // the engine always closes its links; be sure
			c.state = connClosing
			n.closeQueue(c)
		case connUnseen: // nothing to flush: drop it (a dial then fails)
			c.abort()
			n.closeQueue(c)
		}
	}
	n.timers.stop()

	wait := time.NewTimer(n.cfg.LeaveTimeout)
	defer wait.Stop()
	if ctx == nil {
		ctx = context.Background()
	}
	timedOut := false
	for len(n.conns) > 0 && !timedOut {
		select {
		case ev := <-n.events:
			n.onEvent(ev, n.now())
		case f := <-n.calls:
			f()
		case <-wait.C:
			timedOut = true
		case <-ctx.Done():
			timedOut = true
		}
	}
	unflushed := 0
	for _, c := range n.conns {
		select {
		case <-c.flushed:
		default:
			unflushed++
		}
	}
	if unflushed > 0 {
		n.leaveErr = fmt.Errorf("runtime: leave frames not flushed on %d links before the leave timeout", unflushed)
	}
}
