package mesh

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// maxDataPayload is the largest payload a Data frame can carry.
const maxDataPayload = MaxFrameSize - headerSize - dataHeadSize

// sampleFrames returns valid frames of every type, with edge cases. Empty
// payloads and lists are nil, as DecodeFrame returns them.
func sampleFrames() []struct {
	name string
	f    Frame
} {
	v4 := AddrFrom(netip.MustParseAddrPort("192.168.1.20:7946"))
	v6 := AddrFrom(netip.MustParseAddrPort("[2001:db8::1]:65535"))
	peers255 := make([]PeerInfo, 255)
	for i := range peers255 {
		peers255[i] = PeerInfo{ID: NodeID(i + 1), Addr: v4.WithPort(uint16(i)), FreeIn: uint8(i)}
	}
	anns := make([]Announcement, 1000)
	for i := range anns {
		anns[i] = Announcement{ID: MsgID{Origin: NodeID(i%7 + 1), Seq: uint64(i) << 40}, Hops: uint16(i)}
	}
	maxPayload := bytes.Repeat([]byte{0xA5}, maxDataPayload)
	hello := Hello{ID: 0x0102030405060708, Instance: 0x1112131415161718, Port: 7946, Load: Load{In: 3, Out: 5, FreeIn: 2}, Flags: HelloNeedy}
	maxHello := Hello{ID: ^NodeID(0), Instance: ^uint64(0), Port: 65535, Load: Load{255, 255, 255}, Flags: 0xFF}
	return []struct {
		name string
		f    Frame
	}{
		{"hello", Frame{Type: FrameHello, Hello: hello}},
		{"hello-max", Frame{Type: FrameHello, Hello: maxHello}},
		{"hello-port0", Frame{Type: FrameHello, Hello: Hello{ID: 1}}},
		{"welcome", Frame{Type: FrameWelcome, Hello: hello}},
		{"hello-with-peers", Frame{Type: FrameHello, Hello: hello, Peers: []PeerInfo{{ID: 7, Addr: v4, FreeIn: 4, Place: PlaceOtherLAN}}}},
		{"welcome-with-255-peers", Frame{Type: FrameWelcome, Hello: maxHello, Peers: peers255}},
		{"reject", Frame{Type: FrameReject, Reason: ReasonFull}},
		{"reject-unknown-reason", Frame{Type: FrameReject, Reason: 200}},
		{"leave", Frame{Type: FrameLeave, Reason: ReasonLeaving}},
		{"ping", Frame{Type: FramePing, Load: Load{In: 1, Out: 2, FreeIn: 3}}},
		{"ping-zero", Frame{Type: FramePing}},
		{"data", Frame{Type: FrameData, Msg: Message{ID: MsgID{Origin: 42, Seq: 1<<32 | 7}, Hops: 3, Payload: []byte("hello, mesh")}}},
		{"data-empty", Frame{Type: FrameData, Msg: Message{ID: MsgID{Origin: 1, Seq: 1}}}},
		{"data-max-hops", Frame{Type: FrameData, Msg: Message{ID: MsgID{Origin: 9, Seq: 0}, Hops: 65535, Payload: []byte{0}}}},
		{"data-max-payload", Frame{Type: FrameData, Msg: Message{ID: MsgID{Origin: 5, Seq: 5}, Hops: 1, Payload: maxPayload}}},
		{"peers-empty", Frame{Type: FramePeers}},
		{"peers", Frame{Type: FramePeers, Peers: []PeerInfo{{ID: 7, Addr: v4, FreeIn: 4}, {ID: 8, Addr: v6}, {ID: 9}}}},
		{"peers-255", Frame{Type: FramePeers, Peers: peers255}},
		{"ihave-empty", Frame{Type: FrameIHave}},
		{"ihave", Frame{Type: FrameIHave, IHave: []Announcement{{ID: MsgID{Origin: 1, Seq: 2}, Hops: 3}, {ID: MsgID{Origin: 3, Seq: 4}, Hops: 65535}}}},
		{"ihave-1000", Frame{Type: FrameIHave, IHave: anns}},
		{"graft", Frame{Type: FrameGraft, IDs: []MsgID{{Origin: ^NodeID(0), Seq: ^uint64(0)}}}},
		{"graft-rejoin-only", Frame{Type: FrameGraft}},
		{"prune", Frame{Type: FramePrune}},
		{"prune-origin", Frame{Type: FramePrune, IDs: []MsgID{{Origin: ^NodeID(0)}}}},
		{"position", Frame{Type: FramePosition, Pos: Position{Root: 0x0102030405060708, Round: 7, Rank: 3}, Load: Load{In: 4, Out: 5, FreeIn: 1}}},
		{"position-cut-off", Frame{Type: FramePosition, Pos: Position{Root: ^NodeID(0), Round: ^uint32(0), Rank: RankNone}}},
		{"position-survey", Frame{Type: FramePosition, Pos: Position{Root: 9, Round: 7, Rank: 2}, Load: Load{In: 1}, Survey: Survey{Cand: 5, Dist: 3, Done: true, Height: 6, CandHeight: 5, Far: 1 << 31, CandFar: ^uint32(0)}}},
		{"position-survey-unknown", Frame{Type: FramePosition, Pos: Position{Root: 9, Round: 7, Rank: RankNone}, Survey: Survey{Cand: ^NodeID(0), Dist: RankNone, CandHeight: RankNone}}},
		{"position-survey-no-report", Frame{Type: FramePosition, Pos: Position{Root: 9, Round: 7, Rank: 3}, Survey: Survey{Cand: 5, Dist: RankNone}}},
		{"round-request", Frame{Type: FrameRoundRequest, Pos: Position{Root: 42, Round: 1 << 31}}},
	}
}

