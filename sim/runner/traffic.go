package runner

import (
	"p2pmesh/sim"
	"p2pmesh/sim/report"
	"p2pmesh/sim/scenario"
)

// TrafficReporter is a Network that says what its links did (the
// simulator).
type TrafficReporter interface {
	Counters() sim.Counters
	// Shaped reports whether some bandwidth is limited; NodeTraffic is
	// kept only then.
	Shaped() bool
	NodeTraffic(i sim.NodeIndex) sim.Traffic
}

// traffic adds what the network did to the report: per node when some
// bandwidth is limited, in total when links are lossy or limited. A plain
// network's report is unchanged.
func (r *run) traffic(rep *report.Report) {
	tr, ok := r.s.(TrafficReporter)
	if !ok || !tr.Shaped() && !r.lossy() {
		return
	}
	c := tr.Counters()
	total := &report.Traffic{Frames: c.Frames, Bytes: c.Bytes, Retransmitted: c.Retransmitted}
	if tr.Shaped() {
		for i := range rep.Nodes {
			t := tr.NodeTraffic(sim.NodeIndex(i))
			rep.Nodes[i].Traffic = &report.Traffic{Frames: t.Frames, Bytes: t.Bytes, Retransmitted: t.Retransmitted,
				Queued: t.Queued, MaxQueueBytes: t.MaxQueueBytes, MaxWaitMS: ms(t.MaxWait)}
			total.Queued += t.Queued
			total.MaxQueueBytes = max(total.MaxQueueBytes, t.MaxQueueBytes)
			total.MaxWaitMS = max(total.MaxWaitMS, ms(t.MaxWait))
		}
	}
	rep.Summary.Traffic = total
}

// lossy reports whether some links of the scenario lose segments.
func (r *run) lossy() bool {
	net := &r.sc.Network
	if net.Loss > 0 {
		return true
	}
	for _, list := range [][]scenario.LinkOverride{net.PerSegment, net.Between} {
		for _, o := range list {
			if o.Loss != nil && *o.Loss > 0 {
				return true
			}
		}
	}
	return false
}
