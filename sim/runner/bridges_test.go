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

// Two LANs whose bridges all crash stay one mesh (testdata/
// two-lans-bridges-crash.yaml). Seed 17: the three west bridges linked only
// to each other and to east, and the rest of west was an island before the
// crash; seed 3: after it, the east nodes that lost their WAN links had
// many links left and never dialed west again.
func TestTwoLANsOutliveTheirBridges(t *testing.T) {
	t.Parallel()
	sc, err := scenario.Load("testdata/two-lans-bridges-crash.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{3, 17} {
		sc.Seed = seed
		res, err := Run(sc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res.Report.Expectations {
			if !x.OK {
				t.Errorf("seed %d: %s: %s", seed, x.Name, x.Detail)
			}
		}
	}
}
