package scenario

import (
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func expectList() []string {
	out := make([]string, len(expectKinds))
	for i, k := range expectKinds {
		out[i] = k.name
	}
	return out
}

// expectations decodes a list of expectations (`expect:` or `check:`).
// end is the time they are judged at: windows must start before it.
func (p *parser) expectations(n *yaml.Node, what string, end time.Duration, inCheck bool) []Expectation {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: expected a list of expectations (items like \"- components: {max: 1}\"), got %s", what, describe(n))
		return nil
	}
	if inCheck && len(n.Content) == 0 {
		p.errorf(n, "%s: expected at least one expectation", what)
		return nil
	}
	out := make([]Expectation, 0, len(n.Content))
	for _, item := range n.Content {
		if e, ok := p.expectation(resolve(item), what, end, inCheck); ok {
			out = append(out, e)
		}
	}
	return out
}

// expectation decodes one expectation: optional `name:` and one measure.
func (p *parser) expectation(n *yaml.Node, what string, end time.Duration, inCheck bool) (Expectation, bool) {
	e := Expectation{Pos: posOf(n)}
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: expected an expectation like \"components: {max: 1}\", got %s", what, describe(n))
		return e, false
	}
	before := len(p.errs)
	var kindK, kindV *yaml.Node
	kindIdx := -1
	named := false
	for _, kv := range p.pairs(n) {
		if kv.key == "name" {
			if s, ok := p.str(kv.v, "name"); ok {
				e.Name, named = s, true
			}
			continue
		}
		if kv.key == "seeds" {
			e.Seeds = p.seedList(kv.v)
			continue
		}
		idx := -1
		for i, k := range expectKinds {
			if k.name == kv.key {
				idx = i
			}
		}
		switch {
		case idx < 0:
			p.errorf(kv.ksrc, "%s: unknown expectation %q %s", what, kv.key, suggest(kv.key, expectList()))
		case kindK != nil:
			p.errorf(kv.ksrc, "%s: two measures in one expectation: %q and %q (start a new item with \"- \")", what, kindK.Value, kv.key)
		default:
			kindK, kindV, kindIdx = kv.k, kv.v, idx
		}
	}
	if kindK == nil {
		if len(p.errs) == before {
			p.errorf(n, "%s: expectation has no measure (expected one of %s)", what, strings.Join(expectList(), ", "))
		}
		return e, false
	}
	spec := expectKinds[kindIdx]
	e.Kind = spec.kind
	key := spec.name

	if spec.val == valBool {
		b, ok := p.boolean(kindV, key)
		if ok && !b {
			p.errorf(kindV, "%s: false checks nothing; write true, or leave the expectation out", key)
		}
	} else {
		var minV, maxV, eqV *yaml.Node
		capture := func(dst **yaml.Node) func(k, v *yaml.Node) { return func(_, v *yaml.Node) { *dst = v } }
		got := p.fields(kindV, key, []field{
			{"min", capture(&minV)},
			{"max", capture(&maxV)},
			{"eq", capture(&eqV)},
			{"after", &e.After},
			{"before", &e.Before},
		})
		kindV = resolve(kindV)
		e.Min = p.bound(minV, key, "min", spec.val)
		e.Max = p.bound(maxV, key, "max", spec.val)
		if eqV != nil {
			if minV != nil || maxV != nil {
				p.errorf(eqV, "%s: eq cannot be combined with min or max", key)
			}
			if v := p.bound(eqV, key, "eq", spec.val); v != nil {
				e.Min, e.Max = v, new(*v)
			}
		}
		if minV == nil && maxV == nil && eqV == nil && kindV != nil && kindV.Kind == yaml.MappingNode {
			p.errorf(kindV, "%s: expected at least one bound: min, max or eq", key)
		}
		if e.Min != nil && e.Max != nil && *e.Min > *e.Max {
			p.errorf(maxV, "%s: max (%s) is below min (%s)", key, spec.kind.Format(*e.Max), spec.kind.Format(*e.Min))
		}
		for _, w := range []string{"after", "before"} {
			if kv, ok := got[w]; ok && !spec.windowed {
				p.errorf(kv.ksrc, "%s: %s only applies to measures of broadcasts (%s)", key, w, windowedList())
			}
		}
		if kv, ok := got.val("before"); ok && spec.windowed && e.Before <= e.After {
			p.errorf(kv.v, "%s: before (%v) must be later than after (%v)", key, e.Before, e.After)
		}
		if kv, ok := got.val("after"); ok && spec.windowed && e.After >= end {
			when := "the end of the run"
			if inCheck {
				when = "this check"
			}
			p.errorf(kv.v, "%s: after %v is not before %s at %v, so no broadcast can be in the window", key, e.After, when, end)
		}
	}
	if len(p.errs) > before {
		return e, false
	}
	if !named {
		e.Name = e.label()
	}
	return e, true
}

// seedList decodes an expectation's `seeds:`: one seed or a list of them.
func (p *parser) seedList(n *yaml.Node) []uint64 {
	n = resolve(n)
	items := []*yaml.Node{n}
	if n != nil && n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			p.errorf(n, "seeds: expected the seeds at which the bound holds, such as [4], got an empty list")
			return nil
		}
	}
	out := make([]uint64, 0, len(items))
	for _, item := range items {
		var seed uint64
		before := len(p.errs)
		p.decode("seeds", item, resolve(item), &seed)
		if len(p.errs) > before {
			return nil
		}
		out = append(out, seed)
	}
	return out
}

func windowedList() string {
	var out []string
	for _, k := range expectKinds {
		if k.windowed {
			out = append(out, k.name)
		}
	}
	return strings.Join(out, ", ")
}

// bound decodes one bound of an expectation, or returns nil.
func (p *parser) bound(n *yaml.Node, key, which string, val valueKind) *float64 {
	if n == nil {
		return nil
	}
	label := key + ": " + which
	var v float64
	switch val {
	case valDuration:
		d, ok := p.duration(n, label)
		if !ok {
			return nil
		}
		v = float64(d)
	default:
		f, ok := p.number(n, label)
		if !ok {
			return nil
		}
		v = f
	}
	switch val {
	case valRatio:
		if v < 0 || v > 1 {
			p.errorf(n, "%s: %s must be between 0 and 1 (a fraction of nodes), got %s", key, which, formatFloat(v))
			return nil
		}
	case valCount:
		if v < 0 || v != math.Trunc(v) {
			p.errorf(n, "%s: %s must be a non-negative integer, got %s", key, which, formatFloat(v))
			return nil
		}
	case valReal:
		if v < 0 {
			p.errorf(n, "%s: %s must not be negative, got %s", key, which, formatFloat(v))
			return nil
		}
	}
	return &v
}
