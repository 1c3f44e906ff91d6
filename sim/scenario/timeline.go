package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"p2pmesh/internal/adversary"
	"p2pmesh/mesh"
)

// nodeState is what the timeline knows about a node at the current item.
// Selectors that pick by count or percent make the outcome random, so a node
// may be "maybe down".
type nodeState uint8

const (
	stateUp nodeState = iota
	stateMaybe
	stateDown
)

// timelineState follows the timeline item by item.
type timelineState struct {
	cursor time.Duration // current time
	last   time.Duration // end of the latest activity (spread starts, broadcast series)

	index  map[string]int // node name -> index in Scenario.Nodes
	state  []nodeState    // by node index
	groups map[string][]int
	next   map[string]int // per prefix, the next index for generated names

	partitions map[string]Pos // in effect
	healed     map[string]Pos // healed, by name
	nparts     int
	snapshots  map[string]Pos
	nsnaps     int

	unknown  []unknownRef // references to unknown nodes, to explain at the end
	segments map[string]bool
	segNodes map[string]int // nodes declared so far, per segment
}

// unknownRef is an error about a reference to an unknown node.
type unknownRef struct {
	err  int // index in parser.errs
	item int // index of the referring item in Scenario.Timeline
	name string
}

func (t *timelineState) init() {
	t.index = map[string]int{}
	t.groups = map[string][]int{}
	t.next = map[string]int{}
	t.partitions = map[string]Pos{}
	t.healed = map[string]Pos{}
	t.snapshots = map[string]Pos{}
	t.segNodes = map[string]int{}
}

func actionList() []string {
	out := make([]string, len(actionNames))
	for i, a := range actionNames {
		out[i] = a.name
	}
	return out
}

// timeline decodes the `timeline:` list.
func (p *parser) timeline(n *yaml.Node) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.errorf(n, "timeline: expected a list of actions (items like \"- start: {count: 10}\"), got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		p.errorf(n, "timeline: expected at least one action")
		return
	}
	for _, item := range n.Content {
		p.item(resolve(item))
	}
	// A reference to a node that a later item starts is a common mistake:
	// say so rather than just "unknown".
	for _, u := range p.tl.unknown {
		if i, ok := p.tl.index[u.name]; ok && u.err < len(p.errs) {
			e := p.errs[u.err]
			what, _, _ := strings.Cut(e.Msg, ": unknown node")
			if d := &p.sc.Nodes[i]; d.Action == u.item {
				e.Msg = fmt.Sprintf("%s: node %q is started by this same item (name a node started by an earlier item)", what, u.name)
			} else {
				e.Msg = fmt.Sprintf("%s: node %q is not started yet: the item at %v starts it later (a reference must come after the start)", what, u.name, d.Pos)
			}
		}
	}
}

