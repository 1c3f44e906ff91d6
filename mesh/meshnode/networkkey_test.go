package meshnode

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/netkey"
)

// A mesh closed by a network key: keyed nodes link and deliver; nodes with
// another key or none cannot join, inject, read or replay.

func testKey(t testing.TB, seed byte) *netkey.Key {
	t.Helper()
	secret := make([]byte, netkey.MinSecretSize)
	for i := range secret {
		secret[i] = seed*31 + byte(i*13)
	}
	k, err := netkey.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyedPair starts node a (logging warnings into a buffer) and node b
// linked to it, both with key k; tweakB may change b's configuration.
func keyedPair(t *testing.T, k *netkey.Key, tweakB func(*Config)) (a, b *testNode, logs func() string) {
	t.Helper()
	cfg := testConfig(t)
	cfg.NetworkKey = k
	cfg.Logger, logs = warningsLog()
	a = startNode(t, cfg)
	bcfg := testConfig(t)
	bcfg.NetworkKey = k
	bcfg.Peers = []string{a.Addr().String()}
	if tweakB != nil {
		tweakB(&bcfg)
	}
	b = startNode(t, bcfg)
	waitLinked(t, []*testNode{a, b}, 1, 5*time.Second)
	return a, b, logs
}

func TestKeyedNodesLinkAndDeliver(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	k := testKey(t, 1)
	nodes := startChain(t, 3, func(i int, cfg *Config) {
		cfg.NetworkKey = k
		cfg.Mesh.MaxPayload = 256 << 10
	})
	waitLinked(t, nodes, 1, 5*time.Second)
	big := strings.Repeat("x", 200_000) // larger than a Noise message: cut into records
	for i, n := range nodes {
		if _, err := n.Broadcast([]byte("hello from " + string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nodes[2].Broadcast([]byte(big)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "every message at every other node, once", func() bool {
		for i, n := range nodes {
			for j := range nodes {
				if i != j && n.count("hello from "+string(rune('a'+j))) != 1 {
					return false
				}
			}
		}
		return nodes[0].count(big) == 1 && nodes[1].count(big) == 1
	})
	for i, n := range nodes {
		if s := n.Stats(); s.KeyRefused != 0 || s.Refused != 0 {
			t.Errorf("node %d refused connections among keyed nodes: %+v", i, s)
		}
	}
}

// TestNodesWithoutTheKeyCannotJoin: a node without a key and a node with
// another key try to link with a keyed mesh, in both directions. No link
// forms, nothing crosses, and the refusal is logged once.
func TestNodesWithoutTheKeyCannotJoin(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	a, b, logs := keyedPair(t, testKey(t, 1), nil)

	plain := testConfig(t)
	plain.Peers = []string{a.Addr().String()}
	keyless := startNode(t, plain)
	other := testConfig(t)
	other.NetworkKey = testKey(t, 2)
	other.Peers = []string{a.Addr().String(), keyless.Addr().String()}
	stranger := startNode(t, other)
	// And a keyed node that dials them.
	dialer := testConfig(t)
	dialer.NetworkKey = testKey(t, 1)
	dialer.Peers = []string{keyless.Addr().String(), stranger.Addr().String(), a.Addr().String()}
	c := startNode(t, dialer)
	waitLinked(t, []*testNode{c}, 1, 5*time.Second) // to a: the only node it may link with

	if _, err := keyless.Broadcast([]byte("let me in")); err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.Broadcast([]byte("me too")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Broadcast([]byte("members only")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the members' message", func() bool { return b.count("members only") == 1 && c.count("members only") == 1 })
	waitFor(t, 5*time.Second, "refusals on both sides of both intruders", func() bool {
		return a.Stats().KeyRefused >= 2 && c.Stats().KeyRefused >= 2
	})
	// Give the intruders' retries time to fail again.
	time.Sleep(500 * time.Millisecond)
	for _, m := range []*testNode{a, b, c} {
		for _, l := range m.Links() {
			if l.Peer == keyless.ID() || l.Peer == stranger.ID() {
				t.Errorf("keyed node %v linked with intruder %v", m.ID(), l.Peer)
			}
		}
		if m.count("let me in") != 0 || m.count("me too") != 0 {
			t.Errorf("an intruder's message reached keyed node %v", m.ID())
		}
	}
	// The two intruders may link with each other? No: their keys differ too.
	if n := len(keyless.Links()) + len(stranger.Links()); n != 0 {
		t.Errorf("intruders have %d links", n)
	}
	if keyless.count("members only") != 0 || stranger.count("members only") != 0 {
		t.Error("an intruder read the members' message")
	}
	out := logs()
	if n := strings.Count(out, "refused: "+netkey.RefusalReason); n != 1 {
		t.Errorf("refusals logged %d times, want once (rate-limited):\n%s", n, out)
	}
	stillDelivers(t, a, b, "after the intruders")
}

// recordingConn keeps a copy of the bytes written through it and of those
// read from it; flipAt, when positive, flips one bit of the byte written at
// that offset.
type recordingConn struct {
	net.Conn
	mu      sync.Mutex
	out, in bytes.Buffer
	flipAt  int
}

func (r *recordingConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	if off := r.flipAt - r.out.Len(); r.flipAt > 0 && off >= 0 && off < len(p) {
		p = bytes.Clone(p)
		p[off] ^= 0x10
	}
	r.out.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func (r *recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.in.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recordingConn) CloseWrite() error { return r.Conn.(*net.TCPConn).CloseWrite() }

func (r *recordingConn) captured() (out, in []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.out.Bytes()), bytes.Clone(r.in.Bytes())
}

// recordDials makes cfg's dials go through recordingConns, kept in conns;
// the first one flips a bit at flipAt, if positive.
func recordDials(cfg *Config, conns *[]*recordingConn, mu *sync.Mutex, flipAt int) {
	cfg.Dial = func(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr.String())
		if err != nil {
			return nil, err
		}
		rc := &recordingConn{Conn: c}
		mu.Lock()
		if len(*conns) == 0 {
			rc.flipAt = flipAt
		}
		*conns = append(*conns, rc)
		mu.Unlock()
		return rc, nil
	}
}

// TestCapturedLinkTrafficCannotBeReadOrReplayed records both directions of
// a real keyed link while messages cross it: no plaintext is in the
// capture, and replaying what the dialer sent to the node it dialed is
// refused without a link or a delivery.
func TestCapturedLinkTrafficCannotBeReadOrReplayed(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	var mu sync.Mutex
	var conns []*recordingConn
	a, b, logs := keyedPair(t, testKey(t, 1), func(cfg *Config) { recordDials(cfg, &conns, &mu, 0) })
	secrets := []string{"attack at dawn, bring the blue folder", "the vault combination is 31-7-42"}
	if _, err := b.Broadcast([]byte(secrets[0])); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Broadcast([]byte(secrets[1])); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "both messages", func() bool { return a.count(secrets[0]) == 1 && b.count(secrets[1]) == 1 })
	mu.Lock()
	rc := conns[0]
	mu.Unlock()
	out, in := rc.captured()
	if len(out) < 100 || len(in) < 100 {
		t.Fatalf("captured %d and %d bytes: the link was not recorded", len(out), len(in))
	}
	for _, s := range append(secrets, "P2PM", "vault", "dawn") {
		if bytes.Contains(out, []byte(s)) || bytes.Contains(in, []byte(s)) {
			t.Errorf("%q readable in the captured traffic", s)
		}
	}
	// The node ids travel inside the handshake frames: not readable either.
	for _, id := range []mesh.NodeID{a.ID(), b.ID()} {
		var idb [8]byte
		for i := range idb {
			idb[i] = byte(uint64(id) >> (56 - 8*i))
		}
		if bytes.Contains(out, idb[:]) || bytes.Contains(in, idb[:]) {
			t.Errorf("node id %v readable in the captured traffic", id)
		}
	}

	before := a.Stats()
	for i := range 3 {
		replay := dialNode(t, a)
		if _, err := replay.Write(out); err != nil {
			t.Fatal(err)
		}
		closedBy(t, replay, 3*time.Second, "replayed connection "+string(rune('0'+i)))
	}
	waitFor(t, 3*time.Second, "the replays to be counted", func() bool { return a.Stats().KeyRefused >= before.KeyRefused+3 })
	if got := len(a.Links()); got != 1 {
		t.Errorf("a has %d links after the replays, want 1 (b)", got)
	}
	if a.count(secrets[0]) != 1 {
		t.Errorf("the replayed message was delivered again")
	}
	if !strings.Contains(logs(), "replayed or forged handshake") {
		t.Errorf("the replay was not logged as such:\n%s", logs())
	}
	stillDelivers(t, a, b, "after the replays")
}

// TestInjectedBytesEndTheLink flips one bit of the ciphertext a keyed node
// sends on its link: the peer refuses the record, drops the link, says so
// once, and the nodes link again and deliver.
func TestInjectedBytesEndTheLink(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	var mu sync.Mutex
	var conns []*recordingConn
	a, b, logs := keyedPair(t, testKey(t, 1), func(cfg *Config) { recordDials(cfg, &conns, &mu, 300) })
	// Traffic until byte 300 of the first connection has been sent.
	waitFor(t, 5*time.Second, "the changed record to be refused", func() bool {
		if _, err := b.Broadcast([]byte(strings.Repeat("filler ", 10))); err != nil {
			t.Fatal(err)
		}
		return a.Stats().KeyRefused >= 1
	})
	if !strings.Contains(logs(), "refused: bytes that fail authentication on a keyed link") {
		t.Errorf("the changed record was not logged:\n%s", logs())
	}
	waitLinked(t, []*testNode{a, b}, 1, 5*time.Second)
	stillDelivers(t, a, b, "after an injection")
}
