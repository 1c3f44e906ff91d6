package discovery

import "p2pmesh/mesh"

// Codec turns beacons into datagrams and back. Without one, beacons travel
// in the mesh's plain format (mesh.AppendBeacon, mesh.DecodeBeacon); with a
// network key, the runtime hands the transport a codec that seals them
// (netkey.BeaconCodec).
type Codec interface {
	// AppendBeacon appends the datagram of b to dst.
	AppendBeacon(dst []byte, b *mesh.Beacon) []byte
	// DecodeBeacon decodes one datagram; an error means it is not a beacon
	// to accept.
	DecodeBeacon(p []byte) (mesh.Beacon, error)
	// MaxBeaconSize is the size of the longest datagram.
	MaxBeaconSize() int
}

// PlainCodec is the mesh's plain beacon format.
type PlainCodec struct{}

// AppendBeacon appends the plain encoding of b.
func (PlainCodec) AppendBeacon(dst []byte, b *mesh.Beacon) []byte { return mesh.AppendBeacon(dst, b) }

// DecodeBeacon decodes a plain beacon.
func (PlainCodec) DecodeBeacon(p []byte) (mesh.Beacon, error) { return mesh.DecodeBeacon(p) }

// MaxBeaconSize is mesh.MaxBeaconSize.
func (PlainCodec) MaxBeaconSize() int { return mesh.MaxBeaconSize }
