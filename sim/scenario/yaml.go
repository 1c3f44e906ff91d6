package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"p2pmesh/mesh"
)

// This file holds the YAML plumbing: reading the document, following aliases
// and merge keys, decoding scalars with precise messages, and the
// table-driven mapping decoder.

const (
	tagNull  = "!!null"
	tagBool  = "!!bool"
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagMerge = "!!merge"
)

// maxExpanded bounds the number of YAML nodes a document may have once its
// aliases are expanded ("billion laughs").
const maxExpanded = 1_000_000

// parser holds the state of one Parse call.
type parser struct {
	file   string
	data   []byte
	starts []int // line starts of data, computed on the first error
	errs   ErrorList
	sc     *Scenario

	nodeCfgOK bool // the file-level node config validated
	tl        timelineState

	// overrides edit the tree before it is decoded (ParseWith);
	// overridden maps the nodes they put in to them, for messages.
	overrides  []Override
	overridden map[*yaml.Node]Override
}

// errorf records a problem at the position of n (1:1 when n is nil).
func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	if o, ok := p.overridden[n]; ok {
		format += " (the value of " + strings.ReplaceAll(o.String(), "%", "%%") + ")"
	}
	p.errorAt(posOf(n), format, args...)
}

func (p *parser) errorAt(pos Pos, format string, args ...any) {
	pos = p.clamp(pos)
	p.errs = append(p.errs, &Error{File: p.file, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)})
}

// clamp keeps a position inside the file: the library places some nodes
// (an empty document's null, say) just past the end.
func (p *parser) clamp(pos Pos) Pos {
	if p.starts == nil {
		p.starts = lineStarts(p.data)
	}
	pos.Line = min(max(pos.Line, 1), len(p.starts))
	end := len(p.data)
	if pos.Line < len(p.starts) {
		end = p.starts[pos.Line]
	}
	pos.Col = min(max(pos.Col, 1), utf8.RuneCount(p.data[p.starts[pos.Line-1]:end])+1)
	return pos
}

// posOf returns the position of n, at least 1:1.
func posOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{1, 1}
	}
	return Pos{max(n.Line, 1), max(n.Column, 1)}
}

// readDocument decodes data into a single YAML document and returns its root
// node, or records why it cannot.
func (p *parser) readDocument() (root *yaml.Node) {
	defer func() {
		// The YAML library reports its errors by panicking internally and
		// recovering; anything else escaping it is a bug there, but a scenario
		// file must never crash the caller.
		if r := recover(); r != nil {
			p.errorAt(Pos{1, 1}, "YAML parser failed: %v", r)
			root = nil
		}
	}()
	// Positions count characters of UTF-8 text; a UTF-8 byte order mark is
	// skipped, UTF-16 (which the library would decode) is refused.
	p.data = bytes.TrimPrefix(p.data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(p.data, []byte("\xff\xfe")) || bytes.HasPrefix(p.data, []byte("\xfe\xff")) {
		p.errorAt(Pos{1, 1}, "the file is UTF-16; scenario files must be UTF-8")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(p.data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorAt(Pos{1, 1}, "empty file: expected a mapping with at least name and timeline")
		} else {
			p.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errorf(&extra, "a scenario file holds one YAML document, found a second one (remove the \"---\" separator)")
		return nil
	case !errors.Is(err, io.EOF):
		p.syntaxError(err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 ||
		doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == tagNull {
		p.errorAt(Pos{1, 1}, "empty file: expected a mapping with at least name and timeline")
		return nil
	}
	if pos, err := p.checkExpansion(&doc); err != "" {
		p.errorAt(pos, "%s", err)
		return nil
	}
	return doc.Content[0]
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var anchorRE = regexp.MustCompile(`unknown anchor '(.*)' referenced`)

// syntaxError converts an error of the YAML library into positioned errors.
func (p *parser) syntaxError(err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, m := range te.Errors {
			p.syntaxMessage(m)
		}
		return
	}
	p.syntaxMessage(err.Error())
}

func (p *parser) syntaxMessage(msg string) {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		// The library counts lines from 0 for parser errors (but from 1 for
		// scanner errors); it then gives the line where the enclosing list
		// or mapping starts, or else where the problem is.
		if isParserError(m[2]) {
			line++
		}
		p.errorAt(p.lineStart(line), "YAML syntax error: %s", m[2])
		return
	}
	pos := Pos{1, 1}
	if m := anchorRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(p.data, []byte("*"+m[1])); i >= 0 {
			pos = offsetPos(p.data, i)
		}
	} else if i := badCharOffset(p.data); i >= 0 {
		pos = offsetPos(p.data, i)
	}
	p.errorAt(pos, "YAML syntax error: %s", msg)
}

// parserErrors are the messages of libyaml's parser (the others come from
// its scanner or reader).
var parserErrors = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found undefined tag handle":             true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
	"found incompatible YAML document":       true,
}

func isParserError(msg string) bool { return parserErrors[msg] }

// lineStarts returns the offset at which each line begins, breaking lines
// where the YAML library does: at CR LF, CR, LF, NEL, LS and PS.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i := 0; i < len(data); {
		switch {
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
			i += 2
		case data[i] == '\r' || data[i] == '\n':
			i++
		case data[i] == 0xc2 && i+1 < len(data) && data[i+1] == 0x85:
			i += 2
		case data[i] == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9):
			i += 3
		default:
			i++
			continue
		}
		starts = append(starts, i)
	}
	return starts
}

