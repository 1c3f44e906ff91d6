package meshnode

import (
	"encoding/binary"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"p2pmesh/internal/longtest"
	"p2pmesh/mesh"
	"p2pmesh/mesh/meshnode/beaconbus"
)

// The soak: real runtimes on loopback broadcasting continuously while nodes
// are killed and restarted at random. It runs about 40 s in the ordinary
// test run (15 s with -short) and as long as asked with
//
//	go test ./mesh/meshnode -run '^TestSoak$' -soak 30m [-soak.seed N] -v
//
// (or P2P_SOAK=30m in the environment).
var (
	soakFor  = flag.Duration("soak", 0, "how long TestSoak runs, e.g. 30m (default 5s, 40s in the long tests (P2P_LONG=1); or $P2P_SOAK)")
	soakMode = flag.String("soak.mode", "flood", "broadcast mode of TestSoak's nodes: flood or tree")
	soakSeed = flag.Uint64("soak.seed", 0, "seed of TestSoak's faults and senders (0: from the clock; the log says which)")
)

const (
	soakSlots   = 12                    // nodes running at most
	soakMinUp   = soakSlots / 2         // never fewer running
	soakTick    = 20 * time.Millisecond // one broadcast and one look at every node's links per tick
	soakPayload = 64                    // bytes per message: an 8-byte sequence number and filler
	// soakGrace is how long after t + D the deliveries of a message sent at
	// t may still be arriving before it is judged: frames queued behind a
	// stalled loop on a loaded machine.
	soakGrace = 3 * time.Second
	// soakHeapGrowth bounds the growth of the heap (after a GC) from the
	// end of the warm-up to the end of the run.
	soakHeapGrowth = 8 << 20
	// soakGoroutinesPerNode bounds the goroutines per running node: its
	// loop, accept loop, beacon loop, two per connection, dials in flight.
	soakGoroutinesPerNode = 40
)

