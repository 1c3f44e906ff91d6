package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"p2pmesh/mesh"
)

// Load reads and parses a scenario file. Problems with its content come back
// as an ErrorList; a file that cannot be read gives "PATH: reason" (wrapping
// the os error).
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			// "nosuch.yaml: no such file or directory", not "open nosuch.yaml: …"
			return nil, fmt.Errorf("%s: %w", path, pe.Err)
		}
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses and validates the scenario in data; filename is used in
// error messages only. On failure it returns a nil Scenario and an ErrorList
// holding every problem found (at most MaxErrors, then a note).
func Parse(filename string, data []byte) (*Scenario, error) {
	p := &parser{file: filename, data: data}
	sc := p.parse()
	if len(p.errs) > 0 {
		return nil, p.errs.finish()
	}
	return sc, nil
}

// configKeys maps the keys of a `node:` mapping to mesh.Config fields. The
// YAML type follows from the field's Go type; adding a key is one line.
var configKeys = []struct {
	key   string
	field func(*mesh.Config) any
}{
	{"max_in", func(c *mesh.Config) any { return &c.MaxIn }},
	{"max_out", func(c *mesh.Config) any { return &c.MaxOut }},
	{"target_out", func(c *mesh.Config) any { return &c.TargetOut }},
	{"min_links", func(c *mesh.Config) any { return &c.MinLinks }},
	{"mode", func(c *mesh.Config) any { return &c.Mode }},
	{"beacon_min", func(c *mesh.Config) any { return &c.BeaconMin }},
	{"beacon_max", func(c *mesh.Config) any { return &c.BeaconMax }},
	{"beacon_redundancy", func(c *mesh.Config) any { return &c.BeaconRedundancy }},
	{"peer_ttl", func(c *mesh.Config) any { return &c.PeerTTL }},
	{"passive_size", func(c *mesh.Config) any { return &c.PassiveSize }},
	{"exchange_size", func(c *mesh.Config) any { return &c.ExchangeSize }},
	{"exchange_interval", func(c *mesh.Config) any { return &c.ExchangeInterval }},
	{"keepalive", func(c *mesh.Config) any { return &c.KeepaliveInterval }},
	{"dead_after", func(c *mesh.Config) any { return &c.DeadAfter }},
	{"handshake_timeout", func(c *mesh.Config) any { return &c.HandshakeTimeout }},
	{"rotate_interval", func(c *mesh.Config) any { return &c.RotateInterval }},
	{"dial_backoff", func(c *mesh.Config) any { return &c.DialBackoff }},
	{"max_free_riders", func(c *mesh.Config) any { return &c.MaxFreeRiders }},
	{"ban_time", func(c *mesh.Config) any { return &c.BanTime }},
	{"seen_cache", func(c *mesh.Config) any { return &c.SeenCacheSize }},
	{"graft_timeout", func(c *mesh.Config) any { return &c.GraftTimeout }},
	{"ihave_delay", func(c *mesh.Config) any { return &c.IHaveDelay }},
	{"message_cache", func(c *mesh.Config) any { return &c.MessageCacheSize }},
	{"centre_root", func(c *mesh.Config) any { return &c.CentreRoot }},
	{"max_payload", func(c *mesh.Config) any { return &c.MaxPayload }},
	{"unsent_limit", func(c *mesh.Config) any { return &c.UnsentLimit }},
}

// modeNames maps the values of `mode:` to broadcast modes.
var modeNames = []struct {
	name string
	mode mesh.Mode
}{
	{"flood", mesh.ModeFlood},
	{"tree", mesh.ModeTree},
}

func configFields(c *mesh.Config) []field {
	out := make([]field, len(configKeys))
	for i, k := range configKeys {
		out[i] = field{k.key, k.field(c)}
	}
	return out
}

