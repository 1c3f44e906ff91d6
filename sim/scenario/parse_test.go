package scenario

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"p2pmesh/mesh"
)

func mustLoad(t *testing.T, path string) *Scenario {
	t.Helper()
	sc, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return sc
}

func ptr(v float64) *float64 { return &v }

func TestMinimal(t *testing.T) {
	sc := mustLoad(t, "testdata/minimal.yaml")
	cfg := mesh.DefaultConfig()
	want := &Scenario{
		File:        "testdata/minimal.yaml",
		Name:        "minimal",
		Duration:    DefaultSettle,
		Settle:      DefaultSettle,
		SampleEvery: DefaultSampleEvery,
		Node:        cfg,
		Network: Network{
			Latency:      Latency{Dist: LatencyFixed, Value: 5 * time.Millisecond},
			CrossLatency: Latency{Dist: LatencyFixed, Value: 5 * time.Millisecond},
			DialTimeout:  time.Second,
			Segments:     []string{"lan"},
		},
		Timeline: []Action{{
			At: 0, Pos: Pos{3, 5}, Kind: ActStart,
			Start: &Start{Names: []string{"n0", "n1", "n2"}, Segment: "lan", Config: &cfg},
		}},
		Nodes: []NodeDecl{
			{Name: "n0", Segment: "lan", Config: &cfg, Pos: Pos{3, 5}},
			{Name: "n1", Segment: "lan", Config: &cfg, Pos: Pos{3, 5}},
			{Name: "n2", Segment: "lan", Config: &cfg, Pos: Pos{3, 5}},
		},
	}
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("minimal:\n got %+v\nwant %+v", sc, want)
	}
}

