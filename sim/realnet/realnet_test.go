package realnet

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim/measure"
	"p2pmesh/sim/runner"
	"p2pmesh/sim/scenario"
)

// The whole path of p2psim --transport tcp: a scenario played by the runner
// on real nodes, judged by the same code as on the simulator.
func TestSmallScenarioOverTCP(t *testing.T) {
	t.Parallel()
	res := runOverTCP(t, "testdata/small.yaml")
	for _, e := range res.Report.Expectations {
		t.Logf("%v %s: %s", e.OK, e.Name, e.Detail)
	}
	logTimeline(t, res)
	for _, e := range res.Failed {
		t.Errorf("%s: %s", e.Name, e.Detail)
	}
	s := res.Report.Summary
	if s.Broadcasts != 6 || s.ReliabilityMin != 1 || s.ComponentsFinal != 1 || s.AliveFinal != 7 {
		t.Errorf("summary %+v: want 6 broadcasts, reliability 1, 1 component, 7 alive", s)
	}
	if s.TransmissionsTotal == 0 || s.TraceDigest != "" {
		t.Errorf("summary %+v: want transmissions counted and no trace digest", s)
	}
	if len(res.Report.Repairs) != 2 || res.Report.Repairs[0].RepairMS < 0 {
		t.Errorf("repairs %+v: want the heal and the kill, healed", res.Report.Repairs)
	}
	if p := res.Perf; p.Transport != "tcp" || p.FramesSent == 0 || p.Nodes != 8 {
		t.Errorf("perf %+v", p)
	}
}

// logTimeline logs when the mesh's components changed, the repairs and
// how late the timeline ran: what a failure on a loaded machine needs
// explained.
func logTimeline(t *testing.T, res *runner.Result) {
	t.Helper()
	var changes []string
	last := -1
	for _, s := range res.Report.Series {
		if s.Components != last {
			changes = append(changes, fmt.Sprintf("%.0f ms: %d", s.AtMS, s.Components))
			last = s.Components
		}
	}
	t.Logf("components: %s", strings.Join(changes, ", "))
	for _, r := range res.Report.Repairs {
		t.Logf("repair of %s %s at %.0f ms: %.0f ms", r.Kind, r.Label, r.AtMS, r.RepairMS)
	}
	t.Logf("timeline late by %.1f ms at most, %.1f ms on average", res.Perf.LateMaxMS, res.Perf.LateMeanMS)
}

// fastConfig is a node configuration with timers ten times shorter than the
// defaults.
func fastConfig() mesh.Config {
	cfg := mesh.DefaultConfig()
	cfg.BeaconMin = 50 * time.Millisecond
	cfg.BeaconMax = 500 * time.Millisecond
	cfg.KeepaliveInterval = 100 * time.Millisecond
	cfg.DeadAfter = time.Second
	cfg.HandshakeTimeout = time.Second
	cfg.DialBackoff = 100 * time.Millisecond
	cfg.RotateInterval = 0
	return cfg
}

// newNet returns a run of n started nodes on one segment, linked, with
// fastConfig's timers changed by tweak (if not nil).
func newNet(t *testing.T, n int, tweak func(*mesh.Config)) *Net {
	t.Helper()
	sc := &scenario.Scenario{File: "test.yaml", Network: scenario.Network{DialTimeout: 300 * time.Millisecond}}
	nt, err := New(sc, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nt.Close() })
	seg := nt.AddSegment("lan")
	for k := range n {
		cfg := fastConfig()
		if tweak != nil {
			tweak(&cfg)
		}
		i, err := nt.AddNode(string(rune('a'+k)), "", &cfg, seg)
		if err != nil {
			t.Fatal(err)
		}
		nt.Start(i, 0)
	}
	runUntil(t, nt, 10*time.Second, "every node linked to every other", func() bool {
		for i := range n {
			if nt.Node(measure.NodeIndex(i)).Load.Degree() < n-1 {
				return false
			}
		}
		return true
	})
	return nt
}

