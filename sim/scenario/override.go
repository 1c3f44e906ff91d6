package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override replaces one value of a scenario file before the file is decoded
// (p2psim sweep --set). Path names the value as the file spells it:
// `node.max_in`, `network.latency`, `timeline[3].kill.percent`; missing
// mapping keys along the way are added. Value is YAML text: a scalar such as
// `20` or `tree`, or a flow collection such as `{dist: uniform, min: 1ms,
// max: 5ms}`.
//
// The new value takes the position of the value it replaces (or of the
// mapping it is added to), so a value the scenario refuses is reported at
// file:line:col like any other, with the override named in the message.
type Override struct {
	Path, Value string
}

// String formats the override as it is written on the command line.
func (o Override) String() string { return "--set " + o.Path + "=" + o.Value }

// ParseWith parses data as Parse does after applying the overrides, in
// order, to its YAML tree.
func ParseWith(filename string, data []byte, overrides []Override) (*Scenario, error) {
	p := &parser{file: filename, data: data, overrides: overrides}
	sc := p.parse()
	if len(p.errs) > 0 {
		return nil, p.errs.finish()
	}
	return sc, nil
}

// applyOverrides edits the document's root mapping; it reports false when
// an override could not be applied (reported).
func (p *parser) applyOverrides(root *yaml.Node) bool {
	ok := true
	for _, o := range p.overrides {
		if !p.override(root, o) {
			ok = false
		}
	}
	return ok
}

// pathStep is one step of an override's path: a mapping key or a list index.
type pathStep struct {
	key   string
	index int // -1 for a key
}

// parsePath splits `timeline[3].kill.percent` into its steps.
func parsePath(path string) ([]pathStep, error) {
	if path == "" {
		return nil, fmt.Errorf("empty path")
	}
	var steps []pathStep
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name == "" && rest == "" {
			return nil, fmt.Errorf("empty key in %q", path)
		}
		if name != "" {
			steps = append(steps, pathStep{key: name, index: -1})
		}
		for rest != "" {
			num, after, found := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !found || err != nil || i < 0 {
				return nil, fmt.Errorf("bad index in %q (expected [N], N counting from 0)", path)
			}
			steps = append(steps, pathStep{index: i})
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("unexpected %q after an index in %q", after, path)
			}
			rest = after[1:]
		}
	}
	return steps, nil
}

// override applies one override to the tree under root.
func (p *parser) override(root *yaml.Node, o Override) bool {
	steps, err := parsePath(o.Path)
	if err != nil {
		p.errorf(root, "%s: %v", o, err)
		return false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(o.Value), &doc); err != nil {
		p.errorf(root, "%s: the value is not valid YAML: %v", o, strings.TrimPrefix(err.Error(), "yaml: "))
		return false
	}
	value := &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull, Value: ""}
	if len(doc.Content) == 1 {
		value = doc.Content[0]
	}
	cur := resolve(root)
	done := ""
	for i, st := range steps {
		last := i == len(steps)-1
		if st.index >= 0 {
			if cur == nil || cur.Kind != yaml.SequenceNode {
				p.errorf(cur, "%s: %s is %s, not a list", o, pathName(done), describe(cur))
				return false
			}
			if st.index >= len(cur.Content) {
				p.errorf(cur, "%s: %s has %d items (indices 0 to %d)", o, pathName(done), len(cur.Content), len(cur.Content)-1)
				return false
			}
			done += fmt.Sprintf("[%d]", st.index)
			if last {
				p.place(value, cur.Content[st.index], o)
				cur.Content[st.index] = value
				return true
			}
			cur = resolve(cur.Content[st.index])
			continue
		}
		if cur == nil || cur.Kind != yaml.MappingNode {
			p.errorf(cur, "%s: %s is %s, not a mapping with key %q", o, pathName(done), describe(cur), st.key)
			return false
		}
		if done != "" {
			done += "."
		}
		done += st.key
		at := -1
		for j := 0; j+1 < len(cur.Content); j += 2 {
			if k := resolve(cur.Content[j]); k != nil && k.Kind == yaml.ScalarNode && k.Value == st.key {
				at = j + 1
			}
		}
		if at < 0 {
			// Add the key; a value is placed where its mapping starts.
			next := value
			if !last {
				next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if steps[i+1].index >= 0 {
					p.errorf(cur, "%s: %s is not in the file, so it has no item %d", o, done, steps[i+1].index)
					return false
				}
			}
			key := &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: st.key}
			p.place(key, cur, o)
			p.place(next, cur, o)
			cur.Content = append(cur.Content, key, next)
			if last {
				return true
			}
			cur = next
			continue
		}
		if last {
			p.place(value, cur.Content[at], o)
			cur.Content[at] = value
			return true
		}
		cur = resolve(cur.Content[at])
	}
	return true
}

// place gives n and its children the position of old and records that they
// came from o.
func (p *parser) place(n, old *yaml.Node, o Override) {
	if p.overridden == nil {
		p.overridden = map[*yaml.Node]Override{}
	}
	pos := posOf(old)
	var walk func(*yaml.Node)
	walk = func(m *yaml.Node) {
		if m == nil {
			return
		}
		if _, seen := p.overridden[m]; seen {
			return
		}
		m.Line, m.Column = pos.Line, pos.Col
		p.overridden[m] = o
		for _, c := range m.Content {
			walk(c)
		}
	}
	walk(n)
}

func pathName(done string) string {
	if done == "" {
		return "the file"
	}
	return done
}