func TestFull(t *testing.T) {
	sc := mustLoad(t, "testdata/full.yaml")
	if sc.Name != "full-example" || sc.Description != "every key at least once" {
		t.Errorf("name/description: %q %q", sc.Name, sc.Description)
	}
	if !sc.HasSeed || sc.Seed != 42 {
		t.Errorf("seed: %v %d", sc.HasSeed, sc.Seed)
	}
	if sc.Duration != 2*time.Minute || sc.Settle != 10*time.Second || sc.SampleEvery != 500*time.Millisecond {
		t.Errorf("times: duration %v settle %v sample_every %v", sc.Duration, sc.Settle, sc.SampleEvery)
	}
	if sc.LastAction != 38*time.Second {
		t.Errorf("last action %v, want 38s", sc.LastAction)
	}

	wantCfg := mesh.DefaultConfig()
	wantCfg.MaxIn, wantCfg.MaxOut, wantCfg.TargetOut, wantCfg.MinLinks, wantCfg.Mode = 6, 4, 2, 2, mesh.ModeFlood
	wantCfg.BeaconMin, wantCfg.BeaconMax, wantCfg.BeaconRedundancy = 500*time.Millisecond, 16*time.Second, 2
	wantCfg.PeerTTL, wantCfg.PassiveSize, wantCfg.ExchangeSize, wantCfg.ExchangeInterval = time.Minute, 16, 4, 5*time.Second
	wantCfg.KeepaliveInterval, wantCfg.DeadAfter, wantCfg.HandshakeTimeout = time.Second, 3*time.Second, 2*time.Second
	wantCfg.RotateInterval, wantCfg.DialBackoff = 20*time.Second, 500*time.Millisecond
	wantCfg.MaxFreeRiders, wantCfg.BanTime, wantCfg.SeenCacheSize, wantCfg.MaxPayload = 2, time.Minute, 1024, 1024
	wantCfg.GraftTimeout, wantCfg.IHaveDelay, wantCfg.MessageCacheSize = 300*time.Millisecond, 50*time.Millisecond, 512
	wantCfg.CentreRoot = false
	wantCfg.UnsentLimit = 16
	if !reflect.DeepEqual(sc.Node, wantCfg) {
		t.Errorf("node config:\n got %+v\nwant %+v", sc.Node, wantCfg)
	}
	// Every config key of the table is exercised by full.yaml.
	for _, k := range configKeys {
		def := mesh.DefaultConfig()
		if k.key != "mode" && k.key != "dead_after" && k.key != "keepalive" && k.key != "handshake_timeout" && k.key != "min_links" &&
			reflect.DeepEqual(reflect.ValueOf(k.field(&def)).Elem().Interface(), reflect.ValueOf(k.field(&sc.Node)).Elem().Interface()) {
			t.Errorf("config key %s keeps its default in full.yaml; change it there so the mapping is tested", k.key)
		}
	}

	wantNet := Network{
		Latency:      Latency{Dist: LatencyUniform, Min: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		CrossLatency: Latency{Dist: LatencyNormal, Mean: 40 * time.Millisecond, Stddev: 10 * time.Millisecond},
		Loss:         0.01, BeaconLoss: 0.1, DialTimeout: 2 * time.Second,
		Segments: []string{"lan", "dc2"},
	}
	if !reflect.DeepEqual(sc.Network, wantNet) {
		t.Errorf("network:\n got %+v\nwant %+v", sc.Network, wantNet)
	}
	if got := sc.Network.Latency.String(); got != "uniform 5ms..20ms" {
		t.Errorf("latency string %q", got)
	}

	type row struct {
		at   time.Duration
		kind ActionKind
		line int
	}
	var got []row
	for _, a := range sc.Timeline {
		got = append(got, row{a.At, a.Kind, a.Pos.Line})
	}
	s := time.Second
	want := []row{
		{0, ActStart, 42}, {0, ActStart, 44}, {0, ActStart, 49}, {0, ActWait, 50},
		{5 * s, ActBroadcast, 51}, {5 * s, ActBroadcast, 52}, {5 * s, ActBroadcast, 53}, {5 * s, ActSnapshot, 54},
		{10 * s, ActKill, 55}, {10 * s, ActKill, 57}, {10 * s, ActKill, 58}, {10 * s, ActWait, 59},
		{13 * s, ActRestart, 60}, {13 * s, ActRestart, 61}, {13 * s, ActPartition, 62}, {13 * s, ActPartition, 63},
		{13 * s, ActWait, 64}, {18 * s, ActCheck, 65}, {18 * s, ActHeal, 69}, {18 * s, ActHeal, 70},
		{18 * s, ActSnapshot, 71}, {18 * s, ActSnapshot, 72}, {18 * s, ActStart, 73}, {18 * s, ActWait, 74},
		{38 * s, ActCheck, 75},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline:\n got %v\nwant %v", got, want)
	}
	tl := sc.Timeline

	// start
	if st := tl[0].Start; len(st.Names) != 10 || st.Names[9] != "n9" || st.Over != 2*s || st.Group != "honest" || st.Segment != "lan" {
		t.Errorf("start 0: %+v", st)
	}
	if st := tl[1].Start; !reflect.DeepEqual(st.Names, []string{"bridge"}) || st.Segment != "dc2" || st.StaticPeer != "n0" ||
		st.Config.MaxIn != 2 || st.Config.MaxOut != 2 || st.Config.MaxPayload != 1024 {
		t.Errorf("start 1: %+v", st)
	}
	if st := tl[2].Start; !reflect.DeepEqual(st.Names, []string{"s0", "s1"}) || !st.Config.Misbehaviour().Siphon() || st.Config.MaxIn != 0 || st.Config.MaxOut != 4 {
		t.Errorf("start 2 (siphon): %+v", st)
	}
	if st := tl[22].Start; !reflect.DeepEqual(st.Names, []string{"n10", "n11", "n12"}) || st.Group != "" {
		t.Errorf("start 22: names continue per prefix: %+v", st.Names)
	}
	// broadcasts
	if b := *tl[4].Broadcast; b != (Broadcast{Count: 5, Every: 200 * time.Millisecond, Size: 64}) {
		t.Errorf("broadcast random: %+v", b)
	}
	if b := *tl[5].Broadcast; b != (Broadcast{From: "n3", Count: 1, Size: 64}) {
		t.Errorf("broadcast n3: %+v", b)
	}
	if b := *tl[6].Broadcast; b != (Broadcast{FromGroup: "honest", Count: 1, Size: 1024}) {
		t.Errorf("broadcast group: %+v", b)
	}
	// kill, restart, partition, heal, snapshot
	if k := tl[8].Kill; !k.Graceful || k.Select.Percent != 50 || k.Select.Group != "honest" {
		t.Errorf("kill 8: %+v", k)
	}
	if k := tl[9].Kill; k.Graceful || !reflect.DeepEqual(k.Select.Nodes, []string{"n1"}) {
		t.Errorf("kill 9: %+v", k)
	}
	if k := tl[10].Kill; k.Select.Count != 1 {
		t.Errorf("kill 10: %+v", k)
	}
	if r := tl[12].Restart; !reflect.DeepEqual(r.Nodes, []string{"n1"}) {
		t.Errorf("restart 12: %+v", r)
	}
	if r := tl[13].Restart; r.Percent != 100 || r.Group != "honest" {
		t.Errorf("restart 13: %+v", r)
	}
	if pt := tl[14].Partition; pt.Name != "p1" || pt.Select.Percent != 30 {
		t.Errorf("partition 14: %+v", pt)
	}
	if pt := tl[15].Partition; pt.Name != "partition-2" || !reflect.DeepEqual(pt.Select.Nodes, []string{"bridge"}) {
		t.Errorf("partition 15: %+v", pt)
	}
	if h := tl[18].Heal; h.Name != "p1" {
		t.Errorf("heal 18: %+v", h)
	}
	if h := tl[19].Heal; h.Name != "" {
		t.Errorf("heal 19 (all): %+v", h)
	}
	for i, name := range map[int]string{7: "before-kill", 20: "after-heal", 21: "snapshot-3"} {
		if tl[i].Snapshot.Name != name {
			t.Errorf("snapshot %d: %q, want %q", i, tl[i].Snapshot.Name, name)
		}
	}
	// checks
	if c := tl[17].Check; len(c) != 2 || c[0].Kind != ExpComponents || *c[0].Min != 2 || c[0].Max != nil ||
		c[1].Name != "still alive" || c[1].Kind != ExpAlive || c[1].Pos != (Pos{67, 9}) {
		t.Errorf("check 17: %+v", c)
	}

	// nodes
	var names []string
	for _, n := range sc.Nodes {
		names = append(names, n.Name)
	}
	wantNames := []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "bridge", "s0", "s1", "n10", "n11", "n12"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("nodes %v", names)
	}
	if n, ok := sc.Lookup("n3"); !ok || n.StartAt != 600*time.Millisecond || n.Group != "honest" || n.Action != 0 {
		t.Errorf("n3: %+v", n)
	}
	if n, _ := sc.Lookup("n11"); n.StartAt != 18*s+time.Second/3 || n.Action != 22 || n.Pos != (Pos{73, 5}) {
		t.Errorf("n11: %+v", n)
	}
	if n, _ := sc.Lookup("bridge"); n.Segment != "dc2" || n.StaticPeer != "n0" || n.Config.MaxOut != 2 {
		t.Errorf("bridge: %+v", n)
	}
	if n, _ := sc.Lookup("s1"); n.Group != "siphons" || !n.Config.Misbehaviour().Siphon() {
		t.Errorf("s1: %+v", n)
	}

	// expectations
	type exp struct {
		name     string
		kind     ExpectKind
		min, max *float64
		after    time.Duration
		before   time.Duration
	}
	var gotE []exp
	for _, e := range sc.Expect {
		gotE = append(gotE, exp{e.Name, e.Kind, e.Min, e.Max, e.After, e.Before})
	}
	wantE := []exp{
		{"reliability >= 1 after 30s", ExpReliability, ptr(1), nil, 30 * s, 0},
		{"reliability_mean >= 0.99 in [1s, 1m0s)", ExpReliabilityMean, ptr(0.99), nil, s, time.Minute},
		{"components <= 1", ExpComponents, nil, ptr(1), 0, 0},
		{"rmr <= 9.5", ExpRMR, nil, ptr(9.5), 0, 0},
		{"ldh <= 12", ExpLDH, nil, ptr(12), 0, 0},
		{"latency_p99 <= 500ms", ExpLatencyP99, nil, ptr(float64(500 * time.Millisecond)), 0, 0},
		{"alive == 16", ExpAlive, ptr(16), ptr(16), 0, 0},
		{"min_degree >= 1", ExpMinDegree, ptr(1), nil, 0, 0},
		{"link_limits", ExpLinkLimits, nil, nil, 0, 0},
		{"duplicates <= 0", ExpDuplicates, nil, ptr(0), 0, 0},
		{"custom label", ExpReliability, ptr(1), nil, 0, 0},
	}
	if !reflect.DeepEqual(gotE, wantE) {
		t.Errorf("expect:\n got %+v\nwant %+v", gotE, wantE)
	}
	e := sc.Expect[1]
	if !e.InWindow(s) || e.InWindow(time.Minute) || e.InWindow(0) || !e.Holds(0.99) || e.Holds(0.98) {
		t.Errorf("window/holds of %s", e.Name)
	}
}