// item decodes one timeline item: optional `at:` and exactly one action.
func (p *parser) item(n *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(n, "timeline item: expected a mapping with one action, like \"wait: 5s\", got %s", describe(n))
		return
	}
	var atV, actK, actV *yaml.Node
	var kind ActionKind
	before := len(p.errs)
	for _, kv := range p.pairs(n) {
		if kv.key == "at" {
			atV = kv.v
			continue
		}
		k := ActionKind(0)
		for _, a := range actionNames {
			if a.name == kv.key {
				k = a.kind
			}
		}
		switch {
		case k == 0:
			p.errorf(kv.ksrc, "unknown action %q %s", kv.key, suggest(kv.key, actionList()))
		case actK != nil:
			p.errorf(kv.ksrc, "two actions in one timeline item: %q and %q (each item holds exactly one action; start a new item with \"- \")", actK.Value, kv.key)
		default:
			actK, actV, kind = kv.k, kv.v, k
		}
	}
	t := &p.tl
	if atV != nil {
		if at, ok := p.duration(atV, "at"); ok {
			if at < t.cursor {
				p.errorf(atV, "at: %v is before %v, the time the timeline has already reached (time only moves forward)", at, t.cursor)
			} else {
				t.cursor = at
			}
		}
	}
	if actK == nil {
		if len(p.errs) > before {
			return // an unknown action was reported
		}
		if atV == nil {
			p.errorf(n, "timeline item has no action (expected one of %s)", strings.Join(actionList(), ", "))
		} else {
			p.errorf(n, "timeline item has only \"at\" and no action (expected one of %s)", strings.Join(actionList(), ", "))
		}
		return
	}
	a := Action{At: t.cursor, Pos: posOf(n), Kind: kind}
	index := len(p.sc.Timeline)
	switch kind {
	case ActStart:
		a.Start = p.start(actV, a.At, index, a.Pos)
	case ActKill:
		a.Kill = p.kill(actV, a.At)
	case ActRestart:
		a.Restart = p.restart(actV, a.At)
	case ActPartition:
		a.Partition = p.partition(actV, a.At)
	case ActHeal:
		a.Heal = p.heal(actV)
	case ActBroadcast:
		a.Broadcast = p.broadcast(actV, a.At)
	case ActSnapshot:
		a.Snapshot = p.snapshot(actV)
	case ActCheck:
		a.Check = p.expectations(actV, "check", a.At, true)
	case ActWait:
		if d, ok := p.duration(actV, "wait"); ok {
			if d == 0 {
				p.errorf(actV, "wait: must be positive, got 0s")
			}
			end, ok := addTime(t.cursor, d)
			if !ok {
				p.errorf(actV, "wait: %v takes the timeline past the largest representable time", d)
			}
			a.Wait, t.cursor = d, end
		}
	}
	p.sc.Timeline = append(p.sc.Timeline, a)
}

// extend records activity lasting until at+span.
func (p *parser) extend(n *yaml.Node, what string, at, span time.Duration) {
	end, ok := addTime(at, span)
	if !ok {
		p.errorf(n, "%s: lasts past the largest representable time", what)
	}
	p.tl.last = max(p.tl.last, end)
}

