package mesh

import (
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"
)

// A link stays at 64 bytes: eleven of them (a full node's table and one
// handshake) then take the 704-byte size class instead of 896, a million
// nodes' tables 190 MB less.
func TestLinkFitsSixtyFourBytes(t *testing.T) {
	if s := unsafe.Sizeof(link{}); s > 64 {
		t.Fatalf("a link takes %d bytes", s)
	}
}

// An engine stays within the 704-byte size class: a million of them run in
// CI, and the next class is 768 bytes (64 MB more). The broadcast strategy
// (an interface, 16 bytes) took the place of the tree pointer (8) when the
// counts of strangers shrank to int32; the unsent queue's pointer and its
// two counters (24 bytes) fit when the Trickle's count of beacons heard
// and the seen cache's ring position and shift became 32 bits.
func TestEngineFitsItsSizeClass(t *testing.T) {
	if s := unsafe.Sizeof(Engine{}); s > 704 {
		t.Fatalf("an engine takes %d bytes", s)
	}
}

// The handshake counts an engine keeps (Engine.shaking) match its link
// table through random openings, handshakes, refusals, failed dials,
// timeouts and closings; an emptied list of pending dials keeps no capacity
// (a million settled engines would each keep their largest burst); and in
// tree mode, what each link has in treeState.links stays beside its link.
func TestHandshakeCountsFollowTheLinkTable(t *testing.T) {
	t.Run("flood", func(t *testing.T) { walkLinkTable(t, ModeFlood) })
	t.Run("tree", func(t *testing.T) { walkLinkTable(t, ModeTree) })
}

func walkLinkTable(t *testing.T, mode Mode) {
	e := loneEngine(t, func(c *Config) { c.Mode = mode })
	rng := rand.New(rand.NewPCG(7, 7))
	now := Time(0)
	var nextLink LinkID
	var dials []Output              // dials the engine asked for, not yet answered
	dialed, emptied := false, false // the engine had dials pending; later none
	take := func(outs []Output) {
		for _, o := range outs {
			if o.Kind == OutDial {
				dials = append(dials, o)
			}
		}
	}
	addr := func(id NodeID) Addr { return Addr{IP: [16]byte{10, 0, byte(id >> 8), byte(id)}, Port: 7000} }
	hello := func(id NodeID) Hello {
		return Hello{ID: id, Instance: uint64(id), Port: 7000, Load: Load{In: uint8(rng.IntN(6)), Out: uint8(rng.IntN(6)), FreeIn: uint8(rng.IntN(6))}}
	}
	take(e.Start(now))
	for step := range 20000 {
		now += Time(rng.IntN(100)) * time.Millisecond
		switch rng.IntN(8) {
		case 0: // a stranger connects
			nextLink++
			take(e.HandleLinkOpened(now, nextLink, Incoming, 0, addr(NodeID(1000+rng.IntN(100)))))
		case 1: // a beacon: the engine may dial
			id := NodeID(2 + rng.IntN(200))
			take(e.HandleBeacon(now, &Beacon{ID: id, Instance: uint64(id), Port: 7000, Load: Load{FreeIn: uint8(1 + rng.IntN(5))}}, addr(id)))
			now += time.Second // the dial timer's jitter has passed
			take(e.HandleTimer(now, TimerDial))
		case 2: // a dial is answered: connected or failed
			if len(dials) == 0 {
				continue
			}
			d := dials[0]
			dials = dials[1:]
			if rng.IntN(4) == 0 {
				take(e.HandleDialFailed(now, d.Peer, d.Addr))
				continue
			}
			nextLink++
			take(e.HandleLinkOpened(now, nextLink, Outgoing, d.Peer, d.Addr))
		case 3, 4: // a frame of the handshake on a link in it
			var shaking []int
			for i := range e.links {
				if e.links[i].state == linkHandshaking {
					shaking = append(shaking, i)
				}
			}
			if len(shaking) == 0 {
				continue
			}
			i := shaking[rng.IntN(len(shaking))]
			l, lid := e.links[i], e.linkIDs[i]
			switch {
			case l.dir == Incoming:
				take(e.HandleFrame(now, lid, &Frame{Type: FrameHello, Hello: hello(NodeID(1000 + rng.IntN(300)))}))
			case rng.IntN(3) == 0:
				take(e.HandleFrame(now, lid, &Frame{Type: FrameReject, Reason: ReasonFull}))
			default:
				take(e.HandleFrame(now, lid, &Frame{Type: FrameWelcome, Hello: hello(l.peer)}))
			}
		case 5: // the other end closes a link
			if len(e.links) > 0 {
				take(e.HandleLinkClosed(now, e.linkIDs[rng.IntN(len(e.links))]))
			}
		case 6: // maintenance: handshakes time out, dead links go
			take(e.HandleTimer(now, TimerMaintain))
		case 7: // a neighbour's tree position, naming itself as its root
			if i := rng.IntN(len(e.links) + 1); i < len(e.links) && e.links[i].state == linkEstablished {
				pos := Position{Root: e.links[i].peer, Round: 1, Rank: 0}
				take(e.HandleFrame(now, e.linkIDs[i], &Frame{Type: FramePosition, Pos: pos, Load: Load{In: 1}}))
			}
		}
		if tr, ok := e.bcast.(*treeState); ok {
			if len(tr.links) != len(e.links) {
				t.Fatalf("step %d: %d links, tree state for %d", step, len(e.links), len(tr.links))
			}
			for i := range e.links {
				if r := tr.links[i].pos.Root; r != 0 && r != e.links[i].peer {
					t.Fatalf("step %d: link %d to %s holds the position of %s", step, i, e.links[i].peer, r)
				}
			}
		}
		var want [3]uint8
		for i := range e.links {
			if e.links[i].state == linkHandshaking {
				want[e.links[i].dir]++
			}
		}
		if want != e.shaking {
			t.Fatalf("step %d: handshakes counted %v, in the link table %v", step, e.shaking, want)
		}
		if len(e.dials) == 0 && cap(e.dials) != 0 {
			t.Fatalf("step %d: no dial pending, but the list keeps room for %d", step, cap(e.dials))
		}
		dialed = dialed || len(e.dials) > 0
		emptied = emptied || dialed && len(e.dials) == 0
	}
	if !emptied {
		t.Fatal("the walk never emptied the dial list")
	}
	if e.stats.LinksOpened == 0 || e.stats.LinksLost == 0 || e.stats.Rejected == 0 {
		t.Fatalf("the walk missed a path: %+v", e.stats)
	}
}
