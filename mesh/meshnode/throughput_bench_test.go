//go:build unix

package meshnode_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/framing"
	"p2pmesh/mesh/meshnode"
	"p2pmesh/mesh/netkey"
)

// Throughput of real sockets against the physical limit (issue 7, item 4).
//
//	go test ./mesh/meshnode -run '^$' -bench Throughput -benchtime 100000x
//
// BenchmarkThroughput/tcp is the baseline: one writer and one reader on a
// loopback TCP connection, b.N Data frames with a 100-byte payload encoded
// with mesh.AppendFrame (one call per message) and decoded with
// framing.NewReader, the writer batching frames into 16 KiB writes.
// /tcp-window is the same with the mesh's window of messages in flight
// (below), for latencies comparable with the mesh's.
//
// /flood-key and /tree-key are the same with a network key
// (meshnode.Config.NetworkKey): every link encrypted and authenticated.
//
// BenchmarkThroughput/flood and /tree: 20 socket runtimes (meshnode.Start,
// no multicast, 127.0.0.1) in the broadcast mode named; node i has nodes
// i-1 … i-5 as static peers, so every node has 5 outgoing and up to 5
// incoming links as in the default mesh. Node 0 broadcasts b.N messages
// with a 100-byte payload as fast as the mesh takes them: at most
// throughputWindow messages are in flight (sent but not yet delivered at
// all 19 other nodes), because the runtime, rightly, drops a link whose
// send queue (256 frames) overflows rather than block; the window keeps
// the queues below that.
//
// Each message carries its sequence number and its send time (nanoseconds
// since the start, from the monotonic clock of this one process). Metrics:
// msgs/s is the rate at the slowest receiving node (deliveries divided by
// the time from the first send to that node's last delivery); agg-msgs/s
// counts the deliveries at all receivers; p50-µs and p99-µs are latencies
// from Broadcast to the receiving application, over every delivery; and,
// when the baseline ran in the same invocation, x-baseline is the
// baseline's rate divided by the slowest node's (the target is at most 3).

const (
	throughputNodes   = 20
	throughputPayload = 100
	throughputWindow  = 128
	throughputWarmup  = time.Second
	// throughputStall bounds every wait, so that a broken mesh fails the
	// benchmark instead of hanging it.
	throughputStall = 20 * time.Second
)

// tcpBaseline is the last rate the baseline measured in this process.
var tcpBaseline atomic.Uint64

func BenchmarkThroughput(b *testing.B) {
	b.Run("tcp", func(b *testing.B) { benchTCPBaseline(b, 0) })
	b.Run("tcp-window", func(b *testing.B) { benchTCPBaseline(b, throughputWindow) })
	b.Run("flood", func(b *testing.B) { benchMeshThroughput(b, mesh.ModeFlood, nil) })
	b.Run("tree", func(b *testing.B) { benchMeshThroughput(b, mesh.ModeTree, nil) })
	key := benchKey(b)
	b.Run("flood-key", func(b *testing.B) { benchMeshThroughput(b, mesh.ModeFlood, key) })
	b.Run("tree-key", func(b *testing.B) { benchMeshThroughput(b, mesh.ModeTree, key) })
}

// stamp writes the sequence number and the send time into a payload.
func stamp(p []byte, seq uint64, t0 time.Time) {
	binary.BigEndian.PutUint64(p, seq)
	binary.BigEndian.PutUint64(p[8:], uint64(time.Since(t0)))
}

func unstamp(p []byte) (seq uint64, sent time.Duration) {
	return binary.BigEndian.Uint64(p), time.Duration(binary.BigEndian.Uint64(p[8:]))
}