// start decodes a start action and declares its nodes.
func (p *parser) start(n *yaml.Node, at time.Duration, index int, pos Pos) *Start {
	st := &Start{Segment: p.sc.Network.Segments[0]}
	var count int
	var names []string
	prefix := DefaultPrefix
	var siphon bool
	var override, segsV *yaml.Node
	before := len(p.errs)
	got := p.fields(n, "start", []field{
		{"count", &count},
		{"names", &names},
		{"over", &st.Over},
		{"segment", &st.Segment},
		{"segments", func(_, v *yaml.Node) { segsV = v }},
		{"group", &st.Group},
		{"prefix", &prefix},
		{"static_peer", &st.StaticPeer},
		{"siphon", &siphon},
		{"network_key", &st.NetworkKey},
		{"node", func(_, v *yaml.Node) { override = v }},
	})
	n = resolve(n)
	if len(p.errs) > before && (n == nil || n.Kind != yaml.MappingNode) {
		return st
	}
	t := &p.tl
	// The segments the nodes go to: count nodes in each of them.
	targets := []string{st.Segment}
	if segsV != nil {
		switch {
		case got.has("segment"):
			p.errorf(got["segments"].ksrc, "start: give either segment or segments, not both")
		case got.has("names"):
			p.errorf(got["segments"].ksrc, "start: segments goes with count (count nodes in each segment), not with names")
		default:
			targets = p.startSegments(segsV)
			st.Segment, st.Segments = targets[0], targets
		}
	}
	switch {
	case got.has("count") && got.has("names"):
		p.errorf(got["names"].ksrc, "start: give either count or names, not both")
	case got.has("count"):
		if _, ok := got.val("count"); !ok {
			// reported
		} else if count < 1 {
			p.errorf(got["count"].v, "start: count must be at least 1, got %d", count)
		} else if total := count * len(targets); len(p.sc.Nodes)+total > MaxNodes || total/len(targets) != count {
			p.errorf(got["count"].v, "start: count %d would make more than %d nodes in the file", count, MaxNodes)
		} else if kv, ok := got["prefix"]; !ok || p.ident(kv.v, "prefix", prefix) {
			for range total {
				names = append(names, prefix+strconv.Itoa(t.next[prefix]))
				t.next[prefix]++
			}
		}
	case got.has("names"):
		if got.has("prefix") {
			p.errorf(got["prefix"].ksrc, "start: prefix only applies with count (names are given explicitly)")
		}
		if _, ok := got.val("names"); !ok {
			// reported
		} else if len(names) == 0 {
			p.errorf(got["names"].v, "start: names must list at least one name")
		} else if len(p.sc.Nodes)+len(names) > MaxNodes {
			p.errorf(got["names"].v, "start: would make more than %d nodes in the file", MaxNodes)
			names = nil
		}
	default:
		p.errorf(n, "start: expected count (how many nodes) or names (a list of node names)")
	}
	if kv, ok := got.val("segment"); ok && !p.segment(st.Segment) {
		p.errorf(kv.v, "start: unknown segment %q (network.segments declares %s)", st.Segment, p.someSegments())
	}
	if kv, ok := got.val("group"); ok {
		p.ident(kv.v, "group", st.Group)
	}
	if kv, ok := got.val("static_peer"); ok {
		if st.StaticPeer == StaticPeerRandom {
			for _, seg := range targets {
				if len(p.sc.Nodes)-t.segNodes[seg] == 0 {
					p.errorf(kv.v, "static_peer: random: no node started by an earlier item is outside segment %q", seg)
					break
				}
			}
		} else {
			p.nodeRef(kv.v, "static_peer", st.StaticPeer)
		}
	}
	if kv, ok := got.val("network_key"); ok {
		p.ident(kv.v, "network_key", st.NetworkKey)
	}
	p.extend(n, "start", at, st.Over)

	// Configuration: file config, overrides, siphon.
	st.Config = new(mesh.Config)
	*st.Config = p.sc.Node
	cfgPos := posOf(n)
	overrideOK := true
	if override != nil {
		cfgPos = posOf(resolve(override))
		b := len(p.errs)
		p.fields(override, "node", configFields(st.Config))
		overrideOK = len(p.errs) == b // else reported; do not validate a half-read config
	}
	if siphon {
		st.Config.Misbehave(adversary.Siphoner())
		st.Config.MaxIn = 0
	}
	if p.nodeCfgOK && overrideOK && (override != nil || siphon) {
		p.validateConfig(cfgPos, "start: node", *st.Config, st.StaticPeer != "")
	}

	// Declare the nodes.
	namesV := n
	if kv, ok := got["names"]; ok {
		namesV = resolve(kv.v)
	} else if kv, ok := got["count"]; ok {
		namesV = kv.v
	}
	perSeg := max(len(names)/len(targets), 1)
	k := time.Duration(perSeg)
	for i, name := range names {
		seg := targets[min(i/perSeg, len(targets)-1)]
		at0 := namesV
		if namesV != nil && namesV.Kind == yaml.SequenceNode && i < len(namesV.Content) {
			at0 = resolve(namesV.Content[i])
		}
		if got.has("names") {
			if !p.ident(at0, "names", name) {
				continue
			}
			if name == "random" || name == "all" {
				p.errorf(at0, "names: %q is reserved (broadcast from: %s)", name, name)
				continue
			}
		}
		if j, dup := t.index[name]; dup {
			d := p.sc.Nodes[j]
			p.errorf(at0, "start: node %q already exists (started by the item at %v)", name, d.Pos)
			continue
		}
		ii := time.Duration(i % perSeg)
		startAt := at + st.Over/k*ii + st.Over%k*ii/k
		st.Names = append(st.Names, name)
		t.index[name] = len(p.sc.Nodes)
		t.state = append(t.state, stateUp)
		t.groups[st.Group] = append(t.groups[st.Group], len(p.sc.Nodes))
		p.sc.Nodes = append(p.sc.Nodes, NodeDecl{
			Name: name, Segment: seg, Group: st.Group, StaticPeer: st.StaticPeer,
			NetworkKey: st.NetworkKey, Config: st.Config, StartAt: startAt, Action: index, Pos: pos,
		})
	}
	for _, seg := range targets {
		t.segNodes[seg] += perSeg
	}
	return st
}