// lineStart returns the position of the first non-blank character of a
// line (counted from 1), or its first column.
func (p *parser) lineStart(line int) Pos {
	starts := lineStarts(p.data)
	line = min(max(line, 1), len(starts))
	rest := p.data[starts[line-1]:]
	if line < len(starts) {
		rest = p.data[starts[line-1]:starts[line]]
	}
	col := 1
	for _, r := range string(rest) {
		if r != ' ' {
			break
		}
		col++
	}
	if col > utf8.RuneCount(bytes.TrimRight(rest, "\r\n")) {
		col = 1
	}
	return Pos{line, col}
}

// badCharOffset returns the offset of the first byte that YAML does not
// allow (invalid UTF-8 or a control character), or -1.
func badCharOffset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f || r == 0xfffe || r == 0xffff {
			return i
		}
		i += size
	}
	return -1
}

// offsetPos converts a byte offset into a line and a column counted in
// characters.
func offsetPos(data []byte, off int) Pos {
	starts := lineStarts(data[:off])
	start := starts[len(starts)-1]
	return Pos{len(starts), utf8.RuneCount(data[start:off]) + 1}
}

// checkExpansion makes sure aliases neither form a cycle (an alias inside
// the node its anchor names) nor expand the document beyond maxExpanded
// nodes. It returns a position and message, or "". Anchors precede their aliases, so a
// walk in document order has measured every alias target already, unless
// the target is an ancestor of the alias: a cycle.
func (p *parser) checkExpansion(doc *yaml.Node) (Pos, string) {
	const inProgress = -1
	size := map[*yaml.Node]int{}
	var msg string
	pos := Pos{1, 1}
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if n == nil || msg != "" {
			return 0
		}
		if n.Kind == yaml.AliasNode {
			if s, ok := size[n.Alias]; ok && s == inProgress {
				msg = fmt.Sprintf("alias *%s refers to a node that contains it (&%s at %d:%d)", n.Value, n.Value, n.Alias.Line, n.Alias.Column)
				pos = posOf(n)
				return 0
			}
			return walk(n.Alias)
		}
		if s, ok := size[n]; ok && s != inProgress {
			return s
		}
		size[n] = inProgress
		total := 1
		for _, c := range n.Content {
			total = min(total+walk(c), maxExpanded+1)
		}
		size[n] = total
		return total
	}
	if walk(doc) > maxExpanded && msg == "" {
		msg = fmt.Sprintf("document too large: more than %d values once aliases are expanded", maxExpanded)
	}
	return pos, msg
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// pair is one key and value of a mapping, resolved.
type pair struct {
	key  string
	k, v *yaml.Node
	ksrc *yaml.Node // key node as written (for positions)
	bad  bool       // its value could not be decoded (and was reported)
}

// pairs returns the entries of a mapping node with aliases resolved and
// merge keys (<<) applied: explicit keys win over merged ones, and earlier
// merged mappings over later ones. Duplicate keys and non-scalar keys are
// reported. n must be a resolved mapping node.
func (p *parser) pairs(n *yaml.Node) []pair {
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == tagMerge {
			merged = append(merged, p.mergePairs(v)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "expected a key name, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(n.Content[i], "duplicate key %q (first given at %d:%d)", k.Value, first.Line, first.Column)
			continue
		}
		seen[k.Value] = n.Content[i]
		out = append(out, pair{key: k.Value, k: k, v: v, ksrc: n.Content[i]})
	}
	for _, m := range merged {
		if _, dup := seen[m.key]; !dup {
			seen[m.key] = m.ksrc
			out = append(out, m)
		}
	}
	return out
}

// mergePairs returns the entries a merge key brings in.
func (p *parser) mergePairs(v *yaml.Node) []pair {
	switch v.Kind {
	case yaml.MappingNode:
		return p.pairs(v)
	case yaml.SequenceNode:
		var out []pair
		for _, c := range v.Content {
			c = resolve(c)
			if c == nil || c.Kind != yaml.MappingNode {
				p.errorf(c, "<<: expected a mapping to merge, got %s", describe(c))
				continue
			}
			out = append(out, p.pairs(c)...)
		}
		return out
	}
	p.errorf(v, "<<: expected a mapping or a list of mappings to merge, got %s", describe(v))
	return nil
}

