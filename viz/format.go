package viz

import (
	"fmt"
	"math"
	"strconv"
)

// thousands writes n with thin-space-free comma grouping: 20,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// plural writes a count and the noun that goes with it: "1 link", "2 links".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// seconds writes a virtual time given in milliseconds: "12.5 s".
func seconds(ms float64) string {
	s := ms / 1000
	switch {
	case math.IsNaN(s) || math.IsInf(s, 0):
		return "? s"
	case s == math.Trunc(s):
		return fmt.Sprintf("%.0f s", s)
	case math.Abs(s) >= 100:
		return fmt.Sprintf("%.1f s", s)
	}
	return strconv.FormatFloat(math.Round(s*1000)/1000, 'f', -1, 64) + " s"
}
