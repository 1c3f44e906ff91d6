package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// MaxErrors is how many problems Parse reports before giving up; a final
// entry then says how many more there were.
const MaxErrors = 20

// Pos is a position in a scenario file. Lines and columns count from 1.
type Pos struct {
	Line, Col int
}

// String formats the position as "line:col".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Error is one problem in a scenario file.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

// Error formats the problem as "file:line:col: message".
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Pos returns the position of the problem.
func (e *Error) Pos() Pos { return Pos{e.Line, e.Col} }

// ErrorList is every problem found in a scenario file, in file order. It is
// the error type that Parse and Load return for invalid files.
type ErrorList []*Error

// Error formats the problems one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems as a slice of errors, so that errors.As can
// find an individual *Error.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// finish sorts the list by position (stable, so problems at one position
// keep the order in which they were found), drops exact duplicates and caps
// it at MaxErrors.
func (l ErrorList) finish() ErrorList {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	l = slices.CompactFunc(l, func(a, b *Error) bool { return *a == *b })
	if len(l) > MaxErrors {
		more := len(l) - MaxErrors
		next := l[MaxErrors]
		l = append(l[:MaxErrors:MaxErrors], &Error{File: next.File, Line: next.Line, Col: next.Col,
			Msg: fmt.Sprintf("too many errors (%d more not shown)", more)})
	}
	return l
}