// soakConfig is a node of the soak: short timers (testConfig), few links
// (2 out, 3 in) so that kills do cut nodes off now and then, and link
// rotation on, so that links are also closed gracefully all the time.
func soakConfig(t *testing.T, bus *beaconbus.Bus, id mesh.NodeID) Config {
	cfg := testConfig(t)
	cfg.ID = id
	cfg.Beacons = bus.Join(id, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	cfg.Mesh.MaxIn, cfg.Mesh.MaxOut, cfg.Mesh.MinLinks = 3, 2, 2
	cfg.Mesh.RotateInterval = 10 * time.Second
	if *soakMode == "tree" {
		cfg.Mesh.Mode = mesh.ModeTree
	}
	return cfg
}

// TestSoak runs soakSlots nodes on loopback TCP, finding each other on an
// in-process beacon bus, for the -soak duration. Every tick (20 ms) one
// running node, chosen at random, broadcasts a message numbered in sequence;
// every 0.3 to 1.5 s a running node is killed (Kill: sockets closed, no
// Leave; now and then two at once) or a killed one restarts, with its old id
// or a new one and always a new instance and port, keeping at least half
// running. Link rotation (every 10 s) and the evictions that make room for
// restarted nodes close links gracefully meanwhile.
//
// What must arrive. A life is one run of a node, from Start to Kill. A link
// counts as stable over [a, b] when both of its ends (one TCP connection,
// matched by its addresses) were established before a and were still
// established at b in both nodes' Links(), which the test reads every tick.
// With D = Mesh.DeadAfter (2 s here: the time within which a silent link is
// declared dead and replaced):
//
//	every message broadcast at time t by life S must be delivered, exactly
//	once, to every life R connected to S by a path of links stable over
//	[t, t + D]; no life may receive any message twice, nor its own.
//
// This is flooding's guarantee: a link that exists before a message is sent
// and stays up while it travels carries it. Nodes that were cut off, were
// still joining or restarted meanwhile may miss messages (flood mode does
// not repair history); the test counts what they got anyway. Each message is
// judged D + 3 s after it was sent, then forgotten, so the test's own
// bookkeeping stays small.
//
// It also checks that nothing leaks or grows: the heap after a GC, sampled
// every few seconds, grows by less than 8 MiB from the end of the warm-up
// (a quarter of the run) to the end; the goroutines stay below 40 per
// running node; and after the last node is stopped no goroutine is left
// (goleak).
func TestSoak(t *testing.T) {
	dur := soakDuration(t)
	seed := *soakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("soak: %v, seed %d (-soak.seed %d repeats the draws)", dur, seed, seed)
	defer goleak.VerifyNone(t)
	s := newSoak(t, seed)
	defer s.stopAll()
	s.run(dur)
}

func soakDuration(t *testing.T) time.Duration {
	if *soakFor > 0 {
		return *soakFor
	}
	if env := os.Getenv("P2P_SOAK"); env != "" {
		d, err := time.ParseDuration(env)
		if err != nil || d <= 0 {
			t.Fatalf("P2P_SOAK=%q: want a duration such as 30m", env)
		}
		return d
	}
	if longtest.Enabled() {
		return 40 * time.Second
	}
	return 5 * time.Second // the quick suite: the same faults, fewer of them
}

// soakLife is one run of a node.
type soakLife struct {
	num   int // lives are numbered in start order
	slot  int
	id    mesh.NodeID
	node  *Node
	born  time.Time
	died  time.Time                 // zero while running
	links map[mesh.LinkID]*soakLink // driver only
	done  chan struct{}             // the delivery reader ended

	mu     sync.Mutex
	got    []uint64 // bit per message sequence number delivered
	dups   []uint64 // sequence numbers delivered twice
	own    int      // own messages delivered back
	stray  int      // deliveries that are not messages of the test
	nDeliv int
}

// soakLink is what the test has seen of one end of a link.
type soakLink struct {
	peer          mesh.NodeID
	local, remote netip.AddrPort
	since         time.Time // established, by the node's own clock reading
	lastSeen      time.Time // the last Links() that listed it began at this time
}

// soakMsg is a message broadcast and not yet judged.
type soakMsg struct {
	seq  uint64
	at   time.Time
	from *soakLife
}

type soak struct {
	t     *testing.T
	began time.Time
	rng   *rand.Rand
	bus   *beaconbus.Bus
	d     time.Duration // D: Mesh.DeadAfter
	cfg0  Config        // to read D and the like

	lives   []*soakLife // every life that may still matter for a judgement
	slots   [soakSlots]*soakLife
	downAt  [soakSlots]time.Time
	ids     [soakSlots]mesh.NodeID
	pending []soakMsg
	nextSeq uint64
	nextID  mesh.NodeID
	nLives  int

	// Results.
	kills, restarts, newIDs int
	sent, judged, required  int
	delivered, lost         int
	extra                   int // deliveries beyond what was required
	lostLog, dupLog         []string
	dups, own, stray        int
	heap                    []uint64
	heapAt                  []time.Duration
	maxGoroutines           int
}

func newSoak(t *testing.T, seed uint64) *soak {
	bus, err := beaconbus.New(beaconbus.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	s := &soak{t: t, began: time.Now(), rng: rand.New(rand.NewPCG(seed, 0x736f616b)), bus: bus, nextID: 0x50a4_0000_0000_0001}
	s.cfg0 = testConfig(t)
	s.d = s.cfg0.Mesh.DeadAfter
	for i := range soakSlots {
		s.ids[i] = s.newID()
		s.start(i, time.Now())
	}
	return s
}

func (s *soak) newID() mesh.NodeID {
	id := s.nextID
	s.nextID++
	return id
}

// start starts a new life in slot i.
func (s *soak) start(i int, now time.Time) {
	cfg := soakConfig(s.t, s.bus, s.ids[i])
	n, err := Start(s.t.Context(), cfg)
	if err != nil {
		s.t.Fatalf("Start: %v", err)
	}
	l := &soakLife{num: s.nLives, slot: i, id: s.ids[i], node: n, born: now, links: map[mesh.LinkID]*soakLink{}, done: make(chan struct{})}
	s.nLives++
	go l.read()
	s.slots[i] = l
	s.lives = append(s.lives, l)
}

// read records the life's deliveries.
func (l *soakLife) read() {
	defer close(l.done)
	for d := range l.node.Deliveries() {
		l.mu.Lock()
		l.nDeliv++
		switch {
		case len(d.Payload) != soakPayload:
			l.stray++
		case d.From == l.id:
			l.own++
		default:
			seq := binary.BigEndian.Uint64(d.Payload)
			w, b := int(seq/64), uint64(1)<<(seq%64)
			for len(l.got) <= w {
				l.got = append(l.got, 0)
			}
			if l.got[w]&b != 0 {
				l.dups = append(l.dups, seq)
			}
			l.got[w] |= b
		}
		l.mu.Unlock()
	}
}

func (l *soakLife) has(seq uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := int(seq / 64)
	return w < len(l.got) && l.got[w]&(1<<(seq%64)) != 0
}

// kill ends the life in slot i without a Leave.
func (s *soak) kill(i int, now time.Time) {
	l := s.slots[i]
	l.node.Kill()
	<-l.done
	l.died = now
	s.slots[i] = nil
	s.downAt[i] = now
	s.kills++
}

func (s *soak) stopAll() {
	for i, l := range s.slots {
		if l != nil {
			s.kill(i, time.Now())
		}
	}
}

func (s *soak) up() []int {
	var res []int
	for i, l := range s.slots {
		if l != nil {
			res = append(res, i)
		}
	}
	return res
}

// fault kills one or two running nodes, or restarts a killed one.
func (s *soak) fault(now time.Time) {
	up := s.up()
	var down []int
	for i, l := range s.slots {
		if l == nil && now.Sub(s.downAt[i]) > 300*time.Millisecond {
			down = append(down, i)
		}
	}
	if len(down) > 0 && (len(up) <= soakMinUp || s.rng.IntN(2) == 0) {
		i := down[s.rng.IntN(len(down))]
		if s.rng.IntN(2) == 0 {
			s.ids[i] = s.newID() // a new node where the old one was
			s.newIDs++
		}
		s.start(i, now)
		s.restarts++
		return
	}
	if len(up) <= soakMinUp {
		return
	}
	victims := 1
	if s.rng.IntN(6) == 0 && len(up) > soakMinUp+1 {
		victims = 2
	}
	for range victims {
		up = s.up()
		s.kill(up[s.rng.IntN(len(up))], now)
	}
}

// look reads the links of every running node.
func (s *soak) look() {
	for _, l := range s.slots {
		if l == nil {
			continue
		}
		before := time.Now()
		for _, li := range l.node.Links() {
			o := l.links[li.Link]
			if o == nil {
				o = &soakLink{peer: li.Peer, local: li.Local, remote: li.Remote, since: li.Since}
				l.links[li.Link] = o
			}
			o.lastSeen = before
		}
	}
}

// broadcast has a random running node send the next message.
func (s *soak) broadcast() {
	up := s.up()
	l := s.slots[up[s.rng.IntN(len(up))]]
	p := make([]byte, soakPayload)
	binary.BigEndian.PutUint64(p, s.nextSeq)
	at := time.Now()
	if _, err := l.node.Broadcast(p); err != nil {
		s.t.Fatalf("Broadcast: %v", err)
	}
	s.pending = append(s.pending, soakMsg{seq: s.nextSeq, at: at, from: l})
	s.nextSeq++
	s.sent++
}

// judge judges the messages sent before upTo - D - soakGrace, then forgets
// what no later judgement needs.
func (s *soak) judge(upTo time.Time) {
	k := 0
	for k < len(s.pending) && s.pending[k].at.Add(s.d+soakGrace).Before(upTo) {
		s.judgeOne(&s.pending[k])
		k++
	}
	s.pending = append(s.pending[:0], s.pending[k:]...)
	if len(s.pending) == 0 {
		return
	}
	oldest := s.pending[0].at
	keep := s.lives[:0]
	for _, l := range s.lives {
		for id, o := range l.links {
			if o.lastSeen.Before(oldest) {
				delete(l.links, id)
			}
		}
		if l.died.IsZero() || !l.died.Before(oldest) {
			keep = append(keep, l)
		} else {
			s.tally(l)
		}
	}
	clear(s.lives[len(keep):])
	s.lives = keep
}

// stableEnds returns the link ends established before t and still up at
// t + D, by their connection's addresses.
type connEnds struct{ local, remote netip.AddrPort }

func (s *soak) judgeOne(m *soakMsg) {
	s.judged++
	end := m.at.Add(s.d)
	ends := map[connEnds]*soakLife{}
	for _, l := range s.lives {
		for _, o := range l.links {
			if !o.since.After(m.at) && !o.lastSeen.Before(end) {
				ends[connEnds{o.local, o.remote}] = l
			}
		}
	}
	// Lives reachable from the sender over stable links.
	reached := map[*soakLife]bool{m.from: true}
	queue := []*soakLife{m.from}
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		for _, o := range a.links {
			if o.since.After(m.at) || o.lastSeen.Before(end) {
				continue
			}
			b := ends[connEnds{o.remote, o.local}]
			if b == nil || b.id != o.peer || reached[b] {
				continue
			}
			reached[b] = true
			queue = append(queue, b)
		}
	}
	for l := range reached {
		if l == m.from {
			continue
		}
		s.required++
		if l.has(m.seq) {
			s.delivered++
			continue
		}
		s.lost++
		if len(s.lostLog) < 20 {
			s.lostLog = append(s.lostLog, fmt.Sprintf("message %d sent at +%v by life %d (slot %d, %v) missing at life %d (slot %d, %v, born +%v)",
				m.seq, m.at.Sub(s.began), m.from.num, m.from.slot, m.from.id, l.num, l.slot, l.id, l.born.Sub(s.began)))
		}
	}
	for _, l := range s.lives {
		if !reached[l] && l.has(m.seq) {
			s.extra++
		}
	}
}

// sample records the heap after a GC and the goroutines.
func (s *soak) sample(since time.Time) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.heap = append(s.heap, ms.HeapAlloc)
	s.heapAt = append(s.heapAt, time.Since(since).Round(time.Second))
	g := runtime.NumGoroutine()
	if g > s.maxGoroutines {
		s.maxGoroutines = g
	}
	if up := len(s.up()); g > soakGoroutinesPerNode*up+20 {
		s.t.Errorf("%d goroutines with %d nodes running (bound %d per node)", g, up, soakGoroutinesPerNode)
	}
}

