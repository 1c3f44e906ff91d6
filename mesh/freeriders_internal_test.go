package mesh

import (
	"testing"
	"time"
)

// A free rider that comes back under ever new ids fills the ban list only
// up to its bound; the bans that end soonest make room.
func TestBanListIsBounded(t *testing.T) {
	e := loneEngine(t, nil)
	for i := range 10 * maxBans {
		e.now = Time(i) * time.Millisecond
		e.banPeer(NodeID(1000 + i))
	}
	if len(e.banned) != maxBans {
		t.Fatalf("%d bans kept, want %d", len(e.banned), maxBans)
	}
	if last := NodeID(1000 + 10*maxBans - 1); !e.isBanned(last) || e.isBanned(1000) {
		t.Fatal("the list did not keep the latest bans")
	}
}
