package meshnode

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"p2pmesh/internal/realtimetest"
	"p2pmesh/mesh"
)

// Test helpers: nodes on 127.0.0.1 with short engine timers, collectors of
// deliveries, polling with deadlines, and a goroutine leak check per test (TestMain
// checks the whole package too).

// testConfig is a node on 127.0.0.1 without multicast, with timers about ten
// times shorter than the defaults so that tests take a second or two. Only
// DeadAfter stays long enough for a loaded machine running the race detector:
// no test here depends on keepalives noticing a dead peer.
func testConfig(t testing.TB) Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.NoMulticast = true
	cfg.Logger = testLogger(t)
	m := &cfg.Mesh
	m.KeepaliveInterval = 100 * time.Millisecond
	m.DeadAfter = 2 * time.Second
	m.HandshakeTimeout = time.Second
	m.BeaconMin = 50 * time.Millisecond
	m.BeaconMax = 400 * time.Millisecond
	m.DialBackoff = 100 * time.Millisecond
	m.ExchangeInterval = 200 * time.Millisecond
	m.RotateInterval = 0
	cfg.DialTimeout = time.Second
	cfg.IdleTimeout = 4 * time.Second
	cfg.LeaveTimeout = time.Second
	return cfg
}

// testLogger logs warnings (everything with P2P_TEST_LOG=debug) to the test
// output.
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("P2P_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// testNode is a started node whose deliveries are collected.
type testNode struct {
	*Node
	mu   sync.Mutex
	got  map[string]int // payload → times delivered
	from map[string]mesh.NodeID
	done chan struct{}
}

func startNode(t testing.TB, cfg Config) *testNode {
	t.Helper()
	n, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	tn := &testNode{Node: n, got: map[string]int{}, from: map[string]mesh.NodeID{}, done: make(chan struct{})}
	go func() {
		defer close(tn.done)
		for d := range n.Deliveries() {
			tn.mu.Lock()
			tn.got[string(d.Payload)]++
			tn.from[string(d.Payload)] = d.From
			tn.mu.Unlock()
		}
	}()
	t.Cleanup(func() { tn.close(t) })
	return tn
}

func (tn *testNode) close(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tn.Close(ctx); err != nil {
		t.Logf("close %v: %v", tn.ID(), err)
	}
	<-tn.done
}

func (tn *testNode) count(payload string) int {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return tn.got[payload]
}

// startChain starts n nodes, each with the previous one as static peer.
func startChain(t testing.TB, n int, tweak func(i int, cfg *Config)) []*testNode {
	t.Helper()
	var nodes []*testNode
	for i := range n {
		cfg := testConfig(t)
		if i > 0 {
			cfg.Peers = []string{nodes[i-1].Addr().String()}
		}
		if tweak != nil {
			tweak(i, &cfg)
		}
		nodes = append(nodes, startNode(t, cfg))
	}
	return nodes
}

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitLinked waits until every node has at least min links.
func waitLinked(t testing.TB, nodes []*testNode, min int, d time.Duration) {
	t.Helper()
	waitFor(t, d, fmt.Sprintf("every node to have %d links", min), func() bool {
		for _, n := range nodes {
			if len(n.Links()) < min {
				return false
			}
		}
		return true
	})
}

func linkedTo(n *testNode, peer mesh.NodeID) bool {
	for _, l := range n.Links() {
		if l.Peer == peer {
			return true
		}
	}
	return false
}

// checkNoLeaks fails the test when goroutines it started (those of its
// nodes, or its own) outlive it, also while other tests run beside it
// (realtimetest.Check, which waits a little for them to end). Call it
// first, so that it runs after the nodes' cleanups.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	realtimetest.Check(t)
}
