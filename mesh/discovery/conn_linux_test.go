package discovery

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"p2pmesh/internal/netnstest"
	"p2pmesh/mesh"
)

func listen(t *testing.T, self mesh.NodeID, ifaces ...string) *Conn {
	t.Helper()
	g, err := ParseGroup(DefaultGroup)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Listen(context.Background(), Config{Group: g, Self: self, Interfaces: ifaces, Refused: func(err error, _ netip.Addr) {
		refusedMu.Lock()
		refusedErrs = append(refusedErrs, err)
		refusedMu.Unlock()
	}})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refusedErrs collects what listen's sockets refused.
var (
	refusedMu   sync.Mutex
	refusedErrs []error
)

// receive returns the next beacon c passes on, or fails after d.
func receive(t *testing.T, c *Conn, d time.Duration) (mesh.Beacon, netip.Addr, bool) {
	t.Helper()
	type res struct {
		b   mesh.Beacon
		ip  netip.Addr
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, ip, err := c.Receive()
		ch <- res{b, ip, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Receive: %v", r.err)
		}
		return r.b, r.ip, true
	case <-time.After(d):
		c.Close() // unblock the goroutine
		<-ch
		return mesh.Beacon{}, netip.Addr{}, false
	}
}

func TestBeaconsBetweenTwoSocketsOnOnePort(t *testing.T) {
	if !netnstest.InFresh(t) {
		return
	}
	a := listen(t, 1)
	b := listen(t, 2)
	if got := a.Joined(); len(got) != 1 || got[0] != "lo" {
		t.Fatalf("joined %v, want [lo]", got)
	}
	if err := a.Send(&mesh.Beacon{ID: 1, Instance: 7, Port: 4242, Load: mesh.Load{FreeIn: 5}}); err != nil {
		t.Fatal(err)
	}
	got, ip, ok := receive(t, b, 2*time.Second)
	if !ok {
		t.Fatal("no beacon arrived")
	}
	if got.ID != 1 || got.Port != 4242 || got.Instance != 7 || ip != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("got beacon %+v from %v", got, ip)
	}
	if s := a.Stats(); s.Sent != 1 {
		t.Errorf("sender stats %+v, want one sent", s)
	}
}

func TestForeignDatagramsAreSkipped(t *testing.T) {
	if !netnstest.InFresh(t) {
		return
	}
	c := listen(t, 9)
	g := c.Group()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	// A socket of another program that joined another group on the same
	// port: Linux would deliver that group's traffic to c too.
	other := netip.MustParseAddr("239.192.77.8")
	oc, err := net.ListenMulticastUDP("udp4", lo, net.UDPAddrFromAddrPort(netip.AddrPortFrom(other, g.Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()

	send, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	beacon := func(id mesh.NodeID) []byte {
		return mesh.AppendBeacon(nil, &mesh.Beacon{ID: id, Port: 1000 + uint16(id)})
	}
	to := func(a netip.Addr) *net.UDPAddr { return net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, g.Port())) }
	for _, p := range []struct {
		data []byte
		to   netip.Addr
	}{
		{beacon(5), other}, // another group
		{beacon(6), netip.MustParseAddr("127.0.0.1")},            // unicast to the port
		{[]byte("NOTIFY * HTTP/1.1\r\n"), g.Addr()},              // not a beacon
		{append([]byte("P2PB\x09"), beacon(7)[5:]...), g.Addr()}, // another version
		{beacon(9), g.Addr()},                                    // our own id
		{beacon(8), g.Addr()},                                    // the one to pass
	} {
		if _, err := send.WriteTo(p.data, to(p.to)); err != nil {
			t.Fatalf("send to %v: %v", p.to, err)
		}
	}
	got, _, ok := receive(t, c, 2*time.Second)
	if !ok {
		t.Fatal("the valid beacon did not arrive")
	}
	if got.ID != 8 || got.Port != 1008 {
		t.Errorf("passed on %+v, want the beacon of node 8", got)
	}
	s := c.Stats()
	t.Logf("stats %+v", s)
	// The other group's datagram and the unicast one went to the other
	// program's socket (the last one bound to the port).
	if s.Own != 1 || s.Received != 1 || s.Refused != 2 {
		t.Errorf("stats %+v: want 1 own, 1 received, 2 refused", s)
	}
	// Each refusal was reported with its cause.
	refusedMu.Lock()
	defer refusedMu.Unlock()
	for _, want := range []error{mesh.ErrMagic, mesh.ErrVersion} {
		found := false
		for _, e := range refusedErrs {
			found = found || errors.Is(e, want)
		}
		if !found {
			t.Errorf("refusals reported %v, want one for %v", refusedErrs, want)
		}
	}
}

func TestUnicastDatagramsAreRefused(t *testing.T) {
	if !netnstest.InFresh(t) {
		return
	}
	c := listen(t, 9)
	send, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	// A beacon sent to the port directly, then one sent to the group.
	direct := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), c.Group().Port()))
	if _, err := send.WriteTo(mesh.AppendBeacon(nil, &mesh.Beacon{ID: 6, Port: 1006}), direct); err != nil {
		t.Fatal(err)
	}
	if _, err := send.WriteTo(mesh.AppendBeacon(nil, &mesh.Beacon{ID: 8, Port: 1008}), net.UDPAddrFromAddrPort(c.Group())); err != nil {
		t.Fatal(err)
	}
	got, _, ok := receive(t, c, 2*time.Second)
	if !ok || got.ID != 8 {
		t.Fatalf("passed on %+v (%v), want the beacon of node 8 sent to the group", got, ok)
	}
	if s := c.Stats(); s.Refused != 1 {
		t.Errorf("stats %+v: want the direct one refused", s)
	}
	refusedMu.Lock()
	defer refusedMu.Unlock()
	if len(refusedErrs) == 0 || !errors.Is(refusedErrs[len(refusedErrs)-1], ErrUnicast) {
		t.Errorf("refusals reported %v, want ErrUnicast", refusedErrs)
	}
}

func TestNoInterface(t *testing.T) {
	if !netnstest.InFresh(t) {
		return
	}
	g, _ := ParseGroup(DefaultGroup)
	c, err := Listen(context.Background(), Config{Group: g, Self: 1, Interfaces: []string{"p2p-missing0"}})
	if !errors.Is(err, ErrNoInterface) || c == nil {
		t.Fatalf("Listen on a missing interface: %v, %v; want a Conn and ErrNoInterface", c, err)
	}
	defer c.Close()
	if err := c.Send(&mesh.Beacon{ID: 1, Port: 1}); err != nil {
		t.Errorf("Send without interfaces: %v", err)
	}
	// lo comes up with multicast later: Refresh joins it.
	c.cfg.Interfaces = nil
	if added := c.Refresh(); len(added) != 1 || added[0] != "lo" {
		t.Errorf("Refresh joined %v, want [lo]", added)
	}
}