// startSegments decodes a start's `segments:`: `all`, or a list of
// declared segment names.
func (p *parser) startSegments(n *yaml.Node) []string {
	all := p.sc.Network.Segments
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.Value == "all" {
		return all
	}
	list, ok := p.strList(n, "segments")
	if !ok {
		return all[:1]
	}
	if len(list) == 0 {
		p.errorf(n, "segments: expected all or a list of at least one segment name")
		return all[:1]
	}
	seen := map[string]bool{}
	for i, seg := range list {
		at := n
		if n.Kind == yaml.SequenceNode && i < len(n.Content) {
			at = resolve(n.Content[i])
		}
		switch {
		case !p.segment(seg):
			p.errorf(at, "segments: unknown segment %q (network.segments declares %s)", seg, p.someSegments())
			return all[:1]
		case seen[seg]:
			p.errorf(at, "segments: %q is listed twice", seg)
			return all[:1]
		}
		seen[seg] = true
	}
	return list
}

// someSegments lists the declared segments, the first ten of many.
func (p *parser) someSegments() string {
	segs := p.sc.Network.Segments
	if len(segs) > 10 {
		segs = append(segs[:10:10], "...")
	}
	return strings.Join(segs, ", ")
}

// segment reports whether a segment is declared.
func (p *parser) segment(name string) bool {
	if p.tl.segments == nil {
		p.tl.segments = map[string]bool{}
		for _, s := range p.sc.Network.Segments {
			p.tl.segments[s] = true
		}
	}
	return p.tl.segments[name]
}

// nodeRef checks a reference to a node declared earlier; it returns its
// index or -1.
func (p *parser) nodeRef(n *yaml.Node, what, name string) int {
	if i, ok := p.tl.index[name]; ok {
		return i
	}
	p.tl.unknown = append(p.tl.unknown, unknownRef{len(p.errs), len(p.sc.Timeline), name})
	if len(p.tl.index) == 0 {
		p.errorf(n, "%s: unknown node %q (no node has been started before this point)", what, name)
	} else {
		p.errorf(n, "%s: unknown node %q (nodes must be started by an earlier item; known nodes include %s)", what, name, p.someNames(name))
	}
	return -1
}

// someNames lists a few declared node names, the closest to name first.
func (p *parser) someNames(name string) string {
	type cand struct {
		name string
		dist int
	}
	var best []cand // the three closest, in order
	for i, d := range p.sc.Nodes {
		if i == 10_000 || len(p.tl.unknown) > MaxErrors {
			break // enough to help; do not spend quadratic time on huge files
		}
		c := cand{d.Name, editDistance(name, d.Name)}
		j := len(best)
		for j > 0 && best[j-1].dist > c.dist {
			j--
		}
		if j < 3 {
			best = slices.Insert(best, j, c)
			if len(best) > 3 {
				best = best[:3]
			}
		}
	}
	var out []string
	for _, c := range best {
		out = append(out, c.name)
	}
	if len(p.sc.Nodes) > len(out) {
		out = append(out, "...")
	}
	return strings.Join(out, ", ")
}

