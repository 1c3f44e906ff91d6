package meshnode

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/discovery"
	"p2pmesh/mesh/netkey"
)

// ErrClosed is returned by Broadcast once Close has been called.
var ErrClosed = errors.New("runtime: node is closed")

// Delivery is a message broadcast by another node, handed to the application
// once.
type Delivery struct {
	From    mesh.NodeID // the node that originated the message
	Via     mesh.NodeID // the neighbour it arrived from
	ID      mesh.MsgID
	Hops    int    // links it traversed to get here
	Payload []byte // the application's own copy
}

// LinkInfo describes one established link.
type LinkInfo struct {
	Link     mesh.LinkID
	Peer     mesh.NodeID
	Addr     netip.AddrPort // the peer's listen address
	Remote   netip.AddrPort // the other end of the TCP connection
	Local    netip.AddrPort // this end of the TCP connection
	Dir      mesh.Direction
	Since    time.Time
	PeerLoad mesh.Load
	Queued   int // frames waiting in the send queue
}

// Stats counts what a node has done since it started.
type Stats struct {
	Engine    mesh.Stats      // the protocol engine's counters
	Discovery discovery.Stats // beacons; zero when discovery is off
	Links     int             // established links now
	Unsent    int             // broadcasts waiting in the engine for a first link

	Accepted          uint64 // connections accepted
	Dials             uint64 // connections dialed
	DialFailures      uint64 // dials that did not connect, or whose connection closed or stayed silent before the answer
	SlowLinks         uint64 // links closed because their send queue was full
	BadFrames         uint64 // connections closed for a frame that did not decode
	Refused           uint64 // connections closed unheard: too many waiting for their handshake, or no handshake in time
	KeyRefused        uint64 // connections refused by the network key: another key or none, a replay, bytes that fail authentication
	FramesSent        uint64 // frames queued for sending
	FramesReceived    uint64 // frames received
	BytesSent         uint64 // bytes written to connections
	BytesReceived     uint64 // bytes read from connections
	Deliveries        uint64 // messages handed to the application
	DeliveriesDropped uint64 // messages dropped because Deliveries was full
	BeaconsDropped    uint64 // beacons dropped beyond MaxBeaconRate
	KnownPeers        int    // peers in the engine's passive list now (at most Mesh.PassiveSize)

	// Beacons counts sealed beacons sent, accepted and refused by cause;
	// zero without a network key.
	Beacons netkey.BeaconStats
}

// Node is a running mesh node: one engine on real sockets.
type Node struct {
	cfg   Config
	log   *slog.Logger
	eng   *mesh.Engine
	id    mesh.NodeID
	epoch time.Time
	ln    net.Listener
	addr  netip.AddrPort
	disc  BeaconTransport // nil when discovery is off
	mc    *discovery.Conn // the multicast socket, when disc is one
	obs   Observer        // nil: nobody measures

	events     chan event
	calls      chan func()
	closeReq   chan closeRequest
	quit       chan struct{} // closed when the node stops: unblocks every goroutine
	stopped    chan struct{} // closed when the loop has ended
	deliveries chan Delivery
	dialCtx    context.Context
	dialCancel context.CancelFunc
	wg         sync.WaitGroup
	closeOnce  sync.Once

	// Owned by the loop goroutine.
	conns       map[mesh.LinkID]*conn
	nextLink    mesh.LinkID
	timers      timerTable
	pending     []mesh.LinkID // links to report closed once the outputs are applied
	dataCache   encodedData
	leaving     bool
	deafOffers  bool // the engine hears no offers now (mesh.OutHearOffers)
	overflowing bool
	droppedRun  uint64 // deliveries dropped in the current overflow
	lastDegree  int
	links       linkLog // the links made and lost, logged
	dialPauses  uint64  // the engine's DialPauses last logged
	told        uint64  // connections the engine was told of (opening.go)
	stats       Stats
	final       Stats // the last counters, readable after the loop ended
	leaveErr    error

	bytesIn, bytesOut, badFrames atomic.Uint64
	unshaken                     atomic.Int64 // incoming connections before their first frame
	refused, keyRefused          atomic.Uint64
	beaconsDropped               atomic.Uint64
	rejects                      *rejectLog

	sealer *netkey.BeaconCodec // seals beacons with the network key; nil without one
}

// Start starts a node: it listens, joins the multicast group and starts the
// engine. ctx bounds the start-up only; the node runs until Close.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Listen == "" {
		cfg.Listen = ":0"
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("runtime: invalid configuration: %w", err)
	}
	statics, err := resolvePeers(cfg.Peers)
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	cfg.Mesh.StaticPeers = append(append([]mesh.Addr(nil), cfg.Mesh.StaticPeers...), statics...)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := cfg.ID
	for id == 0 {
		id = mesh.NodeID(randUint64())
	}
	log = log.With("node", id)

	ln, addr, err := listen(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	cfg.Mesh.Port = addr.Port()

	seed := [32]byte{}
	_, _ = crand.Read(seed[:]) // never fails (crypto/rand panics instead)
	eng, err := mesh.New(cfg.Mesh, id, randUint64(), rand.New(rand.NewChaCha8(seed)))
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("runtime: %w", err)
	}

	n := &Node{
		cfg:        cfg,
		log:        log,
		eng:        eng,
		id:         id,
		epoch:      time.Now(),
		ln:         ln,
		addr:       addr,
		events:     make(chan event, 1024),
		calls:      make(chan func()),
		closeReq:   make(chan closeRequest, 1),
		quit:       make(chan struct{}),
		stopped:    make(chan struct{}),
		deliveries: make(chan Delivery, cfg.DeliveryBuffer),
		conns:      map[mesh.LinkID]*conn{},
		rejects:    newRejectLog(log, rejectLogEvery),
		obs:        cfg.Observer,
	}
	n.dialCtx, n.dialCancel = context.WithCancel(context.Background())
	n.timers.init(n.epoch)
	if cfg.NetworkKey != nil {
		n.sealer = netkey.NewBeaconCodec(cfg.NetworkKey, func(err error) { n.refuseBeacon(err) })
		n.log.Info("network key on: links and beacons are authenticated and encrypted", "key", cfg.NetworkKey.Fingerprint(), "protocol", netkey.Protocol)
	}
	switch {
	case cfg.Beacons != nil:
		n.disc = cfg.Beacons
		if n.sealer != nil {
			cfg.Beacons.(codecSetter).SetCodec(n.sealer) // checked by Validate
		}
	case !cfg.NoMulticast:
		if mc := n.openDiscovery(ctx); mc != nil {
			n.disc, n.mc = mc, mc
		}
	}
	n.log.Info("node started", "listen", addr, "static_peers", len(cfg.Mesh.StaticPeers), "discovery", n.discoveryState())

	n.wg.Add(1)
	go n.run()
	n.wg.Add(1)
	go n.acceptLoop()
	if n.disc != nil {
		n.wg.Add(1)
		go n.beaconLoop()
	}
	return n, nil
}

