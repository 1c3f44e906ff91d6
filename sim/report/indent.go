package report

import (
	"bytes"
	"encoding/json"
	"io"
)

// indenter is the writer under a json.Encoder that writes indented JSON:
// the encoder hands it each value whole and compact (json.Marshal's form,
// with a newline after it), and it writes the value indented by two spaces
// a level, byte for byte what json.Indent writes. Indenting as it writes
// keeps no indented copy of the value in memory (the encoder's SetIndent
// makes one, larger than the value, and its byte-by-byte scanner took
// three quarters of the time it takes to write scale-100k's files).
type indenter struct {
	w   io.Writer
	buf []byte // indented output not yet written
}

// indentFlush is how much indented output the indenter gathers before
// writing it.
const indentFlush = 64 << 10

// spaces holds indentation for the levels most values reach; deeper ones
// are built from it.
const spaces = "                                                                "

// Write writes the compact JSON value p (and what whitespace follows it),
// indented. A value that is not compact (whitespace between its tokens)
// goes through json.Indent.
func (d *indenter) Write(p []byte) (int, error) {
	if !compactValue(p) {
		var b bytes.Buffer
		if err := json.Indent(&b, p, "", "  "); err != nil {
			return 0, err
		}
		if _, err := d.w.Write(b.Bytes()); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if d.buf == nil {
		d.buf = make([]byte, 0, indentFlush+len(spaces)+16)
	}
	buf := d.buf[:0]
	depth, opened := 0, false // opened: the last token opened an object or array
	for i := 0; i < len(p); {
		c := p[i]
		if opened && c != '}' && c != ']' {
			opened = false
			depth++
			buf = newline(buf, depth)
		}
		switch c {
		case '"':
			j := i + 1
			for p[j] != '"' {
				if p[j] == '\\' {
					j++
				}
				j++
			}
			buf = append(buf, p[i:j+1]...)
			i = j + 1
			continue
		case '{', '[':
			opened = true
			buf = append(buf, c)
		case ',':
			buf = append(buf, c)
			buf = newline(buf, depth)
		case ':':
			buf = append(buf, c, ' ')
		case '}', ']':
			if opened {
				opened = false // {} and [] stay as they are
			} else {
				depth--
				buf = newline(buf, depth)
			}
			buf = append(buf, c)
		default: // a number, true, false, null, or the whitespace after the value
			j := i + 1
			for j < len(p) && !structural(p[j]) {
				j++
			}
			buf = append(buf, p[i:j]...)
			i = j
			continue
		}
		i++
		if len(buf) >= indentFlush {
			if _, err := d.w.Write(buf); err != nil {
				return 0, err
			}
			buf = buf[:0]
		}
	}
	d.buf = buf[:0]
	if _, err := d.w.Write(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// newline appends a line break and the indentation of depth levels.
func newline(buf []byte, depth int) []byte {
	buf = append(buf, '\n')
	for n := 2 * depth; n > 0; {
		k := min(n, len(spaces))
		buf = append(buf, spaces[:k]...)
		n -= k
	}
	return buf
}

// structural reports whether c starts or ends a token of compact JSON
// outside strings.
func structural(c byte) bool {
	switch c {
	case '"', '{', '}', '[', ']', ',', ':':
		return true
	}
	return false
}

// compactValue reports whether p is one JSON value as json.Marshal writes
// it, followed by nothing but whitespace: no whitespace outside its
// strings, and each string closed. It does not check that p is valid JSON
// otherwise (json.Marshal's output is).
func compactValue(p []byte) bool {
	end := len(bytes.TrimRight(p, " \t\r\n"))
	for i := 0; i < end; i++ {
		switch p[i] {
		case ' ', '\t', '\r', '\n':
			return false
		case '"':
			i++
			for i < end && p[i] != '"' {
				if p[i] == '\\' {
					i++
				}
				i++
			}
			if i >= end {
				return false
			}
		}
	}
	return true
}
