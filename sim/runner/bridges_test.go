package runner

import (
	"testing"

	"p2pmesh/sim/scenario"
)

// bridges: true picks only the ends of the links static_peer: random made.
func TestKillBridgesOnly(t *testing.T) {
	sc, err := scenario.Parse("b.yaml", []byte(`name: b
seed: 2
network:
  segments: [east, west]
timeline:
  - start: {count: 6, segment: east}
  - start: {count: 2, segment: west, prefix: w, static_peer: random}
  - at: 5s
    kill: {percent: 100, bridges: true}
  - at: 6s
    wait: 1s
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dead := map[string]bool{}
	for _, n := range res.Report.Nodes {
		if !n.Alive {
			dead[n.Name] = true
		}
	}
	if !dead["w0"] || !dead["w1"] || len(dead) < 3 || len(dead) > 4 {
		t.Fatalf("killed %v: want w0, w1 and the one or two east nodes they were given", dead)
	}
}
