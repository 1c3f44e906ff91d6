package mesh

import (
	"errors"
	"math/rand/v2"
	"slices"
)

// Stats counts what an engine has done since it started.
type Stats struct {
	Broadcasts    uint64 // messages this node originated
	Delivered     uint64 // messages handed to the application
	Redundant     uint64 // receptions of messages already seen
	DataSent      uint64 // Data frames sent (payload transmissions)
	LinksOpened   uint64 // links that finished the handshake
	LinksLost     uint64 // established links closed for any reason
	DeadLinks     uint64 // links closed because keepalives stopped
	Rejected      uint64 // incoming handshakes refused
	Evictions     uint64 // links closed to make room for a needy node
	Rotations     uint64 // outgoing links replaced to keep the overlay mixing
	Grafts        uint64 // tree mode: messages requested from an announcer
	Prunes        uint64 // tree mode: links taken off the tree
	Reparents     uint64 // tree mode: changes of tree parent
	CutOffs       uint64 // tree mode: times the node lost its way to the root
	IHaves        uint64 // tree mode: message ids announced
	FreeRiders    uint64 // links refused or closed as free riders
	ProtocolError uint64 // frames that broke the protocol

	Unsent        uint64 // broadcasts kept because the node had no link, sent when it linked (unsent.go)
	UnsentDropped uint64 // of those, dropped unsent: more than Config.UnsentLimit waited

	BeaconConflicts uint64 // beacons ignored: they contradict a live link or a confirmed address (claims.go)
	DialPauses      uint64 // dial rounds put off because dials kept failing (claims.go)
}

// LinkInfo describes one established link.
type LinkInfo struct {
	Link     LinkID
	Peer     NodeID
	Addr     Addr
	Dir      Direction
	Since    Time
	PeerLoad Load
	Tree     bool // tree mode: the link is on this node's broadcast tree
}

// Engine is the protocol state of one node. It is not safe for concurrent
// use: a driver calls it from one goroutine (or one simulation loop).
//
// Every Handle method takes the current time and returns the outputs the
// input caused. The returned slice is owned by the engine (by its Outbox)
// and valid only until the next call; so are the peer lists of the Peers
// frames in it.
type Engine struct {
	// What every input reads comes first, in one or two cache lines: a
	// simulation of many nodes touches each engine rarely, and every line
	// is a miss.
	now Time
	box *Outbox
	linkTable
	cfg  *Config
	id   NodeID
	nIn  uint8 // established incoming links
	nOut uint8 // established outgoing links
	// shaking counts the links still in their handshake, indexed by
	// Direction: dialing decisions ask for it several times per input, and
	// counting would read the whole link table.
	shaking  [3]uint8
	started  bool
	left     bool
	lanFacts lanFacts // lanSure, lostElsewhere (lan.go)

	instance uint64
	rng      *rand.Rand

	dials   []dial
	known   knownPeers
	banned  []ban
	statics []staticPeer

	beacon           trickle
	answerNeedyUntil Time            // a needy node was heard: announce even when full
	timers           [numTimers]Time // due time of each armed timer, 0 when disarmed

	hunt           hunt            // backoff of dials for links beyond the minimum
	waiting        *waitingDialers // dialers refused lately that have room (exchange.go)
	dialFails      int32           // dials of claimed peers failed in a row (claims.go)
	lan            LANTag          // the name of this node's LAN, 0 while it has none (lan.go)
	dialPauseUntil Time            // no dial of a claimed peer before this
	selfAddrs      []Addr          // where dials reached this node itself (claims.go)
	strangers      [2]uint16       // nodes first heard of by beacon in this and the last maintenance period, up to 65,535 (claims.go)
	otherLANName   LANTag          // another name this node's LAN goes by: the one it had before e.lan, or a larger one heard by beacon; 0 for none (lan.go)

	seq          uint64
	seen         seenCache
	unsent       *unsentQueue // broadcasts waiting for a first link (unsent.go)
	bcast        broadcast    // the broadcast strategy and its state (broadcast.go)
	nextExchange Time
	nextRotate   Time
	stats        Stats
}