// benchTCPBaseline sends b.N frames over one loopback connection: as fast
// as TCP takes them (window 0: the rate is the physical limit, the latency
// mostly time spent in socket buffers), or with at most window frames sent
// but not yet decoded, like the mesh (the writer then writes what it has
// batched whenever the window is full).
func benchTCPBaseline(b *testing.B, window int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	wc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer wc.Close()
	rc, ok := <-accepted
	if !ok {
		b.Fatal("accept failed")
	}
	defer rc.Close()
	deadline := time.Now().Add(throughputStall + time.Duration(b.N)*10*time.Microsecond)
	_ = wc.SetDeadline(deadline)
	_ = rc.SetDeadline(deadline)

	n := b.N
	lat := make([]time.Duration, 0, n)
	var last time.Duration
	readErr := make(chan error, 1)
	slots := make(chan struct{}, max(window, 1))
	for range window {
		slots <- struct{}{}
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	t0 := time.Now()
	go func() {
		fr := framing.NewReader(bufio.NewReaderSize(rc, 32<<10), mesh.MaxFrameSize)
		for i := 0; i < n; i++ {
			f, err := fr.Next()
			if err != nil {
				readErr <- err
				return
			}
			now := time.Since(t0)
			_, sent := unstamp(f.Msg.Payload)
			lat = append(lat, now-sent)
			last = now
			if window > 0 {
				slots <- struct{}{}
			}
		}
		readErr <- nil
	}()
	payload := make([]byte, throughputPayload)
	f := mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 1}, Hops: 1, Payload: payload}}
	buf := make([]byte, 0, 16<<10+256)
	for i := 0; i < n; i++ {
		if window > 0 {
			select {
			case <-slots:
			default:
				if len(buf) > 0 {
					if _, err := wc.Write(buf); err != nil {
						b.Fatal(err)
					}
					buf = buf[:0]
				}
				select {
				case <-slots:
				case <-time.After(throughputStall):
					b.Fatal("baseline: window stalled")
				}
			}
		}
		f.Msg.ID.Seq = uint64(i)
		stamp(payload, uint64(i), t0)
		if buf, err = mesh.AppendFrame(buf, &f); err != nil {
			b.Fatal(err)
		}
		if len(buf) >= 16<<10 || i == n-1 {
			if _, err := wc.Write(buf); err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
		}
	}
	if err := <-readErr; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	rate := float64(n) / last.Seconds()
	if window == 0 {
		tcpBaseline.Store(uint64(rate))
	}
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(rate, "frames/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(n), "cpu-µs/msg")
	reportLatency(b, lat)
	b.ReportMetric(0, "ns/op")
}

// receiver collects one node's deliveries.
type receiver struct {
	lat   []time.Duration
	count int
	last  time.Duration // since t0
}

