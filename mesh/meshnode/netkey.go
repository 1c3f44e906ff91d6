package meshnode

import (
	"context"
	"errors"
	"net"
	"time"

	"p2pmesh/mesh/discovery"
	"p2pmesh/mesh/netkey"
)

// The network key (Config.NetworkKey, package netkey): every connection is
// secured by the key's handshake right after it is accepted or dialed and
// before the engine hears of it, and beacons are sealed by the transport
// that carries them. The engine and the read and write loops see plaintext
// frames as without a key.

// codecSetter is a BeaconTransport that can seal beacons (Config.Beacons
// with a network key): package beaconbus's ports are.
type codecSetter interface {
	SetCodec(c discovery.Codec)
}

// handshakeAccepted secures an accepted connection in a goroutine of its
// own and hands it to the loop. The connection stays counted among those
// waiting for their handshake (MaxPending) until its first frame.
func (n *Node) handshakeAccepted(nc net.Conn) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		sc, err := n.secure(nc, false)
		if err != nil || !n.post(event{kind: evAccepted, nc: sc}) {
			n.unshaken.Add(-1)
			nc.Close()
		}
	}()
}

// secure runs the key's handshake on nc, as the initiator when we dialed
// it, bounded by the handshake timeout and by the node's stop. Refusals are
// counted and logged (rate-limited); a dial that fails is also reported to
// the engine as a failed dial by the caller.
func (n *Node) secure(nc net.Conn, initiator bool) (net.Conn, error) {
	stop := context.AfterFunc(n.dialCtx, func() { nc.Close() })
	defer stop()
	deadline := time.Now().Add(n.cfg.Mesh.HandshakeTimeout)
	var sc *netkey.Conn
	var err error
	if initiator {
		sc, err = netkey.Client(nc, n.cfg.NetworkKey, deadline)
	} else {
		sc, err = netkey.Server(nc, n.cfg.NetworkKey, deadline)
	}
	if err == nil {
		return sc, nil
	}
	switch {
	case n.dialCtx.Err() != nil:
		// Stopping: not a refusal.
	case errors.Is(err, netkey.ErrHandshake):
		n.rejects.refuse(netkey.RefusalReason, "remote", nc.RemoteAddr(), "dialed", initiator, "err", err)
		n.keyRefused.Add(1)
	case !initiator && isTimeout(err):
		n.rejects.refuse("no handshake within the handshake timeout", "remote", nc.RemoteAddr(), "timeout", n.cfg.Mesh.HandshakeTimeout)
		n.refused.Add(1)
	}
	return nil, err
}

// isRecordError reports a keyed link whose bytes failed authentication.
func isRecordError(err error) bool { return errors.Is(err, netkey.ErrRecord) }

// batchWriter is a connection that writes a batch of frames at once
// (netkey.Conn packs them into as few records as fit).
type batchWriter interface {
	WriteBuffers(bufs [][]byte) (int64, error)
}

// writeBatch writes the frames of batch with as few system calls as it can.
func writeBatch(nc net.Conn, batch [][]byte) (int64, error) {
	if bw, ok := nc.(batchWriter); ok {
		return bw.WriteBuffers(batch)
	}
	bufs := net.Buffers(batch)
	return bufs.WriteTo(nc)
}

// beaconCodec returns the codec the node's beacon transport uses: sealing
// with the network key, or nil for the plain format.
func (n *Node) beaconCodec() discovery.Codec {
	if n.sealer == nil {
		return nil
	}
	return n.sealer
}
