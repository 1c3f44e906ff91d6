package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
)

const topicName = "bench"

// runLibp2p builds the network with go-libp2p-pubsub (router "floodsub" or
// "gossipsub") on libp2p's in-memory network (mocknet) and measures it.
// Timed, in wall time, from before mocknet.New to the last delivery:
//
//   - n hosts generated (an ECDSA key each, mocknet's default), every link
//     given the one-way latency p.Latency;
//   - a PubSub per host (message signing off unless p.Sign), every host
//     joins and subscribes to one topic;
//   - each host dials p.Degree random others it is not yet connected to
//     (5 by default: 5n connections, 10 per host on average, like our 5
//     outgoing + 5 incoming links);
//   - "ready" (waitReady): every host knows that all its connected peers
//     subscribed and, on gossipsub, has its mesh formed: Dlo = 5 peers, or
//     all it may graft now (gossipsubMeshed; polled every 10 ms; the mesh
//     forms at the heartbeats, the first after 100 ms, then every second);
//   - the broadcasts are published from the chosen origins, p.Interval
//     apart, until the last of the n-1 subscribers other than the origin
//     has received the last of them (every reception is timestamped).
//
// Closing the hosts afterwards is not timed.
func runLibp2p(router string, p params) result {
	res := result{System: router, N: p.N, Broadcasts: p.Broadcasts}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t0 := time.Now()

	mn := mocknet.New()
	defer mn.Close()
	mn.SetLinkDefaults(mocknet.LinkOptions{Latency: p.Latency})
	hosts := make([]host.Host, p.N)
	index := make(map[peer.ID]int, p.N)
	for i := range hosts {
		h, err := mn.GenPeer()
		if err != nil {
			res.Err = fmt.Sprintf("host %d: %v", i, err)
			return res
		}
		hosts[i] = h
		index[h.ID()] = i
	}

	// Counters shared by every host.
	var (
		delivered, appDup, redundant atomic.Int64
		lastDelivery                 atomic.Int64 // ns since t0
		done                         = make(chan struct{})
		doneOnce                     sync.Once
	)
	expected := int64(p.Broadcasts) * int64(p.N-1)
	watch := make([]*meshWatch, p.N)

	topics := make([]*pubsub.Topic, p.N)
	for i, h := range hosts {
		watch[i] = newMeshWatch(&redundant, time.Now)
		opts := []pubsub.Option{pubsub.WithRawTracer(watch[i])}
		if !p.Sign {
			opts = append(opts,
				pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
				pubsub.WithMessageIdFn(func(m *pb.Message) string {
					d := m.GetData()
					if len(d) < 8 {
						return string(d)
					}
					return string(d[:8])
				}))
		}
		var ps *pubsub.PubSub
		var err error
		switch router {
		case "floodsub":
			ps, err = pubsub.NewFloodSub(ctx, h, opts...)
		case "gossipsub":
			ps, err = pubsub.NewGossipSub(ctx, h, opts...)
		default:
			err = errors.New("unknown router")
		}
		if err != nil {
			res.Err = fmt.Sprintf("%s on host %d: %v", router, i, err)
			return res
		}
		t, err := ps.Join(topicName)
		if err != nil {
			res.Err = fmt.Sprintf("join: %v", err)
			return res
		}
		topics[i] = t
		sub, err := t.Subscribe()
		if err != nil {
			res.Err = fmt.Sprintf("subscribe: %v", err)
			return res
		}
		self := i
		go func() {
			seen := make([]bool, p.Broadcasts)
			for {
				m, err := sub.Next(ctx)
				if err != nil {
					return
				}
				d := m.GetData()
				if len(d) < 8 {
					continue
				}
				origin, k := int(binary.BigEndian.Uint32(d)), int(binary.BigEndian.Uint32(d[4:]))
				if origin == self || k >= len(seen) {
					continue
				}
				if seen[k] {
					appDup.Add(1)
					continue
				}
				seen[k] = true
				now := int64(time.Since(t0))
				for {
					old := lastDelivery.Load()
					if now <= old || lastDelivery.CompareAndSwap(old, now) {
						break
					}
				}
				if delivered.Add(1) == expected {
					doneOnce.Do(func() { close(done) })
				}
			}
		}()
	}

	// Random graph, connected once every host runs pubsub (as pubsub's own
	// tests do: a connection made before a host speaks the protocol may
	// never be used): each host dials p.Degree distinct peers it has no
	// connection with yet.
	rng := rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	adj := make([]map[int]bool, p.N)
	for i := range adj {
		adj[i] = map[int]bool{}
	}
	for i := range hosts {
		want := min(p.Degree, p.N-1-len(adj[i]))
		for added := 0; added < want; {
			j := rng.IntN(p.N)
			if j == i || adj[i][j] {
				continue
			}
			if _, err := mn.LinkPeers(hosts[i].ID(), hosts[j].ID()); err != nil {
				res.Err = fmt.Sprintf("link: %v", err)
				return res
			}
			if _, err := mn.ConnectPeers(hosts[i].ID(), hosts[j].ID()); err != nil {
				res.Err = fmt.Sprintf("connect: %v", err)
				return res
			}
			adj[i][j], adj[j][i] = true, true
			res.Links++
			added++
		}
	}

	degree := make([]int, p.N)
	for i := range adj {
		degree[i] = len(adj[i])
	}
	res.Note, res.Err = waitReady(router, topics, watch, degree, p.ReadyTimeout)
	res.ReadyAt = time.Since(t0).Seconds()
	res.Degree = 2 * float64(res.Links) / float64(p.N)
	res.ReadyWall = res.ReadyAt

	origins := pickOrigins(p)
	res.FirstPublish = time.Since(t0).Seconds()
	next := time.Now()
	for k, o := range origins {
		if k > 0 && p.Interval > 0 {
			next = next.Add(p.Interval)
			time.Sleep(time.Until(next))
		}
		if err := topics[o].Publish(ctx, payload(o, k, p.Size)); err != nil {
			res.Err = fmt.Sprintf("publish: %v", err)
			return res
		}
	}
	select {
	case <-done:
	case <-time.After(p.DeliverTimeout):
		if res.Err == "" {
			res.Err = fmt.Sprintf("only %d of %d deliveries within %v", delivered.Load(), expected, p.DeliverTimeout)
		}
	}
	res.Wall = time.Duration(lastDelivery.Load()).Seconds()
	res.LastDelivery = res.Wall
	res.LastDeliveryWall = res.Wall
	res.Expected = expected
	res.Delivered = delivered.Load()
	res.AppDuplicates = appDup.Load()
	res.Redundant = redundant.Load()
	return res
}

// payload is the message body: origin and broadcast number (which also make
// the message id when signing is off), padded to size bytes.
func payload(origin, k, size int) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint32(b, uint32(origin))
	binary.BigEndian.PutUint32(b[4:], uint32(k))
	return b
}