func mustAppendFrame(t testing.TB, f *Frame) []byte {
	t.Helper()
	b, err := AppendFrame(nil, f)
	if err != nil {
		t.Fatalf("AppendFrame(%v): %v", f.Type, err)
	}
	return b
}

func TestFrameRoundTrip(t *testing.T) {
	for _, tc := range sampleFrames() {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("keep")
			b, err := AppendFrame(prefix, &tc.f)
			if err != nil {
				t.Fatalf("AppendFrame: %v", err)
			}
			if !bytes.Equal(b[:len(prefix)], []byte("keep")) {
				t.Fatalf("AppendFrame clobbered dst")
			}
			b = b[len(prefix):]
			if got, want := len(b), EncodedSize(&tc.f); got != want {
				t.Fatalf("AppendFrame wrote %d bytes, EncodedSize says %d", got, want)
			}
			if n := binary.BigEndian.Uint32(b); int(n) != len(b)-4 {
				t.Fatalf("length prefix %d, frame has %d bytes after it", n, len(b)-4)
			}
			got, err := DecodeFrame(b)
			if err != nil {
				t.Fatalf("DecodeFrame: %v", err)
			}
			if !reflect.DeepEqual(got, tc.f) {
				t.Fatalf("round trip changed the frame:\n got %+v\nwant %+v", frameSummary(got), frameSummary(tc.f))
			}
			// The decoded frame must not alias the input buffer.
			clear(b)
			if !reflect.DeepEqual(got, tc.f) {
				t.Fatalf("decoded frame aliases the input buffer")
			}
		})
	}
}

// frameSummary keeps failure messages readable when frames carry big slices.
func frameSummary(f Frame) string {
	return fmt.Sprintf("{%v hello=%+v reason=%v load=%+v msg=%v/%d/%dB peers=%d ids=%d pos=%+v}",
		f.Type, f.Hello, f.Reason, f.Load, f.Msg.ID, f.Msg.Hops, len(f.Msg.Payload), len(f.Peers), len(f.IHave)+len(f.IDs), f.Pos)
}