// TestForms covers the alternative spellings of some values.
func TestForms(t *testing.T) {
	src := `
name: forms
node: &base {max_out: 3, max_in: 3}
network:
  latency: 7ms
  cross_latency: {dist: fixed, value: 30ms}
timeline:
  - start: {names: [a, b], node: *base}
  - start: {count: 1, static_peer: a, over: 0}
  - partition: {name: x, nodes: [a]}
  - heal: x
  - partition: {nodes: [b]}
  - heal:
  - snapshot:
  - kill: {nodes: a}
  - restart: {count: 1}
  - at: 1m
    wait: 1s
`
	sc, err := Parse("forms.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Network.Latency != (Latency{Dist: LatencyFixed, Value: 7 * time.Millisecond}) ||
		sc.Network.CrossLatency != (Latency{Dist: LatencyFixed, Value: 30 * time.Millisecond}) {
		t.Errorf("latency forms: %+v", sc.Network)
	}
	if sc.Node.MaxOut != 3 || sc.Node.MaxIn != 3 || sc.Timeline[0].Start.Config.MaxOut != 3 {
		t.Errorf("anchored node config: %+v", sc.Node)
	}
	if got := sc.Timeline[3].Heal.Name; got != "x" {
		t.Errorf("heal: x -> %q", got)
	}
	if got := sc.Timeline[5].Heal.Name; got != "" {
		t.Errorf("empty heal -> %q", got)
	}
	if got := sc.Timeline[4].Partition.Name; got != "partition-2" {
		t.Errorf("default partition name %q", got)
	}
	if got := sc.Timeline[6].Snapshot.Name; got != "snapshot-1" {
		t.Errorf("default snapshot name %q", got)
	}
	if got := sc.Timeline[7].Kill.Select.Nodes; !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("nodes: a -> %v", got)
	}
	if got := sc.Timeline[9].At; got != time.Minute {
		t.Errorf("at: 1m -> %v", got)
	}
	if sc.Duration != time.Minute+time.Second+DefaultSettle {
		t.Errorf("duration %v", sc.Duration)
	}
}

