package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"p2pmesh/internal/longtest"
	"p2pmesh/internal/netnstest"
)

// The multi-host test: five network namespaces ("hosts") on one bridge with
// multicast snooping off, one p2pnode with default flags in each. They must
// find each other by multicast, carry every typed line to every other host
// exactly once, keep doing so after two hosts are killed with SIGKILL, and
// take a restarted host back in.
//
// Everything is created inside a fresh network and mount namespace (the
// test re-runs itself there), so nothing is left on the machine whatever
// happens: the bridge, the veths and the namespaces vanish with it.

// Deadlines, wall-clock: these are real processes on real sockets.
const (
	firstDeliveryWithin = 10 * time.Second // from start to a line reaching every host
	deliveryWithin      = 5 * time.Second
)

func TestFiveHostsOnABridge(t *testing.T) {
	longtest.Skip(t) // network namespaces and several processes: seconds to half a minute
	if testing.Short() {
		t.Skip("-short: skipping the multi-host test")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the multi-host test needs the ip command (iproute2)")
	}
	if !netnstest.InFreshWithMounts(t) {
		return
	}
	const hosts = 5
	setUpHosts(t, hosts)

	nodes := make([]*hostNode, hosts+1) // 1-based, like the host names
	start := time.Now()
	for i := 1; i <= hosts; i++ {
		nodes[i] = startHostNode(t, i)
	}

	// Every host finds the others and a line from each reaches all others.
	// A broadcast reaches the nodes linked at the time it is sent, so the
	// first line waits until every node has linked and the mesh has had a
	// moment to merge into one component.
	waitFor(t, "every node to link", firstDeliveryWithin, func() bool {
		for _, n := range nodes[1:] {
			if !strings.Contains(n.logs(), "joined the mesh") {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second)
	say(t, nodes, 1, "hello from h1", all(hosts), firstDeliveryWithin)
	t.Logf("first line reached all %d other hosts %v after the nodes started", hosts-1, time.Since(start).Round(time.Millisecond))
	for i := 2; i <= hosts; i++ {
		say(t, nodes, i, fmt.Sprintf("hello from h%d", i), all(hosts), deliveryWithin)
	}

	// Two hosts die without a word; the other three keep delivering.
	for _, i := range []int{4, 5} {
		nodes[i].kill()
	}
	killed := time.Now()
	survivors := []int{1, 2, 3}
	say(t, nodes, 1, "after the kill, from h1", survivors, deliveryWithin)
	t.Logf("after SIGKILL of h4 and h5, a line from h1 reached h2 and h3 in %v", time.Since(killed).Round(time.Millisecond))
	say(t, nodes, 2, "after the kill, from h2", survivors, deliveryWithin)
	say(t, nodes, 3, "after the kill, from h3", survivors, deliveryWithin)

	// A restarted host rejoins.
	nodes[4] = startHostNode(t, 4)
	waitFor(t, "the restarted h4 to link", firstDeliveryWithin, func() bool {
		return strings.Contains(nodes[4].logs(), "joined the mesh")
	})
	back := []int{1, 2, 3, 4}
	say(t, nodes, 4, "h4 is back", back, deliveryWithin)
	say(t, nodes, 1, "welcome back, h4", back, deliveryWithin)

	// Nothing was printed twice, and nobody printed its own lines.
	time.Sleep(time.Second) // let late duplicates, if any, arrive
	for i := 1; i <= 4; i++ {
		seen := map[string]int{}
		for _, l := range nodes[i].lines() {
			seen[l]++
			if seen[l] > 1 {
				t.Errorf("h%d printed %q twice", i, l)
			}
			if strings.HasSuffix(l, fmt.Sprintf("from h%d", i)) {
				t.Errorf("h%d printed its own line %q", i, l)
			}
		}
	}
}

func all(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

// say types text at host from and waits until every other host of to has
// printed it.
func say(t *testing.T, nodes []*hostNode, from int, text string, to []int, within time.Duration) {
	t.Helper()
	nodes[from].typeLine(text)
	reached := func() bool {
		for _, i := range to {
			if i != from && nodes[i].count(text) == 0 {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(within)
	for !reached() {
		if time.Now().After(deadline) {
			dumpLogs(t, nodes)
			t.Fatalf("timed out after %v waiting for %q from h%d to reach hosts %v", within, text, from, to)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%q from h%d reached hosts %v", text, from, to)
	for i, n := range nodes {
		if n != nil && i != from && !t.Failed() {
			if c := n.count(text); c > 1 {
				t.Errorf("h%d printed %q %d times", i, text, c)
			}
		}
	}
	if t.Failed() {
		dumpLogs(t, nodes)
	}
}

func dumpLogs(t *testing.T, nodes []*hostNode) {
	t.Helper()
	for i, n := range nodes {
		if n != nil {
			t.Logf("h%d printed %q; logs:\n%s", i, n.lines(), n.logs())
		}
	}
}

// setUpHosts builds n namespaces h1..hn, each with an eth0 on one bridge
// (10.77.0.i/24), multicast snooping off so that the bridge floods group
// traffic to every port.
func setUpHosts(t *testing.T, n int) {
	if err := os.MkdirAll("/run/netns", 0o755); err != nil {
		t.Skipf("cannot create /run/netns: %v", err)
	}
	if err := syscall.Mount("tmpfs", "/run/netns", "tmpfs", 0, ""); err != nil {
		t.Skipf("cannot mount a tmpfs on /run/netns: %v", err)
	}
	ip(t, "link", "set", "lo", "up")
	ip(t, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
	ip(t, "link", "set", "br0", "up")
	for i := 1; i <= n; i++ {
		ns, veth := fmt.Sprintf("h%d", i), fmt.Sprintf("v%d", i)
		ip(t, "netns", "add", ns)
		ip(t, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
		ip(t, "link", "set", veth, "master", "br0", "up")
		ip(t, "-n", ns, "addr", "add", fmt.Sprintf("10.77.0.%d/24", i), "dev", "eth0")
		ip(t, "-n", ns, "link", "set", "eth0", "up")
		ip(t, "-n", ns, "link", "set", "lo", "up")
	}
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// hostNode is a p2pnode process with default flags in one namespace.
type hostNode struct {
	cmd   *exec.Cmd
	stdin *os.File
	done  chan struct{}

	mu     sync.Mutex
	out    []string
	stderr bytes.Buffer
}

func startHostNode(t *testing.T, i int) *hostNode {
	t.Helper()
	// The test binary runs as p2pnode when asNodeEnv is set (see TestMain);
	// no flags: the defaults must do.
	cmd := exec.Command("ip", "netns", "exec", fmt.Sprintf("h%d", i), os.Args[0])
	cmd.Env = netnstest.ChildEnv(asNodeEnv + "=1")
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &hostNode{cmd: cmd, stdin: inW, done: make(chan struct{})}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, &lockedWriter{mu: &h.mu, w: &h.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting p2pnode in h%d: %v", i, err)
	}
	inR.Close()
	outW.Close()
	go func() {
		defer close(h.done)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			h.mu.Lock()
			h.out = append(h.out, sc.Text())
			h.mu.Unlock()
		}
		outR.Close()
	}()
	t.Cleanup(func() {
		h.kill()
		<-h.done
	})
	return h
}

func (h *hostNode) typeLine(s string) { fmt.Fprintln(h.stdin, s) }

// kill sends SIGKILL (ip netns exec has exec'd into the node itself) and
// reaps the process.
func (h *hostNode) kill() {
	if h.cmd.ProcessState != nil {
		return
	}
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
	h.stdin.Close()
}

func (h *hostNode) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.out...)
}

// count reports how many printed lines end with ": "+text.
func (h *hostNode) count(text string) int {
	c := 0
	for _, l := range h.lines() {
		if strings.HasSuffix(l, ": "+text) {
			c++
		}
	}
	return c
}

func (h *hostNode) logs() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stderr.String()
}