// TestFrameGolden pins the wire format byte by byte.
func TestFrameGolden(t *testing.T) {
	v4 := AddrFrom(netip.MustParseAddrPort("10.0.0.1:258"))
	tests := []struct {
		f    Frame
		want string
	}{
		{Frame{Type: FrameHello, Hello: Hello{ID: 0x0102030405060708, Instance: 0x1112131415161718, Port: 0x1f0a, Load: Load{3, 5, 2}, Flags: HelloNeedy, LAN: 0x0a0b0c0d}},
			"00000021" + "04" + "01" + "5032504d" + "0102030405060708" + "1112131415161718" + "1f0a" + "030502" + "01" + "0a0b0c0d" + "00"},
		{Frame{Type: FrameWelcome, Hello: Hello{ID: 1}},
			"00000021" + "04" + "02" + "5032504d" + "0000000000000001" + "0000000000000000" + "0000" + "000000" + "00" + "00000000" + "00"},
		{Frame{Type: FrameWelcome, Hello: Hello{ID: 1, LAN: 0x01020304}, Peers: []PeerInfo{{ID: 2, Addr: v4, FreeIn: 4, Place: PlaceSameLAN}}},
			"0000003d" + "04" + "02" + "5032504d" + "0000000000000001" + "0000000000000000" + "0000" + "000000" + "00" + "01020304" +
				"01" + "0000000000000002" + "00000000000000000000ffff0a000001" + "0102" + "04" + "01"},
		{Frame{Type: FrameReject, Reason: ReasonDuplicate}, "00000003" + "04" + "03" + "02"},
		{Frame{Type: FramePing, Load: Load{1, 2, 3}}, "00000005" + "04" + "04" + "010203"},
		{Frame{Type: FrameData, Msg: Message{ID: MsgID{Origin: 0xAB, Seq: 0xCD}, Hops: 0x0102, Payload: []byte("hi")}},
			"0000001a" + "04" + "05" + "00000000000000ab" + "00000000000000cd" + "0102" + "00000002" + "6869"},
		{Frame{Type: FramePeers, LAN: 0x01020304, Peers: []PeerInfo{{ID: 2, Addr: v4, FreeIn: 4, Place: PlaceOtherLAN}}},
			"00000023" + "04" + "06" + "01020304" + "01" + "0000000000000002" + "00000000000000000000ffff0a000001" + "0102" + "04" + "02"},
		{Frame{Type: FrameLeave, Reason: ReasonLeaving}, "00000003" + "04" + "07" + "04"},
		{Frame{Type: FrameIHave, IHave: []Announcement{{ID: MsgID{1, 2}, Hops: 1}}},
			"00000016" + "04" + "08" + "0001" + "0000000000000001" + "0000000000000002" + "0001"},
		{Frame{Type: FrameGraft, IDs: []MsgID{{3, 4}}},
			"00000013" + "04" + "09" + "01" + "0000000000000003" + "0000000000000004"},
		{Frame{Type: FramePrune}, "00000002" + "04" + "0a"},
		{Frame{Type: FramePrune, IDs: []MsgID{{Origin: 0xAB}}}, "0000000a" + "04" + "0a" + "00000000000000ab"},
		{Frame{Type: FramePosition, Pos: Position{Root: 0xAB, Round: 0x01020304, Rank: 5}, Load: Load{1, 2, 3}},
			"00000013" + "04" + "0b" + "00000000000000ab" + "01020304" + "0005" + "010203"},
		{Frame{Type: FramePosition, Pos: Position{Root: 0xAB, Round: 0x01020304, Rank: 5}, Load: Load{1, 2, 3}, Survey: Survey{Cand: 0xCD, Dist: 2, Done: true, Height: 7, CandHeight: 6, Far: 0x0a0b0c0d, CandFar: 0x01020304}},
			"0000002a" + "04" + "0b" + "00000000000000ab" + "01020304" + "0005" + "010203" +
				"00000000000000cd" + "0002" + "01" + "0007" + "0006" + "0a0b0c0d" + "01020304"},
		{Frame{Type: FramePosition, Pos: Position{Root: 0xAB, Round: 0x01020304, Rank: 5}, Load: Load{1, 2, 3}, Survey: Survey{Cand: 0xCD, Dist: 2}},
			"0000001d" + "04" + "0b" + "00000000000000ab" + "01020304" + "0005" + "010203" + "00000000000000cd" + "0002"},
		{Frame{Type: FrameRoundRequest, Pos: Position{Root: 0xAB, Round: 0x01020304}},
			"0000000e" + "04" + "0c" + "00000000000000ab" + "01020304"},
	}
	for _, tc := range tests {
		got := hex.EncodeToString(mustAppendFrame(t, &tc.f))
		if got != tc.want {
			t.Errorf("%v frame:\n got %s\nwant %s", tc.f.Type, got, tc.want)
		}
	}
}

