package discovery

import (
	"strings"
	"testing"
)

func TestParseGroup(t *testing.T) {
	good := map[string]string{
		DefaultGroup:           "239.192.77.7:49152",
		"224.0.0.251:5353":     "224.0.0.251:5353",
		"[::ffff:239.1.2.3]:9": "239.1.2.3:9",
	}
	for in, want := range good {
		g, err := ParseGroup(in)
		if err != nil || g.String() != want {
			t.Errorf("ParseGroup(%q) = %v, %v; want %s", in, g, err, want)
		}
	}
	bad := map[string]string{
		"239.192.77.7":       "want IPv4-GROUP:PORT",
		"10.0.0.1:49152":     "not an IPv4 multicast address",
		"[ff02::1]:49152":    "not an IPv4 multicast address",
		"239.192.77.7:0":     "port must not be 0",
		"group.example:4000": "want IPv4-GROUP:PORT",
	}
	for in, want := range bad {
		if _, err := ParseGroup(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseGroup(%q): err %v, want one mentioning %q", in, err, want)
		}
	}
}
