package netkey

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/flynn/noise"
)

// The fuzz targets feed arbitrary bytes to every decoder of this package:
// sealed beacons, the responder's side of the handshake and the record
// reader. Seed corpora are in testdata/fuzz; each target runs for 5 s in CI.

// fuzzTime is the clock of the beacon target: the committed seeds were
// sealed at this time, so they stay fresh.
var fuzzTime = time.Unix(1_800_000_000, 0)

func FuzzDecodeSealedBeacon(f *testing.F) {
	k := mustKey(f, 1)
	f.Fuzz(func(t *testing.T, p []byte) {
		c := newBeaconCodec(k, nil, func() time.Time { return fuzzTime })
		b, err := c.DecodeBeacon(p)
		if err != nil {
			if !errors.Is(err, ErrBeacon) {
				t.Fatalf("error %v does not wrap ErrBeacon", err)
			}
			return
		}
		if b.ID == 0 || b.Port == 0 {
			t.Fatalf("accepted an invalid beacon %+v", b)
		}
		if _, err := c.DecodeBeacon(p); !errors.Is(err, ErrDuplicateBeacon) {
			t.Fatalf("the same beacon accepted twice: %v", err)
		}
	})
}

// byteConn is a net.Conn that reads from a byte slice and discards writes.
type byteConn struct {
	r io.Reader
}

func (c *byteConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *byteConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *byteConn) Close() error                     { return nil }
func (c *byteConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *byteConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *byteConn) SetDeadline(time.Time) error      { return nil }
func (c *byteConn) SetReadDeadline(time.Time) error  { return nil }
func (c *byteConn) SetWriteDeadline(time.Time) error { return nil }

func FuzzHandshakeResponder(f *testing.F) {
	k := mustKey(f, 1)
	f.Fuzz(func(t *testing.T, p []byte) {
		// The responder's ephemeral key is fresh, so no recorded or
		// invented bytes can complete the handshake.
		c, err := Server(&byteConn{r: bytes.NewReader(p)}, k, time.Time{})
		if err == nil {
			t.Fatalf("handshake completed on %d bytes of input (%v)", len(p), c)
		}
		if !errors.Is(err, ErrHandshake) {
			t.Fatalf("error %v does not wrap ErrHandshake", err)
		}
	})
}

// recordKey keys the record target's cipher states.
var recordKey = [32]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}

func recordConn(r io.Reader) *Conn {
	return newConn(&byteConn{r: r}, noise.UnsafeNewCipherState(suite, recordKey, 0), noise.UnsafeNewCipherState(suite, recordKey, 0))
}

func FuzzRecordReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, p []byte) {
		// p as a stream of records: it reads what opens, then fails.
		c := recordConn(bytes.NewReader(p))
		_, err := io.Copy(io.Discard, c)
		if err != nil && !errors.Is(err, ErrRecord) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("unexpected error %v", err)
		}
		// p as plaintext: it comes back unchanged.
		var wire bytes.Buffer
		w := newConn(writerConn{&wire}, noise.UnsafeNewCipherState(suite, recordKey, 0), nil)
		if _, err := w.WriteBuffers([][]byte{p[:len(p)/2], p[len(p)/2:]}); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(recordConn(&wire))
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("round trip: %d bytes back of %d, %v", len(got), len(p), err)
		}
	})
}

// writerConn is a net.Conn that writes into a buffer.
type writerConn struct{ w *bytes.Buffer }

func (c writerConn) Read(p []byte) (int, error)       { return 0, io.EOF }
func (c writerConn) Write(p []byte) (int, error)      { return c.w.Write(p) }
func (c writerConn) Close() error                     { return nil }
func (c writerConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c writerConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c writerConn) SetDeadline(time.Time) error      { return nil }
func (c writerConn) SetReadDeadline(time.Time) error  { return nil }
func (c writerConn) SetWriteDeadline(time.Time) error { return nil }
