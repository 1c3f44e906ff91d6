// Package framing reads and writes the frames of package mesh on a byte
// stream, such as a TCP connection: the stream I/O that the engine, which
// never touches a socket, leaves to its socket driver (package
// p2pmesh/mesh/meshnode). The wire format itself is mesh's (AppendFrame,
// DecodeFrame): a 4-byte big-endian length prefix, then version, type and
// body.
package framing

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"

	"p2pmesh/mesh"
)

// prefixSize is the length prefix of every frame of mesh's wire format.
const prefixSize = 4

// keptBufferSize bounds the buffers a Reader keeps and Write pools between
// frames; larger frames get a buffer of their own.
const keptBufferSize = 64 << 10

// Reader reads frames from a stream. It checks each length prefix against
// its limit before allocating anything, grows its buffer only as the bytes
// of a frame actually arrive, and reuses that buffer between frames. It
// issues small reads (the 4-byte prefix, then the frame), so wrap a raw
// connection in a bufio.Reader.
type Reader struct {
	r   io.Reader
	br  *bufio.Reader // r, when it is one: lets Ready look ahead
	max int
	hdr [prefixSize]byte
	buf []byte
	err error // sticky: the stream is out of step or ended
}

// NewReader returns a reader of frames from r that refuses frames whose
// length prefix exceeds maxSize (at most mesh.MaxFrameSize; zero or
// negative means mesh.MaxFrameSize).
func NewReader(r io.Reader, maxSize int) *Reader {
	if maxSize <= 0 || maxSize > mesh.MaxFrameSize {
		maxSize = mesh.MaxFrameSize
	}
	br, _ := r.(*bufio.Reader)
	return &Reader{r: r, br: br, max: maxSize}
}

// Ready reports whether Next can return without reading from the stream:
// the next frame is whole in the buffer (or Next will fail at once). It is
// always false when the reader was not made on a *bufio.Reader. A reader of
// a connection uses it to hand over the frames it already has before it
// blocks for more.
func (fr *Reader) Ready() bool {
	if fr.err != nil {
		return true
	}
	if fr.br == nil || fr.br.Buffered() < prefixSize {
		return false
	}
	p, _ := fr.br.Peek(prefixSize)
	n := uint64(binary.BigEndian.Uint32(p))
	return n > uint64(fr.max) || uint64(fr.br.Buffered()) >= prefixSize+n
}

// Next reads and decodes the next frame. It returns io.EOF when the stream
// ends cleanly between frames and io.ErrUnexpectedEOF when it ends within
// one. A frame that does not decode is skipped with an error (see
// mesh.DecodeFrame) and the reader stays usable; after a length prefix
// above the limit (an error that wraps mesh.ErrFrameTooLarge) or a read
// error the stream is out of step, and Next keeps returning that error.
func (fr *Reader) Next() (mesh.Frame, error) {
	if fr.err != nil {
		return mesh.Frame{}, fr.err
	}
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		fr.err = err // io.EOF before the first byte, else io.ErrUnexpectedEOF
		return mesh.Frame{}, err
	}
	n := binary.BigEndian.Uint32(fr.hdr[:])
	if uint64(n) > uint64(fr.max) {
		fr.err = &tooLarge{size: n, limit: fr.max}
		return mesh.Frame{}, fr.err
	}
	b, err := fr.readFrame(int(n))
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		fr.err = err
		return mesh.Frame{}, err
	}
	return mesh.DecodeFrame(b)
}

// readFrame reads the n bytes after the length prefix into the reused
// buffer, behind the prefix, growing it at most by the number of bytes
// already received, so that a peer announcing a large frame and then
// stalling costs little memory.
func (fr *Reader) readFrame(n int) ([]byte, error) {
	total := prefixSize + n
	b := append(fr.buf[:0], fr.hdr[:]...)
	if total > keptBufferSize {
		fr.buf = nil // do not keep a large buffer past this frame
	}
	for len(b) < total {
		chunk := min(total-len(b), max(len(b), keptBufferSize))
		b = slices.Grow(b, chunk)
		if _, err := io.ReadFull(fr.r, b[len(b):len(b)+chunk]); err != nil {
			return nil, err
		}
		b = b[:len(b)+chunk]
	}
	if total <= keptBufferSize {
		fr.buf = b
	}
	return b, nil
}

// tooLarge is the error of a length prefix above the reader's limit.
type tooLarge struct {
	size  uint32
	limit int
}

func (e *tooLarge) Error() string {
	return fmt.Sprintf("mesh: frame of %d bytes exceeds the %d-byte limit", e.size, e.limit)
}

func (e *tooLarge) Unwrap() error { return mesh.ErrFrameTooLarge }

var writeBufs = sync.Pool{New: func() any { return new([]byte) }}

// Write encodes f and writes it to w with a single Write call, from a
// pooled buffer. Errors are those of mesh.AppendFrame and of w.
func Write(w io.Writer, f *mesh.Frame) error {
	bp := writeBufs.Get().(*[]byte)
	b, err := mesh.AppendFrame((*bp)[:0], f)
	if err == nil {
		_, err = w.Write(b)
	}
	if cap(b) <= keptBufferSize {
		*bp = b
		writeBufs.Put(bp)
	}
	return err
}
