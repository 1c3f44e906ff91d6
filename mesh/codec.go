package mesh

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The wire format of frames on a link. Every frame is
//
//	[u32 length N of what follows][u8 version][u8 frame type][body]
//
// with all integers big-endian and fixed width. Bodies by type:
//
//	Hello, Welcome  magic "P2PM", ID u64, Instance u64, Port u16,
//	                Load (In u8, Out u8, FreeIn u8), Flags u8, LAN u32,
//	                count u8, then count peer entries as in Peers (the
//	                sender's peer exchange, which rides on the handshake)
//	Reject, Leave   Reason u8
//	Ping            Load (In u8, Out u8, FreeIn u8)
//	Data            Origin u64, Seq u64, Hops u16, payload length u32, payload
//	Peers           LAN u32, count u8, then per entry ID u64, IP [16]byte,
//	                Port u16, FreeIn u8, Place u8
//	IHave           count u16, then per entry Origin u64, Seq u64, Hops u16
//	Graft           count u8 (0 or 1), then Origin u64, Seq u64 per id
//	Prune           empty, or Origin u64 (that origin's payloads only)
//	Position        Root u64, Round u32, Rank u16, Load (In u8, Out u8, FreeIn u8),
//	                then, while the root surveys a candidate (treecentre.go),
//	                Cand u64 (non-zero), Dist u16, and, when the sender's
//	                subtree has figures to report (to its parent: not all of
//	                the five are zero), Done u8 (0 or 1), Height u16,
//	                CandHeight u16, Far u32, CandFar u32
//	RoundRequest    Root u64, Round u32
//
// The encoding is canonical: a frame has exactly one encoding, and decoding
// rejects anything else (trailing bytes, counts that disagree with the length).

const (
	// ProtocolVersion is the version byte of frames and beacons. Peers that
	// speak another version are rejected. Version 2 added LAN tags to
	// beacons, Hellos and peer exchanges and an optional sender to Prune;
	// version 3 a peer exchange to Hello and Welcome; version 4 the survey
	// of a candidate root to Position (treecentre.go).
	ProtocolVersion = 4
	// MaxFrameSize bounds the length prefix of a frame: the bytes after the
	// prefix (version, type and body), never more than 1 MiB.
	MaxFrameSize = 1 << 20
	// HandshakeMagic starts the body of Hello and Welcome frames, so that a
	// connection to something that is not a mesh node fails at once.
	HandshakeMagic = "P2PM"
)

// Sentinel errors of the codec. Decoding and encoding errors wrap one of
// them, so callers can test with errors.Is; the error text says what exactly
// was wrong.
var (
	// ErrFrameTooLarge reports a length (of a frame or of a payload) above
	// the limit.
	ErrFrameTooLarge = errors.New("mesh: frame too large")
	// ErrVersion reports a peer that speaks another protocol version.
	ErrVersion = errors.New("mesh: unsupported protocol version")
	// ErrMagic reports bytes that are not a mesh handshake or beacon at all.
	ErrMagic = errors.New("mesh: bad magic")
	// ErrMalformed reports bytes that do not decode: truncated, trailing
	// bytes, an unknown frame type, an invalid field.
	ErrMalformed = errors.New("mesh: malformed frame")
	// ErrInvalidFrame reports a frame that AppendFrame cannot encode: an
	// unknown type, a zero node id, too many entries, a wrong number of ids.
	ErrInvalidFrame = errors.New("mesh: frame cannot be encoded")
)

// codecError is a detailed message that unwraps to one sentinel.
type codecError struct {
	kind error
	msg  string
}