// groupRef checks a reference to a group declared earlier.
func (p *parser) groupRef(n *yaml.Node, what, name string) bool {
	if _, ok := p.tl.groups[name]; ok && name != "" {
		return true
	}
	var known []string
	for g := range p.tl.groups {
		if g != "" {
			known = append(known, g)
		}
	}
	slices.Sort(known)
	if len(known) == 0 {
		p.errorf(n, "%s: unknown group %q (no start action so far has a group)", what, name)
	} else {
		p.errorf(n, "%s: unknown group %q (groups started so far: %s)", what, name, strings.Join(known, ", "))
	}
	return false
}

func selectorFields(s *Selector) []field {
	return []field{
		{"nodes", &s.Nodes},
		{"count", &s.Count},
		{"percent", &s.Percent},
		{"group", &s.Group},
		{"bridges", &s.Bridges},
	}
}

// pool is the set of nodes a selector or a random origin picks from: the
// nodes of a group (or all), whose state passes a filter. It is walked
// rather than stored, so that big files stay linear per action.
type pool struct {
	p     *parser
	group string
	all   bool // every node, not just the group
	in    func(nodeState) bool
}

func (q pool) each(fn func(i int)) {
	if q.all {
		for i := range q.p.sc.Nodes {
			if q.in(q.p.tl.state[i]) {
				fn(i)
			}
		}
		return
	}
	for _, i := range q.p.tl.groups[q.group] {
		if q.in(q.p.tl.state[i]) {
			fn(i)
		}
	}
}

func (q pool) size() int {
	n := 0
	q.each(func(int) { n++ })
	return n
}

// selector checks a decoded selector and returns its pool
// (the nodes it may pick from, filtered by inPool) and of its explicit
// nodes. ok is false when it is unusable.
func (p *parser) selector(n *yaml.Node, what string, s *Selector, got present, inPool func(nodeState) bool) (q pool, explicit []int, ok bool) {
	n = resolve(n)
	var given []string
	for _, k := range []string{"nodes", "count", "percent"} {
		if got.has(k) {
			given = append(given, k)
		}
	}
	switch len(given) {
	case 0:
		p.errorf(n, "%s: expected one of nodes (a list of names), count or percent to pick nodes", what)
		return pool{}, nil, false
	case 1:
	default:
		p.errorf(got[given[1]].ksrc, "%s: give only one of nodes, count and percent (found %s and %s)", what, given[0], given[1])
		return pool{}, nil, false
	}
	for _, k := range []string{"nodes", "count", "percent", "group"} {
		if kv, has := got[k]; has && kv.bad {
			return pool{}, nil, false
		}
	}
	ok = true
	if kv, has := got["count"]; has && s.Count < 1 {
		p.errorf(kv.v, "%s: count must be at least 1, got %d", what, s.Count)
		ok = false
	}
	if kv, has := got["percent"]; has && (s.Percent <= 0 || s.Percent > 100) {
		p.errorf(kv.v, "%s: percent must be in (0, 100], got %s", what, formatFloat(s.Percent))
		ok = false
	}
	if kv, has := got["group"]; has {
		if got.has("nodes") {
			p.errorf(kv.ksrc, "%s: group only applies with count or percent (nodes are named explicitly)", what)
			ok = false
		} else if !p.groupRef(kv.v, what+": group", s.Group) {
			ok = false
		}
	}
	if kv, has := got["bridges"]; has && s.Bridges {
		switch {
		case got.has("nodes"):
			p.errorf(kv.ksrc, "%s: bridges only applies with count or percent (nodes are named explicitly)", what)
			ok = false
		case !p.hasRandomStaticPeer():
			p.errorf(kv.v, "%s: bridges: no start item has static_peer: random, so no node is a bridge", what)
			ok = false
		}
	}
	if kv, has := got["nodes"]; has {
		seq := resolve(kv.v)
		if len(s.Nodes) == 0 {
			p.errorf(seq, "%s: nodes must list at least one node", what)
			ok = false
		}
		listed := map[string]bool{}
		for i, name := range s.Nodes {
			at := seq
			if seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
				at = resolve(seq.Content[i])
			}
			if listed[name] {
				p.errorf(at, "%s: node %q is listed twice", what, name)
				ok = false
				continue
			}
			listed[name] = true
			j := p.nodeRef(at, what, name)
			if j < 0 {
				ok = false
				continue
			}
			explicit = append(explicit, j)
		}
		return pool{}, explicit, ok
	}
	if !ok {
		return pool{}, nil, false
	}
	return pool{p: p, group: s.Group, all: !got.has("group"), in: inPool}, nil, true
}