// New creates the engine of node id with configuration cfg. instance must
// differ on every start of the same node (a random number will do); rng is the
// only source of randomness the engine uses.
func New(cfg Config, id NodeID, instance uint64, rng *rand.Rand) (*Engine, error) {
	cfg.StaticPeers = append([]Addr(nil), cfg.StaticPeers...)
	return NewShared(&cfg, id, instance, rng)
}

// NewShared is New for engines that share one configuration, as the nodes
// of a large simulation do: the engine keeps cfg itself rather than a copy,
// so cfg must not change while the engine exists.
func NewShared(cfg *Config, id NodeID, instance uint64, rng *rand.Rand) (*Engine, error) {
	if id == 0 {
		return nil, errors.New("mesh: node id must not be zero")
	}
	if rng == nil {
		return nil, errors.New("mesh: a random source is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, id: id, instance: instance, rng: rng}
	e.box = new(Outbox) // its own, unless the driver shares one (SetOutbox)
	e.bcast = strategies[cfg.Mode].make()
	for _, a := range e.cfg.StaticPeers {
		e.statics = append(e.statics, staticPeer{addr: a})
	}
	// The high half of sequence numbers comes from the instance, so message
	// ids stay unique across restarts of the same node.
	e.seq = instance << 32
	e.seen.limit = cfg.SeenCacheSize
	e.seen.seed = instance ^ uint64(id)<<1
	return e, nil
}

// ID returns the node id.
func (e *Engine) ID() NodeID { return e.id }

// Instance returns the instance id given to New.
func (e *Engine) Instance() uint64 { return e.instance }

// Config returns the configuration.
func (e *Engine) Config() Config { return *e.cfg }

// Outbox holds the outputs of an engine's last input: the slice every
// Handle method returns. Each engine has its own unless its driver gives it
// one to share (SetOutbox).
type Outbox struct {
	out []Output
	// peers holds the peer lists of the Peers frames in out: peer
	// exchange would otherwise allocate a list per frame (about 500 MB in
	// a run of scenarios/scale-100k.yaml).
	peers []PeerInfo
}

// peerList returns an empty list with room for n peers, out of the
// outbox's peer lists: valid, like the outputs, until the next call.
func (b *Outbox) peerList(n int) []PeerInfo {
	start := len(b.peers)
	b.peers = slices.Grow(b.peers, n)[:start+n]
	return b.peers[start : start : start+n]
}

// SetOutbox makes the engine write its outputs into b (its own outbox when
// b is nil). Engines that one driver calls one at a time, consuming the
// outputs of each call before it calls any of them again (the simulator),
// can share one outbox and save each its own buffer, the largest part of an
// idle engine: the slice a Handle method returns is then valid only until
// the next call to any engine of the outbox.
func (e *Engine) SetOutbox(b *Outbox) {
	if b == nil {
		b = new(Outbox)
	}
	e.box = b
}

// Stats returns the counters.
func (e *Engine) Stats() Stats { return e.stats }

// Left reports whether Leave was called.
func (e *Engine) Left() bool { return e.left }

// Load returns the node's current link counts and free incoming slots.
func (e *Engine) Load() Load {
	in, out := int(e.nIn), int(e.nOut)
	free := e.cfg.MaxIn - in
	if free < 0 {
		free = 0
	}
	return Load{In: clamp8(in), Out: clamp8(out), FreeIn: clamp8(free)}
}

// KnownPeers returns how many peers the passive list holds: at most
// PassiveSize, whatever the LAN says.
func (e *Engine) KnownPeers() int { return len(e.known.list) }

// Retire tells the engine that no input will follow: its driver is done
// with it and keeps it only to read what it reports (Load, Links, Stats,
// ID). The engine lets go of what only later inputs would use: its passive
// list, pending dials, the messages it has seen and the dialers it refused.
// A simulation of a million nodes then assembles its report in the memory
// those took (about half of its engines' state). Should an input come
// all the same, it is handled as by an engine that lost that memory: a
// message seen before would be delivered again.
func (e *Engine) Retire() {
	e.known = knownPeers{}
	e.dials = nil
	e.seen = seenCache{limit: e.seen.limit, seed: e.seen.seed}
	e.waiting = nil
	e.unsent = nil
}

// Links appends the established links to dst and returns it.
func (e *Engine) Links(dst []LinkInfo) []LinkInfo {
	for i := range e.links {
		l := &e.links[i]
		if l.state != linkEstablished {
			continue
		}
		dst = append(dst, LinkInfo{Link: e.linkIDs[i], Peer: l.peer, Addr: l.addr, Dir: l.dir, Since: l.since, PeerLoad: l.peerLoad, Tree: e.bcast.onTree(i)})
	}
	return dst
}

// TreePosition returns where the node stands in the broadcast tree and its
// tree parent (zero for a root or a node without one); tree mode only.
func (e *Engine) TreePosition() (Position, NodeID) {
	return e.bcast.position()
}

// Start begins operation: the first beacon and maintenance timers. It is the
// first input a driver gives.
func (e *Engine) Start(now Time) []Output {
	e.begin(now)
	if e.started || e.left {
		return e.box.out
	}
	e.started = true
	e.nextExchange = now + e.cfg.ExchangeInterval
	e.nextRotate = now + e.rotatePeriod()
	e.resetBeacons()
	e.setTimer(TimerMaintain, now+e.cfg.KeepaliveInterval)
	e.bcast.start(e)
	e.fillLinks()
	return e.box.out
}

// HandleTimer handles a timer set by an earlier OutTimer.
func (e *Engine) HandleTimer(now Time, kind TimerKind) []Output {
	e.begin(now)
	if !e.active() || kind >= numTimers {
		return e.box.out
	}
	due := e.timers[kind]
	if due == 0 || now < due {
		return e.box.out // replaced or disarmed: a stale timer
	}
	e.timers[kind] = 0
	switch kind {
	case TimerMaintain:
		e.maintain()
		e.setTimer(TimerMaintain, now+e.cfg.KeepaliveInterval)
	case TimerBeacon:
		e.beaconTimer()
	case TimerDial:
		e.fillLinks()
	default:
		e.bcast.timer(e, kind)
	}
	return e.box.out
}

// begin starts handling one input.
func (e *Engine) begin(now Time) {
	e.box.out = e.box.out[:0]
	e.box.peers = e.box.peers[:0]
	if now > e.now {
		e.now = now
	}
}

func (e *Engine) active() bool { return e.started && !e.left }

func (e *Engine) emit(o Output) { e.box.out = append(e.box.out, o) }

// emitNew appends an output of the given kind, its other fields zero, and
// returns it to be filled in place. An Output is 320 bytes: building one
// aside and appending it (emit) copies it twice more, and a relay emits one
// per link. The pointer is good until the next output is emitted.
func (e *Engine) emitNew(kind OutputKind) *Output {
	out := e.box.out
	if len(out) == cap(out) {
		out = append(out, Output{})
	} else {
		out = out[:len(out)+1]
	}
	e.box.out = out
	o := &out[len(out)-1]
	*o = Output{Kind: kind}
	return o
}

// setTimer arms a timer; an earlier due time of the same kind is replaced.
func (e *Engine) setTimer(kind TimerKind, at Time) {
	if at <= e.now {
		at = e.now + 1
	}
	e.timers[kind] = at
	o := e.emitNew(OutTimer)
	o.Timer, o.At = kind, at
}

// armTimer arms a timer unless it is already due no later than at.
func (e *Engine) armTimer(kind TimerKind, at Time) {
	if due := e.timers[kind]; due != 0 && due <= at {
		return
	}
	e.setTimer(kind, at)
}

func (e *Engine) hello() Hello {
	h := Hello{ID: e.id, Instance: e.instance, Port: e.cfg.Port, Load: e.Load(), LAN: e.lanTag()}
	if e.needy() {
		h.Flags |= HelloNeedy
	}
	if e.bridging() {
		h.Flags |= HelloBridge
	}
	return h
}

// needy reports whether the node is below its minimum degree.
func (e *Engine) needy() bool { return int(e.Load().Degree()) < e.cfg.MinLinks }

func clamp8(n int) uint8 {
	if n > 255 {
		return 255
	}
	return uint8(n)
}
