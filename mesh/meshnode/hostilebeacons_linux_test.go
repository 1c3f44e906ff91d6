package meshnode

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"p2pmesh/internal/hostile"
	"p2pmesh/internal/longtest"
	"p2pmesh/internal/netnstest"
	"p2pmesh/mesh"
	"p2pmesh/mesh/discovery"
)

// Hostile input on the multicast port: whatever a stranger sends to the
// beacon group (or the beacon port), the node stays up, its memory and its
// lists stay bounded, its links stay, the honest peers keep delivering, and
// each kind of refusal is logged once with its reason and counted. Each test
// runs in a network namespace of its own, on real multicast over lo.

// multicastPair starts node a (its warnings logged into a buffer) and an
// honest peer b on the beacon group, and waits until they are linked.
func multicastPair(t *testing.T, tweak func(*Config)) (a, b *testNode, logs func() string) {
	t.Helper()
	cfg := testConfig(t)
	cfg.NoMulticast, cfg.Group = false, DefaultGroup
	cfg.Logger, logs = warningsLog()
	if tweak != nil {
		tweak(&cfg)
	}
	a = startNode(t, cfg)
	bcfg := testConfig(t)
	bcfg.NoMulticast, bcfg.Group = false, DefaultGroup
	b = startNode(t, bcfg)
	waitLinked(t, []*testNode{a, b}, 1, 5*time.Second)
	return a, b, logs
}

// beaconVictim re-runs the test in a network namespace of its own (false:
// this process is done with it) and there starts multicastPair, noting
// a's link to b.
func beaconVictim(t *testing.T) (v *victim, ok bool) {
	t.Helper()
	if !netnstest.InFresh(t) {
		return nil, false
	}
	checkNoLeaks(t)
	v = &victim{}
	v.a, v.b, v.logs = multicastPair(t, nil)
	v.link = linkTo(v.a, v.b.ID())
	return v, true
}

type victim struct {
	a, b *testNode
	logs func() string
	link mesh.LinkID
}

// linkKept checks that a's link to b is the one it had at the start.
func (v *victim) linkKept(t *testing.T) {
	t.Helper()
	if got := linkTo(v.a, v.b.ID()); got != v.link {
		t.Errorf("the link to b changed from %v to %v", v.link, got)
	}
}

// linkTo returns a's link to peer, or 0.
func linkTo(a *testNode, peer mesh.NodeID) mesh.LinkID {
	for _, l := range a.Links() {
		if l.Peer == peer {
			return l.Link
		}
	}
	return 0
}

// beaconAttacker is a hostile.Beacons that fails the test on errors.
type beaconAttacker struct {
	*hostile.Beacons
	t     *testing.T
	group netip.AddrPort
}

func newBeaconAttacker(t *testing.T, from string) *beaconAttacker {
	t.Helper()
	group, _ := discovery.ParseGroup(DefaultGroup)
	x, err := hostile.NewBeacons(netip.MustParseAddr(from), group)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Close)
	return &beaconAttacker{Beacons: x, t: t, group: group}
}

func (x *beaconAttacker) sendTo(p []byte, to netip.AddrPort) {
	if err := x.SendTo(p, to); err != nil {
		x.t.Fatalf("send to %v: %v", to, err)
	}
}

func (x *beaconAttacker) paced(n, rate int, next func(i int) []byte) {
	if err := x.Paced(n, rate, next); err != nil {
		x.t.Fatal(err)
	}
}

