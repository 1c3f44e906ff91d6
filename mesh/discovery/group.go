package discovery

import (
	"fmt"
	"net/netip"
)

// DefaultGroup is the multicast group and UDP port beacons use unless told
// otherwise. 239.192.0.0/14 is the IPv4 organization-local scope (RFC 2365),
// meant for private use inside a site; 49152 is the first port of the dynamic
// range.
const DefaultGroup = "239.192.77.7:49152"

// ParseGroup parses an IPv4 multicast group and UDP port such as
// "239.192.77.7:49152".
func ParseGroup(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("multicast group %q: want IPv4-GROUP:PORT such as %s", s, DefaultGroup)
	}
	a := ap.Addr().Unmap()
	if !a.Is4() || !a.IsMulticast() {
		return netip.AddrPort{}, fmt.Errorf("multicast group %q: %v is not an IPv4 multicast address (224.0.0.0/4; use 239.0.0.0/8 for private groups)", s, ap.Addr())
	}
	if ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("multicast group %q: port must not be 0", s)
	}
	return netip.AddrPortFrom(a, ap.Port()), nil
}
