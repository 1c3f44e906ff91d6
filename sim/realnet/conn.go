package realnet

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"p2pmesh/sim/measure"
)

// Connections: every link of a run is a real TCP connection over loopback,
// but both of its ends are wrapped, so that the run can make it go dark: a
// crash or a partition must not be heard of at once (the kernel would
// close a dead process's sockets, and a FIN or RST would tell the peer);
// the peers must find out as on a real network, by keepalives. A dark
// connection swallows what is written to it and returns nothing to its
// reader until its read deadline passes or it is closed; it stays dark
// until both ends are closed, since bytes lost mid-frame cannot be taken
// back. The simulator drops frames across a partition in the same way.

// link is one TCP connection between two nodes of the run, shared by the
// wrappers of both its ends.
type link struct {
	dialer, acceptor measure.NodeIndex // acceptor is -1 while unknown
	dark             atomic.Bool
	open             int // ends not closed yet; under Net.mu
}

// linkKey names a connection by its two addresses: the dialer's local one
// and the acceptor's listen address.
type linkKey [2]netip.AddrPort

// darkConn is one end of a link.
type darkConn struct {
	net.Conn
	l *link
	n *Net

	mu        sync.Mutex
	deadline  time.Time     // read deadline
	dlChanged chan struct{} // closed when deadline changes
	closed    chan struct{}
	closeOnce sync.Once
}

func (n *Net) wrap(c net.Conn, l *link) *darkConn {
	return &darkConn{Conn: c, l: l, n: n, dlChanged: make(chan struct{}), closed: make(chan struct{})}
}

// Read reads from the connection, or, once it is dark, waits for the read
// deadline or Close.
func (c *darkConn) Read(p []byte) (int, error) {
	if !c.l.dark.Load() {
		k, err := c.Conn.Read(p)
		if !c.l.dark.Load() {
			return k, err
		}
		if isTimeout(err) {
			return 0, err
		}
		// Gone dark meanwhile: what arrived is lost.
	}
	return 0, c.waitDark()
}

func (c *darkConn) waitDark() error {
	for {
		c.mu.Lock()
		dl, changed := c.deadline, c.dlChanged
		c.mu.Unlock()
		var expired <-chan time.Time
		var t *time.Timer
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return os.ErrDeadlineExceeded
			}
			t = time.NewTimer(d)
			expired = t.C
		}
		select {
		case <-c.closed:
			return net.ErrClosed
		case <-expired:
			return os.ErrDeadlineExceeded
		case <-changed:
			if t != nil {
				t.Stop()
			}
		}
	}
}

// Write writes to the connection; a dark one swallows the bytes.
func (c *darkConn) Write(p []byte) (int, error) {
	if c.l.dark.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite half-closes the connection, unless it is dark.
func (c *darkConn) CloseWrite() error {
	if c.l.dark.Load() {
		return nil
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *darkConn) SetReadDeadline(t time.Time) error {
	c.setDeadline(t)
	return c.Conn.SetReadDeadline(t)
}

func (c *darkConn) SetDeadline(t time.Time) error {
	c.setDeadline(t)
	return c.Conn.SetDeadline(t)
}

func (c *darkConn) setDeadline(t time.Time) {
	c.mu.Lock()
	c.deadline = t
	close(c.dlChanged)
	c.dlChanged = make(chan struct{})
	c.mu.Unlock()
}

// Close closes the socket. The peer's end hears of it only if the link is
// not dark.
func (c *darkConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		close(c.closed)
		err = c.Conn.Close()
		c.n.closedEnd(c.l)
	})
	return err
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// Links are registered by the dialer as soon as its connection is up, and
// found by the acceptor by the connection's addresses.

// register records a connection node from dialed to node to and wraps it;
// the link is dark at once if the two are cut apart by now.
func (n *Net) register(c net.Conn, from, to measure.NodeIndex) net.Conn {
	l := &link{dialer: from, acceptor: to, open: 2}
	key := linkKey{addrPort(c.LocalAddr()), addrPort(c.RemoteAddr())}
	n.mu.Lock()
	l.dark.Store(n.cut(from, to))
	n.live[l] = struct{}{}
	if w, ok := n.waiting[key]; ok {
		delete(n.waiting, key)
		w <- l
	} else {
		n.dialed[key] = l
	}
	n.mu.Unlock()
	return n.wrap(c, l)
}

// pairTimeout bounds how long an accepted connection waits for its dialer
// to register it (microseconds, normally).
const pairTimeout = 2 * time.Second

// pair finds the link of a connection accepted by node to.
func (n *Net) pair(c net.Conn, to measure.NodeIndex) *darkConn {
	key := linkKey{addrPort(c.RemoteAddr()), addrPort(c.LocalAddr())}
	n.mu.Lock()
	l, ok := n.dialed[key]
	var w chan *link
	if ok {
		delete(n.dialed, key)
	} else {
		w = make(chan *link, 1)
		n.waiting[key] = w
	}
	n.mu.Unlock()
	if !ok {
		t := time.NewTimer(pairTimeout)
		select {
		case l = <-w:
			t.Stop()
		case <-t.C:
			// Not dialed by a node of the run: never dark.
			n.mu.Lock()
			delete(n.waiting, key)
			n.mu.Unlock()
			l = &link{dialer: -1, acceptor: to, open: 1}
		}
	}
	return n.wrap(c, l)
}

// closedEnd notes that one end of l was closed.
func (n *Net) closedEnd(l *link) {
	n.mu.Lock()
	l.open--
	if l.open <= 0 {
		delete(n.live, l)
	}
	n.mu.Unlock()
}

// darken makes every open link that is cut go dark. Called with n.mu held.
func (n *Net) darken() {
	for l := range n.live {
		if l.dialer >= 0 && n.cut(l.dialer, l.acceptor) {
			l.dark.Store(true)
		}
	}
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}

// lifeListener is what one life of a node accepts links on: the node's
// listener is the run's, so that the node keeps its address across
// restarts, and connections reach the life that is running.
type lifeListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newLifeListener(addr net.Addr) *lifeListener {
	return &lifeListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *lifeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *lifeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *lifeListener) Addr() net.Addr { return l.addr }

// hand passes c to the life; false when it has stopped.
func (l *lifeListener) hand(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

// acceptLoop accepts the connections of node i for its whole run and hands
// each, paired and wrapped, to the life running then; with none running it
// closes them.
func (n *Net) acceptLoop(i measure.NodeIndex, ln net.Listener) {
	defer n.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Close
		}
		dc := n.pair(c, i)
		n.mu.Lock()
		life := n.nodes[i].life
		n.mu.Unlock()
		if life == nil || !life.ln.hand(dc) {
			dc.Close()
		}
	}
}