// capture returns the next beacon of node id, as it travelled.
func (x *beaconAttacker) capture(id mesh.NodeID) mesh.Beacon {
	x.t.Helper()
	b, _, err := x.Capture(func(b mesh.Beacon, _ netip.Addr) bool { return b.ID == id }, 5*time.Second)
	if err != nil {
		x.t.Fatalf("capturing a beacon of %v: %v", id, err)
	}
	return b
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// loggedOnce checks that reason was logged exactly once.
func loggedOnce(t *testing.T, logs func() string, reason string) {
	t.Helper()
	if n := strings.Count(logs(), "refused: "+reason); n != 1 {
		t.Errorf("%q logged %d times, want once:\n%s", reason, n, logs())
	}
}

func TestGarbageOnTheBeaconPort(t *testing.T) {
	t.Parallel()
	v, ok := beaconVictim(t)
	if !ok {
		return
	}
	a, b, logs := v.a, v.b, v.logs
	heap := heapAfterGC()
	x := newBeaconAttacker(t, "127.0.0.2")
	valid := mesh.AppendBeacon(nil, &mesh.Beacon{ID: 0x5eed, Instance: 1, Port: 9})
	other := append([]byte(nil), valid...)
	other[4] = mesh.ProtocolVersion + 1
	x.paced(3000, 2000, func(i int) []byte {
		switch i % 100 {
		case 0:
			return []byte("NOTIFY * HTTP/1.1\r\nHOST: 239.192.77.7:49152\r\n\r\n")
		case 1:
			return other // another protocol version
		case 2:
			return valid[:len(valid)-1] // one byte short
		}
		p := make([]byte, 1+i%200)
		_, _ = rand.Read(p)
		return p
	})
	// Beacons sent to the node's port directly, not to the group. Every
	// node's socket (and the attacker's) shares the port; the kernel hands
	// each sender's unicast datagrams to one of them, so 30 senders.
	for range 30 {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = u.WriteToUDPAddrPort(valid, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), x.group.Port()))
		u.Close()
	}
	waitFor(t, 5*time.Second, "the garbage to be refused", func() bool {
		return a.Stats().Discovery.Refused >= 1000 && strings.Contains(logs(), "sent to the beacon port directly")
	})
	stillDelivers(t, a, b, "after garbage on the beacon port")
	s := a.Stats()
	t.Logf("discovery %+v, known peers %d", s.Discovery, s.KnownPeers)
	if s.Discovery.Refused > 3030 {
		t.Errorf("refused %d datagrams of 3,030 sent", s.Discovery.Refused)
	}
	v.linkKept(t)
	for _, r := range []string{"a datagram on the beacon port that is not a beacon", "a beacon of another protocol version", "a malformed beacon", "a datagram sent to the beacon port directly, not to the group"} {
		loggedOnce(t, logs, r)
	}
	if grew := int64(heapAfterGC()) - int64(heap); grew > 8<<20 {
		t.Errorf("heap grew by %d MiB", grew>>20)
	}
}

func TestMutatedBeacons(t *testing.T) {
	t.Parallel()
	v, ok := beaconVictim(t)
	if !ok {
		return
	}
	a, b, logs := v.a, v.b, v.logs
	dials, bDials := a.Stats().Dials, b.Stats().Dials
	x := newBeaconAttacker(t, "127.0.0.1") // as if from b's host
	real := mesh.AppendBeacon(nil, ptr(x.capture(b.ID())))
	// Every single-bit flip of b's real beacon, five times over.
	bits := len(real) * 8
	x.paced(5*bits, 1000, func(i int) []byte { return hostile.BitFlip(real, i%bits) })
	waitFor(t, 5*time.Second, "the mutations to be handled", func() bool {
		s := a.Stats()
		return s.Engine.BeaconConflicts > 0 && s.Discovery.Refused > 0
	})
	stillDelivers(t, a, b, "after mutated beacons")
	s := a.Stats()
	t.Logf("discovery %+v, conflicts %d, known peers %d, dials %d", s.Discovery, s.Engine.BeaconConflicts, s.KnownPeers, s.Dials-dials)
	v.linkKept(t)
	// Flipped ids name b's address: nothing for a to dial there, and b
	// learns at its first try that it is itself.
	if s.Dials != dials {
		t.Errorf("the mutations made a dial %d times", s.Dials-dials)
	}
	if d := b.Stats().Dials - bDials; d > uint64(testConfig(t).Mesh.MaxOut) {
		t.Errorf("b dialed itself %d times under its altered beacon's ids", d)
	}
	for _, r := range []string{"a datagram on the beacon port that is not a beacon", "a beacon of another protocol version",
		"a beacon that contradicts a live link or a confirmed peer"} {
		loggedOnce(t, logs, r)
	}
}

func ptr[T any](v T) *T { return &v }

