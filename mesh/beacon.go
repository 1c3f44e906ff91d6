package mesh

import (
	"encoding/binary"
	"slices"
)

// Beacon is what a node multicasts on its LAN to announce itself. Receivers
// learn the sender's address from the packet's source and the port from the
// beacon, never from the UDP source port.
type Beacon struct {
	ID       NodeID
	Instance uint64 // changes on every start, so a restart is noticed
	Port     uint16 // the TCP port the sender accepts links on
	Load     Load
	Flags    HelloFlags // HelloNeedy while the sender is below its minimum degree
	LAN      LANTag     // the sender's LAN (lan.go), 0 while it knows none
}

// Offer reports whether the beacon offers free slots: it comes from a node
// with free incoming slots that is not below its minimum degree. Every
// other beacon is a call: a needy node's call for links, or a full node's
// answer to one (it makes room). A node whose slots are all in use hears
// only calls (OutHearOffers, discovery.go).
func (b *Beacon) Offer() bool { return b.Flags&HelloNeedy == 0 && b.Load.FreeIn > 0 }

// The wire format of a beacon, one UDP datagram of exactly MaxBeaconSize
// bytes, integers big-endian:
//
//	magic "P2PB", version u8, ID u64, Instance u64, Port u16,
//	Load (In u8, Out u8, FreeIn u8), Flags u8, LAN u32

const (
	// BeaconMagic starts every beacon, so that other traffic on the
	// multicast group is told apart at once.
	BeaconMagic = "P2PB"
	// MaxBeaconSize is the size of a beacon: every beacon has exactly this
	// many bytes, so a receive buffer of this size (plus one, to notice
	// longer datagrams) suffices.
	MaxBeaconSize = len(BeaconMagic) + 1 + 8 + 8 + 2 + loadSize + 1 + 4
)

// AppendBeacon appends the encoding of b to dst and returns the extended
// slice. It does not allocate when dst has room for MaxBeaconSize more bytes.
// It encodes any value; DecodeBeacon rejects a zero ID or port.
func AppendBeacon(dst []byte, b *Beacon) []byte {
	dst = slices.Grow(dst, MaxBeaconSize)
	dst = append(dst, BeaconMagic...)
	dst = append(dst, ProtocolVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.ID))
	dst = binary.BigEndian.AppendUint64(dst, b.Instance)
	dst = binary.BigEndian.AppendUint16(dst, b.Port)
	dst = appendLoad(dst, b.Load)
	dst = append(dst, byte(b.Flags))
	return binary.BigEndian.AppendUint32(dst, uint32(b.LAN))
}

// DecodeBeacon decodes one beacon datagram. Errors wrap ErrMagic (not a
// beacon), ErrVersion (another protocol version) or ErrMalformed (wrong size,
// zero ID, zero port).
func DecodeBeacon(p []byte) (Beacon, error) {
	const head = len(BeaconMagic) + 1
	if len(p) < head {
		return Beacon{}, errorf(ErrMalformed, "mesh: beacon of %d bytes, want %d", len(p), MaxBeaconSize)
	}
	if string(p[:len(BeaconMagic)]) != BeaconMagic {
		return Beacon{}, errorf(ErrMagic, "mesh: beacon starts with %q, want %q", p[:len(BeaconMagic)], BeaconMagic)
	}
	if v := p[len(BeaconMagic)]; v != ProtocolVersion {
		return Beacon{}, errorf(ErrVersion, "mesh: beacon of protocol version %d, want %d", v, ProtocolVersion)
	}
	if len(p) != MaxBeaconSize {
		return Beacon{}, errorf(ErrMalformed, "mesh: beacon of %d bytes, want %d", len(p), MaxBeaconSize)
	}
	q := p[head:]
	b := Beacon{
		ID:       NodeID(binary.BigEndian.Uint64(q)),
		Instance: binary.BigEndian.Uint64(q[8:]),
		Port:     binary.BigEndian.Uint16(q[16:]),
		Load:     decodeLoad(q[18:]),
		Flags:    HelloFlags(q[21]),
		LAN:      LANTag(binary.BigEndian.Uint32(q[22:])),
	}
	if b.ID == 0 {
		return Beacon{}, errorf(ErrMalformed, "mesh: beacon with zero node id")
	}
	if b.Port == 0 {
		return Beacon{}, errorf(ErrMalformed, "mesh: beacon from %v with zero port", b.ID)
	}
	return b, nil
}
