package mesh

import (
	"errors"
	"fmt"
	"time"

	"p2pmesh/internal/adversary"
)

// Mode selects how broadcasts travel.
type Mode uint8

const (
	// ModeFlood forwards every new message on every other link.
	ModeFlood Mode = iota
	// ModeTree pushes messages along a self-repairing broadcast tree and
	// only announces them on the other links (Plumtree).
	ModeTree
)

func (m Mode) String() string {
	if int(m) < len(strategies) {
		return strategies[m].name
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Config holds the parameters of one node. Zero fields are not defaults: start
// from DefaultConfig and change what you need, then Validate.
type Config struct {
	// Port is the TCP port this node accepts links on, announced in beacons.
	Port uint16
	// StaticPeers are dialed and kept linked whatever discovery says (for
	// networks without multicast, or to bridge LANs).
	StaticPeers []Addr

	// MaxIn and MaxOut bound the incoming and outgoing links. MaxIn must be
	// at least MaxOut, so that a mesh of such nodes has room for everybody's
	// outgoing links. They are limits: a flooding node dials on its own for
	// four fifths of MaxIn outgoing links at most (4 by default), so that
	// free incoming slots stay easy to find; static peers and a bridge's
	// link into its LAN may use every outgoing slot.
	MaxIn, MaxOut int
	// TargetOut is how many outgoing links the node dials for on its own
	// (dialing.go's huntTarget), between MinLinks and MaxOut. Zero keeps the
	// rule above: four fifths of MaxIn when flooding (4 by default), at most
	// MaxOut and at least MinLinks; MaxOut in tree mode.
	TargetOut int
	// MinLinks is the fallback degree: a node with fewer links asks with
	// priority, and full nodes make room for it.
	MinLinks int

	// BeaconMin and BeaconMax bound the Trickle interval of beacons: it starts
	// at BeaconMin, doubles while nothing changes, and resets on change.
	BeaconMin, BeaconMax time.Duration
	// BeaconRedundancy is Trickle's k: a node stays silent for an interval in
	// which it heard this many beacons already.
	BeaconRedundancy int
	// PeerTTL is how long a known peer is kept without news of it.
	PeerTTL time.Duration
	// PassiveSize bounds the list of known peers.
	PassiveSize int
	// ExchangeSize is how many known peers a peer-exchange frame carries, and
	// ExchangeInterval how often one is sent to a random neighbour.
	ExchangeSize     int
	ExchangeInterval time.Duration

	// KeepaliveInterval is both the maintenance period and the idle time after
	// which a link gets a ping; a link silent for DeadAfter is closed.
	KeepaliveInterval time.Duration
	DeadAfter         time.Duration
	// HandshakeTimeout closes links whose handshake has not finished.
	HandshakeTimeout time.Duration
	// RotateInterval is how often a node that has the outgoing links it
	// dials for (MaxOut in tree mode; see MaxIn when flooding) drops one of
	// them to dial another peer with free slots. This keeps the overlay
	// mixing, so that groups of satisfied nodes that formed apart (after a
	// partition heals, or on separate LANs) merge into one mesh. Zero
	// disables it.
	RotateInterval time.Duration
	// DialBackoff is the wait before dialing a peer again after a failure;
	// it doubles with each further failure.
	DialBackoff time.Duration

	// MaxFreeRiders is how many incoming links may go to peers that offer no
	// incoming links themselves.
	MaxFreeRiders int
	// BanTime is how long a peer dropped as a free rider is refused.
	BanTime time.Duration

	// Mode selects the broadcast strategy.
	Mode Mode
	// SeenCacheSize bounds how many message ids are remembered for
	// de-duplication.
	SeenCacheSize int
	// Tree mode: a node that hears of a message it misses waits
	// GraftTimeout for it to arrive over the tree before asking an announcer
	// for it, and gives its tree parent as long to catch up with a round of
	// the root that a neighbour already has; announcements are batched for
	// up to IHaveDelay; the last MessageCacheSize messages are kept to answer
	// such requests.
	GraftTimeout     time.Duration
	IHaveDelay       time.Duration
	MessageCacheSize int
	// CentreRoot (tree mode, on by default): a root whose tree is
	// centreDeep (7) or more deep surveys its neighbours and hands the root
	// to one nearer the overlay's centre (treecentre.go). Off, the root
	// stays the oldest node; either way a node takes part in the surveys of
	// its root, so nodes of both settings mix.
	CentreRoot bool
	// MaxPayload bounds the payload of one broadcast.
	MaxPayload int
	// UnsentLimit bounds the broadcasts a node with no link keeps to send
	// when it links; beyond it the oldest is dropped (unsent.go). Zero keeps
	// none: a broadcast made without a link is dropped at once.
	UnsentLimit int

	// adversary is how the engines of this configuration misbehave, if at
	// all (Misbehave): only the simulator and tests of this module can set
	// it.
	adversary adversary.Behaviour
}

// Misbehave makes the engines of this configuration depart from the
// protocol as b says (package p2pmesh/internal/adversary), to show honest
// nodes coping with such peers; Validate then skips the rules that bind
// honest nodes. Only code of module p2pmesh can make a b other than the
// honest zero one.
func (c *Config) Misbehave(b adversary.Behaviour) { c.adversary = b }

// Misbehaviour returns what Misbehave set: the zero Behaviour of an honest
// node, unless a simulation made it an adversary.
func (c *Config) Misbehaviour() adversary.Behaviour { return c.adversary }

// DefaultConfig returns the defaults: 5 links in, 5 out, a 1 s keepalive.
func DefaultConfig() Config {
	return Config{
		MaxIn:             5,
		MaxOut:            5,
		MinLinks:          2,
		BeaconMin:         time.Second,
		BeaconMax:         32 * time.Second,
		BeaconRedundancy:  3,
		PeerTTL:           2 * time.Minute,
		PassiveSize:       32,
		ExchangeSize:      8,
		ExchangeInterval:  10 * time.Second,
		KeepaliveInterval: time.Second,
		DeadAfter:         3 * time.Second,
		HandshakeTimeout:  2 * time.Second,
		DialBackoff:       time.Second,
		RotateInterval:    30 * time.Second,
		MaxFreeRiders:     1,
		BanTime:           5 * time.Minute,
		Mode:              ModeFlood,
		SeenCacheSize:     4096,
		GraftTimeout:      150 * time.Millisecond,
		IHaveDelay:        20 * time.Millisecond,
		MessageCacheSize:  1024,
		CentreRoot:        true,
		MaxPayload:        64 << 10,
		UnsentLimit:       256,
	}
}

// Validate reports every problem with c, or nil.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.MaxOut < 0 || c.MaxOut > 255 {
		bad("max_out must be between 0 and 255, got %d", c.MaxOut)
	}
	if c.MaxIn < 0 || c.MaxIn > 255 {
		bad("max_in must be between 0 and 255, got %d", c.MaxIn)
	}
	if c.adversary.Honest() {
		if c.MaxIn < c.MaxOut {
			bad("max_in (%d) must be at least max_out (%d): otherwise the mesh has fewer incoming slots than outgoing links and such nodes siphon capacity from others", c.MaxIn, c.MaxOut)
		}
		if c.MaxOut < 1 && len(c.StaticPeers) == 0 && c.MaxIn < 1 {
			bad("a node needs max_in or max_out above 0")
		}
	}
	if c.MinLinks < 1 || c.MinLinks > c.MaxIn+c.MaxOut {
		bad("min_links must be between 1 and max_in+max_out (%d), got %d", c.MaxIn+c.MaxOut, c.MinLinks)
	}
	if c.TargetOut != 0 && (c.TargetOut < c.MinLinks || c.TargetOut > c.MaxOut) {
		bad("target_out must be 0 (four fifths of max_in when flooding, max_out in tree mode) or between min_links (%d) and max_out (%d), got %d", c.MinLinks, c.MaxOut, c.TargetOut)
	}
	if c.BeaconMin <= 0 {
		bad("beacon_min must be positive, got %v", c.BeaconMin)
	}
	if c.BeaconMax < c.BeaconMin {
		bad("beacon_max (%v) must be at least beacon_min (%v)", c.BeaconMax, c.BeaconMin)
	}
	if c.BeaconRedundancy < 1 {
		bad("beacon_redundancy must be at least 1, got %d", c.BeaconRedundancy)
	}
	if c.PeerTTL <= 0 {
		bad("peer_ttl must be positive, got %v", c.PeerTTL)
	}
	if c.PassiveSize < 1 {
		bad("passive_size must be at least 1, got %d", c.PassiveSize)
	}
	if c.ExchangeSize < 0 || c.ExchangeSize > 255 {
		bad("exchange_size must be between 0 and 255, got %d", c.ExchangeSize)
	}
	if c.ExchangeInterval <= 0 {
		bad("exchange_interval must be positive, got %v", c.ExchangeInterval)
	}
	if c.KeepaliveInterval <= 0 {
		bad("keepalive_interval must be positive, got %v", c.KeepaliveInterval)
	}
	if c.DeadAfter <= c.KeepaliveInterval {
		bad("dead_after (%v) must be longer than keepalive_interval (%v), or every idle link would die", c.DeadAfter, c.KeepaliveInterval)
	}
	if c.HandshakeTimeout <= 0 {
		bad("handshake_timeout must be positive, got %v", c.HandshakeTimeout)
	}
	if c.RotateInterval < 0 {
		bad("rotate_interval must not be negative, got %v", c.RotateInterval)
	}
	if c.DialBackoff <= 0 {
		bad("dial_backoff must be positive, got %v", c.DialBackoff)
	}
	if c.MaxFreeRiders < 0 {
		bad("max_free_riders must not be negative, got %d", c.MaxFreeRiders)
	}
	if c.BanTime < 0 {
		bad("ban_time must not be negative, got %v", c.BanTime)
	}
	if int(c.Mode) < len(strategies) {
		errs = append(errs, strategies[c.Mode].validate(c)...)
	} else {
		bad("unknown broadcast mode %v", c.Mode)
	}
	if c.SeenCacheSize < 1 {
		bad("seen_cache must be at least 1, got %d", c.SeenCacheSize)
	}
	if c.MaxPayload < 1 || c.MaxPayload > MaxFrameSize-64 {
		bad("max_payload must be between 1 and %d, got %d", MaxFrameSize-64, c.MaxPayload)
	}
	if c.UnsentLimit < 0 {
		bad("unsent_limit must not be negative, got %d", c.UnsentLimit)
	}
	return errors.Join(errs...)
}
