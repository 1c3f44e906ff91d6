package netkey

import (
	"container/list"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"p2pmesh/mesh"
)

// A sealed beacon is one UDP datagram of exactly SealedBeaconSize bytes:
//
//	magic "P2PK", version u8, nonce [24]byte,
//	XChaCha20-Poly1305 sealed (additional data: magic and version):
//	    sent i64 (sender's clock, Unix milliseconds), counter u64,
//	    the plain beacon (mesh.AppendBeacon)
//
// Everything but the magic, version and nonce is secret: a node without
// the key learns only that a beacon was sent, when and from which address.
// The nonce is random (24 bytes, never reused in practice), so any number
// of nodes may seal under the same key. The counter starts at the sender's
// clock in nanoseconds when it starts and grows by one per beacon, so it
// keeps growing across restarts.

const (
	// SealedMagic starts every sealed beacon. It differs from
	// mesh.BeaconMagic, so nodes without a key skip sealed beacons as
	// foreign traffic, and keyed nodes know a plain beacon when they see one.
	SealedMagic = "P2PK"
	// SealedVersion is the version of the sealed format.
	SealedVersion = 1
	// SealedBeaconSize is the size of every sealed beacon.
	SealedBeaconSize = len(SealedMagic) + 1 + chacha20poly1305.NonceSizeX + sealedPlainSize + tagSize
	sealedPlainSize  = 8 + 8 + mesh.MaxBeaconSize
	sealedHead       = len(SealedMagic) + 1
)

// MaxClockSkew is how far a sealed beacon's time may lie from the
// receiver's clock, either way. Beacons outside it are refused, so that a
// beacon recorded earlier cannot be replayed later; hosts of a keyed mesh
// must keep their clocks within it of each other (NTP does) to find each
// other by multicast. Static peers link whatever the clocks say.
const MaxClockSkew = time.Minute

// MaxRemembered is how many senders' counters a node remembers; the one
// heard from least recently is forgotten first. A forgotten sender's
// beacons are still held to MaxClockSkew.
const MaxRemembered = 4096

// Errors of DecodeBeacon. Each wraps ErrBeacon.
var (
	ErrBeacon = errors.New("netkey: beacon refused")
	// ErrUnkeyedBeacon: a plain beacon, from a node without a network key.
	ErrUnkeyedBeacon = fmt.Errorf("%w: a beacon without the network key", ErrBeacon)
	// ErrForgedBeacon: the beacon does not open: another key, or forged
	// or changed on the way.
	ErrForgedBeacon = fmt.Errorf("%w: a beacon that fails authentication (another network key, or forged)", ErrBeacon)
	// ErrStaleBeacon: sent longer than MaxClockSkew ago, or that far in the
	// future: a replay, or clocks too far apart.
	ErrStaleBeacon = fmt.Errorf("%w: a beacon outside the clock window (replayed, or the clocks differ)", ErrBeacon)
	// ErrReplayedBeacon: a counter below the last one accepted from that
	// node.
	ErrReplayedBeacon = fmt.Errorf("%w: a replayed beacon", ErrBeacon)
	// ErrDuplicateBeacon: the very beacon accepted last from that node,
	// again: a second copy (a host on several interfaces) or a replay.
	ErrDuplicateBeacon = fmt.Errorf("%w: a copy of the last beacon", ErrBeacon)
	// ErrMalformedBeacon: wrong size, unknown version, or an invalid
	// beacon inside.
	ErrMalformedBeacon = fmt.Errorf("%w: a malformed sealed beacon", ErrBeacon)
)

// BeaconStats counts what a BeaconCodec did.
type BeaconStats struct {
	Sealed     uint64 // beacons sealed to send
	Opened     uint64 // beacons accepted
	Unkeyed    uint64 // plain beacons refused
	Forged     uint64 // beacons that did not open
	Stale      uint64 // outside the clock window
	Replayed   uint64 // counter below the last accepted
	Duplicates uint64 // the last accepted beacon again
	Malformed  uint64 // not a sealed beacon of our format at all
}

// BeaconCodec seals a node's beacons and opens those of others. It is what
// the node's beacon transport (package discovery, or the in-process bus)
// encodes and decodes with instead of the plain format. It is safe for
// concurrent use; one node uses one BeaconCodec, since it remembers whom it
// heard from.
type BeaconCodec struct {
	aead    cipher.AEAD
	now     func() time.Time
	refused func(error)
	counter atomic.Uint64

	mu    sync.Mutex
	seen  map[mesh.NodeID]*list.Element // of *senderState
	order list.List                     // most recently accepted first

	sealed, opened, unkeyed, forged, stale, replayed, dups, malformed atomic.Uint64
}

type senderState struct {
	id      mesh.NodeID
	counter uint64
}

// NewBeaconCodec returns a codec for one node. refused, if not nil, is
// called with every beacon refused (an error wrapping ErrBeacon), except
// second copies (ErrDuplicateBeacon), from the goroutine that decodes.
func NewBeaconCodec(k *Key, refused func(error)) *BeaconCodec {
	return newBeaconCodec(k, refused, time.Now)
}

func newBeaconCodec(k *Key, refused func(error), now func() time.Time) *BeaconCodec {
	aead, err := chacha20poly1305.NewX(k.beacon[:])
	if err != nil {
		panic(err) // only for a key of the wrong size
	}
	c := &BeaconCodec{aead: aead, now: now, refused: refused, seen: make(map[mesh.NodeID]*list.Element)}
	c.counter.Store(uint64(now().UnixNano()))
	return c
}

