package runner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"p2pmesh/sim"
	"p2pmesh/sim/report"
	"p2pmesh/sim/scenario"
)

// Options tune a run.
type Options struct {
	// Seed overrides the scenario's seed when HasSeed is set.
	Seed    uint64
	HasSeed bool
	// Progress, if set, is called about every virtual second with the
	// virtual time reached and the end time.
	Progress func(now, end time.Duration)
	// Network, if set, builds the network to play the scenario on, for the
	// given seed; nil means the simulator.
	Network func(sc *scenario.Scenario, seed uint64) (Network, error)
	// Finished, if set, is called when the run reaches its end time, while
	// the network is still in memory and before the report is assembled
	// (p2psim writes its heap profile there).
	Finished func()
}

// Result is what a run produced.
type Result struct {
	Report   *report.Report
	Topology *report.Topology
	Spread   *report.Spread
	// Overlay is the overlay log for overlay.json; nil when the network
	// kept none (real sockets, or more than report.OverlayNodeLimit nodes).
	Overlay *report.Overlay
	// Failed lists the expectations that did not hold.
	Failed []report.Expectation
	// Perf is the simulator's own speed: wall-clock figures that never go
	// into report.json.
	Perf Perf
}

// Perf measures the run itself: wall-clock figures, which never go into
// report.json. The fields after VirtualSeconds are filled in by networks
// other than the simulator (see PerfReporter).
type Perf struct {
	WallSeconds     float64 `json:"wall_seconds"`
	EngineEvents    uint64  `json:"engine_events"`
	EventsPerSecond float64 `json:"events_per_second"`
	Nodes           int     `json:"nodes"`
	VirtualSeconds  float64 `json:"virtual_seconds"`

	Transport string `json:"transport,omitempty"`
	// LateMaxMS and LateMeanMS: how late timeline actions ran, compared
	// with their scenario times.
	LateMaxMS  float64 `json:"late_max_ms,omitempty"`
	LateMeanMS float64 `json:"late_mean_ms,omitempty"`
	// Socket traffic over all nodes and lives.
	FramesSent   uint64 `json:"frames_sent,omitempty"`
	BytesSent    uint64 `json:"bytes_sent,omitempty"`
	Dials        uint64 `json:"dials,omitempty"`
	DialFailures uint64 `json:"dial_failures,omitempty"`
	SlowLinks    uint64 `json:"slow_links,omitempty"`
	// KeyRefused counts connections refused by the network key's
	// handshake, BeaconsRefused sealed beacons refused (another key or
	// none, forged, stale, replayed): nodes with different keys at work.
	KeyRefused     uint64 `json:"key_refused,omitempty"`
	BeaconsRefused uint64 `json:"beacons_refused,omitempty"`
	// Beacons and BeaconReceptions count the simulator's multicast: beacons
	// sent and beacons handed to engines. FramesByType splits FramesSent
	// by frame type (simulator only).
	Beacons          uint64            `json:"beacons,omitempty"`
	BeaconReceptions uint64            `json:"beacon_receptions,omitempty"`
	FramesByType     map[string]uint64 `json:"frames_by_type,omitempty"`
	// Retransmitted counts segments TCP resent (loss, or a partition
	// holding a connection); BeaconsLost beacons a node missed
	// (beacon_loss). Simulator only.
	Retransmitted uint64 `json:"retransmitted,omitempty"`
	BeaconsLost   uint64 `json:"beacons_lost,omitempty"`
	// CPUSeconds is the process's user and system time during the run.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// EngineEventsPerNode is EngineEvents over Nodes. EngineEventsByKind
	// splits EngineEvents by kind, most frequent first (simulator only).
	EngineEventsPerNode float64          `json:"engine_events_per_node,omitempty"`
	EngineEventsByKind  []EventKindCount `json:"engine_events_by_kind,omitempty"`
}

// EventKindCount is one kind of engine event (sim.EventKind's name:
// "frame_data", "beacon_offer", "timer_maintain"…), how many engines
// handled and how many per node.
type EventKindCount struct {
	Kind    string  `json:"kind"`
	Events  uint64  `json:"events"`
	PerNode float64 `json:"per_node"`
}

