package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// The indenter writes what the encoder's own indentation writes, byte for
// byte: empty and nested objects and arrays, strings with escapes, quotes,
// brackets and commas inside them, numbers, literals, top-level scalars,
// deep nesting, and random values; whitespace between tokens goes the
// slow way, and comes out the same too.
func TestIndenterWritesWhatSetIndentWrites(t *testing.T) {
	values := []any{
		map[string]any{},
		[]any{},
		map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{map[string]any{}}},
		`a "quoted" \ string, with [brackets] {braces}: and commas`,
		"\\",
		"\\\"",
		"<html> & ünïcödé \u2028 \x01",
		12.5e-9,
		-3,
		true,
		nil,
		[]any{1, "two", 3.0, false, nil, []any{[]any{[]any{}}}},
		Summary{},
		[][2]int{{1, 2}, {3, 4}},
		json.RawMessage(`{ "spaced" : [ 1 , 2 ] }`),
	}
	deep := any("bottom")
	for range 50 {
		deep = map[string]any{"k": []any{deep}}
	}
	values = append(values, deep)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		values = append(values, randomValue(rng, 5))
	}
	for k, v := range values {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if err := json.NewEncoder(&indenter{w: &got}).Encode(v); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("value %d: indenter wrote\n%s\nSetIndent wrote\n%s", k, got.Bytes(), want.Bytes())
		}
	}
}

// The indenter writes a large value in pieces, the same bytes.
func TestIndenterWritesLargeValuesInPieces(t *testing.T) {
	rows := make([][]string, 20000)
	for i := range rows {
		rows[i] = []string{strings.Repeat("x", i%7), "y"}
	}
	var want, got bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rows); err != nil {
		t.Fatal(err)
	}
	w := &countingWriter{w: &got}
	if err := json.NewEncoder(&indenter{w: w}).Encode(rows); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatal("indenter and SetIndent differ")
	}
	if w.writes < 2 {
		t.Fatalf("%d bytes in %d writes", got.Len(), w.writes)
	}
}

type countingWriter struct {
	w      *bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.w.Write(p)
}

// randomValue makes a JSON value of objects, arrays, strings full of
// JSON's punctuation, numbers and literals, up to depth levels deep.
func randomValue(rng *rand.Rand, depth int) any {
	kind := rng.IntN(7)
	if depth == 0 {
		kind = 2 + rng.IntN(5)
	}
	switch kind {
	case 0:
		m := map[string]any{}
		for range rng.IntN(4) {
			m[randomString(rng)] = randomValue(rng, depth-1)
		}
		return m
	case 1:
		a := []any{}
		for range rng.IntN(4) {
			a = append(a, randomValue(rng, depth-1))
		}
		return a
	case 2:
		return randomString(rng)
	case 3:
		return rng.NormFloat64() * 1e6
	case 4:
		return rng.IntN(1000) - 500
	case 5:
		return rng.IntN(2) == 0
	}
	return nil
}

func randomString(rng *rand.Rand) string {
	const alphabet = `ab {}[],:"\ ` + "\n\t\x00é"
	r := []rune(alphabet)
	var b strings.Builder
	for range rng.IntN(8) {
		b.WriteRune(r[rng.IntN(len(r))])
	}
	return b.String()
}

// Input with whitespace between its tokens (never json.Marshal's) goes
// through json.Indent.
func TestIndenterTakesSpacedInputTheSlowWay(t *testing.T) {
	in := []byte("{ \"a\" : [ 1 ,\t2 ], \"b\": \"x y\" }\n")
	var want, got bytes.Buffer
	if err := json.Indent(&want, in, "", "  "); err != nil {
		t.Fatal(err)
	}
	if compactValue(in) {
		t.Fatal("spaced input taken for compact")
	}
	if _, err := (&indenter{w: &got}).Write(in); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("indenter wrote\n%s\njson.Indent wrote\n%s", got.Bytes(), want.Bytes())
	}
}
