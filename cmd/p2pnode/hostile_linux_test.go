package main

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"p2pmesh/internal/hostile"
	"p2pmesh/internal/longtest"
	"p2pmesh/internal/netnstest"
	"p2pmesh/mesh"
)

// The hostile host: four network namespaces on one bridge, as in
// TestFiveHostsOnABridge, three of them running p2pnode with default flags
// and the fourth (h4, 10.77.0.4) an attacker that runs no node. From h4 the
// test throws at the nodes what a stranger on the LAN could: on the
// multicast port, random bytes (to the group and to h1 directly), every
// single-bit mutation of h1's real beacon, h1's beacon replayed a thousand
// times, h2's id with a bogus port, strangers at a port where a non-mesh
// program listens and at closed ports, and a flood of 5,000 valid-looking
// beacons a second; on h1's TCP port, random bytes, a gigabyte length
// prefix, a handshake trickled a byte at a time, 200 idle connections and
// connections reset in the middle of a handshake. After each attack every
// honest host types a line that must reach the other two exactly once. At
// the end h1 is still running, its memory grew by less than 64 MiB, it
// spent less than half a core on the beacon flood, and it logged each kind
// of refusal at most once per 10 s.
func TestHostileHostOnTheBridge(t *testing.T) {
	longtest.Skip(t) // network namespaces and several processes: seconds to half a minute
	if testing.Short() {
		t.Skip("-short: skipping the multi-host test")
	}
	if !netnstest.InFreshWithMounts(t) {
		return
	}
	const hosts = 4 // h4 is the attacker
	setUpHosts(t, hosts)
	nodes := make([]*hostNode, hosts)
	for i := 1; i < hosts; i++ {
		nodes[i] = startHostNode(t, i)
	}
	honest := []int{1, 2, 3}
	waitFor(t, "every node to link", firstDeliveryWithin, func() bool {
		for _, i := range honest {
			if !strings.Contains(nodes[i].logs(), "joined the mesh") {
				return false
			}
		}
		return true
	})
	round := 0
	chat := func(after string) {
		t.Helper()
		round++
		for _, i := range honest {
			say(t, nodes, i, fmt.Sprintf("line %d (after %s) from h%d", round, after, i), honest, deliveryWithin)
		}
	}
	chat("start")

	victim := nodes[1]
	start, rss := time.Now(), residentKiB(t, victim)
	rng := mrand.New(mrand.NewPCG(8, 8))
	group := netip.MustParseAddrPort(defaultGroup)
	var x *hostile.Beacons
	inAttacker(t, func() {
		var err error
		x, err = hostile.NewBeacons(netip.MustParseAddr("10.77.0.4"), group)
		if err != nil {
			t.Fatal(err)
		}
	})
	defer x.Close()
	send := func(n, rate int, next func(i int) []byte) {
		t.Helper()
		if err := x.Paced(n, rate, next); err != nil {
			t.Fatal(err)
		}
	}
	// A stranger in need makes every node answer within a second: the
	// attacker learns their beacons, addresses and TCP ports.
	if err := x.Send(mesh.AppendBeacon(nil, ptr(hostile.Stranger(rng, 9)))); err != nil {
		t.Fatal(err)
	}
	capture := func(host string) mesh.Beacon {
		t.Helper()
		b, _, err := x.Capture(func(_ mesh.Beacon, from netip.Addr) bool { return from == netip.MustParseAddr(host) }, 40*time.Second)
		if err != nil {
			t.Fatalf("the beacon of %s: %v", host, err)
		}
		return b
	}
	b1, b2 := capture("10.77.0.1"), capture("10.77.0.2")
	h1 := netip.AddrPortFrom(netip.MustParseAddr("10.77.0.1"), b1.Port)
	real := mesh.AppendBeacon(nil, &b1)

	send(2000, 2000, func(i int) []byte {
		p := make([]byte, 1+i%200)
		_, _ = rand.Read(p)
		return p
	})
	for range 20 {
		if err := x.SendTo(real, netip.AddrPortFrom(h1.Addr(), group.Port())); err != nil {
			t.Fatal(err)
		}
	}
	chat("random bytes on the multicast port")
	bits := len(real) * 8
	send(5*bits, 1000, func(i int) []byte { return hostile.BitFlip(real, i%bits) })
	chat("mutated beacons")
	send(1000, 1000, func(int) []byte { return real })
	chat("replayed beacons")
	send(500, 500, func(int) []byte {
		b := b2
		b.Port = hostile.RandomPort(rng)
		return mesh.AppendBeacon(nil, &b)
	})
	chat("beacons with h2's id")
	var trapPort uint16
	var trapped func() int
	inAttacker(t, func() { trapPort, trapped = silentListener(t) })
	send(250, 50, func(i int) []byte {
		port := trapPort
		if i%2 == 1 {
			port = hostile.RandomPort(rng)
		}
		return mesh.AppendBeacon(nil, ptr(hostile.Stranger(rng, port)))
	})
	chat("beacons with bogus ports")
	cpu := cpuTime(t, victim)
	floodStart := time.Now()
	send(15000, 5000, func(int) []byte {
		return mesh.AppendBeacon(nil, ptr(hostile.Stranger(rng, hostile.RandomPort(rng))))
	})
	floodCPU, floodTook := cpuTime(t, victim)-cpu, time.Since(floodStart)
	chat("a beacon flood")

	// TCP.
	var conns []net.Conn
	dial := func(n int) {
		t.Helper()
		inAttacker(t, func() {
			for range n {
				c, err := net.DialTimeout("tcp", h1.String(), 5*time.Second)
				if err != nil {
					t.Fatalf("dialing h1: %v", err)
				}
				conns = append(conns, c)
			}
		})
	}
	dial(5)
	for _, c := range conns {
		junk := make([]byte, 4096)
		_, _ = rand.Read(junk)
		junk[0] = 0xff // a length far above the maximum
		_, _ = c.Write(junk)
	}
	closedByNode(t, conns, 5*time.Second, "random bytes")
	chat("random bytes on the TCP port")
	conns = conns[:0]
	dial(20)
	for _, c := range conns {
		_, _ = c.Write([]byte{0x3f, 0xff, 0xff, 0xff, 1, byte(mesh.FrameHello)})
	}
	closedByNode(t, conns, 5*time.Second, "gigabyte prefixes")
	chat("gigabyte length prefixes")
	conns = conns[:0]
	dial(1)
	trickled := make(chan struct{})
	go func(c net.Conn) {
		defer close(trickled)
		hello, _ := mesh.AppendFrame(nil, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 0xbad, Instance: 1, Port: 1, Load: mesh.Load{FreeIn: 5}}})
		for _, b := range hello {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}(conns[0])
	closedByNode(t, conns, 10*time.Second, "a trickled handshake")
	<-trickled
	chat("a trickled handshake")
	conns = conns[:0]
	dial(200)
	closedByNode(t, conns, 10*time.Second, "idle connections")
	chat("200 idle connections")
	conns = conns[:0]
	dial(20)
	for _, c := range conns {
		_, _ = c.Write([]byte{0, 0, 0, 30, 1})
		_ = c.(*net.TCPConn).SetLinger(0)
		c.Close() // RST
	}
	chat("connections reset in a handshake")

	// h1 is fine, and said what it refused, without a log flood.
	if victim.cmd.ProcessState != nil {
		t.Fatalf("h1 exited: %v", victim.cmd.ProcessState)
	}
	grew := residentKiB(t, victim) - rss
	took := time.Since(start)
	t.Logf("h1: resident memory grew by %d KiB in %v of attacks; the flood (%v) cost it %v of CPU; %d dials reached the non-mesh listener",
		grew, took.Round(time.Second), floodTook.Round(time.Millisecond), floodCPU, trapped())
	if grew > 64<<10 {
		t.Errorf("h1's resident memory grew by %d MiB", grew>>10)
	}
	if floodCPU > floodTook/2 {
		t.Errorf("h1 spent %v of CPU in %v of beacon flood", floodCPU, floodTook)
	}
	logs := victim.logs()
	most := 1 + int(took/(10*time.Second))
	for _, reason := range []string{
		"a datagram on the beacon port that is not a beacon",
		"a beacon of another protocol version",
		"a datagram sent to the beacon port directly, not to the group",
		"a beacon that contradicts a live link or a confirmed peer",
		"beacons beyond the rate limit; dropped",
		"a frame that does not decode",
		"no handshake within the handshake timeout",
		"too many connections waiting for their handshake",
	} {
		n := strings.Count(logs, "refused: "+reason)
		t.Logf("h1 logged %q %d times", reason, n)
		if n == 0 || n > most {
			t.Errorf("h1 logged %q %d times, want 1 to %d", reason, n, most)
		}
	}
	if n, reasons := strings.Count(logs, "refused: "), 12; n > reasons*most {
		t.Errorf("h1 logged %d refusals in %v: a log flood\n%s", n, took, logs)
	}
}

