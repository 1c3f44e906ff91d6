package main

import (
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// meshWatch is the pubsub tracer of one host. It counts duplicate
// receptions (a message that arrived at a host that already had it: pubsub
// drops it, like our engine drops redundant payloads) and follows, on
// gossipsub, the host's mesh in the bench topic and the peers it backs off.
//
// The mesh is kept as a set: GRAFT adds a peer, PRUNE removes it. (A plain
// counter drifts: the router reports a PRUNE received from a peer that is
// not, or no longer, in the mesh — after it pruned that peer itself, say —
// and a counter would subtract it twice.)
//
// gossipsub backs a peer off in a topic (does not graft it, and refuses its
// GRAFTs) for the backoff the PRUNE carries — PruneBackoff, a minute, by
// default — whenever it sends a PRUNE to it (its own heartbeat pruned an
// over-full mesh, or it refused a GRAFT because its mesh had Dhi = 12 peers
// already) or receives one from it. Every such PRUNE passes the tracer
// (SendRPC, DropRPC or RecvRPC), so the backoffs are known from outside.
// A backoff is taken to end when the PRUNE says; the router clears expired
// backoffs only 2 s later, at every 15th heartbeat, so it may still back the
// peer off for up to 17 s when this watch no longer does (the readiness
// rule is then stricter than the router, never laxer).
//
// The router calls the tracer from its event loop; the readiness poll reads
// it from another goroutine, hence the mutex.
type meshWatch struct {
	now       func() time.Time
	redundant *atomic.Int64

	mu      sync.Mutex
	mesh    map[peer.ID]struct{}
	backoff map[peer.ID]time.Time // until when
}

func newMeshWatch(redundant *atomic.Int64, now func() time.Time) *meshWatch {
	return &meshWatch{now: now, redundant: redundant,
		mesh: map[peer.ID]struct{}{}, backoff: map[peer.ID]time.Time{}}
}

// meshState is what the readiness rule needs of one host.
type meshState struct {
	Mesh int // peers in the host's mesh
	// Graftable counts the peers the host's mesh could hold now: those in
	// it and the known subscribers it is not backing off.
	Graftable int
	// BackedOff counts the known subscribers outside the mesh that the
	// host backs off.
	BackedOff int
}

// state reports the host's mesh against known, the subscribers of the
// topic it knows of.
func (w *meshWatch) state(known []peer.ID) meshState {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	s := meshState{Mesh: len(w.mesh), Graftable: len(w.mesh)}
	for _, p := range known {
		if _, in := w.mesh[p]; in {
			continue
		}
		if until, ok := w.backoff[p]; ok && now.Before(until) {
			s.BackedOff++
			continue
		}
		s.Graftable++
	}
	return s
}

func (w *meshWatch) Graft(p peer.ID, topic string) {
	if topic != topicName {
		return
	}
	w.mu.Lock()
	w.mesh[p] = struct{}{}
	w.mu.Unlock()
}

func (w *meshWatch) Prune(p peer.ID, topic string) {
	if topic != topicName {
		return
	}
	w.mu.Lock()
	delete(w.mesh, p)
	w.mu.Unlock()
}

// prunes notes the backoffs that the PRUNEs of ctl, exchanged with p, start.
func (w *meshWatch) prunes(p peer.ID, ctl *pb.ControlMessage) {
	for _, pr := range ctl.GetPrune() {
		if pr.GetTopicID() != topicName {
			continue
		}
		backoff := pubsub.GossipSubPruneBackoff
		if s := pr.GetBackoff(); s > 0 {
			backoff = max(backoff, time.Duration(s)*time.Second)
		}
		w.mu.Lock()
		if until := w.now().Add(backoff); w.backoff[p].Before(until) {
			w.backoff[p] = until
		}
		w.mu.Unlock()
	}
}

func (w *meshWatch) RecvRPC(rpc *pubsub.RPC)            { w.prunes(rpc.From(), rpc.GetControl()) }
func (w *meshWatch) SendRPC(rpc *pubsub.RPC, p peer.ID) { w.prunes(p, rpc.GetControl()) }
func (w *meshWatch) DropRPC(rpc *pubsub.RPC, p peer.ID) { w.prunes(p, rpc.GetControl()) }
func (w *meshWatch) DuplicateMessage(*pubsub.Message)   { w.redundant.Add(1) }

func (w *meshWatch) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (w *meshWatch) OnClosedOutboundStream(peer.ID)                       {}
func (w *meshWatch) Join(string)                                          {}
func (w *meshWatch) Leave(string)                                         {}
func (w *meshWatch) ValidateMessage(*pubsub.Message)                      {}
func (w *meshWatch) DeliverMessage(*pubsub.Message)                       {}
func (w *meshWatch) RejectMessage(*pubsub.Message, string)                {}
func (w *meshWatch) ThrottlePeer(peer.ID)                                 {}
func (w *meshWatch) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (w *meshWatch) UndeliverableMessage(*pubsub.Message)                 {}