func TestEncodedSize(t *testing.T) {
	for _, tc := range sampleFrames() {
		if got, want := EncodedSize(&tc.f), len(mustAppendFrame(t, &tc.f)); got != want {
			t.Errorf("%s: EncodedSize = %d, AppendFrame wrote %d", tc.name, got, want)
		}
	}
	if got := EncodedSize(&Frame{Type: 99}); got != 0 {
		t.Errorf("EncodedSize of an unknown type = %d, want 0", got)
	}
	f := sampleFrames()[0].f
	if a := testing.AllocsPerRun(100, func() { EncodedSize(&f) }); a != 0 {
		t.Errorf("EncodedSize allocates %v times", a)
	}
}

func TestAppendFrameNoAlloc(t *testing.T) {
	for _, tc := range sampleFrames() {
		buf := make([]byte, 0, EncodedSize(&tc.f))
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := AppendFrame(buf, &tc.f); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: AppendFrame into a big enough buffer allocates %v times", tc.name, allocs)
		}
	}
}

func TestAppendFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		err  error
	}{
		{"unknown-type-0", Frame{}, ErrInvalidFrame},
		{"unknown-type-13", Frame{Type: 13}, ErrInvalidFrame},
		{"position-zero-root", Frame{Type: FramePosition, Pos: Position{Round: 1}}, ErrInvalidFrame},
		{"round-request-zero-root", Frame{Type: FrameRoundRequest, Pos: Position{Round: 1}}, ErrInvalidFrame},
		{"survey-without-candidate", Frame{Type: FramePosition, Pos: Position{Root: 1}, Survey: Survey{Dist: 3}}, ErrInvalidFrame},
		{"round-request-with-survey", Frame{Type: FrameRoundRequest, Pos: Position{Root: 1}, Survey: Survey{Cand: 2}}, ErrInvalidFrame},
		{"hello-zero-id", Frame{Type: FrameHello}, ErrInvalidFrame},
		{"welcome-zero-id", Frame{Type: FrameWelcome, Hello: Hello{Port: 1}}, ErrInvalidFrame},
		{"256-peers", Frame{Type: FramePeers, Peers: make([]PeerInfo, 256)}, ErrInvalidFrame},
		{"peer-zero-id", Frame{Type: FramePeers, Peers: []PeerInfo{{ID: 1}, {ID: 0}}}, ErrInvalidFrame},
		{"65536-announcements", Frame{Type: FrameIHave, IHave: make([]Announcement, 65536)}, ErrInvalidFrame},
		{"graft-two-ids", Frame{Type: FrameGraft, IDs: make([]MsgID, 2)}, ErrInvalidFrame},
		{"prune-zero-origin", Frame{Type: FramePrune, IDs: make([]MsgID, 1)}, ErrInvalidFrame},
		{"prune-message", Frame{Type: FramePrune, IDs: []MsgID{{Origin: 1, Seq: 1}}}, ErrInvalidFrame},
		{"prune-two-origins", Frame{Type: FramePrune, IDs: []MsgID{{Origin: 1}, {Origin: 2}}}, ErrInvalidFrame},
		{"payload-one-too-many", Frame{Type: FrameData, Msg: Message{Payload: make([]byte, maxDataPayload+1)}}, ErrFrameTooLarge},
		{"payload-huge", Frame{Type: FrameData, Msg: Message{Payload: make([]byte, 3*MaxFrameSize)}}, ErrFrameTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("dst")
			b, err := AppendFrame(dst, &tc.f)
			if !errors.Is(err, tc.err) {
				t.Fatalf("AppendFrame error %v, want %v", err, tc.err)
			}
			if !bytes.Equal(b, []byte("dst")) {
				t.Fatalf("AppendFrame changed dst on error: %q", b)
			}
		})
	}
}

