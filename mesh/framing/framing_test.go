package framing

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"runtime"
	"testing"
	"testing/iotest"

	"p2pmesh/mesh"
)

// maxDataPayload is the largest payload a Data frame can carry: the frame
// limit less version, type, message id, hops and payload length.
const maxDataPayload = mesh.MaxFrameSize - 2 - 16 - 2 - 4

// sampleFrames returns valid frames of several types, among them the
// largest payload and peer list. Empty payloads and lists are nil, as
// mesh.DecodeFrame returns them.
func sampleFrames() []struct {
	name string
	f    mesh.Frame
} {
	v4 := mesh.AddrFrom(netip.MustParseAddrPort("192.168.1.20:7946"))
	peers255 := make([]mesh.PeerInfo, 255)
	for i := range peers255 {
		peers255[i] = mesh.PeerInfo{ID: mesh.NodeID(i + 1), Addr: v4.WithPort(uint16(i)), FreeIn: uint8(i)}
	}
	hello := mesh.Hello{ID: 0x0102030405060708, Instance: 0x1112131415161718, Port: 7946, Load: mesh.Load{In: 3, Out: 5, FreeIn: 2}, Flags: mesh.HelloNeedy}
	return []struct {
		name string
		f    mesh.Frame
	}{
		{"hello", mesh.Frame{Type: mesh.FrameHello, Hello: hello}},
		{"reject", mesh.Frame{Type: mesh.FrameReject, Reason: mesh.ReasonFull}},
		{"ping", mesh.Frame{Type: mesh.FramePing, Load: mesh.Load{In: 1, Out: 2, FreeIn: 3}}},
		{"data", mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 42, Seq: 1<<32 | 7}, Hops: 3, Payload: []byte("hello, mesh")}}},
		{"data-empty", mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 1, Seq: 1}}}},
		{"data-max-payload", mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 5, Seq: 5}, Hops: 1, Payload: bytes.Repeat([]byte{0xA5}, maxDataPayload)}}},
		{"peers-255", mesh.Frame{Type: mesh.FramePeers, Peers: peers255}},
		{"ihave", mesh.Frame{Type: mesh.FrameIHave, IHave: []mesh.Announcement{{ID: mesh.MsgID{Origin: 1, Seq: 2}, Hops: 3}}}},
		{"graft-rejoin-only", mesh.Frame{Type: mesh.FrameGraft}},
		{"prune", mesh.Frame{Type: mesh.FramePrune}},
		{"position", mesh.Frame{Type: mesh.FramePosition, Pos: mesh.Position{Root: 0x0102030405060708, Round: 7, Rank: 3}, Load: mesh.Load{In: 4, Out: 5, FreeIn: 1}}},
	}
}

func mustAppendFrame(t testing.TB, f *mesh.Frame) []byte {
	t.Helper()
	b, err := mesh.AppendFrame(nil, f)
	if err != nil {
		t.Fatalf("AppendFrame(%v): %v", f.Type, err)
	}
	return b
}

func frameSummary(f mesh.Frame) string {
	return fmt.Sprintf("{%v hello=%+v reason=%v load=%+v msg=%v/%d/%dB peers=%d ids=%d pos=%+v}",
		f.Type, f.Hello, f.Reason, f.Load, f.Msg.ID, f.Msg.Hops, len(f.Msg.Payload), len(f.Peers), len(f.IHave)+len(f.IDs), f.Pos)
}

// rawFrame builds a frame of any version and type around the given body.
func rawFrame(version byte, t mesh.FrameType, parts ...[]byte) []byte {
	body := append([]byte{version, byte(t)}, bytes.Join(parts, nil)...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func benchDataFrame() mesh.Frame {
	return mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 42, Seq: 1 << 40}, Hops: 3, Payload: make([]byte, 1024)}}
}

