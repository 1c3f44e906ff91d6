package meshnode

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/framing"
)

// One TCP connection: a reader goroutine that decodes frames and posts them
// to the loop, and a writer goroutine that drains a bounded queue of encoded
// frames. The loop never blocks on a connection: it only ever does a
// non-blocking send on the queue.
//
// Lifecycle. The reader is the only goroutine that reports the end of a
// connection (evClosed, exactly once, whatever the cause), and the loop
// forgets the connection then. A connection is closed
//
//   - by the engine (OutClose): the queue is closed, the writer flushes what
//     was queued before, half-closes the connection (FIN) and gives the peer
//     lingerTimeout to close its end, so that Leave and Reject frames arrive
//     instead of being cut off by a reset;
//   - for a full queue (a slow peer) or at the end of Close: aborted at once;
//   - by the network: a read error, the read deadline, or a write error,
//     after which the writer closes the socket and the reader notices.

// lingerTimeout is how long a connection closed on purpose waits for the
// peer to close its end after our last frame.
const lingerTimeout = 2 * time.Second

// maxBatch bounds the bytes the writer hands to one write call.
const maxBatch = 256 << 10

type connState uint8

const (
	connUnseen  connState = iota + 1 // the engine is told of it with its first frame (opening.go)
	connOpen                         // the engine knows the link
	connClosing                      // the engine has forgotten it; flushing or aborted
)

type conn struct {
	id      mesh.LinkID
	nc      net.Conn
	remote  netip.AddrPort
	local   netip.AddrPort
	q       chan []byte   // encoded frames; closed by the loop when done
	flushed chan struct{} // closed by the writer after a clean flush

	inbound bool // accepted: counted in Node.unshaken until its first frame

	// The dial that opened an outgoing connection, as its OutDial named
	// it: the engine is told of the connection with the answer (opening.go).
	peer mesh.NodeID
	addr mesh.Addr

	// Loop only.
	state   connState
	qClosed bool

	mu        sync.Mutex // orders read deadlines between reader and writer
	lingering bool
	aborted   atomic.Bool
	// unshakenRefused: the connection was counted and logged as refused
	// for want of a handshake (by the reader's deadline or the engine's
	// timeout, whichever came first).
	unshakenRefused atomic.Bool
}

// newConn registers a connection under a fresh link id, in state, and
// starts its goroutines.
func (n *Node) newConn(nc net.Conn, dir mesh.Direction, state connState) *conn {
	n.nextLink++
	c := &conn{
		id:      n.nextLink,
		nc:      nc,
		q:       make(chan []byte, n.cfg.SendQueue),
		flushed: make(chan struct{}),
		state:   state,
		inbound: dir == mesh.Incoming,
	}
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		c.remote = ta.AddrPort()
	}
	if ta, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		c.local = ta.AddrPort()
	}
	n.conns[c.id] = c
	n.wg.Add(2)
	go n.readLoop(c)
	go n.writeLoop(c)
	return c
}

// send encodes f and queues it on link id; a full queue drops the link.
func (n *Node) send(id mesh.LinkID, f *mesh.Frame) {
	c := n.conns[id]
	if c == nil || c.state != connOpen {
		return
	}
	b, err := n.encode(f)
	if err != nil {
		n.log.Error("engine asked to send a frame that cannot be encoded", "link", id, "type", f.Type, "err", err)
		return
	}
	select {
	case c.q <- b:
		n.stats.FramesSent++
		if n.obs != nil && f.Type == mesh.FrameData {
			n.obs.Sent(&f.Msg)
		}
	default:
		n.stats.SlowLinks++
		n.log.Warn("peer does not read fast enough; dropping the link", "link", id, "peer", c.remote, "queued", len(c.q))
		c.state = connClosing
		c.abort()
		n.closeQueue(c)
		n.pending = append(n.pending, id)
	}
}

// encodedData caches the encoding of the last Data frame: a message relayed
// on several links is encoded once and its bytes shared by their writers.
type encodedData struct {
	id   mesh.MsgID
	hops uint16
	b    []byte
}

