package main

import (
	"sync/atomic"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// prune is an RPC carrying one PRUNE for topic with the given backoff.
func prune(topic string, backoffSeconds uint64) *pubsub.RPC {
	return &pubsub.RPC{RPC: pb.RPC{Control: &pb.ControlMessage{
		Prune: []*pb.ControlPrune{{TopicID: &topic, Backoff: &backoffSeconds}},
	}}}
}

func TestMeshWatchFollowsMeshAndBackoffs(t *testing.T) {
	now := time.Unix(1000, 0)
	var redundant atomic.Int64
	w := newMeshWatch(&redundant, func() time.Time { return now })
	peers := []peer.ID{"a", "b", "c", "d", "e", "f"}

	for _, p := range peers[:5] {
		w.Graft(p, topicName)
	}
	w.Graft("x", "other topic")
	if s := w.state(peers); s != (meshState{Mesh: 5, Graftable: 6}) {
		t.Fatalf("after five grafts: %+v", s)
	}

	// e prunes us (its mesh was over-full), we prune f; a PRUNE for a
	// peer that is not in the mesh (d's answer to our own PRUNE, say)
	// must not take the mesh below its true size.
	w.SendRPC(prune(topicName, 60), "f")
	w.Prune("e", topicName)
	w.Prune("e", topicName)
	if s := w.state(peers); s != (meshState{Mesh: 4, Graftable: 5, BackedOff: 1}) {
		t.Fatalf("e pruned, f backed off: %+v", s)
	}
	if !gossipsubMeshed(meshState{Mesh: 4, Graftable: 4}) {
		t.Fatal("a host with every other neighbour backed off counts as meshed")
	}
	if gossipsubMeshed(meshState{Mesh: 4, Graftable: 5}) {
		t.Fatal("a host that could graft a fifth peer does not count as meshed")
	}
	if !gossipsubMeshed(meshState{Mesh: 5, Graftable: 9}) {
		t.Fatal("Dlo mesh peers are enough")
	}

	// e's PRUNE arrives (RecvRPC: from e, 60 s of backoff); a PRUNE of
	// another topic backs nobody off.
	w.prunes("e", prune(topicName, 60).GetControl())
	w.DropRPC(prune("other topic", 60), "a")
	if s := w.state(peers); s != (meshState{Mesh: 4, Graftable: 4, BackedOff: 2}) {
		t.Fatalf("e and f backed off: %+v", s)
	}

	// A minute later the backoffs are over: the heartbeat may graft again.
	now = now.Add(pubsub.GossipSubPruneBackoff)
	if s := w.state(peers); s != (meshState{Mesh: 4, Graftable: 6}) || gossipsubMeshed(s) {
		t.Fatalf("after the backoff: %+v", s)
	}

	w.DuplicateMessage(nil)
	if redundant.Load() != 1 {
		t.Fatalf("redundant receptions %d, want 1", redundant.Load())
	}
}