// MaxBeaconSize is the size of a sealed beacon.
func (c *BeaconCodec) MaxBeaconSize() int { return SealedBeaconSize }

// AppendBeacon seals b and appends it to dst.
func (c *BeaconCodec) AppendBeacon(dst []byte, b *mesh.Beacon) []byte {
	var plain [sealedPlainSize]byte
	binary.BigEndian.PutUint64(plain[0:], uint64(c.now().UnixMilli()))
	binary.BigEndian.PutUint64(plain[8:], c.counter.Add(1))
	mesh.AppendBeacon(plain[16:16], b)
	start := len(dst)
	dst = append(dst, SealedMagic...)
	dst = append(dst, SealedVersion)
	var nonce [chacha20poly1305.NonceSizeX]byte
	_, _ = rand.Read(nonce[:])
	dst = append(dst, nonce[:]...)
	dst = c.aead.Seal(dst, nonce[:], plain[:], dst[start:start+sealedHead])
	c.sealed.Add(1)
	return dst
}

// DecodeBeacon opens a sealed beacon and checks that it is fresh. Errors
// wrap ErrBeacon; a beacon that is not ours at all wraps mesh.ErrMagic too,
// so that a transport counts it as foreign traffic.
func (c *BeaconCodec) DecodeBeacon(p []byte) (mesh.Beacon, error) {
	b, err := c.open(p)
	if err != nil && !errors.Is(err, ErrDuplicateBeacon) && c.refused != nil {
		c.refused(err)
	}
	return b, err
}

func (c *BeaconCodec) open(p []byte) (mesh.Beacon, error) {
	switch {
	case len(p) >= len(mesh.BeaconMagic) && string(p[:len(mesh.BeaconMagic)]) == mesh.BeaconMagic:
		c.unkeyed.Add(1)
		return mesh.Beacon{}, ErrUnkeyedBeacon
	case len(p) < sealedHead || string(p[:len(SealedMagic)]) != SealedMagic:
		c.malformed.Add(1)
		return mesh.Beacon{}, fmt.Errorf("%w: not a beacon (%w)", ErrMalformedBeacon, mesh.ErrMagic)
	case p[len(SealedMagic)] != SealedVersion:
		c.malformed.Add(1)
		return mesh.Beacon{}, fmt.Errorf("%w: sealed format version %d, want %d (%w)", ErrMalformedBeacon, p[len(SealedMagic)], SealedVersion, mesh.ErrVersion)
	case len(p) != SealedBeaconSize:
		c.malformed.Add(1)
		return mesh.Beacon{}, fmt.Errorf("%w: %d bytes, want %d", ErrMalformedBeacon, len(p), SealedBeaconSize)
	}
	nonce := p[sealedHead : sealedHead+chacha20poly1305.NonceSizeX]
	var buf [sealedPlainSize]byte
	plain, err := c.aead.Open(buf[:0], nonce, p[sealedHead+len(nonce):], p[:sealedHead])
	if err != nil {
		c.forged.Add(1)
		return mesh.Beacon{}, ErrForgedBeacon
	}
	sent := time.UnixMilli(int64(binary.BigEndian.Uint64(plain)))
	counter := binary.BigEndian.Uint64(plain[8:])
	b, err := mesh.DecodeBeacon(plain[16:])
	if err != nil {
		c.malformed.Add(1)
		return mesh.Beacon{}, fmt.Errorf("%w: %w", ErrMalformedBeacon, err)
	}
	if skew := c.now().Sub(sent); skew > MaxClockSkew || skew < -MaxClockSkew {
		c.stale.Add(1)
		return mesh.Beacon{}, fmt.Errorf("%w: node %v sent it %v from now by this host's clock, more than %v", ErrStaleBeacon, b.ID, skew.Round(time.Millisecond), MaxClockSkew)
	}
	if err := c.accept(b.ID, counter); err != nil {
		return mesh.Beacon{}, err
	}
	c.opened.Add(1)
	return b, nil
}

// accept checks counter against the last one accepted from id and
// remembers it.
func (c *BeaconCodec) accept(id mesh.NodeID, counter uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.seen[id]; ok {
		s := e.Value.(*senderState)
		switch {
		case counter == s.counter:
			c.dups.Add(1)
			return ErrDuplicateBeacon
		case counter < s.counter:
			c.replayed.Add(1)
			return fmt.Errorf("%w: node %v's counter %d is below %d, accepted before", ErrReplayedBeacon, id, counter, s.counter)
		}
		s.counter = counter
		c.order.MoveToFront(e)
		return nil
	}
	c.seen[id] = c.order.PushFront(&senderState{id: id, counter: counter})
	if c.order.Len() > MaxRemembered {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.seen, oldest.Value.(*senderState).id)
	}
	return nil
}

// Stats returns the counters.
func (c *BeaconCodec) Stats() BeaconStats {
	return BeaconStats{Sealed: c.sealed.Load(), Opened: c.opened.Load(), Unkeyed: c.unkeyed.Load(),
		Forged: c.forged.Load(), Stale: c.stale.Load(), Replayed: c.replayed.Load(),
		Duplicates: c.dups.Load(), Malformed: c.malformed.Load()}
}