// run is the state of one scenario run.
type run struct {
	sc      *scenario.Scenario
	s       Network
	rng     *rand.Rand // the scenario's own draws: whom to kill, who sends
	seed    uint64
	names   map[string]sim.NodeIndex
	startAt []time.Duration // by node: when its start item starts it
	topo    *report.Topology
	checks  []report.Expectation
	snapped map[string]bool
	errs    []error
	repairs []report.Repair
	// openRepairs are the disruptions not healed yet; pollGen numbers the
	// series of polls that checks them (see watchRepair).
	openRepairs []openRepair
	// bridges marks, by node index, the ends of the static links that
	// static_peer: random made (nil when there are none).
	bridges []bool
	pollGen int
	marks   []sim.Mark
	samples []sim.Sample
	// counting delivers the component count of the last sample, made on
	// another goroutine (see sample); nil when it has been collected.
	counting chan int
	// final is the overlay once the run has ended, and finalComponents its
	// components (-1 until counted): the end snapshot, the summary and the
	// expectations share them, since a million-node topology takes seconds.
	final           *sim.Topology
	finalComponents int
}

// Run plays sc and judges it.
func Run(sc *scenario.Scenario, opts Options) (*Result, error) {
	seed := sc.Seed
	if opts.HasSeed {
		seed = opts.Seed
	}
	var s Network
	if opts.Network != nil {
		n, err := opts.Network(sc, seed)
		if err != nil {
			return nil, err
		}
		s = n
	} else {
		n, err := NewSimNetwork(sc, seed)
		if err != nil {
			return nil, err
		}
		s = n
	}
	defer s.Close()
	r := &run{sc: sc, s: s, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x7363656e6172696f)),
		names: make(map[string]sim.NodeIndex), snapped: make(map[string]bool),
		topo: &report.Topology{Scenario: sc.Name, Seed: seed}}
	if err := r.addNodes(); err != nil {
		return nil, err
	}
	r.recordOverlay()
	r.schedule()
	wallStart := time.Now()
	end := sc.Duration
	for step := time.Second; s.Now() < end; {
		s.Run(min(s.Now()+step, end))
		if opts.Progress != nil {
			opts.Progress(s.Now(), end)
		}
	}
	wall := time.Since(wallStart).Seconds()
	if opts.Finished != nil {
		opts.Finished()
	}
	if err := s.Err(); err != nil {
		r.errs = append(r.errs, err)
	}
	s.Finish()
	r.final, r.finalComponents = s.Topology(), -1
	r.snapshot("end")
	r.settleSamples()
	rep := r.report(end)
	res := &Result{Report: rep, Topology: r.topo, Spread: r.spread(rep), Overlay: r.overlay()}
	for _, e := range rep.Expectations {
		if !e.OK {
			res.Failed = append(res.Failed, e)
		}
	}
	events, _ := s.Trace()
	res.Perf = Perf{WallSeconds: wall, EngineEvents: events, Nodes: s.NodeCount(), VirtualSeconds: end.Seconds(),
		Transport: s.Transport()}
	if wall > 0 {
		res.Perf.EventsPerSecond = float64(events) / wall
	}
	if res.Perf.Nodes > 0 {
		res.Perf.EngineEventsPerNode = float64(events) / float64(res.Perf.Nodes)
	}
	if pr, ok := s.(PerfReporter); ok {
		pr.AddPerf(&res.Perf)
	}
	if len(r.errs) > 0 {
		return res, r.errs[0]
	}
	return res, nil
}

