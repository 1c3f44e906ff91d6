package mesh

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
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