func (s *soak) run(dur time.Duration) {
	t := s.t
	start := s.began
	stopSending := start.Add(dur)
	warm := start.Add(dur / 4)
	sampleEvery := max(dur/20, 2*time.Second)
	nextSample, nextFault := start, start.Add(time.Second)
	warmIndex := -1
	tick := time.NewTicker(soakTick)
	defer tick.Stop()
	for now := range tick.C {
		s.look()
		if now.Before(stopSending) {
			s.broadcast()
			if now.After(nextFault) {
				s.fault(now)
				nextFault = now.Add(300*time.Millisecond + time.Duration(s.rng.Int64N(int64(1200*time.Millisecond))))
			}
		} else if len(s.pending) == 0 {
			break
		}
		s.judge(now)
		if now.After(nextSample) || (now.After(stopSending) && len(s.pending) == 0) {
			s.sample(start)
			if warmIndex < 0 && now.After(warm) {
				warmIndex = len(s.heap) - 1
			}
			nextSample = now.Add(sampleEvery)
		}
		if t.Failed() {
			break
		}
	}
	s.sample(start)
	s.report(warmIndex)
}

// tally adds the counts of a life that no judgement needs any more.
func (s *soak) tally(l *soakLife) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.dups += len(l.dups)
	if len(l.dups) > 0 && len(s.dupLog) < 20 {
		s.dupLog = append(s.dupLog, fmt.Sprintf("life %d (slot %d, %v) got messages %v twice", l.num, l.slot, l.id, l.dups[:min(len(l.dups), 10)]))
	}
	s.own += l.own
	s.stray += l.stray
}