func randUint64() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// ID returns the node id.
func (n *Node) ID() mesh.NodeID { return n.id }

// Addr returns the TCP address the node accepts links on.
func (n *Node) Addr() netip.AddrPort { return n.addr }

// Deliveries returns the channel of messages from other nodes, each once.
// It is buffered (Config.DeliveryBuffer); read it continuously. When it is
// full the node waits up to Config.DeliveryWait for room and then drops the
// message (counted in Stats.DeliveriesDropped and logged), rather than stall
// the mesh. The channel is closed when the node has stopped.
func (n *Node) Deliveries() <-chan Delivery { return n.deliveries }

// now is the engine's clock: the time since the node started.
func (n *Node) now() mesh.Time { return time.Since(n.epoch) }

// call runs f on the loop goroutine and waits for it; false when the loop has
// ended.
func (n *Node) call(f func()) bool {
	done := make(chan struct{})
	select {
	case n.calls <- func() { f(); close(done) }:
		<-done
		return true
	case <-n.stopped:
		return false
	}
}

// Broadcast sends payload to every other node of the mesh. The payload is
// copied. It returns the message id, or an error when the payload is too
// large or the node is closed.
func (n *Node) Broadcast(payload []byte) (mesh.MsgID, error) {
	p := bytes.Clone(payload)
	var id mesh.MsgID
	err := ErrClosed
	n.call(func() {
		if n.leaving {
			return
		}
		var outs []mesh.Output
		id, outs, err = n.eng.Broadcast(n.now(), p)
		if err == nil && n.obs != nil {
			n.obs.Originated(id)
		}
		n.handle(outs)
	})
	return id, err
}

// Stats returns the counters. After Close it returns the final counters.
func (n *Node) Stats() Stats {
	var s Stats
	if n.call(func() { s = n.snapshot() }) {
		return s
	}
	return n.final
}

// Links returns the established links; nil after Close.
func (n *Node) Links() []LinkInfo {
	var res []LinkInfo
	n.call(func() {
		for _, l := range n.eng.Links(nil) {
			li := LinkInfo{Link: l.Link, Peer: l.Peer, Addr: l.Addr.AddrPort(), Dir: l.Dir,
				Since: n.epoch.Add(l.Since), PeerLoad: l.PeerLoad}
			if c := n.conns[l.Link]; c != nil {
				li.Remote, li.Local = c.remote, c.local
				li.Queued = len(c.q)
			}
			res = append(res, li)
		}
	})
	return res
}

// Kill stops the node at once, as if its process had been killed: no Leave
// frames, every socket closed without waiting. It returns when every
// goroutine of the node has ended. Calling it after Close (or Kill) only
// waits for that to end.
func (n *Node) Kill() {
	n.closeOnce.Do(func() {
		n.closeReq <- closeRequest{kill: true}
	})
	<-n.stopped
	n.wg.Wait()
}

// Load returns the node's links in and out and its free incoming slots; zero
// after Close.
func (n *Node) Load() mesh.Load {
	var l mesh.Load
	n.call(func() { l = n.eng.Load() })
	return l
}

// Close leaves the mesh gracefully: the engine sends Leave on every link, the
// node waits until those frames are flushed and the peers have closed their
// ends, or until ctx ends or Config.LeaveTimeout passes, then closes every
// socket and returns once every goroutine of the node has ended. It returns
// an error when some Leave frames could not be flushed in time. Calling it
// again returns the same result.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() {
		n.closeReq <- closeRequest{ctx: ctx}
	})
	<-n.stopped
	n.wg.Wait()
	return n.leaveErr
}

func (n *Node) snapshot() Stats {
	s := n.stats
	s.Engine = n.eng.Stats()
	s.Links = n.eng.Load().Degree()
	s.Unsent = n.eng.Unsent()
	if bs, ok := n.disc.(beaconStats); ok {
		s.Discovery = bs.Stats()
	}
	s.BytesSent = n.bytesOut.Load()
	s.BytesReceived = n.bytesIn.Load()
	s.BadFrames = n.badFrames.Load()
	s.Refused = n.refused.Load()
	s.BeaconsDropped = n.beaconsDropped.Load()
	s.KnownPeers = n.eng.KnownPeers()
	s.KeyRefused = n.keyRefused.Load()
	if n.sealer != nil {
		s.Beacons = n.sealer.Stats()
	}
	return s
}