func TestMergeKeys(t *testing.T) {
	src := `
name: merge
node: &n {max_out: 3, max_in: 3}
timeline:
  - start: {count: 1, node: {<<: *n, max_in: 4}}
  - start: {count: 1, node: {<<: [*n], max_out: 2}}
`
	sc, err := Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c := sc.Timeline[0].Start.Config; c.MaxIn != 4 || c.MaxOut != 3 {
		t.Errorf("merge with override: %d/%d", c.MaxIn, c.MaxOut)
	}
	if c := sc.Timeline[1].Start.Config; c.MaxIn != 3 || c.MaxOut != 2 {
		t.Errorf("merge list: %d/%d", c.MaxIn, c.MaxOut)
	}
}

func TestSelectorSize(t *testing.T) {
	for _, c := range []struct {
		s    Selector
		pool int
		want int
	}{
		{Selector{Nodes: []string{"a", "b"}}, 10, 2},
		{Selector{Count: 3}, 10, 3},
		{Selector{Count: 30}, 10, 10},
		{Selector{Percent: 50}, 10, 5},
		{Selector{Percent: 25}, 10, 3},
		{Selector{Percent: 1}, 10, 1},
		{Selector{Percent: 1}, 0, 0},
		{Selector{Percent: 100}, 7, 7},
	} {
		if got := c.s.Size(c.pool); got != c.want {
			t.Errorf("%+v.Size(%d) = %d, want %d", c.s, c.pool, got, c.want)
		}
	}
}

func TestErrorList(t *testing.T) {
	_, err := Parse("x.yaml", []byte("name: x\nfoo: 1\nbar: 2\ntimeline: [{wait: 1s}]\n"))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	var one *Error
	if !errors.As(err, &one) || one.Line != 2 || one.Col != 1 || one.File != "x.yaml" {
		t.Fatalf("errors.As *Error: %+v", one)
	}
	if want := "x.yaml:2:1: unknown key \"foo\" (expected one of name, description, seed, duration, settle, sample_every, node, network, timeline, expect)\n" +
		"x.yaml:3:1: unknown key \"bar\" (expected one of name, description, seed, duration, settle, sample_every, node, network, timeline, expect)"; err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}

	// Many problems are capped.
	var b strings.Builder
	b.WriteString("name: many\ntimeline:\n")
	for range 30 {
		b.WriteString("  - wait: 5\n")
	}
	_, err = Parse("many.yaml", []byte(b.String()))
	if !errors.As(err, &list) || len(list) != MaxErrors+1 || !strings.Contains(list[MaxErrors].Msg, "too many errors (10 more") {
		t.Fatalf("cap: %d errors, last %v", len(list), list[len(list)-1])
	}
}