func (e *codecError) Error() string { return e.msg }
func (e *codecError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &codecError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Sizes of the fixed parts of the format.
const (
	lenPrefixSize = 4
	headerSize    = 2 // version and type
	helloBodySize = len(HandshakeMagic) + 8 + 8 + 2 + loadSize + 1 + 4
	loadSize      = 3
	msgIDSize     = 16
	originSize    = 8 // a node id: Prune's origin
	annSize       = msgIDSize + 2
	dataHeadSize  = msgIDSize + 2 + 4
	peerEntrySize = 8 + 16 + 2 + 1 + 1
	peersHeadSize = 4 + 1 // LAN, count
	positionSize  = 8 + 4 + 2 + loadSize
	roundReqSize  = 8 + 4
	surveySize    = 8 + 2             // a survey's candidate and distance
	reportSize    = 1 + 2 + 2 + 4 + 4 // and its subtree's figures (Survey.reports)
	maxPeers      = 255
	maxIHave      = 65535
)

// bodySize is the size of f's body, not validated.
func bodySize(f *Frame) int {
	switch f.Type {
	case FrameHello, FrameWelcome:
		return helloBodySize + 1 + peerEntrySize*len(f.Peers)
	case FrameReject, FrameLeave:
		return 1
	case FramePing:
		return loadSize
	case FrameData:
		return dataHeadSize + len(f.Msg.Payload)
	case FramePeers:
		return peersHeadSize + peerEntrySize*len(f.Peers)
	case FrameIHave:
		return 2 + annSize*len(f.IHave)
	case FrameGraft:
		return 1 + msgIDSize*len(f.IDs)
	case FramePrune:
		return originSize * len(f.IDs)
	case FramePosition:
		switch {
		case f.Survey.reports():
			return positionSize + surveySize + reportSize
		case f.Survey.Cand != 0:
			return positionSize + surveySize
		}
		return positionSize
	case FrameRoundRequest:
		return roundReqSize
	}
	return -1
}

// EncodedSize returns the number of bytes AppendFrame produces for f,
// including the length prefix, without encoding or allocating. It does not
// validate f: for a frame AppendFrame rejects, the result is only the size
// the frame would have if it were valid, and 0 for an unknown type.
func EncodedSize(f *Frame) int {
	n := bodySize(f)
	if n < 0 {
		return 0
	}
	return lenPrefixSize + headerSize + n
}

// checkEncodable reports why f cannot be encoded, or nil.
func checkEncodable(f *Frame) error {
	switch f.Type {
	case FrameHello, FrameWelcome:
		if f.Hello.ID == 0 {
			return errorf(ErrInvalidFrame, "mesh: %v frame with zero node id", f.Type)
		}
		if err := checkPeerEntries(f); err != nil {
			return err
		}
	case FrameData:
		if n := len(f.Msg.Payload); n > MaxFrameSize {
			return errorf(ErrFrameTooLarge, "mesh: data payload of %d bytes exceeds the %d-byte limit", n, MaxFrameSize)
		}
	case FramePeers:
		if err := checkPeerEntries(f); err != nil {
			return err
		}
	case FrameIHave:
		if len(f.IHave) > maxIHave {
			return errorf(ErrInvalidFrame, "mesh: ihave frame with %d announcements, at most %d fit", len(f.IHave), maxIHave)
		}
	case FrameGraft:
		if len(f.IDs) > 1 {
			return errorf(ErrInvalidFrame, "mesh: graft frame with %d ids, at most 1", len(f.IDs))
		}
	case FramePrune:
		if len(f.IDs) > 1 || len(f.IDs) == 1 && (f.IDs[0].Seq != 0 || f.IDs[0].Origin == 0) {
			return errorf(ErrInvalidFrame, "mesh: prune frame with ids %v, want none or one origin (sequence 0)", f.IDs)
		}
	case FramePosition, FrameRoundRequest:
		if f.Pos.Root == 0 {
			return errorf(ErrInvalidFrame, "mesh: %v frame with zero root", f.Type)
		}
		if f.Survey.Cand == 0 && f.Survey != (Survey{}) {
			return errorf(ErrInvalidFrame, "mesh: %v frame with a survey of no candidate", f.Type)
		}
		if f.Type == FrameRoundRequest && f.Survey.Cand != 0 {
			return errorf(ErrInvalidFrame, "mesh: round-request frame with a survey")
		}
	case FrameReject, FrameLeave, FramePing:
	default:
		return errorf(ErrInvalidFrame, "mesh: cannot encode unknown frame type %d", uint8(f.Type))
	}
	if n := headerSize + bodySize(f); n > MaxFrameSize {
		return errorf(ErrFrameTooLarge, "mesh: %v frame of %d bytes exceeds the %d-byte limit", f.Type, n, MaxFrameSize)
	}
	return nil
}

// checkPeerEntries reports why the peer entries of f (Peers, Hello,
// Welcome) cannot be encoded, or nil.
func checkPeerEntries(f *Frame) error {
	if len(f.Peers) > maxPeers {
		return errorf(ErrInvalidFrame, "mesh: %v frame with %d peer entries, at most %d fit", f.Type, len(f.Peers), maxPeers)
	}
	for i := range f.Peers {
		if f.Peers[i].ID == 0 {
			return errorf(ErrInvalidFrame, "mesh: %v frame entry %d has zero node id", f.Type, i)
		}
		if f.Peers[i].Place > PlaceOtherLAN {
			return errorf(ErrInvalidFrame, "mesh: %v frame entry %d has place %d", f.Type, i, f.Peers[i].Place)
		}
	}
	return nil
}

// AppendFrame appends the encoding of f, length prefix included, to dst and
// returns the extended slice. Only the fields of f.Type are encoded. It does
// not allocate when dst has room for EncodedSize(f) more bytes. On error dst
// is returned unchanged; errors wrap ErrInvalidFrame or ErrFrameTooLarge.
func AppendFrame(dst []byte, f *Frame) ([]byte, error) {
	if err := checkEncodable(f); err != nil {
		return dst, err
	}
	n := headerSize + bodySize(f)
	b := slices.Grow(dst, lenPrefixSize+n)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, ProtocolVersion, byte(f.Type))
	switch f.Type {
	case FrameHello, FrameWelcome:
		b = appendHello(b, &f.Hello)
		b = appendPeerEntries(b, f.Peers)
	case FrameReject, FrameLeave:
		b = append(b, byte(f.Reason))
	case FramePing:
		b = appendLoad(b, f.Load)
	case FrameData:
		b = appendMsgID(b, f.Msg.ID)
		b = binary.BigEndian.AppendUint16(b, f.Msg.Hops)
		b = binary.BigEndian.AppendUint32(b, uint32(len(f.Msg.Payload)))
		b = append(b, f.Msg.Payload...)
	case FramePeers:
		b = binary.BigEndian.AppendUint32(b, uint32(f.LAN))
		b = appendPeerEntries(b, f.Peers)
	case FrameIHave:
		b = binary.BigEndian.AppendUint16(b, uint16(len(f.IHave)))
		for _, a := range f.IHave {
			b = appendMsgID(b, a.ID)
			b = binary.BigEndian.AppendUint16(b, a.Hops)
		}
	case FrameGraft:
		b = append(b, byte(len(f.IDs)))
		for _, id := range f.IDs {
			b = appendMsgID(b, id)
		}
	case FramePrune:
		for _, id := range f.IDs {
			b = binary.BigEndian.AppendUint64(b, uint64(id.Origin))
		}
	case FramePosition:
		b = binary.BigEndian.AppendUint64(b, uint64(f.Pos.Root))
		b = binary.BigEndian.AppendUint32(b, f.Pos.Round)
		b = binary.BigEndian.AppendUint16(b, f.Pos.Rank)
		b = appendLoad(b, f.Load)
		if v := f.Survey; v.Cand != 0 {
			b = binary.BigEndian.AppendUint64(b, uint64(v.Cand))
			b = binary.BigEndian.AppendUint16(b, v.Dist)
			if !v.reports() {
				break
			}
			done := byte(0)
			if v.Done {
				done = 1
			}
			b = append(b, done)
			b = binary.BigEndian.AppendUint16(b, v.Height)
			b = binary.BigEndian.AppendUint16(b, v.CandHeight)
			b = binary.BigEndian.AppendUint32(b, v.Far)
			b = binary.BigEndian.AppendUint32(b, v.CandFar)
		}
	case FrameRoundRequest:
		b = binary.BigEndian.AppendUint64(b, uint64(f.Pos.Root))
		b = binary.BigEndian.AppendUint32(b, f.Pos.Round)
	}
	return b, nil
}

