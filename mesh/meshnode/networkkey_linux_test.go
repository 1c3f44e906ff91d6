package meshnode

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"p2pmesh/internal/netnstest"
	"p2pmesh/mesh"
	"p2pmesh/mesh/discovery"
	"p2pmesh/mesh/netkey"
)

// spyCodec makes a discovery socket a spy on the multicast group: it keeps
// a copy of every datagram it hears (and passes none on), and sends
// whatever bytes it is told to.
type spyCodec struct {
	mu   sync.Mutex
	got  [][]byte
	send []byte
}

func (s *spyCodec) AppendBeacon(dst []byte, _ *mesh.Beacon) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(dst, s.send...)
}

func (s *spyCodec) DecodeBeacon(p []byte) (mesh.Beacon, error) {
	s.mu.Lock()
	s.got = append(s.got, bytes.Clone(p))
	s.mu.Unlock()
	return mesh.Beacon{}, errors.New("spy: kept")
}

func (s *spyCodec) MaxBeaconSize() int { return 2048 }

// beaconOf returns a sealed beacon of node id heard by the spy, if any.
func (s *spyCodec) beaconOf(k *netkey.Key, id mesh.NodeID) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.got) - 1; i >= 0; i-- {
		b, err := netkey.NewBeaconCodec(k, nil).DecodeBeacon(s.got[i])
		if err == nil && b.ID == id {
			return s.got[i]
		}
	}
	return nil
}

// replay multicasts p from the spy's socket.
func (s *spyCodec) replay(t *testing.T, c *discovery.Conn, p []byte) {
	t.Helper()
	s.mu.Lock()
	s.send = p
	s.mu.Unlock()
	if err := c.Send(&mesh.Beacon{}); err != nil {
		t.Fatal(err)
	}
}

// TestKeyedBeaconsOverMulticast runs keyed nodes and a keyless one on real
// multicast in a namespace of their own, with a spy on the group: the keyed
// nodes find each other, the keyless one hears nothing it can use and is
// heard by nobody; a captured keyed beacon reveals neither node id nor port,
// and replaying it, or forging one from it, is refused and counted.
func TestKeyedBeaconsOverMulticast(t *testing.T) {
	t.Parallel()
	if !netnstest.InFresh(t) {
		return
	}
	checkNoLeaks(t)
	k := testKey(t, 1)
	var logs syncBuffer
	group, err := discovery.ParseGroup(DefaultGroup)
	if err != nil {
		t.Fatal(err)
	}
	spy := &spyCodec{}
	spyConn, err := discovery.Listen(context.Background(), discovery.Config{Group: group, Self: 999, Codec: spy})
	if err != nil {
		t.Fatal(err)
	}
	spyDone := make(chan struct{})
	go func() {
		defer close(spyDone)
		for {
			if _, _, err := spyConn.Receive(); err != nil {
				return
			}
		}
	}()
	defer func() { spyConn.Close(); <-spyDone }()

	start := func(key *netkey.Key, log *slog.Logger) *testNode {
		cfg := testConfig(t)
		cfg.NoMulticast = false
		cfg.Group = DefaultGroup
		cfg.NetworkKey = key
		if log != nil {
			cfg.Logger = log
		}
		return startNode(t, cfg)
	}
	a := start(k, nil)
	b := start(k, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	c := start(nil, nil)
	waitLinked(t, []*testNode{a, b}, 1, 5*time.Second)

	var sealed []byte
	waitFor(t, 5*time.Second, "a beacon of a on the wire", func() bool {
		sealed = spy.beaconOf(k, a.ID())
		return sealed != nil
	})
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(a.ID()))
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], a.Addr().Port())
	if bytes.Contains(sealed, id[:]) || bytes.Contains(sealed, port[:]) || bytes.Contains(sealed, []byte(mesh.BeaconMagic)) {
		t.Errorf("the sealed beacon shows the node's id, port or plain format: %x", sealed)
	}

	// Replays: b heard the original, so every copy is refused.
	before := b.Stats()
	for range 3 {
		spy.replay(t, spyConn, sealed)
	}
	waitFor(t, 3*time.Second, "the replays to be refused", func() bool {
		s := b.Stats().Beacons
		return s.Replayed+s.Duplicates >= before.Beacons.Replayed+before.Beacons.Duplicates+3
	})
	// Forgeries: the right node id inside, the tag broken.
	forged := bytes.Clone(sealed)
	forged[len(forged)-1] ^= 1
	for range 3 {
		spy.replay(t, spyConn, forged)
	}
	waitFor(t, 3*time.Second, "the forgeries to be refused", func() bool {
		return b.Stats().Beacons.Forged >= before.Beacons.Forged+3
	})
	if n := strings.Count(logs.String(), `msg="refused: a beacon that fails authentication`); n != 1 {
		t.Errorf("forged beacons logged %d times, want once:\n%s", n, logs.String())
	}

	// The keyless node heard only beacons it cannot read, and the keyed
	// nodes refused its plain ones.
	waitFor(t, 3*time.Second, "c's beacons to be refused", func() bool { return a.Stats().Beacons.Unkeyed > 0 })
	if s := c.Stats(); s.Discovery.Received != 0 || s.Links != 0 {
		t.Errorf("the keyless node received %d beacons and has %d links", s.Discovery.Received, s.Links)
	}
	if _, err := a.Broadcast([]byte("members only")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the members' message", func() bool { return b.count("members only") == 1 })
	if c.count("members only") != 0 {
		t.Error("the keyless node read the members' message")
	}
	t.Logf("a: %+v\nb: %+v", a.Stats().Beacons, b.Stats().Beacons)
}