// describe says what a node is, for "got ..." in messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == tagNull {
			return "null (no value)"
		}
		v := n.Value
		if utf8.RuneCountInString(v) > 40 {
			v = string([]rune(v)[:37]) + "..."
		}
		if n.ShortTag() == tagStr || n.Style != 0 {
			return strconv.Quote(v)
		}
		return v
	}
	return "an unexpected node"
}

// ---- scalars ----

// scalar checks that n is a non-null scalar.
func (p *parser) scalar(n *yaml.Node, key, want string) bool {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == tagNull {
		p.errorf(n, "%s: expected %s, got %s", key, want, describe(n))
		return false
	}
	return true
}

func (p *parser) str(n *yaml.Node, key string) (string, bool) {
	if !p.scalar(n, key, "a string") {
		return "", false
	}
	return n.Value, true
}

// integer decodes an integer in [lo, hi].
func (p *parser) integer(n *yaml.Node, key string, lo, hi int64) (int64, bool) {
	if !p.scalar(n, key, "an integer") {
		return 0, false
	}
	if t := n.ShortTag(); t != tagInt && t != tagFloat {
		p.errorf(n, "%s: expected an integer, got %s", key, describe(n))
		return 0, false
	}
	if n.ShortTag() == tagFloat {
		// The library would truncate 2.5 to 2.
		if f, ok := parseFloat(n); !ok || f != math.Trunc(f) {
			p.errorf(n, "%s: expected an integer, got %s", key, describe(n))
			return 0, false
		}
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		if f, ok := parseFloat(n); ok && f == math.Trunc(f) {
			p.outOfRange(n, key, n.Value, f > 0, lo, hi)
		} else {
			p.errorf(n, "%s: expected an integer, got %s", key, describe(n))
		}
		return 0, false
	}
	if v < lo || v > hi {
		p.outOfRange(n, key, n.Value, v > hi, lo, hi)
		return 0, false
	}
	return v, true
}

// outOfRange reports an integer beyond the limit it crosses: "count:
// 999999999999 is too large (at most 2147483647)".
func (p *parser) outOfRange(n *yaml.Node, key, value string, large bool, lo, hi int64) {
	if large {
		p.errorf(n, "%s: %s is too large (at most %d)", key, value, hi)
	} else {
		p.errorf(n, "%s: %s is too small (at least %d)", key, value, lo)
	}
}

func parseFloat(n *yaml.Node) (float64, bool) {
	var f float64
	if n.Decode(&f) != nil {
		return 0, false
	}
	return f, true
}

// number decodes a finite real number.
func (p *parser) number(n *yaml.Node, key string) (float64, bool) {
	if !p.scalar(n, key, "a number") {
		return 0, false
	}
	if t := n.ShortTag(); t != tagInt && t != tagFloat {
		p.errorf(n, "%s: expected a number, got %s", key, describe(n))
		return 0, false
	}
	f, ok := parseFloat(n)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		p.errorf(n, "%s: expected a finite number, got %s", key, describe(n))
		return 0, false
	}
	return f, true
}

// duration decodes a non-negative Go duration string. A bare 0 is accepted.
func (p *parser) duration(n *yaml.Node, key string) (time.Duration, bool) {
	const want = `a duration like "10s" or "250ms"`
	if !p.scalar(n, key, want) {
		return 0, false
	}
	switch n.ShortTag() {
	case tagInt, tagFloat:
		if f, ok := parseFloat(n); ok && f == 0 {
			return 0, true
		}
		if f, ok := parseFloat(n); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			p.errorf(n, "%s: expected a duration with a unit, got %s (write %q or %q)", key, n.Value, n.Value+"s", n.Value+"ms")
		} else {
			p.errorf(n, "%s: expected %s, got %s", key, want, describe(n))
		}
		return 0, false
	case tagStr:
	default:
		p.errorf(n, "%s: expected %s, got %s", key, want, describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		p.errorf(n, "%s: expected %s, got %s", key, want, describe(n))
		return 0, false
	}
	if d < 0 {
		p.errorf(n, "%s: must not be negative, got %v", key, d)
		return 0, false
	}
	return d, true
}

func (p *parser) boolean(n *yaml.Node, key string) (bool, bool) {
	if !p.scalar(n, key, "true or false") {
		return false, false
	}
	var b bool
	if n.ShortTag() != tagBool || n.Decode(&b) != nil {
		p.errorf(n, "%s: expected true or false, got %s", key, describe(n))
		return false, false
	}
	return b, true
}

// strList decodes a list of strings; a single string is also accepted as a
// list of one.
func (p *parser) strList(n *yaml.Node, key string) ([]string, bool) {
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() != tagNull {
		return []string{n.Value}, true
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: expected a list of names like [a, b], got %s", key, describe(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for _, c := range n.Content {
		c = resolve(c)
		s, good := p.str(c, key)
		if good {
			out = append(out, s)
		}
		ok = ok && good
	}
	return out, ok
}