func appendHello(b []byte, h *Hello) []byte {
	b = append(b, HandshakeMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.ID))
	b = binary.BigEndian.AppendUint64(b, h.Instance)
	b = binary.BigEndian.AppendUint16(b, h.Port)
	b = appendLoad(b, h.Load)
	b = append(b, byte(h.Flags))
	return binary.BigEndian.AppendUint32(b, uint32(h.LAN))
}

// appendPeerEntries appends a count u8 and the entries of peers.
func appendPeerEntries(b []byte, peers []PeerInfo) []byte {
	b = append(b, byte(len(peers)))
	for i := range peers {
		p := &peers[i]
		b = binary.BigEndian.AppendUint64(b, uint64(p.ID))
		b = append(b, p.Addr.IP[:]...)
		b = binary.BigEndian.AppendUint16(b, p.Addr.Port)
		b = append(b, p.FreeIn, byte(p.Place))
	}
	return b
}

func appendLoad(b []byte, l Load) []byte { return append(b, l.In, l.Out, l.FreeIn) }

func appendMsgID(b []byte, id MsgID) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(id.Origin))
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

// DecodeFrame decodes one whole frame, length prefix included. The decoded
// payload, peers and ids are copies: they never alias b, which the caller may
// reuse. Errors wrap ErrFrameTooLarge, ErrVersion, ErrMagic or ErrMalformed.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) < lenPrefixSize {
		return Frame{}, errorf(ErrMalformed, "mesh: truncated length prefix: %d of %d bytes", len(b), lenPrefixSize)
	}
	n := binary.BigEndian.Uint32(b)
	if n > MaxFrameSize {
		return Frame{}, errorf(ErrFrameTooLarge, "mesh: frame of %d bytes exceeds the %d-byte limit", n, MaxFrameSize)
	}
	if rest := len(b) - lenPrefixSize; rest != int(n) {
		if rest < int(n) {
			return Frame{}, errorf(ErrMalformed, "mesh: truncated frame: %d of %d bytes", rest, n)
		}
		return Frame{}, errorf(ErrMalformed, "mesh: %d trailing bytes after a %d-byte frame", rest-int(n), n)
	}
	return decodeFrameBody(b[lenPrefixSize:])
}

