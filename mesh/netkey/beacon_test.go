package netkey

import (
	"errors"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// clock is a settable clock for codecs.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func testBeacon(id mesh.NodeID) mesh.Beacon {
	return mesh.Beacon{ID: id, Instance: 42, Port: 7946, Load: mesh.Load{In: 1, Out: 2, FreeIn: 3}, Flags: mesh.HelloNeedy}
}

func TestSealedBeaconOpensWithTheKeyOnly(t *testing.T) {
	k := mustKey(t, 1)
	var refusals []error
	clk := &clock{time.Unix(1_800_000_000, 0)}
	sender := newBeaconCodec(k, nil, clk.now)
	receiver := newBeaconCodec(k, func(err error) { refusals = append(refusals, err) }, clk.now)
	stranger := newBeaconCodec(mustKey(t, 2), nil, clk.now)

	b := testBeacon(77)
	p := sender.AppendBeacon(nil, &b)
	if len(p) != SealedBeaconSize || len(p) != sender.MaxBeaconSize() {
		t.Fatalf("sealed beacon of %d bytes, want %d", len(p), SealedBeaconSize)
	}
	plain := mesh.AppendBeacon(nil, &b)
	if string(p[:4]) != SealedMagic {
		t.Fatalf("sealed beacon starts with %q", p[:4])
	}
	if got, err := stranger.DecodeBeacon(p); !errors.Is(err, ErrForgedBeacon) {
		t.Errorf("another key opened it: %+v, %v", got, err)
	}
	got, err := receiver.DecodeBeacon(p)
	if err != nil || got != b {
		t.Fatalf("opened %+v, %v; want %+v", got, err, b)
	}
	// The plain beacon's fields are not readable in the sealed one.
	for i := 0; i+8 <= len(plain); i++ {
		if contains(p, plain[i:i+8]) && i >= 5 {
			t.Fatalf("sealed beacon carries plain bytes %x", plain[i:i+8])
		}
	}

	// Keyless nodes' beacons are refused and said so.
	if _, err := receiver.DecodeBeacon(plain); !errors.Is(err, ErrUnkeyedBeacon) {
		t.Errorf("plain beacon: %v, want ErrUnkeyedBeacon", err)
	}
	// A sealed beacon is not a plain one: nodes without a key skip it.
	if _, err := mesh.DecodeBeacon(p); !errors.Is(err, mesh.ErrMagic) {
		t.Errorf("mesh.DecodeBeacon(sealed) = %v, want ErrMagic", err)
	}
	if s := receiver.Stats(); s.Opened != 1 || s.Unkeyed != 1 {
		t.Errorf("stats %+v", s)
	}
	if len(refusals) != 1 {
		t.Errorf("refused callback called %d times, want 1", len(refusals))
	}
}

func contains(s, sub []byte) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if string(s[i:i+len(sub)]) == string(sub) {
			return true
		}
	}
	return false
}