// Write returns the error of mesh.AppendFrame for a frame it cannot
// encode, and writes nothing.
func TestWriteInvalidFrame(t *testing.T) {
	for _, f := range []mesh.Frame{
		{Type: mesh.FrameHello},
		{Type: mesh.FrameData, Msg: mesh.Message{Payload: make([]byte, maxDataPayload+1)}},
	} {
		_, want := mesh.AppendFrame(nil, &f)
		if err := Write(noWriter{t}, &f); err == nil || err.Error() != want.Error() {
			t.Errorf("Write(%v): %v, want %v", f.Type, err, want)
		}
	}
}

// noWriter fails the test when written to.
type noWriter struct{ t *testing.T }

func (w noWriter) Write(p []byte) (int, error) {
	w.t.Fatalf("unexpected write of %d bytes", len(p))
	return 0, nil
}

// concatFrames encodes frames back to back.
func concatFrames(t testing.TB, frames ...mesh.Frame) []byte {
	var b []byte
	for i := range frames {
		var err error
		if b, err = mesh.AppendFrame(b, &frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestReaderBackToBack(t *testing.T) {
	var frames []mesh.Frame
	for _, tc := range sampleFrames() {
		frames = append(frames, tc.f)
	}
	stream := concatFrames(t, frames...)
	readers := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(stream) },
		"one-byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) },
		"data-err": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) },
		"split":    func() io.Reader { return io.MultiReader(bytes.NewReader(stream[:7]), bytes.NewReader(stream[7:])) },
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			fr := NewReader(mk(), mesh.MaxFrameSize)
			for i, want := range frames {
				got, err := fr.Next()
				if err != nil {
					t.Fatalf("frame %d (%v): %v", i, want.Type, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("frame %d:\n got %s\nwant %s", i, frameSummary(got), frameSummary(want))
				}
			}
			for range 2 {
				if _, err := fr.Next(); err != io.EOF {
					t.Fatalf("Next after the last frame: %v, want io.EOF", err)
				}
			}
		})
	}
}

// prefixOnlyReader serves data and fails the test if a read asks for more than
// limit bytes or reads past the data.
type prefixOnlyReader struct {
	t     testing.TB
	data  []byte
	limit int
}

func (g *prefixOnlyReader) Read(p []byte) (int, error) {
	if len(p) > g.limit {
		g.t.Fatalf("read of %d bytes requested, more than %d", len(p), g.limit)
	}
	if len(g.data) == 0 {
		g.t.Fatalf("read past the length prefix")
	}
	n := copy(p, g.data)
	g.data = g.data[n:]
	return n, nil
}

func TestReaderRejectsHugeLength(t *testing.T) {
	for _, n := range []uint32{0xC0000000, 0xFFFFFFFF, mesh.MaxFrameSize + 1} {
		perRun := allocatedBytesPerRun(20, func() {
			fr := NewReader(&prefixOnlyReader{t: t, data: be32(n), limit: 4}, mesh.MaxFrameSize)
			_, err := fr.Next()
			if !errors.Is(err, mesh.ErrFrameTooLarge) {
				t.Fatalf("length %d: error %v, want mesh.ErrFrameTooLarge", n, err)
			}
			// The error sticks; the reader does not touch the stream again.
			if _, err2 := fr.Next(); err2 != err {
				t.Fatalf("second Next: %v, want the same error", err2)
			}
		})
		// The reader itself, the guard reader and the error: a few small
		// allocations, nothing proportional to n.
		if perRun > 1024 {
			t.Errorf("length %d: %d bytes allocated to reject it", n, perRun)
		}
	}
}