var (
	scenarioNameRE = regexp.MustCompile(`^[a-z0-9._-]+$`)
	identRE        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

const maxIdent = 100

// ident checks a name of a node, group, segment, partition or snapshot.
func (p *parser) ident(n *yaml.Node, what, s string) bool {
	if !identRE.MatchString(s) || len(s) > maxIdent {
		p.errorf(n, "%s: invalid name %q (expected letters, digits, '.', '_' or '-', starting with a letter or digit, at most %d characters)", what, s, maxIdent)
		return false
	}
	return true
}

func (p *parser) parse() *Scenario {
	root := p.readDocument()
	if root == nil {
		return nil
	}
	root = resolve(root)
	if len(p.overrides) > 0 && (root.Kind != yaml.MappingNode || !p.applyOverrides(root)) {
		if root.Kind != yaml.MappingNode {
			p.errorf(root, "the file is %s, not a mapping: nothing to --set", describe(root))
		}
		return nil
	}
	sc := &Scenario{
		File:        p.file,
		Settle:      DefaultSettle,
		SampleEvery: DefaultSampleEvery,
		Node:        mesh.DefaultConfig(),
		Network: Network{
			Latency:      Latency{Dist: LatencyFixed, Value: DefaultLatency},
			CrossLatency: Latency{Dist: LatencyFixed, Value: DefaultLatency},
			DialTimeout:  DefaultDialTimeout,
			Segments:     []string{DefaultSegment},
		},
	}
	p.sc = sc
	var duration time.Duration
	var nodeN, networkN, timelineN, expectN *yaml.Node
	capture := func(dst **yaml.Node) func(k, v *yaml.Node) { return func(_, v *yaml.Node) { *dst = v } }
	got := p.fields(root, "", []field{
		{"name", &sc.Name},
		{"description", &sc.Description},
		{"seed", &sc.Seed},
		{"duration", &duration},
		{"settle", &sc.Settle},
		{"sample_every", &sc.SampleEvery},
		{"node", capture(&nodeN)},
		{"network", capture(&networkN)},
		{"timeline", capture(&timelineN)},
		{"expect", capture(&expectN)},
	})
	if root.Kind != yaml.MappingNode {
		return nil
	}
	if kv, ok := got["name"]; !ok {
		p.errorf(root, "missing required key \"name\" (a short name like \"quickstart\")")
	} else if kv.bad {
		// reported
	} else if sc.Name != "" && !scenarioNameRE.MatchString(sc.Name) {
		p.errorf(kv.v, "name: invalid scenario name %q (expected lower-case letters, digits, '.', '_' or '-')", sc.Name)
	} else if sc.Name == "" {
		p.errorf(kv.v, "name: must not be empty")
	}
	sc.HasSeed = got.has("seed")
	if kv, ok := got["sample_every"]; ok && sc.SampleEvery == 0 {
		p.errorf(kv.v, "sample_every: must be positive, got 0s")
	}

	// The node configuration.
	p.nodeCfgOK = true
	if nodeN != nil {
		before := len(p.errs)
		p.fields(nodeN, "node", configFields(&sc.Node))
		if len(p.errs) == before {
			p.nodeCfgOK = p.validateConfig(posOf(nodeN), "node", sc.Node, false)
		} else {
			p.nodeCfgOK = false
		}
	} else {
		p.nodeCfgOK = p.validateConfig(posOf(root), "node", sc.Node, false)
	}

	if networkN != nil {
		p.network(networkN)
	}

	p.tl.init()
	if timelineN == nil {
		p.errorf(root, "missing required key \"timeline\" (a list of actions, starting with a start action)")
	} else {
		p.timeline(timelineN)
	}
	sc.LastAction = max(p.tl.last, p.tl.cursor)

	if kv, ok := got.val("duration"); ok {
		if duration < sc.LastAction {
			p.errorf(kv.v, "duration: %v ends the run before the timeline's last action at %v", duration, sc.LastAction)
		}
		sc.Duration = duration
	} else {
		end, ok := addTime(sc.LastAction, sc.Settle)
		if !ok {
			p.errorf(root, "the run would end after the largest representable time")
		}
		sc.Duration = end
	}

	if expectN != nil {
		sc.Expect = p.expectations(expectN, "expect", sc.Duration, false)
	}
	return sc
}

// validateConfig runs mesh.Config.Validate and reports each of its problems
// at pos. A static peer, whose address the runner fills in, is stood in for
// by a placeholder.
func (p *parser) validateConfig(pos Pos, what string, c mesh.Config, staticPeer bool) bool {
	if staticPeer {
		c.StaticPeers = []mesh.Addr{{Port: 1}}
	}
	err := c.Validate()
	if err == nil {
		return true
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		p.errorAt(pos, "%s: %s", what, line)
	}
	return false
}

// network decodes the `network:` mapping.
func (p *parser) network(n *yaml.Node) {
	generated := false // segments: {count, prefix}
	net := &p.sc.Network
	var crossGiven bool
	got := p.fields(n, "network", []field{
		{"latency", func(_, v *yaml.Node) {
			if l, ok := p.latency(v, "latency"); ok {
				net.Latency = l
			}
		}},
		{"cross_latency", func(_, v *yaml.Node) {
			if l, ok := p.latency(v, "cross_latency"); ok {
				net.CrossLatency = l
				crossGiven = true
			}
		}},
		{"loss", &net.Loss},
		{"beacon_loss", &net.BeaconLoss},
		{"bandwidth", func(_, v *yaml.Node) { net.Capacity, _ = p.capacity(v, "bandwidth") }},
		{"per_segment", func(_, v *yaml.Node) { net.PerSegment = p.perSegment(v) }},
		{"between", func(_, v *yaml.Node) { net.Between = p.between(v) }},
		{"dial_timeout", &net.DialTimeout},
		{"segments", func(k, v *yaml.Node) {
			if isMap(v) {
				net.Segments = p.segmentSeries(v)
				generated = true
				return
			}
			p.decode("segments", k, v, &net.Segments)
		}},
	})
	if !crossGiven {
		net.CrossLatency = net.Latency
	}
	for _, key := range []string{"loss", "beacon_loss"} {
		v := net.Loss
		if key == "beacon_loss" {
			v = net.BeaconLoss
		}
		if kv, ok := got[key]; ok && (v < 0 || v >= 1) {
			p.errorf(kv.v, "%s: expected a probability in [0, 1), got %s", key, formatFloat(v))
		}
	}
	p.checkLinkSegments()
	if kv, ok := got["dial_timeout"]; ok && net.DialTimeout == 0 {
		p.errorf(kv.v, "dial_timeout: must be positive, got 0s")
	}
	if kv, ok := got.val("segments"); ok && !generated {
		if len(net.Segments) == 0 {
			p.errorf(kv.v, "segments: expected at least one segment name")
			net.Segments = []string{DefaultSegment}
		}
		seq := resolve(kv.v)
		seen := map[string]bool{}
		for i, s := range net.Segments {
			at := seq
			if seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
				at = resolve(seq.Content[i])
			}
			p.ident(at, "segments", s)
			if seen[s] {
				p.errorf(at, "segments: %q is listed twice", s)
			}
			seen[s] = true
		}
	}
}