func TestReplayedBeacons(t *testing.T) {
	longtest.Skip(t) // seconds of real time; the quick suite keeps the garbage, mutated and spoofed-id beacon tests
	t.Parallel()
	if !netnstest.InFresh(t) {
		return
	}
	checkNoLeaks(t)
	var bID mesh.NodeID = 0xb0b
	var bPort uint16
	a, _, logs := multicastPair(t, nil)
	// b runs with a fixed id and port, so that its restart looks like a
	// host's.
	bcfg := testConfig(t)
	bcfg.NoMulticast, bcfg.Group, bcfg.ID = false, DefaultGroup, bID
	b := startNode(t, bcfg)
	bPort = b.Addr().Port()
	waitFor(t, 5*time.Second, "a to link with b", func() bool { return linkTo(a, bID) != 0 })
	x := newBeaconAttacker(t, "127.0.0.1")
	old := mesh.AppendBeacon(nil, ptr(x.capture(bID)))

	// Replayed at once, many times: the same news again.
	x.paced(500, 1000, func(int) []byte { return old })
	link := linkTo(a, bID)

	// b restarts (same id and port, a new instance); its old beacon is
	// replayed a thousand times: the live link to the new b stays.
	b.Kill()
	bcfg = testConfig(t)
	bcfg.NoMulticast, bcfg.Group, bcfg.ID = false, DefaultGroup, bID
	bcfg.Listen = fmt.Sprintf("127.0.0.1:%d", bPort)
	b2 := startNode(t, bcfg)
	waitFor(t, 10*time.Second, "a to link with the restarted b", func() bool {
		l := linkTo(a, bID)
		return l != 0 && l != link
	})
	link = linkTo(a, bID)
	x.paced(1000, 1000, func(int) []byte { return old })
	waitFor(t, 5*time.Second, "the replays to be handled", func() bool { return a.Stats().Engine.BeaconConflicts > 0 })
	stillDelivers(t, a, b2, "after replayed beacons")
	if got := linkTo(a, bID); got != link {
		t.Errorf("the link to the restarted b changed from %v to %v", link, got)
	}
	loggedOnce(t, logs, "a beacon that contradicts a live link or a confirmed peer")

	// A node gone for good, its beacon replayed for seconds: a few dials to
	// its dead port, not a dial storm.
	c := startNode(t, func() Config { c := testConfig(t); c.NoMulticast, c.Group = false, DefaultGroup; return c }())
	waitFor(t, 5*time.Second, "c to link", func() bool { return len(c.Links()) > 0 })
	ghost := mesh.AppendBeacon(nil, ptr(x.capture(c.ID())))
	c.Kill()
	dials := a.Stats().Dials
	x.paced(3000, 1000, func(int) []byte { return ghost })
	s := a.Stats()
	t.Logf("3 s of a dead node's replayed beacon: %d dials, %d failed", s.Dials-dials, s.DialFailures)
	if s.Dials-dials > 10 {
		t.Errorf("%d dials in 3 s to a dead node whose beacon was replayed", s.Dials-dials)
	}
}

// silentListener accepts TCP connections on every address, counts them
// and never says a word: a port where something that is not a mesh node
// listens.
func silentListener(t *testing.T) (netip.AddrPort, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().(*net.TCPAddr).AddrPort(), &accepted
}

// closedPort returns a port where nothing listens.
func closedPort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).AddrPort().Port()
}

func TestSpoofedIDBeacons(t *testing.T) {
	t.Parallel()
	v, ok := beaconVictim(t)
	if !ok {
		return
	}
	a, b, logs := v.a, v.b, v.logs
	trap, accepted := silentListener(t)
	real := x0(t).capture(b.ID())
	for _, from := range []string{"127.0.0.2", "127.0.0.1"} {
		x := newBeaconAttacker(t, from)
		x.paced(500, 1000, func(i int) []byte {
			fake := real
			fake.Port = trap.Port()
			if i%2 == 1 {
				fake.Instance = mrand.Uint64() // and a new life, too
			}
			return mesh.AppendBeacon(nil, &fake)
		})
	}
	waitFor(t, 5*time.Second, "the spoofed beacons to be handled", func() bool { return a.Stats().Engine.BeaconConflicts >= 100 })
	stillDelivers(t, a, b, "after spoofed beacons")
	v.linkKept(t)
	if n := accepted.Load(); n != 0 {
		t.Errorf("a dialed the port the spoofed beacons named %d times", n)
	}
	loggedOnce(t, logs, "a beacon that contradicts a live link or a confirmed peer")
}

// x0 is an attacker that only listens.
func x0(t *testing.T) *beaconAttacker { return newBeaconAttacker(t, "127.0.0.1") }