// TestDocExamples parses the complete examples of docs/scenarios.md (the
// YAML blocks that start with "name:").
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scenarios.md")
	if err != nil {
		t.Skip("docs/scenarios.md not found:", err)
	}
	blocks := 0
	for i, part := range strings.Split(string(doc), "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		if !strings.HasPrefix(block, "name:") {
			continue
		}
		blocks++
		sc, err := Parse(fmt.Sprintf("docs/scenarios.md block %d", i+1), []byte(block))
		if err != nil {
			t.Errorf("%v\n%s", err, block)
			continue
		}
		checkScenario(t, sc)
		if sc.Name == "split-brain" && (sc.LastAction != 65*time.Second || sc.Duration != 75*time.Second || len(sc.Nodes) != 32) {
			t.Errorf("worked example: last action %v, duration %v, %d nodes; the text says 65s, 75s, 32", sc.LastAction, sc.Duration, len(sc.Nodes))
		}
		if sc.Name == "quickstart" && sc.Duration != 30800*time.Millisecond {
			t.Errorf("quickstart: duration %v, the text implies 25.8s + 5s", sc.Duration)
		}
	}
	if blocks < 2 {
		t.Errorf("found %d complete examples in docs/scenarios.md, want at least 2", blocks)
	}
}

func TestNetworkKeyDeclared(t *testing.T) {
	src := `name: keys
timeline:
  - start: {count: 2, network_key: members}
  - start: {count: 1, prefix: x}
expect:
  - foreign_deliveries: {eq: 0, after: 1s}
  - foreign_links: {max: 0}
`
	sc, err := Parse("keys.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Timeline[0].Start.NetworkKey != "members" {
		t.Errorf("start action network key %q", sc.Timeline[0].Start.NetworkKey)
	}
	for i, want := range []string{"members", "members", ""} {
		if got := sc.Nodes[i].NetworkKey; got != want {
			t.Errorf("node %s: network key %q, want %q", sc.Nodes[i].Name, got, want)
		}
	}
	if k := sc.Expect[0]; k.Kind != ExpForeignDeliveries || k.After != time.Second || *k.Max != 0 {
		t.Errorf("expectation %+v", k)
	}
	if k := sc.Expect[1]; k.Kind != ExpForeignLinks || k.Name != "foreign_links <= 0" {
		t.Errorf("expectation %+v", k)
	}
}

// Many LANs in a few lines: a series of segments and starts in each of them.
func TestSegmentSeriesAndStartsInEachSegment(t *testing.T) {
	src := `name: many-lans
network:
  segments: {count: 3, prefix: lan}
timeline:
  - start: {count: 1, segments: all, prefix: seed}
  - start: {count: 2, segments: [lan2, lan0], static_peer: random, prefix: b}
  - start: {count: 4, over: 4s, segments: all}
`
	sc, err := Parse("many.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"lan0", "lan1", "lan2"}; !reflect.DeepEqual(sc.Network.Segments, want) {
		t.Fatalf("segments %v, want %v", sc.Network.Segments, want)
	}
	type node struct {
		name, seg, static string
		at                time.Duration
	}
	var got []node
	for _, d := range sc.Nodes {
		got = append(got, node{d.Name, d.Segment, d.StaticPeer, d.StartAt})
	}
	want := []node{
		{"seed0", "lan0", "", 0}, {"seed1", "lan1", "", 0}, {"seed2", "lan2", "", 0},
		{"b0", "lan2", "random", 0}, {"b1", "lan2", "random", 0}, {"b2", "lan0", "random", 0}, {"b3", "lan0", "random", 0},
	}
	for seg := 0; seg < 3; seg++ {
		for i := 0; i < 4; i++ {
			n := seg*4 + i
			want = append(want, node{fmt.Sprintf("n%d", n), fmt.Sprintf("lan%d", seg), "", time.Duration(i) * time.Second})
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes:\n got %v\nwant %v", got, want)
	}
	st := sc.Timeline[2].Start
	if len(st.Names) != 12 || !reflect.DeepEqual(st.Segments, sc.Network.Segments) || st.Segment != "lan0" {
		t.Fatalf("start in each segment: %+v", st)
	}
	if sc.Nodes[7].Config != sc.Nodes[18].Config {
		t.Fatal("the nodes of one start action do not share their configuration")
	}
}
