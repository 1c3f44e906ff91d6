package meshnode

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"p2pmesh/internal/realtimetest"
	"p2pmesh/mesh"
)

// Hostile input against a live node: whatever a stranger sends to its TCP
// port, the node stays up, its memory stays bounded, the honest peers keep
// delivering, and each kind of refusal is logged once with its reason.

// hostileSetup starts node a (logging into a buffer) and an honest peer b
// linked to it.
func hostileSetup(t *testing.T, tweak func(*Config)) (a, b *testNode, logs func() string) {
	t.Helper()
	cfg := testConfig(t)
	cfg.Logger, logs = warningsLog()
	if tweak != nil {
		tweak(&cfg)
	}
	a = startNode(t, cfg)
	bcfg := testConfig(t)
	bcfg.Peers = []string{a.Addr().String()}
	b = startNode(t, bcfg)
	waitLinked(t, []*testNode{a, b}, 1, 5*time.Second)
	return a, b, logs
}

// warningsLog returns a logger of warnings and a function that returns
// what it logged.
func warningsLog() (*slog.Logger, func() string) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&lockedBuffer{mu: &mu, b: &buf}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return log, func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

// stillDelivers checks that a and b carry a broadcast each way, once.
func stillDelivers(t *testing.T, a, b *testNode, tag string) {
	t.Helper()
	for _, p := range []struct {
		from, to *testNode
		msg      string
	}{{a, b, tag + " a→b"}, {b, a, tag + " b→a"}} {
		if _, err := p.from.Broadcast([]byte(p.msg)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, fmt.Sprintf("%q to be delivered", p.msg), func() bool { return p.to.count(p.msg) == 1 })
	}
}

// closedBy waits until the node closes c (EOF or reset), and fails if it
// is still open after d.
func closedBy(t *testing.T, c net.Conn, d time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // the node's own frames (a Welcome, a Reject): keep reading
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("%s: connection still open after %v", what, d)
		}
		return time.Since(start)
	}
}

func dialNode(t *testing.T, n *testNode) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func helloBytes(id mesh.NodeID) []byte {
	b, err := mesh.AppendFrame(nil, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: id, Instance: 1, Port: 1, Load: mesh.Load{FreeIn: 5}}})
	if err != nil {
		panic(err)
	}
	return b
}

func TestRandomBytesAreRefusedAndLoggedOnce(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	a, b, logs := hostileSetup(t, nil)
	for i := range 5 {
		c := dialNode(t, a)
		junk := make([]byte, 4096)
		_, _ = rand.Read(junk)
		junk[0] = 0xff // a length prefix far above the maximum
		_, _ = c.Write(junk)
		closedBy(t, c, 2*time.Second, fmt.Sprintf("random bytes #%d", i))
	}
	if got := a.Stats().BadFrames; got < 5 {
		t.Errorf("BadFrames = %d, want 5", got)
	}
	stillDelivers(t, a, b, "after random bytes")
	if n := strings.Count(logs(), "refused: a frame that does not decode"); n != 1 {
		t.Errorf("five bad connections logged %d times, want once (rate-limited):\n%s", n, logs())
	}
}

func TestGigabyteLengthPrefixIsRefusedBeforeAllocating(t *testing.T) {
	checkNoLeaks(t)
	a, b, _ := hostileSetup(t, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 20 {
		c := dialNode(t, a)
		_, _ = c.Write([]byte{0x3f, 0xff, 0xff, 0xff, 1, byte(mesh.FrameHello)}) // 1 GiB follows, supposedly
		closedBy(t, c, 2*time.Second, "gigabyte prefix")
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("heap grew by %d MB for 20 gigabyte prefixes", grew>>20)
	}
	stillDelivers(t, a, b, "after gigabyte prefixes")
}

func TestTrickledHandshakeHitsTheDeadline(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	a, b, logs := hostileSetup(t, func(c *Config) { c.Mesh.HandshakeTimeout = 400 * time.Millisecond })
	c := dialNode(t, a)
	hello := helloBytes(77)
	done := make(chan struct{})
	// One byte every 200 ms, within the timeout: a deadline per read would
	// never fire, and the whole Hello takes seconds.
	step := 200 * time.Millisecond
	go func() {
		defer close(done)
		for _, x := range hello {
			if _, err := c.Write([]byte{x}); err != nil {
				return
			}
			time.Sleep(step)
		}
	}()
	whole := time.Duration(len(hello)) * step
	took := closedBy(t, c, whole, "trickled handshake")
	<-done
	if took > whole/2 {
		t.Errorf("trickled handshake held the connection for %v, want about the 400 ms handshake timeout (the whole Hello takes %v)", took, whole)
	}
	if a.Stats().Refused == 0 || !strings.Contains(logs(), "refused: no handshake within the handshake timeout") {
		t.Errorf("the refusal was not counted and logged: refused=%d\n%s", a.Stats().Refused, logs())
	}
	stillDelivers(t, a, b, "after a trickled handshake")
}

func TestIdleConnectionFloodIsCapped(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	const limit, flood = 16, 200
	a, b, logs := hostileSetup(t, func(c *Config) {
		c.MaxPending = limit
		c.Mesh.HandshakeTimeout = 500 * time.Millisecond
	})
	base := realtimetest.Count(t)
	conns := make([]net.Conn, 0, flood)
	for range flood {
		conns = append(conns, dialNode(t, a))
	}
	// All but about limit are closed at once.
	waitFor(t, 3*time.Second, "the flood to be refused", func() bool { return a.Stats().Refused >= flood-limit })
	if g := realtimetest.Count(t) - base; g > 3*limit+10 {
		t.Errorf("%d goroutines more during a flood of %d idle connections (limit %d)", g, flood, limit)
	}
	stillDelivers(t, a, b, "during an idle flood")
	// The rest time out at the handshake deadline.
	for i, c := range conns {
		closedBy(t, c, 3*time.Second, fmt.Sprintf("idle connection %d", i))
	}
	waitFor(t, 2*time.Second, "no connection to be pending", func() bool { return a.unshaken.Load() == 0 })
	// A new honest node is welcome again.
	ccfg := testConfig(t)
	ccfg.Peers = []string{a.Addr().String()}
	c := startNode(t, ccfg)
	waitLinked(t, []*testNode{c}, 1, 5*time.Second)
	if n := strings.Count(logs(), "refused: too many connections waiting for their handshake"); n != 1 {
		t.Errorf("the flood was logged %d times, want once:\n%s", n, logs())
	}
}

func TestResetAndHalfOpenConnections(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	a, b, _ := hostileSetup(t, func(c *Config) { c.Mesh.DeadAfter = 600 * time.Millisecond })

	// Reset in the middle of a handshake.
	c := dialNode(t, a)
	hello := helloBytes(78)
	_, _ = c.Write(hello[:len(hello)/2])
	_ = c.(*net.TCPConn).SetLinger(0)
	c.Close() // RST

	// A peer that completes the handshake, then goes silent for good
	// (half-open: its host vanished without a FIN).
	h := dialNode(t, a)
	if _, err := h.Write(helloBytes(79)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the silent peer to be linked", func() bool { return len(a.Links()) == 2 })
	waitFor(t, 5*time.Second, "the silent peer to be dropped as dead", func() bool { return len(a.Links()) == 1 })
	stillDelivers(t, a, b, "after reset and half-open connections")
}
