package mesh

import "testing"

// A node keeps originTreeSize origins and forgets the least recently used
// one first.
func TestOriginTreesForgetLeastRecentlyUsed(t *testing.T) {
	var ot originTrees
	for o := NodeID(1); o <= originTreeSize; o++ {
		ot.get(o).seq = uint64(o)
	}
	ot.find(1) // used again: origin 2 is now the oldest
	ot.get(originTreeSize + 1)
	if ot.find(2) != nil || ot.find(1) == nil || ot.find(3) == nil || len(ot.list) != originTreeSize {
		t.Fatalf("after one origin too many: 1 kept %v, 2 kept %v, %d entries", ot.find(1) != nil, ot.find(2) != nil, len(ot.list))
	}
	if o := ot.find(originTreeSize + 1); o == nil || o.seq != 0 {
		t.Fatalf("new origin's entry %+v, want a fresh one", o)
	}
}

// Removing link i drops bit i of every mask; the bits of later links move
// down by one, as the links themselves do.
func TestOriginTreesRemoveLink(t *testing.T) {
	var ot originTrees
	o := ot.get(7)
	o.eager, o.pruned, o.cut = 0b10110, 0b01001, 1<<63
	ot.removeLink(2)
	if o.eager != 0b1010 || o.pruned != 0b0101 || o.cut != 1<<62 {
		t.Fatalf("masks after removing link 2: %b %b %b", o.eager, o.pruned, o.cut)
	}
	ot.removeLink(70) // beyond the masks: nothing moves
	if o.eager != 0b1010 {
		t.Fatalf("removing link 70 changed the masks: %b", o.eager)
	}
}