// rawFrame builds a frame with a correct length prefix around version, type and
// body parts.
func rawFrame(version byte, t FrameType, parts ...[]byte) []byte {
	body := append([]byte{version, byte(t)}, bytes.Join(parts, nil)...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// survey is the survey part of a Position frame with a report: candidate
// cand, distance 1, flag done, the rest zero.
func survey(cand uint64, done byte) []byte {
	b := append(be64(cand), 0, 1, done)
	return append(b, make([]byte, surveySize+reportSize-len(b))...)
}

func TestDecodeFrameMalformed(t *testing.T) {
	helloBody := func(magic string, id uint64) []byte {
		return bytes.Join([][]byte{[]byte(magic), be64(id), be64(9), be16(80), {1, 2, 3}, {0}, be32(5), {0}}, nil)
	}
	entry := func(id uint64) []byte {
		return bytes.Join([][]byte{be64(id), make([]byte, 16), be16(1), {0}, {byte(PlaceSameLAN)}}, nil)
	}
	mid := func(o, s uint64) []byte { return append(be64(o), be64(s)...) }
	dataHead := func(n uint32) []byte { return bytes.Join([][]byte{mid(1, 1), be16(0), be32(n)}, nil) }
	valid := rawFrame(ProtocolVersion, FramePing, []byte{1, 2, 3})

	tests := []struct {
		name string
		in   []byte
		err  error
		msg  string // a substring of the error text
	}{
		{"empty", nil, ErrMalformed, "truncated length prefix"},
		{"short-prefix", []byte{0, 0, 0}, ErrMalformed, "truncated length prefix"},
		{"gigabytes", be32(0xC0000000), ErrFrameTooLarge, "frame of 3221225472 bytes exceeds the 1048576-byte limit"},
		{"one-over-max", append(be32(MaxFrameSize+1), make([]byte, 16)...), ErrFrameTooLarge, "exceeds"},
		{"max-u32", be32(0xFFFFFFFF), ErrFrameTooLarge, "exceeds"},
		{"truncated-frame", valid[:len(valid)-1], ErrMalformed, "truncated frame"},
		{"prefix-only", valid[:4], ErrMalformed, "truncated frame"},
		{"trailing-after-frame", append(bytes.Clone(valid), 0), ErrMalformed, "1 trailing bytes"},
		{"two-frames", append(bytes.Clone(valid), valid...), ErrMalformed, "trailing"},
		{"zero-length", be32(0), ErrMalformed, "header"},
		{"version-only", append(be32(1), 1), ErrMalformed, "header"},
		{"version-0", rawFrame(0, FramePing, []byte{1, 2, 3}), ErrVersion, "protocol version 0, want 4"},
		{"version-1", rawFrame(1, FramePrune), ErrVersion, "protocol version 1, want 4"},
		{"version-2", rawFrame(2, FramePrune), ErrVersion, "protocol version 2, want 4"},
		{"version-3", rawFrame(3, FramePrune), ErrVersion, "protocol version 3, want 4"},
		{"version-5", rawFrame(5, FramePrune), ErrVersion, "protocol version 5"},
		{"version-255", rawFrame(255, 0), ErrVersion, "version 255"},
		{"type-0", rawFrame(ProtocolVersion, 0), ErrMalformed, "unknown frame type 0"},
		{"type-13", rawFrame(ProtocolVersion, 13), ErrMalformed, "unknown frame type 13"},
		{"type-255", rawFrame(ProtocolVersion, 255, []byte{1, 2, 3}), ErrMalformed, "unknown frame type 255"},
		{"hello-empty", rawFrame(ProtocolVersion, FrameHello), ErrMalformed, "truncated hello"},
		{"hello-truncated", rawFrame(ProtocolVersion, FrameHello, helloBody(HandshakeMagic, 1)[:helloBodySize-1]), ErrMalformed, "truncated hello"},
		{"hello-without-count", rawFrame(ProtocolVersion, FrameHello, helloBody(HandshakeMagic, 1)[:helloBodySize]), ErrMalformed, "truncated hello"},
		{"hello-count-beyond-frame", rawFrame(ProtocolVersion, FrameHello, helloBody(HandshakeMagic, 1)[:helloBodySize], []byte{2}, entry(1)), ErrMalformed, "truncated hello"},
		{"welcome-partial-entry", rawFrame(ProtocolVersion, FrameWelcome, helloBody(HandshakeMagic, 1)[:helloBodySize], []byte{1}, entry(1)[:peerEntrySize-1]), ErrMalformed, "truncated welcome"},
		{"welcome-trailing-after-entry", rawFrame(ProtocolVersion, FrameWelcome, helloBody(HandshakeMagic, 1)[:helloBodySize], []byte{1}, entry(1), []byte{0}), ErrMalformed, "trailing"},
		{"welcome-entry-zero-id", rawFrame(ProtocolVersion, FrameWelcome, helloBody(HandshakeMagic, 1)[:helloBodySize], []byte{1}, entry(0)), ErrMalformed, "welcome frame entry 0 has zero node id"},
		{"hello-trailing", rawFrame(ProtocolVersion, FrameHello, helloBody(HandshakeMagic, 1), []byte{0}), ErrMalformed, "trailing"},
		{"hello-bad-magic", rawFrame(ProtocolVersion, FrameHello, helloBody("HTTP", 1)), ErrMagic, `"HTTP"`},
		{"hello-beacon-magic", rawFrame(ProtocolVersion, FrameHello, helloBody(BeaconMagic, 1)), ErrMagic, "want"},
		{"hello-zero-id", rawFrame(ProtocolVersion, FrameHello, helloBody(HandshakeMagic, 0)), ErrMalformed, "zero node id"},
		{"welcome-zero-id", rawFrame(ProtocolVersion, FrameWelcome, helloBody(HandshakeMagic, 0)), ErrMalformed, "welcome frame with zero node id"},
		{"welcome-bad-magic", rawFrame(ProtocolVersion, FrameWelcome, helloBody("p2pm", 7)), ErrMagic, "welcome"},
		{"reject-empty", rawFrame(ProtocolVersion, FrameReject), ErrMalformed, "truncated reject"},
		{"reject-trailing", rawFrame(ProtocolVersion, FrameReject, []byte{1, 2}), ErrMalformed, "trailing"},
		{"leave-empty", rawFrame(ProtocolVersion, FrameLeave), ErrMalformed, "truncated leave"},
		{"ping-truncated", rawFrame(ProtocolVersion, FramePing, []byte{1, 2}), ErrMalformed, "truncated ping"},
		{"ping-trailing", rawFrame(ProtocolVersion, FramePing, []byte{1, 2, 3, 4}), ErrMalformed, "trailing"},
		{"data-empty", rawFrame(ProtocolVersion, FrameData), ErrMalformed, "truncated data"},
		{"data-head-truncated", rawFrame(ProtocolVersion, FrameData, dataHead(0)[:dataHeadSize-1]), ErrMalformed, "truncated data"},
		{"data-payload-truncated", rawFrame(ProtocolVersion, FrameData, dataHead(5), []byte("abcd")), ErrMalformed, "truncated data"},
		{"data-payload-trailing", rawFrame(ProtocolVersion, FrameData, dataHead(3), []byte("abcd")), ErrMalformed, "trailing"},
		{"data-length-beyond-frame", rawFrame(ProtocolVersion, FrameData, dataHead(MaxFrameSize)), ErrMalformed, "truncated data"},
		{"data-length-over-max", rawFrame(ProtocolVersion, FrameData, dataHead(MaxFrameSize+1), []byte("x")), ErrFrameTooLarge, "payload of 1048577 bytes"},
		{"data-length-4g", rawFrame(ProtocolVersion, FrameData, dataHead(0xFFFFFFFF)), ErrFrameTooLarge, "payload"},
		{"peers-empty-body", rawFrame(ProtocolVersion, FramePeers), ErrMalformed, "truncated peers"},
		{"peers-count-beyond-frame", rawFrame(ProtocolVersion, FramePeers, be32(7), []byte{2}, entry(1)), ErrMalformed, "truncated peers"},
		{"peers-255-claimed-none-sent", rawFrame(ProtocolVersion, FramePeers, be32(7), []byte{255}), ErrMalformed, "truncated peers"},
		{"peers-partial-entry", rawFrame(ProtocolVersion, FramePeers, be32(7), []byte{1}, entry(1)[:peerEntrySize-1]), ErrMalformed, "truncated"},
		{"peers-trailing", rawFrame(ProtocolVersion, FramePeers, be32(7), []byte{1}, entry(1), []byte{0}), ErrMalformed, "trailing"},
		{"peers-zero-id", rawFrame(ProtocolVersion, FramePeers, be32(7), []byte{2}, entry(1), entry(0)), ErrMalformed, "entry 1 has zero node id"},
		{"ihave-empty-body", rawFrame(ProtocolVersion, FrameIHave), ErrMalformed, "truncated ihave"},
		{"ihave-half-count", rawFrame(ProtocolVersion, FrameIHave, []byte{0}), ErrMalformed, "truncated ihave"},
		{"ihave-count-beyond-frame", rawFrame(ProtocolVersion, FrameIHave, be16(2), mid(1, 1)), ErrMalformed, "truncated"},
		{"ihave-65535-claimed", rawFrame(ProtocolVersion, FrameIHave, be16(65535), mid(1, 1)), ErrMalformed, "truncated"},
		{"ihave-trailing", rawFrame(ProtocolVersion, FrameIHave, be16(1), mid(1, 1), be16(1), []byte{0}), ErrMalformed, "trailing"},
		{"graft-empty", rawFrame(ProtocolVersion, FrameGraft), ErrMalformed, "truncated graft"},
		{"graft-truncated", rawFrame(ProtocolVersion, FrameGraft, []byte{1}, mid(1, 1)[:15]), ErrMalformed, "truncated graft"},
		{"graft-two-ids", rawFrame(ProtocolVersion, FrameGraft, []byte{2}, mid(1, 1), mid(2, 2)), ErrMalformed, "at most 1"},
		{"graft-trailing", rawFrame(ProtocolVersion, FrameGraft, []byte{1}, mid(1, 1), []byte{9}), ErrMalformed, "trailing"},
		{"prune-truncated", rawFrame(ProtocolVersion, FramePrune, []byte{0}), ErrMalformed, "truncated prune frame: 1 of 8 bytes"},
		{"prune-trailing", rawFrame(ProtocolVersion, FramePrune, be64(1), []byte{0}), ErrMalformed, "prune frame has 1 trailing bytes"},
		{"prune-zero-origin", rawFrame(ProtocolVersion, FramePrune, be64(0)), ErrMalformed, "zero origin"},
		{"position-empty", rawFrame(ProtocolVersion, FramePosition), ErrMalformed, "truncated position"},
		{"position-truncated", rawFrame(ProtocolVersion, FramePosition, be64(1), be32(1), be16(1), []byte{1, 2}), ErrMalformed, "truncated position"},
		{"position-survey-truncated", rawFrame(ProtocolVersion, FramePosition, be64(1), be32(1), be16(1), []byte{1, 2, 3, 4}), ErrMalformed, "truncated position frame: 18 of 27 bytes"},
		{"position-trailing", rawFrame(ProtocolVersion, FramePosition, be64(1), be32(1), be16(1), []byte{1, 2, 3}, survey(2, 0), []byte{0}), ErrMalformed, "trailing"},
		{"position-survey-zero-candidate", rawFrame(ProtocolVersion, FramePosition, be64(1), be32(1), be16(1), []byte{1, 2, 3}, survey(0, 0)), ErrMalformed, "survey of no candidate"},
		{"position-survey-flag-2", rawFrame(ProtocolVersion, FramePosition, be64(1), be32(1), be16(1), []byte{1, 2, 3}, survey(2, 2)), ErrMalformed, "survey flag 2"},
		{"position-survey-empty-report", rawFrame(ProtocolVersion, FramePosition, be64(1), be32(1), be16(1), []byte{1, 2, 3}, survey(2, 0)), ErrMalformed, "empty survey report"},
		{"position-short-survey-zero-candidate", rawFrame(ProtocolVersion, FramePosition, be64(1), be32(1), be16(1), []byte{1, 2, 3}, be64(0), be16(1)), ErrMalformed, "survey of no candidate"},
		{"position-survey-report-truncated", rawFrame(ProtocolVersion, FramePosition, be64(1), be32(1), be16(1), []byte{1, 2, 3}, be64(2), be16(1), []byte{1}), ErrMalformed, "truncated"},
		{"position-zero-root", rawFrame(ProtocolVersion, FramePosition, be64(0), be32(1), be16(1), []byte{1, 2, 3}), ErrMalformed, "zero root"},
		{"round-request-truncated", rawFrame(ProtocolVersion, FrameRoundRequest, be64(1), be16(1)), ErrMalformed, "truncated round-request"},
		{"round-request-trailing", rawFrame(ProtocolVersion, FrameRoundRequest, be64(1), be32(1), []byte{0}), ErrMalformed, "trailing"},
		{"round-request-zero-root", rawFrame(ProtocolVersion, FrameRoundRequest, be64(0), be32(1)), ErrMalformed, "zero root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := DecodeFrame(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("DecodeFrame(%x) = %+v, %v; want error %v", tc.in, frameSummary(f), err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if !reflect.DeepEqual(f, Frame{}) {
				t.Errorf("DecodeFrame returned %+v with its error", frameSummary(f))
			}
		})
	}
}

