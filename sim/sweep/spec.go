package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"p2pmesh/sim/scenario"
)

// Spec is what to sweep.
type Spec struct {
	Name string
	// Bases are the scenario files swept; with more than one, the first
	// parameter is "scenario" and its values are the bases' names.
	Bases []Base
	// Params are the swept values, in the order given; the cross product
	// of their values (and the bases) gives the points.
	Params []Param
	// Seeds: every point runs once per seed.
	Seeds []uint64
	// Measures, if set, are the measures drawn and tabulated (summary
	// fields or expect.NAME); every measure is always in the CSV.
	Measures []string
}

// Base is one scenario file.
type Base struct {
	Name string // the scenario's name
	File string
	Data []byte
}

// Param is one swept scenario value.
type Param struct {
	Path   string
	Values []string
	// Label names the parameter on pictures: the sweep file's `labels`,
	// else (NewResult) a reading of the path (DefaultLabel).
	Label string `json:",omitempty"`
}

// Set adds a swept parameter, or replaces the values of one already swept
// (a sweep file's, from the command line; its label stays).
func (s *Spec) Set(p Param) {
	for i := range s.Params {
		if s.Params[i].Path == p.Path {
			if p.Label == "" {
				p.Label = s.Params[i].Label
			}
			s.Params[i] = p
			return
		}
	}
	s.Params = append(s.Params, p)
}

// DefaultLabel reads a parameter's path for a picture's axis: words
// instead of dots and underscores, and a timeline item by its time in
// the bases when they agree on it ("timeline[3].kill.percent" is "kill
// percent at t = 30s" when item 3 of every base is at 30s, else "kill
// percent (timeline[3])").
func DefaultLabel(path string, bases []Base) string {
	rest, item := path, -1
	if tail, ok := strings.CutPrefix(path, "timeline["); ok {
		if n, after, ok := strings.Cut(tail, "]"); ok {
			if k, err := strconv.Atoi(n); err == nil && strings.HasPrefix(after, ".") {
				rest, item = after[1:], k
			}
		}
	}
	words := strings.NewReplacer(".", " ", "_", " ").Replace(rest)
	if item < 0 {
		return words
	}
	when := ""
	for i, b := range bases {
		at := timelineAt(b.Data, item)
		if at == "" || i > 0 && at != when {
			when = ""
			break
		}
		when = at
	}
	if when == "" {
		return fmt.Sprintf("%s (timeline[%d])", words, item)
	}
	return fmt.Sprintf("%s at t = %s", words, when)
}

// timelineAt is the `at` of item k of a scenario's timeline ("" when the
// item has none or the file has no such item).
func timelineAt(data []byte, k int) string {
	var sc struct {
		Timeline []struct {
			At string `yaml:"at"`
		} `yaml:"timeline"`
	}
	if yaml.Unmarshal(data, &sc) != nil || k >= len(sc.Timeline) {
		return ""
	}
	return sc.Timeline[k].At
}

// ScenarioParam names the parameter that picks a base when a sweep has
// several.
const ScenarioParam = "scenario"

// Columns returns the names of the point's parameters, the scenario first
// when there are several bases.
func (s *Spec) Columns() []string {
	var out []string
	if len(s.Bases) > 1 {
		out = append(out, ScenarioParam)
	}
	for _, p := range s.Params {
		out = append(out, p.Path)
	}
	return out
}

// ParseSeeds reads "1-10", "1,2,5" or "1-3,7" (ranges inclusive).
func ParseSeeds(text string) ([]uint64, error) {
	var out []uint64
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seeds %q: %q is not a seed (want A-B or a list such as 1,2,5)", text, part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("seeds %q: %q is not a range A-B with A <= B", text, part)
			}
		}
		if b-a >= 1_000_000 {
			return nil, fmt.Errorf("seeds %q: more than a million seeds", text)
		}
		for s := a; ; s++ {
			if slices.Contains(out, s) {
				return nil, fmt.Errorf("seeds %q: seed %d given twice", text, s)
			}
			out = append(out, s)
			if s == b {
				break
			}
		}
	}
	return out, nil
}

// ParseSet reads "PATH=V1,V2,...": values are split at commas outside
// brackets and braces, so `network.latency={dist: uniform, min: 1ms, max:
// 5ms},5ms` gives two values.
func ParseSet(text string) (Param, error) {
	path, vals, ok := strings.Cut(text, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return Param{}, fmt.Errorf("--set %q: want PATH=V1,V2,... such as node.max_in=4,8", text)
	}
	var values []string
	depth, start := 0, 0
	for i, c := range vals {
		switch c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				values = append(values, strings.TrimSpace(vals[start:i]))
				start = i + 1
			}
		}
	}
	values = append(values, strings.TrimSpace(vals[start:]))
	for _, v := range values {
		if v == "" {
			return Param{}, fmt.Errorf("--set %q: an empty value", text)
		}
	}
	if dup := firstDuplicate(values); dup != "" {
		return Param{}, fmt.Errorf("--set %q: value %q given twice", text, dup)
	}
	return Param{Path: path, Values: values}, nil
}

func firstDuplicate(values []string) string {
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v] {
			return v
		}
		seen[v] = true
	}
	return ""
}

