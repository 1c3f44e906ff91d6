package mesh

import "math/bits"

// seenCache remembers the ids of recent messages so that each is delivered
// once. It holds at most limit ids and forgets the oldest first; it grows
// only as messages arrive, so an idle node costs nothing.
//
// Every id is looked up on every reception, so the cache is its own small
// hash set rather than a Go map, which with one insertion and one deletion
// per message spends its time probing past deleted entries: ids sit in a
// ring in arrival order, and an open-addressing table (linear probing,
// deletion by shifting back, so no tombstones) holds the ring position of
// each, 4 bytes a slot, kept at most half full.
type seenCache struct {
	limit int
	seed  uint64   // mixed into the hash, so that ids colliding on one node do not collide on others
	ring  []MsgID  // arrival order; once full, next is the oldest
	slots []uint32 // ring position + 1 of the id hashed there, 0 when empty
	// next and shift are 32 bits each, side by side, so that the engine
	// keeps to its size class (a ring of 2^31 ids would take 32 GB).
	next  int32
	shift uint32 // 64 - log2(len(slots))
}

// hash picks id's home slot.
func (s *seenCache) hash(id MsgID) int {
	h := (uint64(id.Origin)^s.seed)*0x9e3779b97f4a7c15 + id.Seq
	h = (h ^ h>>29) * 0xbf58476d1ce4e5b9
	return int(h >> s.shift)
}

// find returns the slot holding id, or the empty slot where it would go.
func (s *seenCache) find(id MsgID) (slot int, found bool) {
	mask := len(s.slots) - 1
	for i := s.hash(id); ; i = (i + 1) & mask {
		p := s.slots[i]
		if p == 0 {
			return i, false
		}
		if s.ring[p-1] == id {
			return i, true
		}
	}
}

// add records id and reports whether it was new.
func (s *seenCache) add(id MsgID) bool {
	if s.limit < 1 {
		return true
	}
	if len(s.slots) == 0 {
		s.resize(16)
	}
	slot, found := s.find(id)
	if found {
		return false
	}
	if len(s.ring) < s.limit {
		s.ring = append(s.ring, id)
		s.slots[slot] = uint32(len(s.ring))
		if 2*len(s.ring) > len(s.slots) {
			s.resize(2 * len(s.slots))
		}
		return true
	}
	s.remove(s.ring[s.next])
	s.ring[s.next] = id
	slot, _ = s.find(id) // the removal may have moved the empty slot
	s.slots[slot] = uint32(s.next) + 1
	s.next++
	if int(s.next) == len(s.ring) {
		s.next = 0
	}
	return true
}

// remove takes id out of the table: the entries after it in its probe run
// move back, so that every entry stays reachable from its home slot.
func (s *seenCache) remove(id MsgID) {
	hole, found := s.find(id)
	if !found {
		return
	}
	mask := len(s.slots) - 1
	for j := (hole + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		home := s.hash(s.ring[s.slots[j]-1])
		// The entry at j may fill the hole unless its home lies
		// cyclically within (hole, j].
		if (j-home)&mask >= (j-hole)&mask {
			s.slots[hole] = s.slots[j]
			hole = j
		}
	}
	s.slots[hole] = 0
}

// resize rebuilds the table with n slots (a power of two).
func (s *seenCache) resize(n int) {
	s.slots = make([]uint32, n)
	s.shift = uint32(64 - bits.TrailingZeros(uint(n)))
	for i, id := range s.ring {
		slot, _ := s.find(id)
		s.slots[slot] = uint32(i + 1)
	}
}

func (s *seenCache) has(id MsgID) bool {
	if len(s.slots) == 0 {
		return false
	}
	_, found := s.find(id)
	return found
}

func (s *seenCache) len() int { return len(s.ring) }