// nodePos returns the position of the i-th entry of a selector's nodes list.
func nodePos(got present, i int) *yaml.Node {
	seq := resolve(got["nodes"].v)
	if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
		return resolve(seq.Content[i])
	}
	return seq
}

func isMap(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.MappingNode
}

func canRun(s nodeState) bool  { return s != stateDown }
func canStop(s nodeState) bool { return s != stateUp }

// inGroup describes the pool for messages.
func inGroup(s *Selector) string {
	if s.Group != "" {
		return fmt.Sprintf(" in group %q", s.Group)
	}
	return ""
}

// checkCount reports a count larger than the pool can be.
func (p *parser) checkCount(got present, what string, s *Selector, pool int, poolDesc string) bool {
	if pool == 0 {
		p.errorf(p.selectorNode(got), "%s: no node%s can be %s at this point", what, inGroup(s), poolDesc)
		return false
	}
	if s.Count > pool {
		p.errorf(got["count"].v, "%s: count %d, but at most %s%s can be %s at this point", what, s.Count, plural(pool, "node", "nodes"), inGroup(s), poolDesc)
		return false
	}
	return true
}

func (p *parser) selectorNode(got present) *yaml.Node {
	for _, k := range []string{"count", "percent", "nodes"} {
		if kv, ok := got[k]; ok {
			return kv.v
		}
	}
	return nil
}

// takesAll reports whether the selector surely picks the whole pool.
func takesAll(s *Selector, pool int) bool { return s.Count >= pool || s.Percent == 100 }

func (p *parser) kill(n *yaml.Node, at time.Duration) *Kill {
	k := &Kill{}
	mode := "crash"
	got := p.fields(n, "kill", append(selectorFields(&k.Select), field{"mode", &mode}))
	if !isMap(n) {
		return k
	}
	switch mode {
	case "crash":
	case "leave":
		k.Graceful = true
	default:
		if kv, ok := got.val("mode"); ok {
			p.errorf(kv.v, "kill: unknown mode %q (expected crash or leave)", mode)
		}
	}
	q, explicit, ok := p.selector(n, "kill", &k.Select, got, canRun)
	if !ok {
		return k
	}
	t := &p.tl
	if explicit != nil {
		p.checkRunning(got, "kill", explicit, at)
		for _, j := range explicit {
			t.state[j] = stateDown
		}
		return k
	}
	size := q.size()
	if !p.checkCount(got, "kill", &k.Select, size, "running") {
		return k
	}
	next := stateMaybe
	if takesAll(&k.Select, size) && !k.Select.Bridges {
		next = stateDown
	}
	q.each(func(j int) { t.state[j] = next })
	return k
}

func (p *parser) restart(n *yaml.Node, at time.Duration) *Selector {
	s := &Selector{}
	got := p.fields(n, "restart", selectorFields(s))
	if !isMap(n) {
		return s
	}
	q, explicit, ok := p.selector(n, "restart", s, got, canStop)
	if !ok {
		return s
	}
	t := &p.tl
	if explicit != nil {
		for i, j := range explicit {
			if t.state[j] == stateUp {
				p.errorf(nodePos(got, i), "restart: node %q is running at this point (no earlier kill can have stopped it)", p.sc.Nodes[j].Name)
			}
			t.state[j] = stateUp
		}
		return s
	}
	size := q.size()
	if !p.checkCount(got, "restart", s, size, "stopped") {
		return s
	}
	next := stateMaybe
	if takesAll(s, size) && !s.Bridges {
		next = stateUp
	}
	q.each(func(j int) { t.state[j] = next })
	return s
}