func TestBogusPortBeacons(t *testing.T) {
	longtest.Skip(t) // seconds of real time; the quick suite keeps the garbage, mutated and spoofed-id beacon tests
	t.Parallel()
	v, ok := beaconVictim(t)
	if !ok {
		return
	}
	a, b, logs := v.a, v.b, v.logs
	trap, accepted := silentListener(t)
	closed := closedPort(t)
	before := a.Stats()
	x := newBeaconAttacker(t, "127.0.0.2")
	rng := mrand.New(mrand.NewPCG(1, 2))
	// 5 s, 50 beacons a second: strangers at a port where a non-mesh
	// program listens, strangers at a closed port, and one fixed stranger
	// at the trap again and again.
	x.paced(250, 50, func(i int) []byte {
		bc := hostile.Stranger(rng, trap.Port())
		switch i % 3 {
		case 1:
			bc.Port = closed
		case 2:
			bc.ID, bc.Instance = 0xfeed, 1
		}
		return mesh.AppendBeacon(nil, &bc)
	})
	s := a.Stats()
	t.Logf("5 s of bogus ports: %d dials (%d failed), %d at the trap, %d paused rounds, %d known peers",
		s.Dials-before.Dials, s.DialFailures-before.DialFailures, accepted.Load(), s.Engine.DialPauses, s.KnownPeers)
	// One round of dials to fill four slots every DialBackoff (100 ms
	// here) would be 200; pacing after 32 failures in a row keeps it far
	// lower.
	if d := s.Dials - before.Dials; d > 80 {
		t.Errorf("%d dials in 5 s of beacons with bogus ports", d)
	}
	v.linkKept(t)
	if s.KnownPeers > testConfig(t).Mesh.PassiveSize {
		t.Errorf("%d known peers", s.KnownPeers)
	}
	// An honest newcomer still joins, and everybody hears it.
	ccfg := testConfig(t)
	ccfg.NoMulticast, ccfg.Group = false, DefaultGroup
	c := startNode(t, ccfg)
	waitFor(t, 10*time.Second, "the newcomer to link", func() bool { return len(c.Links()) > 0 })
	if _, err := c.Broadcast([]byte("newcomer")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the newcomer's message", func() bool { return a.count("newcomer") == 1 && b.count("newcomer") == 1 })
	stillDelivers(t, a, b, "after bogus ports")
	if s.Engine.DialPauses > 0 {
		loggedOnce(t, logs, "peers announced by beacons keep failing to answer")
	}
}

func TestBeaconFlood(t *testing.T) {
	longtest.Skip(t) // seconds of real time; the quick suite keeps the garbage, mutated and spoofed-id beacon tests
	v, ok := beaconVictim(t)
	if !ok {
		return
	}
	a, b, logs := v.a, v.b, v.logs
	heap := heapAfterGC()
	before := a.Stats()
	x := newBeaconAttacker(t, "127.0.0.2")
	const seconds, rate = 3, 5000
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		rng := mrand.New(mrand.NewPCG(1, 2))
		x.paced(seconds*rate, rate, func(int) []byte {
			return mesh.AppendBeacon(nil, ptr(hostile.Stranger(rng, hostile.RandomPort(rng))))
		})
	}()
	// Honest traffic goes on during the flood.
	for i := 0; ; i++ {
		select {
		case <-done:
		default:
			stillDelivers(t, a, b, fmt.Sprintf("during the flood %d", i))
			continue
		}
		break
	}
	took := time.Since(start)
	s := a.Stats()
	passed := s.Discovery.Received - s.BeaconsDropped - before.Discovery.Received
	t.Logf("%d beacons a second for %v: %d reached the socket, %d passed to the engine, %d dropped; %d known peers, %d dials, %d paused rounds",
		rate, took.Round(time.Millisecond), s.Discovery.Received-before.Discovery.Received, passed, s.BeaconsDropped, s.KnownPeers, s.Dials-before.Dials, s.Engine.DialPauses)
	if s.BeaconsDropped == 0 {
		t.Error("no beacon was dropped at the rate limit")
	}
	if max := uint64(testConfig(t).MaxBeaconRate) * uint64(took.Seconds()+2); passed > max {
		t.Errorf("%d beacons passed to the engine in %v, more than the rate limit allows (%d)", passed, took, max)
	}
	if k := s.KnownPeers; k > testConfig(t).Mesh.PassiveSize {
		t.Errorf("%d known peers, more than the passive list holds", k)
	}
	if d := s.Dials - before.Dials; d > 100 {
		t.Errorf("%d dials during the flood", d)
	}
	v.linkKept(t)
	if grew := int64(heapAfterGC()) - int64(heap); grew > 8<<20 {
		t.Errorf("heap grew by %d MiB", grew>>20)
	}
	loggedOnce(t, logs, "beacons beyond the rate limit; dropped")
}
