package netkey

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/flynn/noise"
)

// After the handshake a link is a stream of Noise transport messages, each
// behind a big-endian u16 length (the framing the Noise specification
// suggests for TCP):
//
//	[u16 N][N bytes: ciphertext of up to MaxRecordPayload bytes, 16-byte tag]
//
// Records carry bytes, not frames: the engine's frames (up to 1 MiB) are cut
// into as many records as they need and joined again on the other side, and
// many small frames written together share a record. Every record is
// numbered implicitly (the Noise nonce), so a record that is changed,
// dropped, repeated or moved fails to open and ends the connection.

const (
	// MaxRecord is the largest Noise message: 65535 bytes.
	MaxRecord = noise.MaxMsgLen
	// MaxRecordPayload is the most plaintext one record carries.
	MaxRecordPayload = MaxRecord - tagSize
	// keepWriteBuffer is the largest write buffer kept between writes.
	keepWriteBuffer = 512 << 10
)

// ErrRecord reports a record that does not open: bytes injected, changed,
// replayed or cut on the way, or a peer that lost track of the stream.
var ErrRecord = errors.New("netkey: a record fails authentication (bytes injected, changed or replayed)")

// Conn is a connection secured by the handshake: a net.Conn whose Read and
// Write carry plaintext. Deadlines and addresses are those of the
// underlying connection. One goroutine may read while another writes.
type Conn struct {
	net.Conn

	rmu   sync.Mutex
	rx    *noise.CipherState
	rbuf  []byte // the record being read: length, then ciphertext
	rfill int    // bytes of rbuf read so far
	plain []byte // opened plaintext not yet returned (inside rbuf)
	rerr  error  // sticky read error

	wmu  sync.Mutex
	tx   *noise.CipherState
	wbuf []byte
	werr error // sticky write error
}

func newConn(nc net.Conn, tx, rx *noise.CipherState) *Conn {
	return &Conn{Conn: nc, tx: tx, rx: rx, rbuf: make([]byte, lenSize, 4<<10)}
}

// Read reads plaintext. A record that fails authentication ends the
// connection with an error wrapping ErrRecord.
func (c *Conn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.plain) == 0 {
		if len(p) == 0 {
			return 0, nil
		}
		if _, err := c.readRecord(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.plain)
	c.plain = c.plain[n:]
	return n, nil
}

// readRecord reads and opens the next record into c.plain and returns its
// length. A timeout may be retried: the bytes read so far are kept. Other
// errors are final.
func (c *Conn) readRecord() (int, error) {
	if c.rerr != nil {
		return 0, c.rerr
	}
	if err := c.fill(lenSize); err != nil {
		return 0, err
	}
	n := int(binary.BigEndian.Uint16(c.rbuf))
	if n < tagSize {
		c.rerr = ErrRecord
		return 0, c.rerr
	}
	if cap(c.rbuf) < lenSize+n {
		grown := make([]byte, lenSize, lenSize+n)
		copy(grown, c.rbuf[:lenSize])
		c.rbuf = grown
	}
	if err := c.fill(lenSize + n); err != nil {
		return 0, err
	}
	body := c.rbuf[lenSize : lenSize+n]
	plain, err := c.rx.Decrypt(body[:0], nil, body)
	c.rfill = 0
	if err != nil {
		c.rerr = ErrRecord
		return 0, c.rerr
	}
	c.plain = plain
	return len(plain), nil
}

// fill reads until rbuf holds want bytes.
func (c *Conn) fill(want int) error {
	c.rbuf = c.rbuf[:want]
	for c.rfill < want {
		k, err := c.Conn.Read(c.rbuf[c.rfill:want])
		c.rfill += k
		if err != nil && c.rfill < want {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return err // may be retried
			}
			if errors.Is(err, io.EOF) && c.rfill > 0 {
				err = io.ErrUnexpectedEOF // the stream ends inside a record
			}
			c.rerr = err
			return err
		}
	}
	return nil
}

// Write encrypts p into records and writes them with one write call.
func (c *Conn) Write(p []byte) (int, error) {
	if p == nil {
		p = []byte{}
	}
	n, err := c.WriteBuffers([][]byte{p})
	return int(n), err
}

// WriteBuffers writes the concatenation of bufs, packed into as few
// records as fit, with one write call: the socket runtime's writer hands
// its batch of frames over at once. It returns the plaintext bytes written:
// all of them, or none with an error, after which the connection is broken.
// Writing nothing at all (no bytes in bufs) sends one empty record.
func (c *Conn) WriteBuffers(bufs [][]byte) (int64, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return 0, c.werr
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	records := max(1, (total+MaxRecordPayload-1)/MaxRecordPayload)
	need := total + records*(lenSize+tagSize)
	if cap(c.wbuf) < need {
		c.wbuf = make([]byte, 0, need)
	}
	out := c.wbuf[:0]
	bi, off := 0, 0 // position in bufs
	for r := 0; r < records; r++ {
		start := len(out)
		out = append(out, 0, 0)
		for len(out)-start-lenSize < MaxRecordPayload && bi < len(bufs) {
			room := MaxRecordPayload - (len(out) - start - lenSize)
			chunk := bufs[bi][off:]
			if len(chunk) > room {
				chunk = chunk[:room]
			}
			out = append(out, chunk...)
			off += len(chunk)
			if off == len(bufs[bi]) {
				bi, off = bi+1, 0
			}
		}
		plain := out[start+lenSize:]
		sealed, err := c.tx.Encrypt(plain[:0], nil, plain)
		if err != nil {
			c.werr = err
			return 0, err
		}
		binary.BigEndian.PutUint16(out[start:], uint16(len(sealed)))
		out = out[:start+lenSize+len(sealed)]
	}
	_, err := c.Conn.Write(out)
	if cap(c.wbuf) > keepWriteBuffer {
		c.wbuf = nil
	}
	if err != nil {
		c.werr = err
		return 0, err
	}
	return int64(total), nil
}

// CloseWrite half-closes the underlying connection, if it can.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