// decodeFrameBody decodes what follows the length prefix: version, type and
// body, exactly.
func decodeFrameBody(b []byte) (Frame, error) {
	if len(b) < headerSize {
		return Frame{}, errorf(ErrMalformed, "mesh: frame of %d bytes is shorter than its %d-byte header", len(b), headerSize)
	}
	if b[0] != ProtocolVersion {
		return Frame{}, errorf(ErrVersion, "mesh: protocol version %d, want %d", b[0], ProtocolVersion)
	}
	f := Frame{Type: FrameType(b[1])}
	body := b[headerSize:]
	switch f.Type {
	case FrameHello, FrameWelcome:
		if len(body) < helloBodySize+1 {
			return Frame{}, truncated(f.Type, len(body), helloBodySize+1)
		}
		if string(body[:len(HandshakeMagic)]) != HandshakeMagic {
			return Frame{}, errorf(ErrMagic, "mesh: %v frame starts with %q, want %q", f.Type, body[:len(HandshakeMagic)], HandshakeMagic)
		}
		body = body[len(HandshakeMagic):]
		f.Hello = Hello{
			ID:       NodeID(binary.BigEndian.Uint64(body)),
			Instance: binary.BigEndian.Uint64(body[8:]),
			Port:     binary.BigEndian.Uint16(body[16:]),
			Load:     decodeLoad(body[18:]),
			Flags:    HelloFlags(body[21]),
			LAN:      LANTag(binary.BigEndian.Uint32(body[22:])),
		}
		if f.Hello.ID == 0 {
			return Frame{}, errorf(ErrMalformed, "mesh: %v frame with zero node id", f.Type)
		}
		peers, err := decodePeerEntries(f.Type, body[helloBodySize-len(HandshakeMagic):])
		if err != nil {
			return Frame{}, err
		}
		f.Peers = peers
	case FrameReject, FrameLeave:
		if err := exactBody(f.Type, body, 1); err != nil {
			return Frame{}, err
		}
		f.Reason = Reason(body[0])
	case FramePing:
		if err := exactBody(f.Type, body, loadSize); err != nil {
			return Frame{}, err
		}
		f.Load = decodeLoad(body)
	case FrameData:
		if len(body) < dataHeadSize {
			return Frame{}, truncated(f.Type, len(body), dataHeadSize)
		}
		f.Msg.ID = decodeMsgID(body)
		f.Msg.Hops = binary.BigEndian.Uint16(body[msgIDSize:])
		n := binary.BigEndian.Uint32(body[msgIDSize+2:])
		if n > MaxFrameSize {
			return Frame{}, errorf(ErrFrameTooLarge, "mesh: data payload of %d bytes exceeds the %d-byte limit", n, MaxFrameSize)
		}
		payload := body[dataHeadSize:]
		if err := countedBody(f.Type, payload, int(n), 1, "payload bytes"); err != nil {
			return Frame{}, err
		}
		if n > 0 {
			f.Msg.Payload = slices.Clone(payload)
		}
	case FramePeers:
		if len(body) < peersHeadSize {
			return Frame{}, truncated(f.Type, len(body), peersHeadSize)
		}
		f.LAN = LANTag(binary.BigEndian.Uint32(body))
		peers, err := decodePeerEntries(f.Type, body[4:])
		if err != nil {
			return Frame{}, err
		}
		f.Peers = peers
	case FrameIHave:
		if len(body) < 2 {
			return Frame{}, truncated(f.Type, len(body), 2)
		}
		count := int(binary.BigEndian.Uint16(body))
		if err := countedBody(f.Type, body[2:], count, annSize, "announcements"); err != nil {
			return Frame{}, err
		}
		if count > 0 {
			f.IHave = make([]Announcement, count)
		}
		for i, e := 0, body[2:]; i < count; i, e = i+1, e[annSize:] {
			f.IHave[i] = Announcement{ID: decodeMsgID(e), Hops: binary.BigEndian.Uint16(e[msgIDSize:])}
		}
	case FrameGraft:
		if len(body) < 1 {
			return Frame{}, truncated(f.Type, len(body), 1)
		}
		count := int(body[0])
		if count > 1 {
			return Frame{}, errorf(ErrMalformed, "mesh: graft frame with %d ids, at most 1", count)
		}
		if err := countedBody(f.Type, body[1:], count, msgIDSize, "ids"); err != nil {
			return Frame{}, err
		}
		if count == 1 {
			f.IDs = []MsgID{decodeMsgID(body[1:])}
		}
	case FramePrune:
		if len(body) == 0 {
			break
		}
		if err := exactBody(f.Type, body, originSize); err != nil {
			return Frame{}, err
		}
		origin := NodeID(binary.BigEndian.Uint64(body))
		if origin == 0 {
			return Frame{}, errorf(ErrMalformed, "mesh: prune frame with zero origin")
		}
		f.IDs = []MsgID{{Origin: origin}}
	case FramePosition:
		want := positionSize
		if len(body) > positionSize {
			want += surveySize
		}
		if len(body) > positionSize+surveySize {
			want += reportSize
		}
		if err := exactBody(f.Type, body, want); err != nil {
			return Frame{}, err
		}
		f.Pos = Position{
			Root:  NodeID(binary.BigEndian.Uint64(body)),
			Round: binary.BigEndian.Uint32(body[8:]),
			Rank:  binary.BigEndian.Uint16(body[12:]),
		}
		f.Load = decodeLoad(body[14:])
		if f.Pos.Root == 0 {
			return Frame{}, errorf(ErrMalformed, "mesh: position frame with zero root")
		}
		if want > positionSize {
			v, err := decodeSurvey(body[positionSize:])
			if err != nil {
				return Frame{}, err
			}
			f.Survey = v
		}
	case FrameRoundRequest:
		if err := exactBody(f.Type, body, roundReqSize); err != nil {
			return Frame{}, err
		}
		f.Pos = Position{Root: NodeID(binary.BigEndian.Uint64(body)), Round: binary.BigEndian.Uint32(body[8:])}
		if f.Pos.Root == 0 {
			return Frame{}, errorf(ErrMalformed, "mesh: %v frame with zero root", f.Type)
		}
	default:
		return Frame{}, errorf(ErrMalformed, "mesh: unknown frame type %d", uint8(f.Type))
	}
	return f, nil
}

