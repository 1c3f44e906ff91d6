package main

import (
	"fmt"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

// runOurs builds the network on our simulator (package p2pmesh/sim, the real
// mesh engines on a virtual clock) and measures it. Timed, in wall time,
// from before sim.New to the end of the run:
//
//   - n nodes added to one LAN segment and started at virtual time 0, with the
//     default configuration (5 outgoing + 5 incoming links, flooding); they
//     find each other by the engine's own beacons and link up;
//   - virtual time runs on, checked every checkEvery, until the overlay is
//     one component and every node has at least minLinks links ("ready");
//   - the broadcasts are sent from the same origins as on libp2p, interval
//     apart in virtual time, and virtual time runs on until every node has
//     delivered every message;
//   - finally virtual time runs on, idle but for keepalives and beacons,
//     until it reaches span: the wall time the libp2p runs of the same N
//     needed, so that the simulator covers at least as much time of
//     traffic as libp2p did.
func runOurs(p params) result {
	const checkEvery = 50 * time.Millisecond
	res := result{System: "ours", N: p.N, Broadcasts: p.Broadcasts}
	t0 := time.Now()

	net := sim.DefaultNetwork()
	net.Latency = sim.FixedLatency(p.Latency)
	net.CrossLatency = net.Latency
	s, err := sim.New(p.Seed, net)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	seg := s.AddSegment("lan")
	cfg := mesh.DefaultConfig()
	for i := 0; i < p.N; i++ {
		idx, err := s.AddNode(fmt.Sprintf("n%d", i), "", cfg, seg)
		if err != nil {
			res.Err = err.Error()
			return res
		}
		s.Start(idx, 0)
	}
	minLinks := p.ReadyLinks
	if minLinks <= 0 {
		minLinks = cfg.MinLinks
	}
	ready := func() bool {
		for i := 0; i < p.N; i++ {
			if e := s.Engine(sim.NodeIndex(i)); e == nil || e.Load().Degree() < minLinks {
				return false
			}
		}
		return s.Components(s.Topology()) == 1
	}
	for !ready() {
		if s.Now() > p.ReadyTimeout {
			res.Err = fmt.Sprintf("not ready after %v of virtual time", p.ReadyTimeout)
			break
		}
		s.RunFor(checkEvery)
	}
	res.ReadyAt = s.Now().Seconds()
	res.Degree = 2 * float64(len(s.Topology().Edges)) / float64(p.N)
	res.ReadyWall = time.Since(t0).Seconds()

	origins := pickOrigins(p)
	res.FirstPublish = s.Now().Seconds()
	for k, o := range origins {
		if k > 0 && p.Interval > 0 {
			s.RunFor(p.Interval)
		}
		if _, err := s.Broadcast(sim.NodeIndex(o), p.Size); err != nil {
			res.Err = err.Error()
			return res
		}
	}
	deadline := s.Now() + p.DeliverTimeout
	allIn := func() bool {
		for _, b := range s.Broadcasts() {
			if b.Delivered < b.Alive {
				return false
			}
		}
		return true
	}
	for !allIn() && s.Now() < deadline {
		s.RunFor(time.Millisecond)
	}
	var last mesh.Time
	for _, b := range s.Broadcasts() {
		res.Delivered += int64(b.Delivered)
		res.Redundant += int64(b.Redundant)
		last = max(last, b.SentAt+b.LatencyMax)
	}
	res.LastDelivery = last.Seconds()
	res.LastDeliveryWall = time.Since(t0).Seconds()
	if span := time.Duration(p.Span * float64(time.Second)); s.Now() < span {
		s.Run(span)
	}
	res.Wall = time.Since(t0).Seconds()
	res.Virtual = s.Now().Seconds()
	res.Expected = int64(p.Broadcasts) * int64(p.N-1)
	res.AppDuplicates = int64(s.DuplicateDeliveries())
	res.Events = s.EngineEvents
	c := s.Counters()
	res.Beacons, res.Frames = c.BeaconReceptions, c.Frames
	res.Links = len(s.Topology().Edges)
	return res
}
