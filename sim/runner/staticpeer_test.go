package runner

import (
	"reflect"
	"testing"

	"p2pmesh/mesh"
	"p2pmesh/sim"
	"p2pmesh/sim/scenario"
)

// recordNet is the simulator, remembering the static peers each node got.
type recordNet struct {
	simNetwork
	statics map[sim.NodeIndex][]mesh.Addr
}

func (n *recordNet) AddNode(name, group string, cfg *mesh.Config, seg int32) (sim.NodeIndex, error) {
	i, err := n.simNetwork.AddNode(name, group, cfg, seg)
	if err == nil && len(cfg.StaticPeers) > 0 {
		n.statics[i] = cfg.StaticPeers
	}
	return i, err
}

// static_peer: random links each bridge to a node of an earlier item in
// another segment, chosen from the run's seed; the LANs become one mesh.
func TestRandomStaticPeersBridgeSegments(t *testing.T) {
	t.Parallel()
	src := `name: bridges
network:
  segments: {count: 8}
timeline:
  - start: {count: 1, segments: all, prefix: seed}
  - start: {count: 2, segments: all, static_peer: random, prefix: bridge}
  - start: {count: 20, over: 2s, segments: all}
  - at: 20s
    broadcast: {count: 3, every: 1s}
expect:
  - reliability: {min: 1.0}
  - components: {eq: 1}
`
	sc, err := scenario.Parse("bridges.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) (map[sim.NodeIndex][]mesh.Addr, *Result, *recordNet) {
		var net *recordNet
		res, err := Run(sc, Options{Seed: seed, HasSeed: true, Network: func(sc *scenario.Scenario, seed uint64) (Network, error) {
			s, err := sim.New(seed, network(sc))
			net = &recordNet{simNetwork{s}, map[sim.NodeIndex][]mesh.Addr{}}
			return net, err
		}})
		if err != nil {
			t.Fatal(err)
		}
		return net.statics, res, net
	}
	statics, res, net := run(1)
	if len(res.Failed) > 0 {
		t.Fatalf("expectations failed: %+v", res.Failed)
	}
	byAddr := map[mesh.Addr]sim.NodeIndex{}
	for i := 0; i < net.NodeCount(); i++ {
		byAddr[net.Node(sim.NodeIndex(i)).Addr] = sim.NodeIndex(i)
	}
	if len(statics) != 16 {
		t.Fatalf("%d nodes have static peers, want the 16 bridges", len(statics))
	}
	for i, addrs := range statics {
		me := net.Node(i)
		peer, ok := byAddr[addrs[0]]
		if len(addrs) != 1 || !ok {
			t.Fatalf("%s: static peers %v", me.Name, addrs)
		}
		p := net.Node(peer)
		if p.Segment == me.Segment || p.Name[:4] != "seed" {
			t.Fatalf("%s (%s) got static peer %s (%s): want a seed node of another segment", me.Name, me.Segment, p.Name, p.Segment)
		}
	}
	again, _, _ := run(1)
	if !reflect.DeepEqual(statics, again) {
		t.Fatal("the same seed chose other static peers")
	}
	other, _, _ := run(2)
	if reflect.DeepEqual(statics, other) {
		t.Fatal("another seed chose the same static peers")
	}
}
