package sim

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// buildSegments adds n nodes in LAN segments of segSize, started over the
// first `over` of virtual time; the first node of each segment has a static
// peer in the previous segment.
func buildSegments(tb testing.TB, seed uint64, n, segSize int, over time.Duration) *Sim {
	tb.Helper()
	s, err := New(seed, DefaultNetwork())
	if err != nil {
		tb.Fatal(err)
	}
	var prevFirst NodeIndex = -1
	for i := 0; i < n; i++ {
		seg := s.AddSegment(fmt.Sprintf("lan%d", i/segSize))
		cfg := mesh.DefaultConfig()
		if i%segSize == 0 && prevFirst >= 0 {
			cfg.StaticPeers = []mesh.Addr{s.Node(prevFirst).Addr}
		}
		idx, err := s.AddNode(fmt.Sprintf("n%d", i), "", cfg, seg)
		if err != nil {
			tb.Fatal(err)
		}
		if i%segSize == 0 {
			prevFirst = idx
		}
		s.Start(idx, time.Duration(i)*over/time.Duration(n))
	}
	return s
}

// BenchmarkSim10k joins 10,000 nodes (100 LANs of 100, bridged by static
// peers) and floods 100 broadcasts; it reports engine events per second of
// wall time and bytes allocated per engine event.
func BenchmarkSim10k(b *testing.B) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	var events uint64
	for i := 0; i < b.N; i++ {
		s := buildSegments(b, 1, 10000, 100, 5*time.Second)
		s.RunFor(20 * time.Second)
		for k := 0; k < 100; k++ {
			if _, err := s.Broadcast(NodeIndex(k*97%10000), 100); err != nil {
				b.Fatal(err)
			}
			s.RunFor(50 * time.Millisecond)
		}
		s.RunFor(5 * time.Second)
		events += s.EngineEvents
		if i == 0 {
			rs := s.Broadcasts()
			minRel := 1.0
			for _, r := range rs {
				minRel = min(minRel, r.Reliability)
			}
			b.Logf("events %d, reliability min %.4f, components %d", s.EngineEvents, minRel, len(s.Topology().Components()))
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	// Events per second of CPU time: steadier than wall time on a busy
	// machine.
	b.ReportMetric(float64(events)/(cpuTime()-cpu0).Seconds(), "events/cpu-s")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