// allocatedBytesPerRun is like testing.AllocsPerRun but counts bytes.
func allocatedBytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func TestReaderMaxSize(t *testing.T) {
	ping := mesh.Frame{Type: mesh.FramePing, Load: mesh.Load{In: 1, Out: 1, FreeIn: 1}}
	data := mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 1, Seq: 1}, Payload: make([]byte, 100)}}
	stream := concatFrames(t, ping, data)
	limit := mesh.EncodedSize(&data) - prefixSize - 1
	fr := NewReader(bytes.NewReader(stream), limit)
	if got, err := fr.Next(); err != nil || !reflect.DeepEqual(got, ping) {
		t.Fatalf("first frame: %s, %v", frameSummary(got), err)
	}
	_, err := fr.Next()
	if !errors.Is(err, mesh.ErrFrameTooLarge) {
		t.Fatalf("oversized frame: error %v, want mesh.ErrFrameTooLarge", err)
	}
	if want := fmt.Sprintf("mesh: frame of %d bytes exceeds the %d-byte limit", limit+1, limit); err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
	// Exactly at the limit is fine.
	fr = NewReader(bytes.NewReader(stream[mesh.EncodedSize(&ping):]), limit+1)
	if got, err := fr.Next(); err != nil || !reflect.DeepEqual(got, data) {
		t.Fatalf("frame at the limit: %s, %v", frameSummary(got), err)
	}
	// Limits outside (0, mesh.MaxFrameSize] mean mesh.MaxFrameSize.
	for _, max := range []int{0, -1, mesh.MaxFrameSize * 4} {
		if fr := NewReader(nil, max); fr.max != mesh.MaxFrameSize {
			t.Errorf("NewReader(_, %d) has limit %d, want %d", max, fr.max, mesh.MaxFrameSize)
		}
	}
}

func TestReaderTruncated(t *testing.T) {
	data := mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 1, Seq: 1}, Payload: []byte("payload")}}
	one := concatFrames(t, data)
	stream := concatFrames(t, data, data)
	for cut := 0; cut <= len(stream); cut++ {
		fr := NewReader(iotest.OneByteReader(bytes.NewReader(stream[:cut])), 0)
		var n int
		var err error
		for {
			if _, err = fr.Next(); err != nil {
				break
			}
			n++
		}
		wantN, wantErr := cut/len(one), io.ErrUnexpectedEOF
		if cut%len(one) == 0 {
			wantErr = io.EOF
		}
		if n != wantN || err != wantErr {
			t.Errorf("stream cut after %d bytes: %d frames then %v, want %d then %v", cut, n, err, wantN, wantErr)
		}
		if _, err2 := fr.Next(); err2 != err {
			t.Errorf("stream cut after %d bytes: Next after %v returned %v", cut, err, err2)
		}
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	stream := concatFrames(t, mesh.Frame{Type: mesh.FramePrune})
	fr := NewReader(io.MultiReader(bytes.NewReader(stream), iotest.ErrReader(boom)), 0)
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := fr.Next(); err != boom {
			t.Fatalf("Next: %v, want %v", err, boom)
		}
	}
}

func TestReaderSkipsMalformedFrame(t *testing.T) {
	prune := mesh.Frame{Type: mesh.FramePrune}
	var stream []byte
	stream = append(stream, rawFrame(mesh.ProtocolVersion+1, mesh.FramePing, []byte{1, 2, 3})...) // wrong version
	stream = append(stream, rawFrame(mesh.ProtocolVersion, 42)...)                                // unknown type
	stream = append(stream, concatFrames(t, prune)...)
	fr := NewReader(bytes.NewReader(stream), 0)
	if _, err := fr.Next(); !errors.Is(err, mesh.ErrVersion) {
		t.Fatalf("first frame: %v, want mesh.ErrVersion", err)
	}
	if _, err := fr.Next(); !errors.Is(err, mesh.ErrMalformed) {
		t.Fatalf("second frame: %v, want mesh.ErrMalformed", err)
	}
	if got, err := fr.Next(); err != nil || !reflect.DeepEqual(got, prune) {
		t.Fatalf("third frame: %s, %v", frameSummary(got), err)
	}
}