func (p *parser) mode(n *yaml.Node, key string) (mesh.Mode, bool) {
	s, ok := p.str(n, key)
	if !ok {
		return 0, false
	}
	var names []string
	for _, m := range modeNames {
		if m.name == s {
			return m.mode, true
		}
		names = append(names, m.name)
	}
	p.errorf(n, "%s: unknown mode %q (expected %s)", key, s, orList(names))
	return 0, false
}

// ---- table-driven mappings ----

// field maps one YAML key to a destination. dst is a pointer to the value
// (*string, *int, *uint64, *float64, *time.Duration, *bool, *[]string,
// *mesh.Mode) or a func(key, value *yaml.Node) for anything else. The
// decoder picks the expected YAML type from the pointer type.
type field struct {
	key string
	dst any
}

// present is what a mapping held: key name -> key and value node.
type present map[string]pair

// has reports whether the key was given, whether or not its value was good.
func (s present) has(key string) bool { _, ok := s[key]; return ok }

// val returns the key's entry if it was given and its value decoded.
func (s present) val(key string) (pair, bool) {
	kv, ok := s[key]
	return kv, ok && !kv.bad
}

// fields decodes mapping n according to the table. what names the mapping
// in messages ("" for the top level). It returns the keys found.
func (p *parser) fields(n *yaml.Node, what string, table []field) present {
	got := present{}
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		label := what
		if label == "" {
			label = "scenario file"
		}
		p.errorf(n, "%s: expected a mapping with keys %s, got %s", label, keyList(table), describe(n))
		return got
	}
	for _, kv := range p.pairs(n) {
		f := lookupField(table, kv.key)
		if f == nil {
			where := ""
			if what != "" {
				where = " in " + what
			}
			p.errorf(kv.ksrc, "unknown key %q%s %s", kv.key, where, suggest(kv.key, fieldKeys(table)))
			continue
		}
		before := len(p.errs)
		p.decode(kv.key, kv.k, kv.v, f.dst)
		kv.bad = len(p.errs) > before
		got[kv.key] = kv
	}
	return got
}

func lookupField(table []field, key string) *field {
	for i := range table {
		if table[i].key == key {
			return &table[i]
		}
	}
	return nil
}

func fieldKeys(table []field) []string {
	out := make([]string, len(table))
	for i, f := range table {
		out[i] = f.key
	}
	return out
}

func keyList(table []field) string { return strings.Join(fieldKeys(table), ", ") }

// decode stores value v into dst, reporting type errors under key.
func (p *parser) decode(key string, k, v *yaml.Node, dst any) {
	switch d := dst.(type) {
	case *string:
		if s, ok := p.str(v, key); ok {
			*d = s
		}
	case *int:
		if i, ok := p.integer(v, key, math.MinInt32, math.MaxInt32); ok {
			*d = int(i)
		}
	case *uint64:
		if !p.scalar(v, key, "a non-negative integer") {
			return
		}
		var u uint64
		if v.ShortTag() != tagInt || v.Decode(&u) != nil {
			p.errorf(v, "%s: expected a non-negative integer below 2^64, got %s", key, describe(v))
			return
		}
		*d = u
	case *float64:
		if f, ok := p.number(v, key); ok {
			*d = f
		}
	case *time.Duration:
		if t, ok := p.duration(v, key); ok {
			*d = t
		}
	case *bool:
		if b, ok := p.boolean(v, key); ok {
			*d = b
		}
	case *[]string:
		if l, ok := p.strList(v, key); ok {
			*d = l
		}
	case *mesh.Mode:
		if m, ok := p.mode(v, key); ok {
			*d = m
		}
	case func(k, v *yaml.Node):
		d(k, v)
	default:
		panic(fmt.Sprintf("scenario: field %s has unsupported destination %T", key, dst))
	}
}

// ---- suggestions ----

// suggest returns "(did you mean "x"?)" for the closest candidate, or
// "(expected one of a, b, c)".
func suggest(got string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := editDistance(got, c)
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(got) <= 3 {
		limit = 1
	}
	if bestD <= limit {
		return fmt.Sprintf("(did you mean %q?)", best)
	}
	for _, c := range candidates {
		if len(got) >= 3 && (strings.HasPrefix(c, got) || strings.HasPrefix(got, c)) {
			return fmt.Sprintf("(did you mean %q?)", c)
		}
	}
	return "(expected one of " + strings.Join(candidates, ", ") + ")"
}

// editDistance is the Levenshtein distance between short strings (long ones
// are simply "far").
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := prev[j-1]
			if ra[i-1] != rb[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// orList formats "a, b or c".
func orList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