// Load reads a sweep file or a plain scenario file. A sweep file is a
// mapping with the key `scenarios` (the files swept, relative to the sweep
// file) and optionally name, seeds, set and measures (docs/sweeps.md); any
// other file is read as one scenario, swept over the command line's --set
// and --seeds alone.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 || !hasKey(doc.Content[0], "scenarios") {
		// A scenario file (or an invalid one: Parse says why).
		base, err := loadBase(path, data)
		if err != nil {
			return nil, err
		}
		return &Spec{Name: base.Name, Bases: []Base{base}}, nil
	}
	return parseSweepFile(path, doc.Content[0])
}

func hasKey(n *yaml.Node, key string) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func loadBase(path string, data []byte) (Base, error) {
	sc, err := scenario.Parse(path, data)
	if err != nil {
		return Base{}, err
	}
	return Base{Name: sc.Name, File: path, Data: data}, nil
}

// parseSweepFile decodes a sweep file's mapping.
func parseSweepFile(path string, root *yaml.Node) (*Spec, error) {
	at := func(n *yaml.Node, format string, args ...any) error {
		return &scenario.Error{File: path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}
	}
	spec := &Spec{Name: strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".yaml"), ".sweep")}
	var labels *yaml.Node // read once set is known
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name", "description":
			if v.Kind != yaml.ScalarNode {
				return nil, at(v, "%s: expected text", k.Value)
			}
			if k.Value == "name" {
				spec.Name = v.Value
			}
		case "scenarios":
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				return nil, at(v, "scenarios: expected a list of scenario files (relative to this file)")
			}
			for _, f := range v.Content {
				if f.Kind != yaml.ScalarNode || f.Value == "" {
					return nil, at(f, "scenarios: expected a file name")
				}
				file := f.Value
				if !filepath.IsAbs(file) {
					file = filepath.Join(filepath.Dir(path), file)
				}
				data, err := os.ReadFile(file)
				if err != nil {
					return nil, at(f, "scenarios: %v", err)
				}
				base, err := loadBase(file, data)
				if err != nil {
					return nil, err
				}
				for _, b := range spec.Bases {
					if b.Name == base.Name {
						return nil, at(f, "scenarios: %s and %s are both named %q", b.File, file, b.Name)
					}
				}
				spec.Bases = append(spec.Bases, base)
			}
		case "seeds":
			text := v.Value
			if v.Kind == yaml.SequenceNode {
				var parts []string
				for _, s := range v.Content {
					parts = append(parts, s.Value)
				}
				text = strings.Join(parts, ",")
			}
			seeds, err := ParseSeeds(text)
			if err != nil {
				return nil, at(v, "%v", err)
			}
			spec.Seeds = seeds
		case "set":
			if v.Kind != yaml.MappingNode {
				return nil, at(v, "set: expected a mapping of paths to lists of values, such as \"timeline[3].kill.percent: [10, 50, 90]\"")
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				pk, pv := v.Content[j], v.Content[j+1]
				if pv.Kind != yaml.SequenceNode || len(pv.Content) == 0 {
					return nil, at(pv, "set: %s: expected a list of values", pk.Value)
				}
				prm := Param{Path: pk.Value}
				for _, e := range pv.Content {
					text, err := yamlText(e)
					if err != nil {
						return nil, at(e, "set: %s: %v", pk.Value, err)
					}
					prm.Values = append(prm.Values, text)
				}
				if dup := firstDuplicate(prm.Values); dup != "" {
					return nil, at(pv, "set: %s: value %q given twice", pk.Value, dup)
				}
				spec.Params = append(spec.Params, prm)
			}
		case "labels":
			if v.Kind != yaml.MappingNode {
				return nil, at(v, "labels: expected a mapping of swept paths to the names pictures give them, such as \"timeline[3].kill.percent: nodes killed at once (%%)\"")
			}
			labels = v
		case "measures":
			if v.Kind != yaml.SequenceNode {
				return nil, at(v, "measures: expected a list of summary fields or expect.NAME")
			}
			for _, m := range v.Content {
				spec.Measures = append(spec.Measures, m.Value)
			}
		default:
			return nil, at(k, "unknown key %q in a sweep file (expected name, description, scenarios, seeds, set, labels, measures)", k.Value)
		}
	}
	if labels != nil {
		for j := 0; j+1 < len(labels.Content); j += 2 {
			pk, pv := labels.Content[j], labels.Content[j+1]
			i := slices.IndexFunc(spec.Params, func(p Param) bool { return p.Path == pk.Value })
			switch {
			case i < 0:
				return nil, at(pk, "labels: %s is not swept (set: has no such path)", pk.Value)
			case pv.Kind != yaml.ScalarNode || strings.TrimSpace(pv.Value) == "":
				return nil, at(pv, "labels: %s: expected a name", pk.Value)
			}
			spec.Params[i].Label = strings.TrimSpace(pv.Value)
		}
	}
	return spec, nil
}

// yamlText writes a value node back as one line of YAML (flow style).
func yamlText(n *yaml.Node) (string, error) {
	if n.Kind == yaml.ScalarNode {
		return n.Value, nil
	}
	c := *n
	c.Style = yaml.FlowStyle
	b, err := yaml.Marshal(&c)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