func (p *parser) partition(n *yaml.Node, at time.Duration) *Partition {
	pt := &Partition{}
	got := p.fields(n, "partition", append(selectorFields(&pt.Select), field{"name", &pt.Name}))
	if !isMap(n) {
		return pt
	}
	t := &p.tl
	t.nparts++
	if kv, ok := got.val("name"); ok {
		if p.ident(kv.v, "partition: name", pt.Name) && pt.Name == "all" {
			p.errorf(kv.v, "partition: name %q is reserved (heal: all heals every partition)", pt.Name)
		}
	} else {
		pt.Name = fmt.Sprintf("partition-%d", t.nparts)
	}
	if pos, active := t.partitions[pt.Name]; active {
		where := n
		if kv, ok := got["name"]; ok {
			where = kv.v
		}
		p.errorf(where, "partition: %q is already in effect (made at %v); heal it first or choose another name", pt.Name, pos)
	}
	t.partitions[pt.Name] = posOf(resolve(n))
	q, explicit, ok := p.selector(n, "partition", &pt.Select, got, canRun)
	switch {
	case !ok:
	case explicit != nil:
		p.checkRunning(got, "partition", explicit, at)
	default:
		p.checkCount(got, "partition", &pt.Select, q.size(), "running")
	}
	return pt
}

// checkRunning reports explicitly named nodes that cannot be running at
// time at: stopped for sure, or not started yet.
func (p *parser) checkRunning(got present, what string, explicit []int, at time.Duration) {
	for i, j := range explicit {
		d := &p.sc.Nodes[j]
		switch {
		case p.tl.state[j] == stateDown:
			p.errorf(nodePos(got, i), "%s: node %q is already stopped at this point", what, d.Name)
		case d.StartAt > at:
			p.errorf(nodePos(got, i), "%s: node %q starts at %v, after this %s at %v", what, d.Name, d.StartAt, what, at)
		}
	}
}

// optionalName reads the name of an event that may have one: given as the
// event's value (`heal: west`) or as its one key (`heal: {name: west}`), or
// left out (`heal:`). It returns the name and the node that gave it, nil
// when none did.
func (p *parser) optionalName(n *yaml.Node, what string) (name string, nameV *yaml.Node) {
	switch {
	case n == nil:
	case n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull:
	case n.Kind == yaml.ScalarNode:
		name, nameV = n.Value, n
	default:
		got := p.fields(n, what, []field{{"name", &name}})
		if kv, ok := got["name"]; ok {
			nameV = kv.v
		}
	}
	return name, nameV
}

func (p *parser) heal(n *yaml.Node) *Heal {
	h := &Heal{}
	n = resolve(n)
	var nameV *yaml.Node
	h.Name, nameV = p.optionalName(n, "heal")
	t := &p.tl
	if nameV == nil || h.Name == "all" {
		h.Name = ""
		clear(t.partitions)
		return h
	}
	if _, ok := t.partitions[h.Name]; ok {
		delete(t.partitions, h.Name)
		t.healed[h.Name] = posOf(n)
		return h
	}
	if pos, ok := t.healed[h.Name]; ok {
		p.errorf(nameV, "heal: partition %q was already healed (at %v)", h.Name, pos)
		return h
	}
	var active []string
	for name := range t.partitions {
		active = append(active, name)
	}
	slices.Sort(active)
	if len(active) == 0 {
		p.errorf(nameV, "heal: unknown partition %q (no partition is in effect here)", h.Name)
	} else {
		p.errorf(nameV, "heal: unknown partition %q (in effect here: %s)", h.Name, strings.Join(active, ", "))
	}
	return h
}