// segmentSeries decodes `segments: {count: N, prefix: P}`: the segments
// P0 … P(N-1), for networks of many LANs.
func (p *parser) segmentSeries(n *yaml.Node) []string {
	count, prefix := 0, DefaultSegment
	got := p.fields(n, "segments", []field{{"count", &count}, {"prefix", &prefix}})
	if _, ok := got.val("count"); !ok {
		if !got.has("count") {
			p.errorf(n, "segments: expected count (how many segments) and optionally prefix (their name before the number, default %q)", DefaultSegment)
		}
		return []string{DefaultSegment}
	}
	if count < 1 || count > MaxSegments {
		p.errorf(got["count"].v, "segments: count must be between 1 and %d, got %d", MaxSegments, count)
		return []string{DefaultSegment}
	}
	if kv, ok := got.val("prefix"); ok && !p.ident(kv.v, "segments: prefix", prefix) {
		return []string{DefaultSegment}
	}
	names := make([]string, count)
	for i := range names {
		names[i] = prefix + strconv.Itoa(i)
	}
	return names
}

// latencyKeys tells which keys each distribution takes, required first.
var latencyKeys = map[LatencyDist]struct{ required, optional []string }{
	LatencyFixed:   {required: []string{"value"}},
	LatencyUniform: {required: []string{"min", "max"}},
	LatencyNormal:  {required: []string{"mean"}, optional: []string{"stddev"}},
}

// latency decodes a latency: a duration (fixed) or a mapping with dist.
func (p *parser) latency(n *yaml.Node, key string) (Latency, bool) {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() != tagNull {
		d, ok := p.duration(n, key)
		return Latency{Dist: LatencyFixed, Value: d}, ok
	}
	var l Latency
	var dist string
	before := len(p.errs)
	got := p.fields(n, key, []field{
		{"dist", &dist},
		{"value", &l.Value},
		{"min", &l.Min},
		{"max", &l.Max},
		{"mean", &l.Mean},
		{"stddev", &l.Stddev},
	})
	if len(p.errs) > before {
		return l, false
	}
	var names []string
	found := false
	for _, d := range latencyDists {
		names = append(names, d.name)
		if d.name == dist {
			l.Dist, found = d.dist, true
		}
	}
	switch {
	case !got.has("dist"):
		p.errorf(n, "%s: missing dist (expected %s)", key, orList(names))
		return l, false
	case !found:
		p.errorf(got["dist"].v, "%s: unknown dist %q (expected %s)", key, dist, orList(names))
		return l, false
	}
	keys := latencyKeys[l.Dist]
	ok := true
	for _, k := range keys.required {
		if !got.has(k) {
			p.errorf(n, "%s: dist %s needs %s", key, dist, strings.Join(keys.required, " and "))
			ok = false
			break
		}
	}
	for _, kv := range got {
		if kv.key != "dist" && !slices.Contains(keys.required, kv.key) && !slices.Contains(keys.optional, kv.key) {
			p.errorf(kv.ksrc, "%s: %s does not apply to dist %s (it takes %s)", key, kv.key, dist,
				strings.Join(append(slices.Clone(keys.required), keys.optional...), ", "))
			ok = false
		}
	}
	if l.Dist == LatencyUniform && l.Min > l.Max {
		p.errorf(n, "%s: uniform min (%v) must not exceed max (%v)", key, l.Min, l.Max)
		ok = false
	}
	return l, ok
}

// addTime adds two non-negative durations, reporting overflow.
func addTime(a, b time.Duration) (time.Duration, bool) {
	if b > 1<<63-1-a {
		return 1<<63 - 1, false
	}
	return a + b, true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