func TestReplayedBeaconsAreRefused(t *testing.T) {
	k := mustKey(t, 1)
	clk := &clock{time.Unix(1_800_000_000, 0)}
	sender := newBeaconCodec(k, nil, clk.now)
	receiver := newBeaconCodec(k, nil, clk.now)
	b := testBeacon(77)
	first := sender.AppendBeacon(nil, &b)
	second := sender.AppendBeacon(nil, &b)

	if _, err := receiver.DecodeBeacon(second); err != nil {
		t.Fatal(err)
	}
	if _, err := receiver.DecodeBeacon(second); !errors.Is(err, ErrDuplicateBeacon) {
		t.Errorf("the same beacon again: %v, want ErrDuplicateBeacon", err)
	}
	if _, err := receiver.DecodeBeacon(first); !errors.Is(err, ErrReplayedBeacon) {
		t.Errorf("an older beacon after a newer one: %v, want ErrReplayedBeacon", err)
	}

	// A beacon recorded long ago is refused even by a receiver that never
	// heard its sender (a restarted node, or one that forgot it).
	fresh := newBeaconCodec(k, nil, clk.now)
	old := sender.AppendBeacon(nil, &b)
	clk.t = clk.t.Add(MaxClockSkew + time.Second)
	if _, err := fresh.DecodeBeacon(old); !errors.Is(err, ErrStaleBeacon) {
		t.Errorf("a beacon older than the window: %v, want ErrStaleBeacon", err)
	}
	// And one from a clock far ahead.
	ahead := &clock{clk.t.Add(2 * MaxClockSkew)}
	future := newBeaconCodec(k, nil, ahead.now).AppendBeacon(nil, &b)
	if _, err := fresh.DecodeBeacon(future); !errors.Is(err, ErrStaleBeacon) {
		t.Errorf("a beacon from the future: %v, want ErrStaleBeacon", err)
	}
	// Within the window, clocks may differ.
	near := &clock{clk.t.Add(MaxClockSkew / 2)}
	if _, err := fresh.DecodeBeacon(newBeaconCodec(k, nil, near.now).AppendBeacon(nil, &b)); err != nil {
		t.Errorf("a beacon within the window: %v", err)
	}
	s := receiver.Stats()
	if s.Duplicates != 1 || s.Replayed != 1 || s.Opened != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestRestartedSenderIsHeardAgain(t *testing.T) {
	k := mustKey(t, 1)
	clk := &clock{time.Unix(1_800_000_000, 0)}
	receiver := newBeaconCodec(k, nil, clk.now)
	b := testBeacon(77)
	life1 := newBeaconCodec(k, nil, clk.now)
	for range 100 {
		if _, err := receiver.DecodeBeacon(life1.AppendBeacon(nil, &b)); err != nil {
			t.Fatal(err)
		}
	}
	clk.t = clk.t.Add(time.Second)
	life2 := newBeaconCodec(k, nil, clk.now)
	if _, err := receiver.DecodeBeacon(life2.AppendBeacon(nil, &b)); err != nil {
		t.Fatalf("the same node id after a restart: %v", err)
	}
}

func TestForgedBeaconsAreRefused(t *testing.T) {
	k := mustKey(t, 1)
	clk := &clock{time.Unix(1_800_000_000, 0)}
	receiver := newBeaconCodec(k, nil, clk.now)
	b := testBeacon(77)
	good := newBeaconCodec(k, nil, clk.now).AppendBeacon(nil, &b)
	for i := range good {
		if i < len(SealedMagic)+1 {
			continue // magic and version: refused as malformed, below
		}
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x40
		if _, err := receiver.DecodeBeacon(bad); !errors.Is(err, ErrForgedBeacon) {
			t.Fatalf("byte %d changed: %v, want ErrForgedBeacon", i, err)
		}
	}
	// The right node id, sealed under another key.
	forged := newBeaconCodec(mustKey(t, 9), nil, clk.now).AppendBeacon(nil, &b)
	if _, err := receiver.DecodeBeacon(forged); !errors.Is(err, ErrForgedBeacon) {
		t.Errorf("right id, wrong key: %v", err)
	}
	for name, p := range map[string][]byte{
		"short":   good[:len(good)-1],
		"long":    append(append([]byte(nil), good...), 0),
		"version": append([]byte(SealedMagic+"\x02"), good[5:]...),
		"empty":   nil,
		"other":   []byte("hello, multicast"),
	} {
		if _, err := receiver.DecodeBeacon(p); !errors.Is(err, ErrMalformedBeacon) {
			t.Errorf("%s: %v, want ErrMalformedBeacon", name, err)
		}
	}
	if s := receiver.Stats(); s.Opened != 0 || s.Forged != uint64(len(good)-5+1) {
		t.Errorf("stats %+v", s)
	}
	// Still accepts the good one afterwards.
	if _, err := receiver.DecodeBeacon(good); err != nil {
		t.Errorf("good beacon after forgeries: %v", err)
	}
}

func TestReplayMemoryIsBounded(t *testing.T) {
	k := mustKey(t, 1)
	clk := &clock{time.Unix(1_800_000_000, 0)}
	sender := newBeaconCodec(k, nil, clk.now)
	receiver := newBeaconCodec(k, nil, clk.now)
	first := testBeacon(1)
	old := sender.AppendBeacon(nil, &first)
	if _, err := receiver.DecodeBeacon(sender.AppendBeacon(nil, &first)); err != nil {
		t.Fatal(err)
	}
	for id := mesh.NodeID(2); id <= MaxRemembered+1; id++ {
		b := testBeacon(id)
		if _, err := receiver.DecodeBeacon(sender.AppendBeacon(nil, &b)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(receiver.seen); n != MaxRemembered {
		t.Fatalf("remembers %d senders, want %d", n, MaxRemembered)
	}
	// Node 1, heard least recently, was forgotten: within the clock
	// window its older beacon is accepted again (that is the window's job).
	if _, err := receiver.DecodeBeacon(old); err != nil {
		t.Errorf("forgotten sender: %v", err)
	}
}
