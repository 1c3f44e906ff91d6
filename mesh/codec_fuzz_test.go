package mesh

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

// isCodecError reports whether err wraps one of the decoding sentinels.
func isCodecError(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrVersion) ||
		errors.Is(err, ErrMagic) || errors.Is(err, ErrFrameTooLarge)
}

func FuzzDecodeFrame(f *testing.F) {
	for _, tc := range sampleFrames() {
		if EncodedSize(&tc.f) <= 4096 {
			f.Add(mustAppendFrame(f, &tc.f))
		}
	}
	f.Add([]byte{0xC0, 0, 0, 0})
	f.Add(rawFrame(1, FrameData, make([]byte, 18), []byte{0xFF, 0xFF, 0xFF, 0xFF}))
	f.Fuzz(func(t *testing.T, in []byte) {
		fr, err := DecodeFrame(in)
		if err != nil {
			if !isCodecError(err) {
				t.Fatalf("error %v wraps no codec sentinel", err)
			}
			if !reflect.DeepEqual(fr, Frame{}) {
				t.Fatalf("DecodeFrame returned %s with its error", frameSummary(fr))
			}
			return
		}
		// The encoding is canonical: re-encoding gives back the input.
		enc, err := AppendFrame(nil, &fr)
		if err != nil {
			t.Fatalf("re-encoding a decoded %v frame: %v", fr.Type, err)
		}
		if !bytes.Equal(enc, in) {
			t.Fatalf("re-encoding differs:\n in  %x\n out %x", in, enc)
		}
		if n := EncodedSize(&fr); n != len(enc) {
			t.Fatalf("EncodedSize %d, AppendFrame wrote %d", n, len(enc))
		}
		fr2, err := DecodeFrame(enc)
		if err != nil {
			t.Fatalf("decoding the re-encoded frame: %v", err)
		}
		if !reflect.DeepEqual(fr, fr2) {
			t.Fatalf("second decode differs:\n got %s\nwant %s", frameSummary(fr2), frameSummary(fr))
		}
		// The decoded frame does not alias its input.
		clear(enc)
		if !reflect.DeepEqual(fr, fr2) {
			t.Fatalf("decoded frame aliases its input")
		}
	})
}

// FuzzFrameReader streams arbitrary bytes through a FrameReader with a small
// limit, read whole or one byte at a time, and checks every result against a
// model built from DecodeFrame.
func FuzzFrameReader(f *testing.F) {
	for _, tc := range sampleFrames() {
		if EncodedSize(&tc.f) <= 512 {
			f.Add(mustAppendFrame(f, &tc.f), uint16(256), false)
		}
	}
	ping := mustAppendFrame(f, &Frame{Type: FramePing, Load: Load{1, 2, 3}})
	data := mustAppendFrame(f, &Frame{Type: FrameData, Msg: Message{ID: MsgID{1, 2}, Payload: []byte("payload")}})
	stream := bytes.Join([][]byte{ping, data, rawFrame(2, FramePrune), ping}, nil)
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
		fr := NewFrameReader(r, limit)
		rest := in
		for i := 0; ; i++ {
			got, err := fr.Next()
			// What DecodeFrame makes of the same bytes.
			var want Frame
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
					wantErr = ErrFrameTooLarge
				case len(rest)-4 < n:
					wantErr = io.ErrUnexpectedEOF
				default:
					want, wantErr = DecodeFrame(rest[:4+n])
					rest = rest[4+n:]
				}
			}
			if err == nil {
				if wantErr != nil {
					t.Fatalf("frame %d: got %s, want error %v", i, frameSummary(got), wantErr)
				}
				if EncodedSize(&got) > 4+limit {
					t.Fatalf("frame %d: %d bytes, above the %d-byte limit", i, EncodedSize(&got), limit)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("frame %d:\n got %s\nwant %s", i, frameSummary(got), frameSummary(want))
				}
				continue
			}
			if !reflect.DeepEqual(got, Frame{}) {
				t.Fatalf("frame %d: Next returned %s with error %v", i, frameSummary(got), err)
			}
			switch {
			case wantErr == nil:
				t.Fatalf("frame %d: error %v, want %s", i, err, frameSummary(want))
			case wantErr == io.EOF || wantErr == io.ErrUnexpectedEOF:
				if err != wantErr {
					t.Fatalf("frame %d: error %v, want %v", i, err, wantErr)
				}
			case wantErr == ErrFrameTooLarge:
				if !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("frame %d: error %v, want ErrFrameTooLarge", i, err)
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