// runUntil runs the network in 20 ms steps until cond holds, for at most d.
func runUntil(t *testing.T, nt *Net, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := nt.Now()
	for !cond() {
		if nt.Now()-start > d {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		nt.Run(nt.Now() + 20*time.Millisecond)
	}
	return nt.Now() - start
}

func degree(nt *Net, i measure.NodeIndex) int { return nt.Node(i).Load.Degree() }

func TestCrashIsNoticedByKeepalivesLeaveAtOnce(t *testing.T) {
	t.Parallel()
	// dead_after 3 s: a crash cannot be noticed sooner, a leave must be,
	// and each wait below has seconds to spare on a loaded machine.
	const deadAfter = 3 * time.Second
	nt := newNet(t, 2, func(cfg *mesh.Config) { cfg.DeadAfter = deadAfter })
	killed := nt.Now()
	nt.Kill(1, false)
	// The link went dark: node a hears nothing, not even a FIN, until its
	// keepalives judge the link dead.
	nt.Run(killed + deadAfter/2)
	if degree(nt, 0) != 1 {
		t.Fatal("a crash was noticed before dead_after: the link did not go dark")
	}
	runUntil(t, nt, deadAfter+5*time.Second, "the crash noticed", func() bool { return degree(nt, 0) == 0 })
	t.Logf("crash noticed after %v", nt.Now()-killed)

	nt.Start(1, nt.Now())
	runUntil(t, nt, 10*time.Second, "the restarted node linked", func() bool { return degree(nt, 0) == 1 })
	if nt.Node(1).Starts != 2 {
		t.Fatalf("starts %d, want 2", nt.Node(1).Starts)
	}
	nt.Kill(1, true)
	took := runUntil(t, nt, deadAfter-500*time.Millisecond, "the leave noticed before dead_after", func() bool { return degree(nt, 0) == 0 })
	t.Logf("leave noticed after %v", took)
}

func TestPartitionCutsLinksDialsAndBeacons(t *testing.T) {
	t.Parallel()
	nt := newNet(t, 3, nil)
	nt.Partition("p", []measure.NodeIndex{0})
	runUntil(t, nt, 10*time.Second, "a cut off", func() bool {
		return nt.Components(nt.Topology()) == 2 && degree(nt, 0) == 0
	})
	// Dials across the cut hang until their timeout, like dials to a
	// host that cannot be reached.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if c, err := nt.dialer(1)(ctx, nt.nodes[0].addr); err == nil {
		c.Close()
		t.Fatal("dialed across the partition")
	}
	if waited := time.Since(start); waited < 90*time.Millisecond {
		t.Fatalf("a dial across the cut failed after %v, not at its timeout", waited)
	}
	// Beacons do not cross either, so a stays alone for a while.
	nt.Run(nt.Now() + 500*time.Millisecond)
	if degree(nt, 0) != 0 {
		t.Fatal("a linked across the partition")
	}
	if err := nt.Heal("nope"); err == nil {
		t.Fatal("healed a partition that does not exist")
	}
	if err := nt.Heal("p"); err != nil {
		t.Fatal(err)
	}
	runUntil(t, nt, 10*time.Second, "one component again", func() bool { return nt.Components(nt.Topology()) == 1 })
}

func TestDialsOnlyReachNodesOfTheRun(t *testing.T) {
	t.Parallel()
	nt := newNet(t, 1, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := nt.dialer(0)(context.Background(), ln.Addr().(*net.TCPAddr).AddrPort())
	if err == nil {
		c.Close()
		t.Fatal("dialed an address outside the run")
	}
	if !strings.Contains(err.Error(), "not a node of this run") {
		t.Fatalf("error %v", err)
	}
}

// A dark link swallows writes, and its reader hears nothing, not even the
// other end closing, until its deadline.
func TestDarkLinkSwallowsBothWays(t *testing.T) {
	t.Parallel()
	nt := newNet(t, 2, nil)
	c, err := nt.dialer(0)(context.Background(), nt.nodes[1].addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dc := c.(*darkConn)
	dc.l.dark.Store(true)
	if k, err := c.Write([]byte("lost")); k != 4 || err != nil {
		t.Fatalf("write on a dark link: %d, %v", k, err)
	}
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	start := time.Now()
	_, err = c.Read(make([]byte, 16))
	if !isTimeout(err) || time.Since(start) < 90*time.Millisecond {
		t.Fatalf("read on a dark link: %v after %v, want a timeout at the deadline", err, time.Since(start))
	}
	// Close ends a blocked read at once.
	c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 16))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if err == nil || err == io.EOF {
			t.Fatalf("read after Close: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not end the read")
	}
}

func TestFrameLossIsRefused(t *testing.T) {
	t.Parallel()
	sc := &scenario.Scenario{File: "lossy.yaml", Network: scenario.Network{Loss: 0.01, DialTimeout: time.Second}}
	_, err := New(sc, 1, Options{})
	if err == nil || !strings.Contains(err.Error(), "lossy.yaml") || !strings.Contains(err.Error(), "loss") || !strings.Contains(err.Error(), "--transport sim") {
		t.Fatalf("New with frame loss: %v", err)
	}
}

// Network keys over TCP are the real thing: nodes with different keys meet
// the Noise handshake and sealed beacons of the runtime, and are refused.
func TestNetworkKeysOverTCP(t *testing.T) {
	t.Parallel()
	res := runOverTCP(t, "testdata/keys.yaml")
	for _, e := range res.Failed {
		t.Errorf("%s: %s", e.Name, e.Detail)
	}
	if p := res.Perf; p.KeyRefused == 0 || p.BeaconsRefused == 0 {
		t.Errorf("perf %+v: want connections and beacons refused by the keys", p)
	}
	keys := map[string]int{}
	for _, n := range res.Report.Nodes {
		keys[n.NetworkKey]++
	}
	if keys["members"] != 4 || keys[""] != 2 || keys["strangers"] != 2 {
		t.Errorf("report's network keys %v", keys)
	}
}

// runOverTCP plays a scenario file on real nodes.
func runOverTCP(t *testing.T, path string) *runner.Result {
	t.Helper()
	sc, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Run(sc, runner.Options{Network: func(sc *scenario.Scenario, seed uint64) (runner.Network, error) {
		return New(sc, seed, Options{})
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