func (s *soak) report(warmIndex int) {
	t := s.t
	for _, l := range s.lives {
		s.tally(l)
	}
	dups, own, stray := s.dups, s.own, s.stray
	t.Logf("soak: %d messages, %d lives (%d kills, %d restarts, %d with a new id); %d deliveries required, %d made, %d lost; %d more to nodes not required; at most %d goroutines",
		s.sent, s.nLives, s.kills, s.restarts, s.newIDs, s.required, s.delivered, s.lost, s.extra, s.maxGoroutines)
	var mb []string
	for i, h := range s.heap {
		mb = append(mb, fmt.Sprintf("%v:%.1f", s.heapAt[i], float64(h)/(1<<20)))
	}
	t.Logf("soak: heap after GC (time:MiB): %v", mb)
	if s.judged != s.sent {
		t.Errorf("%d of %d messages judged", s.judged, s.sent)
	}
	if s.lost > 0 {
		t.Errorf("%d required deliveries lost, for example:\n%s", s.lost, joinLines(s.lostLog))
	}
	if dups > 0 || own > 0 || stray > 0 {
		t.Errorf("%d messages delivered twice, %d own messages delivered, %d strange deliveries\n%s", dups, own, stray, joinLines(s.dupLog))
	}
	if s.required == 0 {
		t.Errorf("no delivery was required: the nodes never linked")
	}
	if warmIndex >= 0 && warmIndex < len(s.heap) {
		base := s.heap[warmIndex]
		peak := base
		for _, h := range s.heap[warmIndex:] {
			peak = max(peak, h)
		}
		if grew := int64(peak) - int64(base); grew > soakHeapGrowth {
			t.Errorf("heap grew by %.1f MiB after the warm-up (bound %d MiB)", float64(grew)/(1<<20), soakHeapGrowth>>20)
		}
	}
}

func joinLines(ls []string) string {
	sort.Strings(ls)
	out := ""
	for _, l := range ls {
		out += "  " + l + "\n"
	}
	return out
}
