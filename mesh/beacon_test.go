package mesh

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sampleBeacons() []Beacon {
	return []Beacon{
		{ID: 1, Port: 1},
		{ID: 0x0102030405060708, Instance: 0x1112131415161718, Port: 7946, Load: Load{In: 2, Out: 5, FreeIn: 3}},
		{ID: 77, Instance: 5, Port: 40000, Load: Load{Out: 1}, Flags: HelloNeedy},
		{ID: ^NodeID(0), Instance: ^uint64(0), Port: 65535, Load: Load{255, 255, 255}, Flags: 0xFF},
	}
}

func TestBeaconRoundTrip(t *testing.T) {
	for _, b := range sampleBeacons() {
		p := AppendBeacon([]byte("x"), &b)
		if len(p) != 1+MaxBeaconSize || p[0] != 'x' {
			t.Fatalf("AppendBeacon(%+v) = %x: want the prefix kept and %d bytes added", b, p, MaxBeaconSize)
		}
		got, err := DecodeBeacon(p[1:])
		if err != nil {
			t.Fatalf("DecodeBeacon(%+v): %v", b, err)
		}
		if got != b {
			t.Fatalf("round trip: got %+v, want %+v", got, b)
		}
	}
}

func TestBeaconGolden(t *testing.T) {
	b := Beacon{ID: 0x0102030405060708, Instance: 0x1112131415161718, Port: 0x1f0a, Load: Load{3, 5, 2}, Flags: HelloNeedy, LAN: 0x0a0b0c0d}
	want := "50325042" + "04" + "0102030405060708" + "1112131415161718" + "1f0a" + "030502" + "01" + "0a0b0c0d"
	if got := hex.EncodeToString(AppendBeacon(nil, &b)); got != want {
		t.Errorf("beacon:\n got %s\nwant %s", got, want)
	}
	if MaxBeaconSize != 31 {
		t.Errorf("MaxBeaconSize = %d, want 31", MaxBeaconSize)
	}
}

func TestAppendBeaconNoAlloc(t *testing.T) {
	b := sampleBeacons()[1]
	buf := make([]byte, 0, MaxBeaconSize)
	if a := testing.AllocsPerRun(100, func() { AppendBeacon(buf, &b) }); a != 0 {
		t.Errorf("AppendBeacon allocates %v times", a)
	}
	p := AppendBeacon(nil, &b)
	if a := testing.AllocsPerRun(100, func() { DecodeBeacon(p) }); a != 0 {
		t.Errorf("DecodeBeacon allocates %v times", a)
	}
}

func TestDecodeBeaconMalformed(t *testing.T) {
	valid := AppendBeacon(nil, &Beacon{ID: 9, Instance: 1, Port: 7946})
	with := func(i int, v ...byte) []byte {
		p := bytes.Clone(valid)
		copy(p[i:], v)
		return p
	}
	tests := []struct {
		name string
		in   []byte
		err  error
		msg  string
	}{
		{"empty", nil, ErrMalformed, "beacon of 0 bytes, want 31"},
		{"magic-only", []byte(BeaconMagic), ErrMalformed, "beacon of 4 bytes"},
		{"short-foreign", []byte("hi"), ErrMalformed, "beacon of 2 bytes"},
		{"wrong-magic", with(0, 'X'), ErrMagic, `"X2PB"`},
		{"handshake-magic", with(0, []byte(HandshakeMagic)...), ErrMagic, "P2PM"},
		{"lowercase-magic", with(0, 'p', '2', 'p', 'b'), ErrMagic, "want"},
		{"version-0", with(4, 0), ErrVersion, "protocol version 0, want 4"},
		{"version-1", with(4, 1), ErrVersion, "protocol version 1, want 4"},
		{"version-2", with(4, 2), ErrVersion, "protocol version 2, want 4"},
		{"version-3", with(4, 3), ErrVersion, "protocol version 3, want 4"},
		{"version-5", with(4, 5), ErrVersion, "version 5"},
		{"version-5-longer", append(with(4, 5), 1, 2, 3), ErrVersion, "version 5"},
		{"one-short", valid[:MaxBeaconSize-1], ErrMalformed, "beacon of 30 bytes, want 31"},
		{"header-only", valid[:5], ErrMalformed, "beacon of 5 bytes"},
		{"one-long", append(bytes.Clone(valid), 0), ErrMalformed, "beacon of 32 bytes, want 31"},
		{"zero-id", with(5, 0, 0, 0, 0, 0, 0, 0, 0), ErrMalformed, "zero node id"},
		{"zero-port", with(21, 0, 0), ErrMalformed, "zero port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := DecodeBeacon(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("DecodeBeacon(%x) = %+v, %v; want error %v", tc.in, b, err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if b != (Beacon{}) {
				t.Errorf("DecodeBeacon returned %+v with its error", b)
			}
		})
	}
}

func FuzzDecodeBeacon(f *testing.F) {
	for _, b := range sampleBeacons() {
		f.Add(AppendBeacon(nil, &b))
	}
	f.Add([]byte(BeaconMagic))
	f.Add([]byte("P2PM\x01"))
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := DecodeBeacon(p)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrMagic) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v wraps no codec sentinel", err)
			}
			return
		}
		if b.ID == 0 || b.Port == 0 {
			t.Fatalf("decoded an invalid beacon %+v", b)
		}
		enc := AppendBeacon(nil, &b)
		if !bytes.Equal(enc, p) {
			t.Fatalf("re-encoding differs:\n in  %x\n out %x", p, enc)
		}
		b2, err := DecodeBeacon(enc)
		if err != nil || !reflect.DeepEqual(b, b2) {
			t.Fatalf("second decode: %+v, %v; want %+v", b2, err, b)
		}
	})
}
