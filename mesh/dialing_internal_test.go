package mesh

import (
	"testing"
	"time"
)

// hunt alone: three refusals are free, then the wait is base, doubling up
// to 64 times; a short node waits at most 2 bases; a needy one never.
func TestHuntBacksOffAlone(t *testing.T) {
	const base = time.Second
	var h hunt
	for n := 1; n <= 3; n++ {
		h.refused(Time(n))
		if !h.allowed(Time(n), base, false, false) {
			t.Fatalf("after %d refusals: not allowed", n)
		}
	}
	for n, wait := 4, base; n <= 12; n++ {
		at := Time(n) * time.Hour
		h.refused(at)
		if h.allowed(at+wait-1, base, false, false) || !h.allowed(at+wait, base, false, false) {
			t.Fatalf("after %d refusals: want a wait of exactly %v", n, wait)
		}
		if !h.allowed(at, base, true, false) {
			t.Fatalf("after %d refusals: a needy node waits", n)
		}
		if short := min(wait, 2*base); h.allowed(at+short-1, base, false, true) || !h.allowed(at+short, base, false, true) {
			t.Fatalf("after %d refusals: a short node should wait %v", n, short)
		}
		wait = min(2*wait, 64*base)
	}
	h = hunt{}
	if !h.allowed(0, base, false, false) {
		t.Fatal("a new hunt waits")
	}
}
