package netkey

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/flynn/noise"
)

// The handshake of a link, before the engine's own (Hello, Welcome):
//
//	initiator → responder   [u16 48] Noise message 1: psk, e   (tag under the key)
//	responder → initiator   [u16 48] Noise message 2: e, ee    (tag under key and ee)
//	initiator → responder   [u16 16] transport message: empty (confirmation)
//
// Message 1 proves the initiator holds the key, but it could be a replay;
// message 2 proves the responder holds the key and answers this very
// handshake (its ephemeral key is fresh); the confirmation, encrypted under
// keys that need the initiator's ephemeral private key, proves that the
// initiator is live. Only then does the responder hand the connection on.
// Every length is fixed, so that anything else is refused before a byte of
// it is buffered.

// ErrHandshake reports a connection refused by the handshake: the peer has
// another network key, none, is not a mesh node, or replayed the bytes of
// an earlier handshake. The error text says which, when it can be told.
var ErrHandshake = errors.New("netkey: network key handshake failed")

// RefusalReason is what a node logs when a handshake fails: which of the
// causes it was cannot always be told apart by the side that refuses.
const RefusalReason = "network key mismatch or not a mesh node"

// prologue binds the handshake to this protocol and its version: a peer
// speaking anything else derives other keys.
const prologue = "p2pmesh netkey v1"

var suite = noise.NewCipherSuite(noise.DH25519, noise.CipherChaChaPoly, noise.HashBLAKE2s)

// Sizes of the handshake messages.
const (
	lenSize      = 2
	tagSize      = 16
	handshakeMsg = 32 + tagSize // an ephemeral public key and an empty payload's tag
)

// Protocol is the Noise protocol name of links, for documentation and logs.
const Protocol = "Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s"

func (k *Key) handshakeState(initiator bool) (*noise.HandshakeState, error) {
	return noise.NewHandshakeState(noise.Config{
		CipherSuite:           suite,
		Random:                rand.Reader,
		Pattern:               noise.HandshakeNN,
		Initiator:             initiator,
		Prologue:              []byte(prologue),
		PresharedKey:          k.psk[:],
		PresharedKeyPlacement: 0,
	})
}

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrHandshake}, args...)...)
}

// Client runs the initiator's side of the handshake on a connection it
// dialed, within the deadline, and returns the secured connection. On
// failure the caller closes nc. An error is a timeout (a net.Error) or
// wraps ErrHandshake.
func Client(nc net.Conn, k *Key, deadline time.Time) (*Conn, error) {
	_ = nc.SetDeadline(deadline)
	hs, err := k.handshakeState(true)
	if err != nil {
		return nil, fmt.Errorf("netkey: %w", err)
	}
	var buf [lenSize + handshakeMsg]byte
	msg, _, _, err := hs.WriteMessage(buf[:lenSize], nil)
	if err != nil {
		return nil, fmt.Errorf("netkey: %w", err)
	}
	binary.BigEndian.PutUint16(msg, handshakeMsg)
	if _, err := nc.Write(msg); err != nil {
		return nil, err
	}
	body, err := readMessage(nc, buf[:], "the responder")
	if err != nil {
		return nil, err
	}
	_, tx, rx, err := hs.ReadMessage(nil, body)
	if err != nil {
		return nil, refused("the responder's answer fails authentication: it has another network key")
	}
	c := newConn(nc, tx, rx)
	if _, err := c.Write(nil); err != nil { // the confirmation
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}

// Server runs the responder's side of the handshake on an accepted
// connection, within the deadline, and returns the secured connection. On
// failure the caller closes nc. An error is a timeout (a net.Error) or
// wraps ErrHandshake.
func Server(nc net.Conn, k *Key, deadline time.Time) (*Conn, error) {
	_ = nc.SetDeadline(deadline)
	var buf [lenSize + handshakeMsg]byte
	body, err := readMessage(nc, buf[:], "the initiator")
	if err != nil {
		return nil, err
	}
	hs, err := k.handshakeState(false)
	if err != nil {
		return nil, fmt.Errorf("netkey: %w", err)
	}
	if _, _, _, err := hs.ReadMessage(nil, body); err != nil {
		return nil, refused("the initiator's first message fails authentication: it has another network key")
	}
	msg, rx, tx, err := hs.WriteMessage(buf[:lenSize], nil)
	if err != nil {
		return nil, fmt.Errorf("netkey: %w", err)
	}
	binary.BigEndian.PutUint16(msg, handshakeMsg)
	if _, err := nc.Write(msg); err != nil {
		return nil, err
	}
	c := newConn(nc, tx, rx)
	if err := c.readConfirmation(); err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}

// readMessage reads one handshake message into buf, refusing any length but
// the one expected before reading further.
func readMessage(nc net.Conn, buf []byte, who string) ([]byte, error) {
	hdr := buf[:lenSize]
	if _, err := io.ReadFull(nc, hdr); err != nil {
		return nil, handshakeReadError(err, who)
	}
	if n := binary.BigEndian.Uint16(hdr); n != handshakeMsg {
		if hdr[0] == 0 && hdr[1] == 0 {
			// A mesh frame's length prefix (u32) starts with two zero bytes.
			return nil, refused("%s sent a plain mesh handshake: it has no network key", who)
		}
		return nil, refused("%s sent a message of %d bytes where the handshake has %d: it is not a keyed mesh node", who, n, handshakeMsg)
	}
	body := buf[lenSize : lenSize+handshakeMsg]
	if _, err := io.ReadFull(nc, body); err != nil {
		return nil, handshakeReadError(err, who)
	}
	return body, nil
}

func handshakeReadError(err error, who string) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return refused("%s closed the connection during the handshake: it has another network key or none", who)
	}
	return refused("%s: %v", who, err)
}

// readConfirmation reads the initiator's first transport message, which
// must be empty.
func (c *Conn) readConfirmation() error {
	n, err := c.readRecord()
	switch {
	case err == nil && n == 0:
		return nil
	case err == nil:
		return refused("the initiator's confirmation is not empty")
	case errors.Is(err, ErrRecord):
		return refused("the initiator's confirmation fails authentication: a replayed or forged handshake")
	}
	return handshakeReadError(err, "the initiator")
}
