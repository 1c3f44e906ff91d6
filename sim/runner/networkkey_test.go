package runner

import (
	"strings"
	"testing"

	"p2pmesh/sim"
	"p2pmesh/sim/scenario"
)

// keyMislabelled is the simulator with every other node reported under
// another network key than it runs with: links and deliveries between
// them are then foreign, as a broken transport would let them be.
type keyMislabelled struct{ simNetwork }

func (k keyMislabelled) Node(i sim.NodeIndex) sim.NodeInfo {
	info := k.simNetwork.Node(i)
	if i%2 == 1 {
		info.NetworkKey = "odd"
	}
	return info
}

func TestForeignLinksAreMeasured(t *testing.T) {
	src := `name: leak
timeline:
  - start: {count: 6}
  - at: 5s
    broadcast: {from: n0}
expect:
  - foreign_links: {eq: 0}
  - foreign_deliveries: {eq: 0}
`
	sc, err := scenario.Parse("leak.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc, Options{Network: func(sc *scenario.Scenario, seed uint64) (Network, error) {
		s, err := sim.New(seed, network(sc))
		return keyMislabelled{simNetwork{s}}, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	var links, deliveries bool
	for _, e := range res.Failed {
		links = links || strings.HasPrefix(e.Name, "foreign_links") && e.Value > 0
		deliveries = deliveries || strings.HasPrefix(e.Name, "foreign_deliveries")
	}
	if !links {
		t.Errorf("links between differently keyed nodes were not caught: %+v", res.Report.Expectations)
	}
	if deliveries {
		t.Errorf("foreign_deliveries failed, but the simulator's own keys are all equal: %+v", res.Report.Expectations)
	}
}