func (n *Node) encode(f *mesh.Frame) ([]byte, error) {
	if f.Type == mesh.FrameData {
		dc := &n.dataCache
		if dc.b != nil && dc.id == f.Msg.ID && dc.hops == f.Msg.Hops {
			return dc.b, nil
		}
		b, err := mesh.AppendFrame(nil, f)
		if err == nil {
			*dc = encodedData{id: f.Msg.ID, hops: f.Msg.Hops, b: b}
		}
		return b, err
	}
	return mesh.AppendFrame(nil, f)
}

// closeLink closes link id on the engine's request, after the frames queued
// before.
func (n *Node) closeLink(id mesh.LinkID, r mesh.Reason) {
	c := n.conns[id]
	if c == nil || c.state != connOpen {
		return
	}
	n.log.Debug("closing link", "link", id, "remote", c.remote, "reason", r)
	n.links.closing(id, closeWhy(r))
	if r == mesh.ReasonHandshake {
		n.refuseUnshaken(c)
	}
	c.state = connClosing
	n.closeQueue(c)
}

// refuseUnshaken counts and logs, once, that c was refused because no
// handshake came in time: the reader's deadline and the engine's handshake
// timeout race for it, and either may close the connection first.
func (n *Node) refuseUnshaken(c *conn) {
	if c.unshakenRefused.CompareAndSwap(false, true) {
		n.rejects.refuse("no handshake within the handshake timeout", "remote", c.remote, "timeout", n.cfg.Mesh.HandshakeTimeout)
		n.refused.Add(1)
	}
}

func (n *Node) closeQueue(c *conn) {
	if !c.qClosed {
		c.qClosed = true
		close(c.q)
	}
}

// abort closes the socket at once; both goroutines then end.
func (c *conn) abort() {
	c.aborted.Store(true)
	c.nc.Close()
}

// setReadDeadline sets the deadline of the next read, unless the connection
// is lingering (its own, shorter deadline then holds).
func (c *conn) setReadDeadline(t time.Time) {
	c.mu.Lock()
	if !c.lingering {
		_ = c.nc.SetReadDeadline(t)
	}
	c.mu.Unlock()
}

