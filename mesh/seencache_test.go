package mesh

import "testing"

func TestSeenCacheIsBounded(t *testing.T) {
	s := seenCache{limit: 4}
	for i := uint64(1); i <= 10; i++ {
		if !s.add(MsgID{Origin: 1, Seq: i}) {
			t.Fatalf("id %d reported as seen", i)
		}
		if s.add(MsgID{Origin: 1, Seq: i}) {
			t.Fatalf("id %d reported as new twice", i)
		}
	}
	if s.len() != 4 {
		t.Fatalf("cache holds %d ids, limit 4", s.len())
	}
	for i := uint64(1); i <= 6; i++ {
		if s.has(MsgID{Origin: 1, Seq: i}) {
			t.Fatalf("old id %d still remembered", i)
		}
	}
	for i := uint64(7); i <= 10; i++ {
		if !s.has(MsgID{Origin: 1, Seq: i}) {
			t.Fatalf("recent id %d forgotten", i)
		}
	}
}
