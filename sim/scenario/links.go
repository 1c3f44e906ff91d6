package scenario

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"p2pmesh/sim"
)

// Capacity is a node's bandwidth in bits per second (the simulator's
// type); 0 is unlimited.
type Capacity = sim.Capacity

// LinkOverride changes the links of one segment (Segment, with Capacity
// for its nodes) or those between two segments (Between): `per_segment:`
// and `between:` under `network:`.
type LinkOverride struct {
	Segment string
	Between [2]string
	Latency *Latency
	Loss    *float64
	// Capacity of the segment's nodes (per_segment only); zero fields keep
	// the network's.
	Capacity Capacity
	// Bandwidth shared by the links between the two segments (between
	// only), bits per second; 0 is unlimited.
	Bandwidth int64
	Pos       Pos
}

// bandwidthUnits are the units a bandwidth may be written in.
var bandwidthUnits = []struct {
	suffix string
	scale  float64
}{{"Gbit", 1e9}, {"Mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}

// bandwidth decodes a bandwidth such as 1Gbit, 10Mbit/s or 500kbit.
func (p *parser) bandwidth(n *yaml.Node, key string) (int64, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s: expected a bandwidth such as 1Gbit, 10Mbit or 500kbit, got %s", key, describe(n))
		return 0, false
	}
	s := strings.TrimSuffix(strings.TrimSpace(n.Value), "/s")
	for _, u := range bandwidthUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || f <= 0 || f*u.scale > 1e15 || f*u.scale < 1 {
				break
			}
			return int64(f * u.scale), true
		}
	}
	p.errorf(n, "%s: expected a positive bandwidth such as 1Gbit, 10Mbit or 500kbit (units bit, kbit, Mbit, Gbit, optionally /s), got %q", key, n.Value)
	return 0, false
}

// capacity decodes `bandwidth:`: one figure for both directions, or
// {up, down}.
func (p *parser) capacity(n *yaml.Node, key string) (Capacity, bool) {
	var c Capacity
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode {
		v, ok := p.bandwidth(r, key)
		return Capacity{Up: v, Down: v}, ok
	}
	before := len(p.errs)
	p.fields(n, key, []field{
		{"up", func(_, v *yaml.Node) { c.Up, _ = p.bandwidth(v, key+": up") }},
		{"down", func(_, v *yaml.Node) { c.Down, _ = p.bandwidth(v, key+": down") }},
	})
	return c, len(p.errs) == before
}

// linkProps decodes the properties of a segment's links or a pair's:
// latency, loss and (for a segment) bandwidth.
func (p *parser) linkProps(n *yaml.Node, what string, o *LinkOverride, extra ...field) {
	table := append([]field{
		{"latency", func(_, v *yaml.Node) {
			if l, ok := p.latency(v, what+": latency"); ok {
				o.Latency = &l
			}
		}},
		{"loss", func(_, v *yaml.Node) {
			if f, ok := p.number(v, what+": loss"); ok {
				if f < 0 || f >= 1 {
					p.errorf(v, "%s: loss: expected a probability in [0, 1), got %s", what, formatFloat(f))
					return
				}
				o.Loss = &f
			}
		}},
	}, extra...)
	p.fields(n, what, table)
}

// perSegment decodes `per_segment: {NAME: {latency, loss, bandwidth}}`.
func (p *parser) perSegment(n *yaml.Node) []LinkOverride {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(n, "per_segment: expected a mapping from segment names to {latency, loss, bandwidth}, got %s", describe(n))
		return nil
	}
	var out []LinkOverride
	for _, kv := range p.pairs(n) {
		o := LinkOverride{Segment: kv.key, Pos: posOf(kv.ksrc)}
		what := "per_segment: " + kv.key
		p.linkProps(kv.v, what, &o, field{"bandwidth", func(_, v *yaml.Node) {
			o.Capacity, _ = p.capacity(v, what+": bandwidth")
		}})
		out = append(out, o)
	}
	return out
}

// between decodes `between: [{segments: [A, B], latency, loss,
// bandwidth}, …]`.
func (p *parser) between(n *yaml.Node) []LinkOverride {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.errorf(n, "between: expected a list of items like \"- {segments: [east, west], latency: 40ms}\", got %s", describe(n))
		return nil
	}
	var out []LinkOverride
	for k, item := range n.Content {
		o := LinkOverride{Pos: posOf(resolve(item))}
		what := "between: item " + strconv.Itoa(k+1)
		var segs []string
		var segsNode *yaml.Node
		p.linkProps(item, what, &o, field{"segments", func(_, v *yaml.Node) {
			segsNode = v
			segs, _ = p.strList(v, what+": segments")
		}}, field{"bandwidth", func(_, v *yaml.Node) {
			o.Bandwidth, _ = p.bandwidth(v, what+": bandwidth")
		}})
		switch {
		case segsNode == nil:
			p.errorf(item, "%s: expected segments: [A, B], the two segments whose links it describes", what)
		case len(segs) != 2 || segs[0] == segs[1]:
			p.errorf(segsNode, "%s: segments: expected two different segment names, got %d names", what, len(segs))
		default:
			o.Between = [2]string{segs[0], segs[1]}
			o.Pos = posOf(resolve(segsNode))
			out = append(out, o)
		}
	}
	return out
}

// checkLinkSegments reports overrides that name segments the network does
// not declare, and pairs given twice.
func (p *parser) checkLinkSegments() {
	net := &p.sc.Network
	known := map[string]bool{}
	for _, s := range net.Segments {
		known[s] = true
	}
	for _, o := range net.PerSegment {
		if !known[o.Segment] {
			p.errorAt(o.Pos, "per_segment: unknown segment %q %s", o.Segment, suggest(o.Segment, net.Segments))
		}
	}
	seen := map[[2]string]bool{}
	for _, o := range net.Between {
		for _, s := range o.Between {
			if !known[s] {
				p.errorAt(o.Pos, "between: unknown segment %q %s", s, suggest(s, net.Segments))
			}
		}
		key := o.Between
		if key[0] > key[1] {
			key[0], key[1] = key[1], key[0]
		}
		if seen[key] {
			p.errorAt(o.Pos, "between: the links between %s and %s are described twice", key[0], key[1])
		}
		seen[key] = true
	}
}