// decodePeerEntries decodes a count u8 and exactly that many peer entries
// (Peers, Hello, Welcome), the whole of b.
func decodePeerEntries(t FrameType, b []byte) ([]PeerInfo, error) {
	count := int(b[0])
	if err := countedBody(t, b[1:], count, peerEntrySize, "entries"); err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, nil
	}
	peers := make([]PeerInfo, count)
	for i, e := 0, b[1:]; i < count; i, e = i+1, e[peerEntrySize:] {
		p := &peers[i]
		p.ID = NodeID(binary.BigEndian.Uint64(e))
		copy(p.Addr.IP[:], e[8:24])
		p.Addr.Port = binary.BigEndian.Uint16(e[24:])
		p.FreeIn = e[26]
		p.Place = Place(e[27])
		if p.ID == 0 {
			return nil, errorf(ErrMalformed, "mesh: %v frame entry %d has zero node id", t, i)
		}
		if p.Place > PlaceOtherLAN {
			return nil, errorf(ErrMalformed, "mesh: %v frame entry %d has place %d", t, i, p.Place)
		}
	}
	return peers, nil
}

// exactBody checks that b, a body or the rest of one, has exactly want bytes.
func exactBody(t FrameType, b []byte, want int) error {
	switch {
	case len(b) < want:
		return truncated(t, len(b), want)
	case len(b) > want:
		return errorf(ErrMalformed, "mesh: %v frame has %d trailing bytes", t, len(b)-want)
	}
	return nil
}

