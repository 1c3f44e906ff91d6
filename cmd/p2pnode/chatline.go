package main

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A chat line travels as the payload of one broadcast: one byte giving the
// length n of the sender's name, the n bytes of the name, then the text of
// the line. The mesh itself carries opaque payloads; this framing is
// p2pnode's own, so that receivers can print who wrote a line.

// maxNameLen bounds a node's display name (it must fit the length byte).
const maxNameLen = 64

// encodeChatLine builds the payload of a line typed at this node.
func encodeChatLine(name, text string) []byte {
	b := make([]byte, 0, 1+len(name)+len(text))
	b = append(b, byte(len(name)))
	b = append(b, name...)
	return append(b, text...)
}

// decodeChatLine splits a payload into name and text; ok is false when the
// payload is not a chat line (another application on the same mesh).
func decodeChatLine(p []byte) (name, text string, ok bool) {
	if len(p) == 0 || int(p[0]) > maxNameLen || 1+int(p[0]) > len(p) {
		return "", "", false
	}
	n := int(p[0])
	name = string(p[1 : 1+n])
	if !validName(name) {
		return "", "", false
	}
	return name, string(p[1+n:]), true
}

// validName accepts 1..maxNameLen bytes of printable UTF-8 without spaces at
// either end.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen || !utf8.ValidString(s) || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// printable makes text safe to print as one line on a terminal: control
// characters (other than tab) and invalid UTF-8 become U+FFFD, so a peer
// cannot forge extra lines or send escape sequences.
func printable(text string) string {
	clean := true
	for _, r := range text {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') {
			clean = false
			break
		}
	}
	if clean {
		return text
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') {
			return utf8.RuneError
		}
		return r
	}, text)
}
