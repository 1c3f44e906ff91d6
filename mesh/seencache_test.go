package mesh

import (
	"math/rand/v2"
	"testing"
)

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

// TestSeenCacheMatchesAModel: random adds and lookups, against a map and a
// queue doing the same by the book, across growth and eviction.
func TestSeenCacheMatchesAModel(t *testing.T) {
	for _, limit := range []int{1, 3, 16, 100, 1000} {
		rng := rand.New(rand.NewPCG(uint64(limit), 7))
		s := seenCache{limit: limit, seed: rng.Uint64()}
		model := map[MsgID]bool{}
		var order []MsgID
		for i := 0; i < 20*limit+200; i++ {
			// Few origins and a narrow range of sequence numbers, so that
			// ids recur both while remembered and after being forgotten.
			id := MsgID{Origin: NodeID(rng.IntN(4)), Seq: uint64(rng.IntN(3 * limit))}
			if rng.IntN(4) == 0 {
				if got := s.has(id); got != model[id] {
					t.Fatalf("limit %d, step %d: has(%v) = %v, want %v", limit, i, id, got, model[id])
				}
				continue
			}
			want := !model[id]
			if got := s.add(id); got != want {
				t.Fatalf("limit %d, step %d: add(%v) = %v, want %v", limit, i, id, got, want)
			}
			if want {
				model[id] = true
				order = append(order, id)
				if len(order) > limit {
					delete(model, order[0])
					order = order[1:]
				}
			}
			if s.len() != len(model) {
				t.Fatalf("limit %d, step %d: len %d, want %d", limit, i, s.len(), len(model))
			}
		}
		for id := range model {
			if !s.has(id) {
				t.Fatalf("limit %d: %v forgotten", limit, id)
			}
		}
	}
}

// BenchmarkSeenCache: one new id and one repeat per message, at the default
// size, as a flooding node sees them.
func BenchmarkSeenCache(b *testing.B) {
	s := seenCache{limit: 4096, seed: 1}
	b.ReportAllocs()
	for i := range b.N {
		id := MsgID{Origin: NodeID(i % 20), Seq: uint64(i)}
		s.add(id)
		s.add(id)
	}
}
