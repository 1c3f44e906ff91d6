package mesh

// seenCache remembers the ids of recent messages so that each is delivered
// once. It holds at most limit ids and forgets the oldest first; it grows
// only as messages arrive, so an idle node costs nothing.
type seenCache struct {
	limit int
	set   map[MsgID]struct{}
	ring  []MsgID // insertion order once full
	next  int     // oldest entry in ring once full
}

// add records id and reports whether it was new.
func (s *seenCache) add(id MsgID) bool {
	if s.set == nil {
		s.set = make(map[MsgID]struct{})
	}
	if _, ok := s.set[id]; ok {
		return false
	}
	if len(s.ring) < s.limit {
		s.ring = append(s.ring, id)
	} else {
		delete(s.set, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % len(s.ring)
	}
	s.set[id] = struct{}{}
	return true
}

func (s *seenCache) has(id MsgID) bool {
	_, ok := s.set[id]
	return ok
}

func (s *seenCache) len() int { return len(s.set) }
