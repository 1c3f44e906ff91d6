package viz

import (
	"math"
	"testing"
)

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 20000: "20,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	t.Parallel()
	if got := plural(1, "link", "links"); got != "1 link" {
		t.Error(got)
	}
	if got := plural(0, "link", "links"); got != "0 links" {
		t.Error(got)
	}
	if got := plural(4025, "link", "links"); got != "4,025 links" {
		t.Error(got)
	}
}

func TestSeconds(t *testing.T) {
	t.Parallel()
	for ms, want := range map[float64]string{0: "0 s", 15800: "15.8 s", 39750: "39.75 s", 1234: "1.234 s", 123456: "123.5 s", 60000: "60 s"} {
		if got := seconds(ms); got != want {
			t.Errorf("seconds(%v) = %q, want %q", ms, got, want)
		}
	}
	if got := seconds(math.NaN()); got != "? s" {
		t.Errorf("seconds(NaN) = %q", got)
	}
}