const defaultGroup = "239.192.77.7:49152"

func ptr[T any](v T) *T { return &v }

// inAttacker runs f in the attacker's namespace, h4.
func inAttacker(t *testing.T, f func()) {
	t.Helper()
	if err := netnstest.Enter("h4", f); err != nil {
		t.Fatal(err)
	}
}

// silentListener listens on every address of the current namespace,
// accepts connections and never says a word; it returns its port and the
// count of connections accepted.
func silentListener(t *testing.T) (uint16, func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1024)
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case accepted <- c:
			default:
				c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	})
	return uint16(ln.Addr().(*net.TCPAddr).Port), func() int { return len(accepted) }
}

// closedByNode waits until the node has closed every connection (EOF or
// reset), reading and discarding what it sends meanwhile.
func closedByNode(t *testing.T, conns []net.Conn, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	buf := make([]byte, 4096)
	for i, c := range conns {
		_ = c.SetReadDeadline(deadline)
		for {
			_, err := c.Read(buf)
			if err == nil {
				continue
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("%s: connection %d still open after %v", what, i, within)
			}
			break
		}
		c.Close()
	}
}

// residentKiB returns the resident memory of the node's process.
func residentKiB(t *testing.T, h *hostNode) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kib
		}
	}
	t.Fatal("no VmRSS in /proc/PID/status")
	return 0
}

// cpuTime returns the CPU time the node's process has used.
func cpuTime(t *testing.T, h *hostNode) time.Duration {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) in parentheses:
	// utime and stime are the 14th and 15th fields of the line.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}