// addNodes declares every node the scenario will ever start, in file order,
// so node numbers and topology positions are stable.
func (r *run) addNodes() error {
	segs := map[string]int32{}
	for _, name := range r.sc.Network.Segments {
		segs[name] = r.s.AddSegment(name)
	}
	if err := r.setLinks(segs); err != nil {
		return err
	}
	statics := rand.New(rand.NewPCG(r.seed, 0x737461746963)) // "static": static_peer: random
	firstOf := 0                                             // the first node of d's start item
	for k := range r.sc.Nodes {
		d := &r.sc.Nodes[k]
		if k == 0 || d.Action != r.sc.Nodes[k-1].Action {
			firstOf = k
		}
		cfg := d.Config
		if d.StaticPeer != "" {
			var peer sim.NodeIndex
			if d.StaticPeer == scenario.StaticPeerRandom {
				peer = r.randomPeer(statics, firstOf, d.Segment)
				if peer >= 0 {
					r.bridge(peer)
					r.bridge(sim.NodeIndex(k)) // the node being added: nodes are numbered in file order
				}
			} else {
				var ok bool
				if peer, ok = r.names[d.StaticPeer]; !ok {
					return fmt.Errorf("%s: node %s: static peer %s is not declared before it", r.sc.File, d.Name, d.StaticPeer)
				}
			}
			if peer < 0 {
				return fmt.Errorf("%s: node %s: no node of an earlier item outside segment %s for static_peer: random", r.sc.File, d.Name, d.Segment)
			}
			own := *cfg
			own.StaticPeers = append(slices.Clone(cfg.StaticPeers), r.s.Node(peer).Addr)
			cfg = &own
		}
		seg, ok := segs[d.Segment]
		if !ok {
			return fmt.Errorf("%s: node %s: unknown segment %q", r.sc.File, d.Name, d.Segment)
		}
		idx, err := r.s.AddNode(d.Name, d.Group, cfg, seg)
		if err != nil {
			return fmt.Errorf("%s: %w", r.sc.File, err)
		}
		if d.NetworkKey != "" {
			if err := r.s.SetNetworkKey(idx, d.NetworkKey); err != nil {
				return fmt.Errorf("%s: node %s: %w", r.sc.File, d.Name, err)
			}
		}
		r.names[d.Name] = idx
		r.startAt = append(r.startAt, d.StartAt)
		r.topo.Nodes = append(r.topo.Nodes, report.TopoNode{Name: d.Name, Group: d.Group, Segment: d.Segment, Siphon: cfg.Misbehaviour().Siphon(), NetworkKey: d.NetworkKey})
	}
	return nil
}

// randomPeer picks a node among the first `before` nodes of the scenario
// (those of earlier start items) that is not in segment seg; -1 if there is
// none.
func (r *run) randomPeer(rng *rand.Rand, before int, seg string) sim.NodeIndex {
	if before == 0 {
		return -1
	}
	for range 64 {
		if k := rng.IntN(before); r.sc.Nodes[k].Segment != seg {
			return r.names[r.sc.Nodes[k].Name]
		}
	}
	// Nearly all earlier nodes are in seg: take the first other one from a
	// random point on.
	from := rng.IntN(before)
	for j := range before {
		if k := (from + j) % before; r.sc.Nodes[k].Segment != seg {
			return r.names[r.sc.Nodes[k].Name]
		}
	}
	return -1
}

// schedule puts the timeline, the sampling and the default "joined"
// snapshot on the simulator's clock.
func (r *run) schedule() {
	firstAction := time.Duration(-1)
	for i := range r.sc.Timeline {
		if a := &r.sc.Timeline[i]; a.Kind != scenario.ActStart {
			firstAction = a.At
			break
		}
	}
	if firstAction < 0 {
		firstAction = r.sc.Duration / 2
	}
	// The mesh as it stood when the scenario began to act on it: the
	// nodes of the first start actions have joined (it was called "start",
	// but it is taken at the first action other than a start, such as
	// quickstart's first broadcast at 10 s). It is put on the clock before
	// the timeline, so that it comes before the actions of its instant:
	// the mesh before a kill at that moment, not after it.
	r.s.At(firstAction, func() { r.snapshot("joined") })
	for i := range r.sc.Timeline {
		a := &r.sc.Timeline[i]
		r.s.At(a.At, func() { r.do(a) })
	}
	var sample func()
	sample = func() {
		r.sample()
		if next := r.s.Now() + r.sc.SampleEvery; next <= r.sc.Duration {
			r.s.At(next, sample)
		}
	}
	r.s.At(0, sample)
}

func (r *run) fail(a *scenario.Action, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s:%d:%d: at %v: %s", r.sc.File, a.Pos.Line, a.Pos.Col, a.At, fmt.Sprintf(format, args...)))
}

