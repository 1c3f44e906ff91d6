package scenario

import (
	"strings"
	"testing"
	"time"
)

const linksHead = "name: links\ntimeline:\n  - start: {count: 4}\nnetwork:\n  segments: [east, west]\n"

func TestLinkPropertiesParse(t *testing.T) {
	sc, err := Parse("links.yaml", []byte(linksHead+`  bandwidth: 1Gbit
  per_segment:
    east: {bandwidth: {up: 2Mbit, down: 10Mbit/s}, loss: 0.01}
  between:
    - segments: [east, west]
      latency: 40ms
      loss: 0.02
      bandwidth: 50Mbit
`))
	if err != nil {
		t.Fatal(err)
	}
	n := sc.Network
	if n.Capacity != (Capacity{Up: 1e9, Down: 1e9}) {
		t.Errorf("bandwidth %+v", n.Capacity)
	}
	if len(n.PerSegment) != 1 || n.PerSegment[0].Segment != "east" || n.PerSegment[0].Capacity != (Capacity{Up: 2e6, Down: 1e7}) ||
		*n.PerSegment[0].Loss != 0.01 || n.PerSegment[0].Latency != nil {
		t.Errorf("per_segment %+v", n.PerSegment)
	}
	if len(n.Between) != 1 || n.Between[0].Between != [2]string{"east", "west"} || n.Between[0].Latency.Value != 40*time.Millisecond ||
		*n.Between[0].Loss != 0.02 || n.Between[0].Bandwidth != 50e6 {
		t.Errorf("between %+v", n.Between)
	}
}

func TestBadLinkProperties(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"bandwidth unit", "  bandwidth: 10MB\n", `links.yaml:6:14: bandwidth: expected a positive bandwidth such as 1Gbit`},
		{"unknown segment", "  per_segment:\n    north: {loss: 0.1}\n", `links.yaml:7:5: per_segment: unknown segment "north"`},
		{"loss range", "  per_segment:\n    east: {loss: 1.5}\n", `links.yaml:7:18: per_segment: east: loss: expected a probability in [0, 1), got 1.5`},
		{"one segment", "  between:\n    - {segments: [east], latency: 1ms}\n", `links.yaml:7:18: between: item 1: segments: expected two different segment names`},
		{"twice", "  between:\n    - {segments: [east, west]}\n    - {segments: [west, east]}\n", `links.yaml:8:18: between: the links between east and west are described twice`},
		{"unknown key", "  per_segment:\n    east: {bandwith: 1Mbit}\n", `links.yaml:7:12: unknown key "bandwith" in per_segment: east (did you mean "bandwidth"?)`},
	} {
		_, err := Parse("links.yaml", []byte(linksHead+c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestBridgesSelector(t *testing.T) {
	const base = "name: b\nnetwork:\n  segments: [east, west]\ntimeline:\n  - start: {count: 4, segment: east}\n"
	sc, err := Parse("b.yaml", []byte(base+"  - start: {count: 2, segment: west, static_peer: random}\n  - at: 5s\n    kill: {count: 2, bridges: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if k := sc.Timeline[len(sc.Timeline)-1].Kill; k == nil || !k.Select.Bridges {
		t.Fatalf("kill %+v: want a bridges selector", k)
	}
	for _, c := range []struct{ src, want string }{
		{"  - at: 5s\n    kill: {count: 1, bridges: true}\n", "b.yaml:7:31: kill: bridges: no start item has static_peer: random"},
		{"  - at: 5s\n    kill: {nodes: [n0], bridges: true}\n", "b.yaml:7:25: kill: bridges only applies with count or percent"},
	} {
		if _, err := Parse("b.yaml", []byte(base+c.src)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