func (p *parser) broadcast(n *yaml.Node, at time.Duration) *Broadcast {
	b := &Broadcast{Count: 1, Size: DefaultPayloadSize}
	from := "random"
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode && r.ShortTag() == tagNull {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: r.Line, Column: r.Column} // "broadcast:" alone: all defaults
	}
	got := p.fields(n, "broadcast", []field{
		{"from", &from},
		{"count", &b.Count},
		{"every", &b.Every},
		{"size", &b.Size},
	})
	t := &p.tl
	// The candidate origins, for the payload limit.
	limit, candidates := 1<<30, 0
	visit := func(i int) {
		limit = min(limit, p.sc.Nodes[i].Config.MaxPayload)
		candidates++
	}
	switch {
	case from == "random" || from == "all":
		b.All = from == "all"
		pool{p: p, all: true, in: canRun}.each(visit)
		if candidates == 0 && len(p.errs) == 0 {
			// (After an error, a start that was refused may be why.)
			p.errorf(n, "broadcast: no node can be running at this point to send it")
		}
	case strings.HasPrefix(from, "group:"):
		b.FromGroup = strings.TrimPrefix(from, "group:")
		if p.groupRef(got["from"].v, "broadcast: from", b.FromGroup) {
			pool{p: p, group: b.FromGroup, in: canRun}.each(visit)
			if candidates == 0 && len(p.errs) == 0 {
				p.errorf(got["from"].v, "broadcast: no node of group %q can be running at this point", b.FromGroup)
			}
		}
	default:
		b.From = from
		if i := p.nodeRef(got["from"].v, "broadcast: from", from); i >= 0 {
			d := &p.sc.Nodes[i]
			switch {
			case t.state[i] == stateDown:
				p.errorf(got["from"].v, "broadcast: node %q is stopped at this point", from)
			case d.StartAt > at:
				p.errorf(got["from"].v, "broadcast: node %q starts at %v, after this broadcast at %v", from, d.StartAt, at)
			}
			visit(i)
		}
	}
	if b.Count < 1 || b.Count > MaxBroadcastCount {
		p.errorf(got["count"].v, "broadcast: count must be between 1 and %d, got %d", MaxBroadcastCount, b.Count)
		b.Count = 1
	}
	if b.Count > 1 && b.Every == 0 {
		where := n
		if kv, ok := got["every"]; ok {
			where = kv.v
		}
		p.errorf(where, "broadcast: every must be positive when count is above 1 (the time between messages)")
	}
	if b.Size < 1 || b.Size > limit {
		where := n
		if kv, ok := got["size"]; ok {
			where = kv.v
		}
		p.errorf(where, "broadcast: size must be between 1 and max_payload (%d), got %d", limit, b.Size)
	}
	if b.Every > 0 && b.Count > 1 {
		span := b.Every * time.Duration(b.Count-1)
		if span/time.Duration(b.Count-1) != b.Every {
			p.errorf(n, "broadcast: count times every is too long")
		} else {
			p.extend(n, "broadcast", at, span)
		}
	}
	return b
}

func (p *parser) snapshot(n *yaml.Node) *Snapshot {
	s := &Snapshot{}
	n = resolve(n)
	var nameV *yaml.Node
	s.Name, nameV = p.optionalName(n, "snapshot")
	t := &p.tl
	t.nsnaps++
	if nameV == nil {
		s.Name = fmt.Sprintf("snapshot-%d", t.nsnaps)
		nameV = n
	} else if !p.ident(nameV, "snapshot", s.Name) {
		return s
	}
	if pos, dup := t.snapshots[s.Name]; dup {
		p.errorf(nameV, "snapshot: name %q is already used (at %v)", s.Name, pos)
	}
	t.snapshots[s.Name] = posOf(nameV)
	return s
}

// hasRandomStaticPeer reports whether some node declared so far has
// static_peer: random (and so there are bridges to select).
func (p *parser) hasRandomStaticPeer() bool {
	for i := range p.sc.Nodes {
		if p.sc.Nodes[i].StaticPeer == StaticPeerRandom {
			return true
		}
	}
	return false
}
