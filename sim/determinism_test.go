package sim

import (
	"bytes"
	"testing"
	"time"

	"p2pmesh/mesh"
)

func runForTrace(t *testing.T, seed uint64, w *bytes.Buffer) (uint64, uint64, []BroadcastResult) {
	s := lan(t, seed, 40, mesh.DefaultConfig())
	s.SetTraceWriter(w)
	s.RunFor(10 * time.Second)
	for i := NodeIndex(0); i < 5; i++ {
		if _, err := s.Broadcast(i, 32); err != nil {
			t.Fatal(err)
		}
		s.RunFor(100 * time.Millisecond)
	}
	s.Kill(3, false)
	s.Kill(4, true)
	s.RunFor(10 * time.Second)
	s.Broadcast(0, 32)
	s.RunFor(5 * time.Second)
	d, n := s.TraceDigest()
	return d, n, s.Broadcasts()
}

func TestSameSeedSameTrace(t *testing.T) {
	var a, b, c bytes.Buffer
	da, na, ra := runForTrace(t, 42, &a)
	db, nb, rb := runForTrace(t, 42, &b)
	if da != db || na != nb || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("same seed, different traces: %x/%d vs %x/%d", da, na, db, nb)
	}
	if len(ra) != len(rb) {
		t.Fatal("different broadcast results")
	}
	for i := range ra {
		if ra[i] != rb[i] {
			t.Fatalf("broadcast %d differs: %+v vs %+v", i, ra[i], rb[i])
		}
	}
	dc, _, _ := runForTrace(t, 43, &c)
	if dc == da || bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("different seeds gave the same trace")
	}
	if na < 1000 {
		t.Fatalf("trace has only %d events", na)
	}
}
