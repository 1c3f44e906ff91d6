package meshnode

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"p2pmesh/internal/netnstest"
)

func TestNodesFindEachOtherByMulticast(t *testing.T) {
	t.Parallel()
	if !netnstest.InFresh(t) {
		return
	}
	checkNoLeaks(t)
	var nodes []*testNode
	for range 3 {
		cfg := testConfig(t)
		cfg.NoMulticast = false
		cfg.Group = DefaultGroup // a namespace of our own: nobody else is there
		nodes = append(nodes, startNode(t, cfg))
	}
	waitLinked(t, nodes, 2, 5*time.Second)
	if _, err := nodes[0].Broadcast([]byte("found you")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the broadcast", func() bool {
		return nodes[1].count("found you") == 1 && nodes[2].count("found you") == 1
	})
	// Every node took part in discovery, by multicast: a newcomer that
	// hears an offer dials it without a beacon of its own (mesh/discovery.go),
	// so some nodes only listen.
	sent := 0
	for i, n := range nodes {
		s := n.Stats().Discovery
		t.Logf("node %d: %+v", i, s)
		sent += int(s.Sent)
		if s.Sent == 0 && s.Received == 0 {
			t.Errorf("node %d neither sent nor received a beacon", i)
		}
	}
	if sent == 0 {
		t.Error("no node sent a beacon")
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNoMulticastInterfaceSaysWhatToDo(t *testing.T) {
	t.Parallel()
	if !netnstest.InFresh(t) { // lo is the only interface there; turn MULTICAST off again
		return
	}
	checkNoLeaks(t)
	if err := netnstest.SetLoopbackMulticast(false); err != nil {
		t.Skipf("cannot turn multicast off on lo: %v", err)
	}
	var logs syncBuffer
	cfg := testConfig(t)
	cfg.NoMulticast = false
	cfg.Group = DefaultGroup
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	n, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start without a multicast interface: %v", err)
	}
	defer n.Close(context.Background())
	if !strings.Contains(logs.String(), "ip link set lo multicast on") || !strings.Contains(logs.String(), "--peer HOST:PORT") {
		t.Errorf("the log does not say how to fix it:\n%s", logs.String())
	}
	// The node still accepts links and works with static peers.
	cfg = testConfig(t)
	cfg.Peers = []string{n.Addr().String()}
	m := startNode(t, cfg)
	waitFor(t, 3*time.Second, "a static link", func() bool { return len(m.Links()) == 1 })
}