// linger half-closes the connection after the last frame and gives the peer
// lingerTimeout to close its end.
func (c *conn) linger() {
	c.mu.Lock()
	c.lingering = true
	_ = c.nc.SetReadDeadline(time.Now().Add(lingerTimeout))
	c.mu.Unlock()
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// countingReader counts the bytes read from a connection.
type countingReader struct {
	r io.Reader
	n *atomic.Uint64
}

func (cr countingReader) Read(p []byte) (int, error) {
	k, err := cr.r.Read(p)
	cr.n.Add(uint64(k))
	return k, err
}

// maxFrameBatch bounds the frames a reader hands to the loop in one event.
const maxFrameBatch = 64

// frameBatches recycles the slices that carry frames from the readers to
// the loop.
var frameBatches = sync.Pool{New: func() any { return new([]mesh.Frame) }}

// readLoop reads frames until the connection ends, then reports it closed.
// The first frame must arrive within the handshake timeout, every later one
// within IdleTimeout.
//
// Frames that arrived together go to the loop together: the reader hands
// over what it has decoded (one event, up to maxFrameBatch frames) whenever
// the next frame is not already whole in its buffer, that is, before it
// would block. The read deadline matters only for a read that blocks, so it
// is set then, and re-armed only when it has moved on by a sixteenth of the
// timeout: a busy connection costs no clock read and no timer per frame.
func (n *Node) readLoop(c *conn) {
	defer n.wg.Done()
	fr := framing.NewReader(bufio.NewReaderSize(countingReader{c.nc, &n.bytesIn}, 32<<10), mesh.MaxFrameSize)
	timeout := n.cfg.Mesh.HandshakeTimeout
	var armed time.Time // when the read deadline was last set
	var err error
	heard := false
	unshaken := c.inbound
	batch := frameBatches.Get().(*[]mesh.Frame)
	defer func() {
		if unshaken {
			n.unshaken.Add(-1)
		}
		if batch != nil {
			clear(*batch)
			*batch = (*batch)[:0]
			frameBatches.Put(batch)
		}
	}()
	for {
		if !fr.Ready() {
			if len(*batch) > 0 {
				if !n.post(event{kind: evFrames, link: c.id, frames: batch}) {
					batch = nil
					break
				}
				batch = frameBatches.Get().(*[]mesh.Frame)
			}
			if now := time.Now(); armed.IsZero() || now.Sub(armed) > timeout/16 {
				c.setReadDeadline(now.Add(timeout))
				armed = now
			}
		}
		var f mesh.Frame
		f, err = fr.Next()
		if err != nil {
			switch {
			case isDecodeError(err):
				n.rejects.refuse("a frame that does not decode", "remote", c.remote, "err", err)
				n.badFrames.Add(1)
			case isRecordError(err):
				n.rejects.refuse("bytes that fail authentication on a keyed link (injected, changed or replayed)", "remote", c.remote)
				n.keyRefused.Add(1)
			case !heard && !c.aborted.Load() && isTimeout(err):
				n.refuseUnshaken(c)
			}
			break
		}
		if unshaken {
			unshaken = false
			n.unshaken.Add(-1)
		}
		if !heard {
			heard = true
			timeout = n.cfg.IdleTimeout
			armed = time.Time{} // the handshake deadline no longer holds
		}
		*batch = append(*batch, f)
		if len(*batch) == maxFrameBatch {
			if !n.post(event{kind: evFrames, link: c.id, frames: batch}) {
				batch = nil
				break
			}
			batch = frameBatches.Get().(*[]mesh.Frame)
		}
	}
	if batch != nil && len(*batch) > 0 {
		// Frames decoded before the error still count (a Leave, say).
		if n.post(event{kind: evFrames, link: c.id, frames: batch}) {
			batch = nil
		}
	}
	c.nc.Close()
	if c.aborted.Load() {
		err = nil // we closed it on purpose
	}
	n.post(event{kind: evClosed, link: c.id, err: err})
}

// isTimeout reports a read deadline that passed.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isDecodeError reports a frame that arrived whole but did not decode: the
// peer is broken or speaks another protocol version.
func isDecodeError(err error) bool {
	return errors.Is(err, mesh.ErrMalformed) || errors.Is(err, mesh.ErrVersion) ||
		errors.Is(err, mesh.ErrMagic) || errors.Is(err, mesh.ErrFrameTooLarge)
}

// writeLoop writes queued frames, several per system call when they pile up,
// each write bounded by WriteTimeout (to within a sixteenth: the deadline is
// re-armed only when it has moved on by that much). When the loop closes the queue it
// flushes the rest and lingers; on a write error it closes the socket.
func (n *Node) writeLoop(c *conn) {
	defer n.wg.Done()
	batch := make([][]byte, 0, 64)
	q := c.q
	var armed time.Time // when the write deadline was last set (re-armed as in readLoop)
	for {
		b, ok := <-q
		if !ok {
			n.finishWrites(c)
			return
		}
		batch = append(batch[:0], b)
		size, more := len(b), true
		for more && size < maxBatch && len(batch) < cap(batch) {
			select {
			case b, ok := <-q:
				if !ok {
					more = false
					q = nil // drained and closed: finish after this batch
					break
				}
				batch = append(batch, b)
				size += len(b)
			default:
				more = false
			}
		}
		if now := time.Now(); armed.IsZero() || now.Sub(armed) > n.cfg.WriteTimeout/16 {
			_ = c.nc.SetWriteDeadline(now.Add(n.cfg.WriteTimeout))
			armed = now
		}
		k, err := writeBatch(c.nc, batch)
		n.bytesOut.Add(uint64(k))
		clear(batch)
		if err != nil {
			if !c.aborted.Load() {
				n.log.Debug("write failed; dropping the connection", "link", c.id, "remote", c.remote, "err", err)
			}
			c.nc.Close()
			return
		}
		if q == nil {
			n.finishWrites(c)
			return
		}
	}
}

func (n *Node) finishWrites(c *conn) {
	if c.aborted.Load() {
		return
	}
	close(c.flushed)
	c.linger()
}