// do carries out one timeline action at its time.
func (r *run) do(a *scenario.Action) {
	s := r.s
	switch a.Kind {
	case scenario.ActStart:
		st := a.Start
		for _, name := range st.Names {
			i := r.names[name]
			s.Start(i, r.startAt[i])
		}
		r.mark("start", fmt.Sprintf("%d nodes", len(st.Names)))
	case scenario.ActKill:
		victims := r.choose(&a.Kill.Select, true)
		damaged := r.neighboursOf(r.topology(), victims)
		for _, i := range victims {
			s.Kill(i, a.Kill.Graceful)
		}
		kind := "kill"
		if a.Kill.Graceful {
			kind = "leave"
		}
		label := fmt.Sprintf("%d nodes", len(victims))
		r.mark(kind, label)
		r.watchRepair(kind, label, damaged)
	case scenario.ActRestart:
		chosen := r.choose(a.Restart, false)
		for _, i := range chosen {
			s.Start(i, s.Now())
		}
		r.mark("restart", fmt.Sprintf("%d nodes", len(chosen)))
	case scenario.ActPartition:
		members := r.choose(&a.Partition.Select, true)
		s.Partition(a.Partition.Name, members)
		r.mark("partition", a.Partition.Name)
	case scenario.ActHeal:
		if err := s.Heal(a.Heal.Name); err != nil {
			r.fail(a, "%v", err)
		} else {
			r.mark("heal", a.Heal.Name)
		}
		r.watchRepair("heal", a.Heal.Name, r.honestRunning(r.topology()))
	case scenario.ActBroadcast:
		b := a.Broadcast
		for k := 0; k < b.Count; k++ {
			s.At(s.Now()+b.Every*time.Duration(k), func() { r.broadcast(a) })
		}
	case scenario.ActSnapshot:
		r.snapshot(a.Snapshot.Name)
	case scenario.ActCheck:
		for i := range a.Check {
			r.checks = append(r.checks, r.evaluate(&a.Check[i]))
		}
	}
}

// broadcast sends one message as a broadcast action asks.
func (r *run) broadcast(a *scenario.Action) {
	b := a.Broadcast
	if b.All {
		for _, i := range r.alive("") {
			if _, err := r.s.Broadcast(i, b.Size); err != nil {
				r.fail(a, "broadcast: %v", err)
			}
		}
		return
	}
	var from sim.NodeIndex = -1
	switch {
	case b.From != "":
		from = r.names[b.From]
		if !r.s.Alive(from) {
			r.fail(a, "broadcast from %s: the node is not running", b.From)
			return
		}
	default:
		pool := r.alive(b.FromGroup)
		if len(pool) == 0 {
			r.fail(a, "broadcast: no running node to send from")
			return
		}
		from = pool[r.rng.IntN(len(pool))]
	}
	if _, err := r.s.Broadcast(from, b.Size); err != nil {
		r.fail(a, "broadcast: %v", err)
	}
}

// alive lists running nodes (of a group, if given) in index order.
func (r *run) alive(group string) []sim.NodeIndex {
	var out []sim.NodeIndex
	for i := 0; i < r.s.NodeCount(); i++ {
		idx := sim.NodeIndex(i)
		if !r.s.Alive(idx) {
			continue
		}
		if group != "" && r.s.Node(idx).Group != group {
			continue
		}
		out = append(out, idx)
	}
	return out
}

// choose resolves a selector among running nodes (running) or among nodes
// that have run and are down (!running), drawing at random from the seed.
func (r *run) choose(sel *scenario.Selector, running bool) []sim.NodeIndex {
	if len(sel.Nodes) > 0 {
		var out []sim.NodeIndex
		for _, name := range sel.Nodes {
			i := r.names[name]
			if r.s.Alive(i) == running {
				out = append(out, i)
			}
		}
		return out
	}
	var pool []sim.NodeIndex
	for i := 0; i < r.s.NodeCount(); i++ {
		idx := sim.NodeIndex(i)
		info := r.s.Node(idx)
		if sel.Group != "" && info.Group != sel.Group || sel.Bridges && !r.isBridge(idx) {
			continue
		}
		if running && info.Alive || !running && !info.Alive && info.Starts > 0 {
			pool = append(pool, idx)
		}
	}
	n := sel.Size(len(pool))
	r.rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	chosen := pool[:n]
	slices.Sort(chosen) // act in index order
	return chosen
}

func network(sc *scenario.Scenario) sim.Network {
	return sim.Network{
		Latency:      sc.Network.Latency,
		CrossLatency: sc.Network.CrossLatency,
		Loss:         sc.Network.Loss,
		BeaconLoss:   sc.Network.BeaconLoss,
		DialTimeout:  sc.Network.DialTimeout,
		Capacity:     sc.Network.Capacity,
	}
}

// bridge marks node i as a bridge (see scenario.Selector.Bridges).
func (r *run) bridge(i sim.NodeIndex) {
	if r.bridges == nil {
		r.bridges = make([]bool, len(r.sc.Nodes))
	}
	r.bridges[i] = true
}

// isBridge reports whether node i is a bridge.
func (r *run) isBridge(i sim.NodeIndex) bool { return int(i) < len(r.bridges) && r.bridges[i] }