func TestDecodeFrameErrorText(t *testing.T) {
	_, err := DecodeFrame([]byte{0xC0, 0, 0, 0})
	if got, want := fmt.Sprint(err), "mesh: frame of 3221225472 bytes exceeds the 1048576-byte limit"; got != want {
		t.Errorf("error text %q, want %q", got, want)
	}
}

func TestDecodeFrameMaxPayload(t *testing.T) {
	f := Frame{Type: FrameData, Msg: Message{ID: MsgID{1, 1}, Payload: make([]byte, maxDataPayload)}}
	b := mustAppendFrame(t, &f)
	if len(b) != lenPrefixSize+MaxFrameSize {
		t.Fatalf("largest data frame has %d bytes, want %d", len(b), lenPrefixSize+MaxFrameSize)
	}
	if _, err := DecodeFrame(b); err != nil {
		t.Fatalf("DecodeFrame of the largest data frame: %v", err)
	}
}

func benchDataFrame() Frame {
	return Frame{Type: FrameData, Msg: Message{ID: MsgID{Origin: 42, Seq: 1 << 40}, Hops: 3, Payload: make([]byte, 1024)}}
}

func BenchmarkAppendFrameData(b *testing.B) {
	f := benchDataFrame()
	buf := make([]byte, 0, EncodedSize(&f))
	b.ReportAllocs()
	b.SetBytes(int64(EncodedSize(&f)))
	for b.Loop() {
		var err error
		if buf, err = AppendFrame(buf[:0], &f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrameData(b *testing.B) {
	f := benchDataFrame()
	enc := mustAppendFrame(b, &f)
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := DecodeFrame(enc); err != nil {
			b.Fatal(err)
		}
	}
}
