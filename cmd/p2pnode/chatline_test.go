package main

import "testing"

func TestChatLineRoundTrip(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"alice", "hello, world"},
		{"bob", ""},
		{"ünïcode", "ταυ"},
	} {
		name, text, ok := decodeChatLine(encodeChatLine(tc.name, tc.text))
		if !ok || name != tc.name || text != tc.text {
			t.Errorf("round trip of %q/%q = %q/%q ok=%v", tc.name, tc.text, name, text, ok)
		}
	}
}

func TestChatLineRejectsOtherPayloads(t *testing.T) {
	for _, p := range [][]byte{
		nil,
		{},
		{5, 'a', 'b'},        // name longer than the payload
		{200, 'a'},           // name longer than allowed
		{0, 'x'},             // empty name
		{2, 'a', '\n', 'x'},  // control character in the name
		{3, ' ', 'a', 'b'},   // leading space
		{2, 0xff, 0xfe, 'x'}, // invalid UTF-8
	} {
		if name, text, ok := decodeChatLine(p); ok {
			t.Errorf("decodeChatLine(%v) = %q, %q, ok; want not a chat line", p, name, text)
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":     "plain text",
		"tab\tkept":      "tab\tkept",
		"two\nlines":     "two\uFFFDlines",
		"esc\x1b[31mred": "esc\uFFFD[31mred",
		"bad \xff byte":  "bad \uFFFD byte",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}