// countedBody checks that b holds exactly count items of size bytes each, as
// announced by a count or length field.
func countedBody(t FrameType, b []byte, count, size int, items string) error {
	want := count * size
	switch {
	case len(b) < want:
		if size == 1 {
			return errorf(ErrMalformed, "mesh: truncated %v frame: %d %s announced, only %d follow", t, count, items, len(b))
		}
		return errorf(ErrMalformed, "mesh: truncated %v frame: %d %s announced (%d bytes), only %d bytes follow", t, count, items, want, len(b))
	case len(b) > want:
		return errorf(ErrMalformed, "mesh: %v frame has %d trailing bytes after its %d %s", t, len(b)-want, count, items)
	}
	return nil
}

func truncated(t FrameType, have, want int) error {
	return errorf(ErrMalformed, "mesh: truncated %v frame: %d of %d bytes", t, have, want)
}

func decodeLoad(b []byte) Load { return Load{In: b[0], Out: b[1], FreeIn: b[2]} }

func decodeMsgID(b []byte) MsgID {
	return MsgID{Origin: NodeID(binary.BigEndian.Uint64(b)), Seq: binary.BigEndian.Uint64(b[8:])}
}

// decodeSurvey decodes the survey part of a Position frame: the candidate
// and distance, then the report if b holds one.
func decodeSurvey(b []byte) (Survey, error) {
	v := Survey{
		Cand: NodeID(binary.BigEndian.Uint64(b)),
		Dist: binary.BigEndian.Uint16(b[8:]),
	}
	if v.Cand == 0 {
		return Survey{}, errorf(ErrMalformed, "mesh: position frame with a survey of no candidate")
	}
	if len(b) == surveySize {
		return v, nil
	}
	r := b[surveySize:]
	v.Done = r[0] == 1
	v.Height = binary.BigEndian.Uint16(r[1:])
	v.CandHeight = binary.BigEndian.Uint16(r[3:])
	v.Far = binary.BigEndian.Uint32(r[5:])
	v.CandFar = binary.BigEndian.Uint32(r[9:])
	switch {
	case r[0] > 1:
		return Survey{}, errorf(ErrMalformed, "mesh: position frame with survey flag %d, want 0 or 1", r[0])
	case !v.reports():
		return Survey{}, errorf(ErrMalformed, "mesh: position frame with an empty survey report (the canonical form leaves it out)")
	}
	return v, nil
}