func benchMeshThroughput(b *testing.B, mode mesh.Mode, key *netkey.Key) {
	nodes := startThroughputMesh(b, mode, key)
	sender, others := nodes[0], nodes[1:]

	// Every delivery of message seq bumps got[seq]; the delivery that
	// completes it frees a slot of the sender's window.
	n := b.N
	// Warm-up: throughputWarmup of traffic at full rate, not measured, so
	// that connections, buffers and (in tree mode) the tree have settled.
	const maxWarm = 1 << 20
	got := make([]atomic.Int32, maxWarm+n)
	slots := make(chan struct{}, throughputWindow)
	recv := make([]*receiver, len(others))
	var t0 time.Time
	var firstMeasured atomic.Uint64 // the first measured sequence number
	firstMeasured.Store(^uint64(0))
	for i, nd := range others {
		r := &receiver{lat: make([]time.Duration, 0, n)}
		recv[i] = r
		// Ends when the node is closed (Cleanup) and its channel with it.
		go func() {
			for d := range nd.Deliveries() {
				if len(d.Payload) < 16 {
					continue
				}
				seq, sent := unstamp(d.Payload)
				if seq >= uint64(len(got)) {
					continue
				}
				if seq >= firstMeasured.Load() {
					now := time.Since(t0)
					r.lat = append(r.lat, now-sent)
					r.count++
					r.last = now
				}
				if got[seq].Add(1) == int32(len(others)) {
					slots <- struct{}{}
				}
			}
		}()
	}
	for range throughputWindow {
		slots <- struct{}{}
	}

	payload := make([]byte, throughputPayload)
	send := func(seq int) {
		select {
		case <-slots:
		case <-time.After(throughputStall):
			b.Fatalf("%v: message %d stalled: %s", mode, seq, meshState(nodes, got, seq))
		}
		stamp(payload, uint64(seq), t0)
		if _, err := sender.Broadcast(payload); err != nil {
			b.Fatal(err)
		}
	}
	// Warm up, then let the window drain.
	t0 = time.Now()
	warm := 0
	for ; warm < maxWarm && (warm < 20 || time.Since(t0) < throughputWarmup); warm++ {
		send(warm)
	}
	waitWindow(b, slots, nodes, got, warm)

	frames0 := framesReceived(nodes)
	b.ResetTimer()
	cpu0 := cpuTime()
	t0 = time.Now()
	firstMeasured.Store(uint64(warm))
	total := warm + n
	for seq := warm; seq < total; seq++ {
		send(seq)
	}
	waitWindow(b, slots, nodes, got, total)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	frames := framesReceived(nodes) - frames0

	var lat []time.Duration
	slowest, delivered := -1.0, 0
	var end time.Duration
	for _, r := range recv {
		lat = append(lat, r.lat...)
		delivered += r.count
		end = max(end, r.last)
		rate := float64(r.count) / r.last.Seconds()
		if r.count != n {
			b.Errorf("a node delivered %d of %d messages", r.count, n)
		}
		if slowest < 0 || rate < slowest {
			slowest = rate
		}
	}
	b.ReportMetric(slowest, "msgs/s")
	b.ReportMetric(float64(delivered)/end.Seconds(), "agg-msgs/s")
	b.ReportMetric(float64(frames)/end.Seconds(), "frames/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(n), "cpu-µs/msg")
	reportLatency(b, lat)
	if base := tcpBaseline.Load(); base > 0 && slowest > 0 {
		b.ReportMetric(float64(base)/slowest, "x-baseline")
	}
	var slow, dropped uint64
	for _, nd := range nodes {
		st := nd.Stats()
		slow += st.SlowLinks
		dropped += st.DeliveriesDropped
	}
	// Links the runtime closed because their send queue overflowed: the
	// window bounds the messages in flight, not the redundant copies a
	// flood still has queued for peers that already have them.
	b.ReportMetric(float64(slow), "slow-links")
	if dropped > 0 {
		b.Errorf("%v: %d deliveries dropped", mode, dropped)
	}
	b.ReportMetric(0, "ns/op")
}

// framesReceived sums the frames the nodes have received (every frame,
// keepalives and announcements included).
func framesReceived(nodes []*meshnode.Node) uint64 {
	var sum uint64
	for _, nd := range nodes {
		sum += nd.Stats().FramesReceived
	}
	return sum
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// waitWindow waits until every message below upto has reached every node,
// that is until the whole window is free again, and refills it.
func waitWindow(b *testing.B, slots chan struct{}, nodes []*meshnode.Node, got []atomic.Int32, upto int) {
	b.Helper()
	for i := range throughputWindow {
		select {
		case <-slots:
		case <-time.After(throughputStall):
			b.Fatalf("window not drained (%d of %d slots back): %s", i, throughputWindow, meshState(nodes, got, upto))
		}
	}
	for range throughputWindow {
		slots <- struct{}{}
	}
}

// meshState describes the mesh for a failure message.
func meshState(nodes []*meshnode.Node, got []atomic.Int32, upto int) string {
	missing := 0
	for i := range min(upto, len(got)) {
		if int(got[i].Load()) < len(nodes)-1 {
			missing++
		}
	}
	s := fmt.Sprintf("%d messages not yet everywhere; links per node:", missing)
	for _, nd := range nodes {
		st := nd.Stats()
		s += fmt.Sprintf(" %d", st.Links)
		if st.SlowLinks > 0 || st.DeliveriesDropped > 0 {
			s += fmt.Sprintf("(slow %d, dropped %d)", st.SlowLinks, st.DeliveriesDropped)
		}
	}
	return s
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}

// startThroughputMesh starts the nodes, node i with nodes i-1 … i-5 as
// static peers, and waits until each has the links those imply. The nodes
// are closed when the benchmark ends.
func startThroughputMesh(b *testing.B, mode mesh.Mode, key *netkey.Key) []*meshnode.Node {
	b.Helper()
	nodes := make([]*meshnode.Node, throughputNodes)
	for i := range nodes {
		cfg := meshnode.DefaultConfig()
		cfg.Listen = "127.0.0.1:0"
		cfg.NoMulticast = true
		cfg.Mesh.Mode = mode
		cfg.NetworkKey = key
		for j := max(0, i-cfg.Mesh.MaxOut); j < i; j++ {
			cfg.Peers = append(cfg.Peers, nodes[j].Addr().String())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		nd, err := meshnode.Start(ctx, cfg)
		cancel()
		if err != nil {
			b.Fatalf("start node %d: %v", i, err)
		}
		nodes[i] = nd
		b.Cleanup(func() { closeNode(b, nd) })
	}
	want := func(i int) int { return min(i, 5) + min(throughputNodes-1-i, 5) }
	deadline := time.Now().Add(throughputStall)
	for {
		ok := true
		for i, nd := range nodes {
			if len(nd.Links()) < want(i) {
				ok = false
				break
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			var have []int
			for _, nd := range nodes {
				have = append(have, len(nd.Links()))
			}
			b.Fatalf("mesh did not form within %v: links per node %v", throughputStall, have)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nodes
}

// benchKey is the network key of the keyed variants.
func benchKey(b *testing.B) *netkey.Key {
	k, err := netkey.New([]byte("0123456789abcdefghijklmnopqrstuvwxyz"))
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func closeNode(b *testing.B, nd *meshnode.Node) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := nd.Close(ctx); err != nil && !errors.Is(err, meshnode.ErrClosed) && !errors.Is(err, io.EOF) {
		b.Logf("close: %v", err)
	}
}