func TestReaderReusesBuffer(t *testing.T) {
	ping := mesh.Frame{Type: mesh.FramePing, Load: mesh.Load{In: 1, Out: 2, FreeIn: 3}}
	b := concatFrames(t, ping)
	r := bytes.NewReader(b)
	fr := NewReader(r, 0)
	fr.Next() // warm up the buffer
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(b)
		if _, err := fr.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("reading a ping allocates %v times", allocs)
	}
}

func TestReaderLargeFrame(t *testing.T) {
	f := mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 1, Seq: 1}, Payload: bytes.Repeat([]byte("0123456789"), maxDataPayload/10)}}
	small := mesh.Frame{Type: mesh.FramePing}
	stream := concatFrames(t, f, small, f)
	fr := NewReader(iotest.HalfReader(bytes.NewReader(stream)), 0)
	for i, want := range []mesh.Frame{f, small, f} {
		got, err := fr.Next()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("frame %d: %s, %v", i, frameSummary(got), err)
		}
		if cap(fr.buf) > keptBufferSize {
			t.Fatalf("frame %d: reader keeps a %d-byte buffer", i, cap(fr.buf))
		}
	}
}

// writeCounter records the size of each Write.
type writeCounter struct{ writes []int }

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	return len(p), nil
}

func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	for _, tc := range sampleFrames() {
		var cw writeCounter
		if err := Write(&cw, &tc.f); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(cw.writes) != 1 || cw.writes[0] != mesh.EncodedSize(&tc.f) {
			t.Errorf("%s: writes %v, want one of %d bytes", tc.name, cw.writes, mesh.EncodedSize(&tc.f))
		}
		if err := Write(&buf, &tc.f); err != nil {
			t.Fatal(err)
		}
	}
	fr := NewReader(&buf, 0)
	for _, tc := range sampleFrames() {
		got, err := fr.Next()
		if err != nil || !reflect.DeepEqual(got, tc.f) {
			t.Fatalf("%s: read back %s, %v", tc.name, frameSummary(got), err)
		}
	}
	boom := errors.New("boom")
	if err := Write(failingWriter{boom}, &mesh.Frame{Type: mesh.FramePrune}); err != boom {
		t.Errorf("Write to a failing writer: %v, want %v", err, boom)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func BenchmarkReaderData(b *testing.B) {
	f := benchDataFrame()
	enc := mustAppendFrame(b, &f)
	r := bytes.NewReader(enc)
	fr := NewReader(r, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		r.Reset(enc)
		if _, err := fr.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReaderReady: Ready is true exactly when the next frame is whole
// in the bufio.Reader's buffer, so that Next will not read the stream.
func TestReaderReady(t *testing.T) {
	frames := []mesh.Frame{sampleFrames()[0].f, sampleFrames()[1].f}
	stream := concatFrames(t, frames...)
	first := len(concatFrames(t, frames[0]))

	pr, pw := io.Pipe()
	fr := NewReader(bufio.NewReader(pr), mesh.MaxFrameSize)
	if fr.Ready() {
		t.Fatal("Ready before any byte arrived")
	}
	// The first frame and half of the second arrive in one read.
	go func() { _, _ = pw.Write(stream[:first+3]) }()
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	if fr.Ready() {
		t.Fatal("Ready with only 3 bytes of the next frame buffered")
	}
	go func() { _, _ = pw.Write(stream[first+3:]); pw.Close() }()
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.Next(); err != io.EOF {
		t.Fatalf("Next at the end: %v, want io.EOF", err)
	}
	if !fr.Ready() {
		t.Fatal("not Ready after the stream ended: Next returns its error at once")
	}

	whole := NewReader(bufio.NewReader(bytes.NewReader(stream)), mesh.MaxFrameSize)
	if _, err := whole.Next(); err != nil {
		t.Fatal(err)
	}
	if !whole.Ready() {
		t.Fatal("not Ready with the whole second frame buffered")
	}
	if NewReader(bytes.NewReader(stream), mesh.MaxFrameSize).Ready() {
		t.Fatal("Ready without a bufio.Reader to look into")
	}
}

// FuzzReader streams arbitrary bytes through a Reader with a small
// limit, read whole or one byte at a time, and checks every result against a
// model built from mesh.DecodeFrame.
func FuzzReader(f *testing.F) {
	for _, tc := range sampleFrames() {
		if mesh.EncodedSize(&tc.f) <= 512 {
			f.Add(mustAppendFrame(f, &tc.f), uint16(256), false)
		}
	}
	ping := mustAppendFrame(f, &mesh.Frame{Type: mesh.FramePing, Load: mesh.Load{In: 1, Out: 2, FreeIn: 3}})
	data := mustAppendFrame(f, &mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 1, Seq: 2}, Payload: []byte("payload")}})
	stream := bytes.Join([][]byte{ping, data, rawFrame(mesh.ProtocolVersion+1, mesh.FramePrune), ping}, nil)
	f.Add(stream, uint16(64), false)
	f.Add(stream, uint16(64), true)
	f.Add(stream[:len(stream)-2], uint16(64), true)
	f.Add(append(bytes.Clone(ping), 0xC0, 0, 0, 0), uint16(64), false)
	f.Add(data, uint16(len(data)-5), false)
	f.Fuzz(func(t *testing.T, in []byte, maxSize uint16, trickle bool) {
		limit := 1 + int(maxSize%1024)
		var r io.Reader = bytes.NewReader(in)
		if trickle {
			r = iotest.OneByteReader(r)
		}
		fr := NewReader(r, limit)
		rest := in
		for i := 0; ; i++ {
			got, err := fr.Next()
			// What mesh.DecodeFrame makes of the same bytes.
			var want mesh.Frame
			var wantErr error
			switch {
			case len(rest) == 0:
				wantErr = io.EOF
			case len(rest) < 4:
				wantErr = io.ErrUnexpectedEOF
			default:
				n := int(binary.BigEndian.Uint32(rest))
				switch {
				case n > limit:
					wantErr = mesh.ErrFrameTooLarge
				case len(rest)-4 < n:
					wantErr = io.ErrUnexpectedEOF
				default:
					want, wantErr = mesh.DecodeFrame(rest[:4+n])
					rest = rest[4+n:]
				}
			}
			if err == nil {
				if wantErr != nil {
					t.Fatalf("frame %d: got %s, want error %v", i, frameSummary(got), wantErr)
				}
				if mesh.EncodedSize(&got) > 4+limit {
					t.Fatalf("frame %d: %d bytes, above the %d-byte limit", i, mesh.EncodedSize(&got), limit)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("frame %d:\n got %s\nwant %s", i, frameSummary(got), frameSummary(want))
				}
				continue
			}
			if !reflect.DeepEqual(got, mesh.Frame{}) {
				t.Fatalf("frame %d: Next returned %s with error %v", i, frameSummary(got), err)
			}
			switch {
			case wantErr == nil:
				t.Fatalf("frame %d: error %v, want %s", i, err, frameSummary(want))
			case wantErr == io.EOF || wantErr == io.ErrUnexpectedEOF:
				if err != wantErr {
					t.Fatalf("frame %d: error %v, want %v", i, err, wantErr)
				}
			case wantErr == mesh.ErrFrameTooLarge:
				if !errors.Is(err, mesh.ErrFrameTooLarge) {
					t.Fatalf("frame %d: error %v, want mesh.ErrFrameTooLarge", i, err)
				}
			default:
				if err.Error() != wantErr.Error() {
					t.Fatalf("frame %d: error %v, want %v", i, err, wantErr)
				}
				continue // a bad frame is skipped
			}
			// The stream has ended or is out of step: the error sticks.
			if _, err2 := fr.Next(); err2 != err {
				t.Fatalf("Next after %v: %v", err, err2)
			}
			return
		}
	})
}
