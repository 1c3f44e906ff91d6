package meshnode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"p2pmesh/mesh"
)

// The TCP side: one listening port per node, accepted connections and dials,
// all reported to the loop as events.

// listen opens the node's listener on cfg.Listen, or takes cfg.Listener, and
// returns it with its address.
func listen(ctx context.Context, cfg *Config) (net.Listener, netip.AddrPort, error) {
	if cfg.Listener != nil {
		ta, ok := cfg.Listener.Addr().(*net.TCPAddr)
		if !ok {
			return nil, netip.AddrPort{}, fmt.Errorf("runtime: the listener's address %v is not a TCP address", cfg.Listener.Addr())
		}
		return cfg.Listener, ta.AddrPort(), nil
	}
	lc := net.ListenConfig{KeepAlive: -1} // the engine has its own keepalives
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("runtime: cannot listen on %s: %w", cfg.Listen, err)
	}
	return ln, ln.Addr().(*net.TCPAddr).AddrPort(), nil
}

// acceptLoop accepts connections until the listener is closed.
func (n *Node) acceptLoop() {
	defer n.wg.Done()
	for {
		nc, err := n.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and such: wait a little, do not spin.
			n.log.Warn("accept failed", "err", err)
			t := time.NewTimer(100 * time.Millisecond)
			select {
			case <-t.C:
			case <-n.quit:
				t.Stop()
				return
			}
			continue
		}
		if n.unshaken.Load() >= int64(n.cfg.MaxPending) {
			// A flood of connections that say nothing: refuse more
			// until those time out or speak.
			n.rejects.refuse("too many connections waiting for their handshake", "remote", nc.RemoteAddr(), "limit", n.cfg.MaxPending)
			n.refused.Add(1)
			nc.Close()
			continue
		}
		n.unshaken.Add(1)
		if n.cfg.NetworkKey != nil {
			n.handshakeAccepted(nc)
			continue
		}
		if !n.post(event{kind: evAccepted, nc: nc}) {
			n.unshaken.Add(-1)
			nc.Close()
			return
		}
	}
}

// dial connects to addr in a goroutine of its own and reports the result,
// success or failure, exactly once; hello is the dial's Hello, encoded, to
// be sent as soon as the connection opens (opening.go).
func (n *Node) dial(peer mesh.NodeID, addr mesh.Addr, hello []byte) {
	n.stats.Dials++
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		var nc net.Conn
		var err error
		if n.cfg.Dial != nil {
			ctx, cancel := context.WithTimeout(n.dialCtx, n.cfg.DialTimeout)
			nc, err = n.cfg.Dial(ctx, addr.AddrPort())
			cancel()
		} else {
			d := net.Dialer{Timeout: n.cfg.DialTimeout, KeepAlive: -1}
			nc, err = d.DialContext(n.dialCtx, "tcp", addr.AddrPort().String())
		}
		if err == nil && n.cfg.NetworkKey != nil {
			raw := nc
			if nc, err = n.secure(raw, true); err != nil {
				raw.Close()
			}
		}
		if !n.post(event{kind: evDialed, peer: peer, addr: addr, nc: nc, err: err, hello: hello}) && nc != nil {
			nc.Close()
		}
	}()
}
