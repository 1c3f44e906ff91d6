package runner

import (
	"fmt"
	"slices"
	"time"

	"p2pmesh/sim"
	"p2pmesh/sim/report"
)

// report assembles report.json at the end of the run: nodes, broadcasts,
// summary, expectations (checks made along the way, then the final ones),
// time series and events.
func (r *run) report(end time.Duration) *report.Report {
	s := r.s
	rep := &report.Report{Scenario: r.sc.Name, Description: r.sc.Description, File: r.sc.File, Seed: r.seed,
		Transport: s.Transport(), DurationMS: ms(end)}
	for i := 0; i < s.NodeCount(); i++ {
		info := s.Node(sim.NodeIndex(i))
		rep.Nodes = append(rep.Nodes, report.Node{Name: info.Name, Group: info.Group, Segment: info.Segment,
			ID: info.ID.String(), Alive: info.Alive, Siphon: info.Siphon, NetworkKey: info.NetworkKey, Starts: int(info.Starts),
			LinksIn: int(info.Load.In), LinksOut: int(info.Load.Out), MaxIn: info.MaxIn, MaxOut: info.MaxOut,
			Delivered: s.NodeDelivered(sim.NodeIndex(i)), Redundant: s.NodeRedundant(sim.NodeIndex(i))})
	}
	sum := &rep.Summary
	sum.ReliabilityMin, sum.ReliabilityReachableMin = 1, 1
	for _, b := range s.Broadcasts() {
		rep.Broadcasts = append(rep.Broadcasts, report.Broadcast{
			ID: broadcastName(s, &b), Origin: s.Node(b.Origin).Name,
			SentAtMS: ms(b.SentAt), Alive: b.Alive, Running: b.Running, Delivered: b.Delivered, Reliability: round(b.Reliability),
			Reachable: b.Reachable, ReliabilityReachable: round(b.ReliabilityReachable),
			Transmissions: b.Transmissions, Redundant: b.Redundant, RMR: round(b.RMR), LDH: b.LDH,
			LatencyMS: report.Latency{P50: ms(b.LatencyP50), P99: ms(b.LatencyP99), Max: ms(b.LatencyMax)},
			Foreign:   b.Foreign,
		})
		sum.ReliabilityMin = min(sum.ReliabilityMin, b.Reliability)
		sum.ReliabilityMean += b.Reliability
		sum.ReliabilityReachableMin = min(sum.ReliabilityReachableMin, b.ReliabilityReachable)
		sum.ReliabilityReachableMean += b.ReliabilityReachable
		sum.RMRMean += b.RMR
		sum.LDHMax = max(sum.LDHMax, b.LDH)
		sum.TransmissionsTotal += b.Transmissions
		sum.RedundantTotal += b.Redundant
	}
	if n := len(rep.Broadcasts); n > 0 {
		sum.Broadcasts = n
		sum.ReliabilityMean = round(sum.ReliabilityMean / float64(n))
		sum.ReliabilityReachableMean = round(sum.ReliabilityReachableMean / float64(n))
		sum.RMRMean = round(sum.RMRMean / float64(n))
	}
	sum.ReliabilityMin = round(sum.ReliabilityMin)
	sum.ReliabilityReachableMin = round(sum.ReliabilityReachableMin)
	t := r.topology()
	sum.DuplicateDeliveries = s.DuplicateDeliveries()
	sum.NodesTotal = s.NodeCount()
	sum.AliveFinal = len(t.Nodes)
	sum.LinksFinal = len(t.Edges)
	sum.ComponentsFinal = r.components(t)
	sum.EngineEvents, sum.TraceDigest = s.Trace()
	r.traffic(rep)

	rep.Expectations = append(rep.Expectations, r.checks...)
	for i := range r.sc.Expect {
		rep.Expectations = append(rep.Expectations, r.evaluate(&r.sc.Expect[i]))
	}
	if rep.Expectations == nil {
		rep.Expectations = []report.Expectation{}
	}

	// Time series, with the mean reliability of the broadcasts sent since
	// the previous sample.
	bs := s.Broadcasts()
	k := 0
	for _, smp := range r.samples {
		point := report.Sample{AtMS: ms(smp.At), Alive: smp.Alive, Links: smp.Links, Components: smp.Components}
		var total float64
		n := 0
		for ; k < len(bs) && bs[k].SentAt <= smp.At; k++ {
			total += bs[k].Reliability
			n++
		}
		if n > 0 {
			v := round(total / float64(n))
			point.Reliability = &v
		}
		rep.Series = append(rep.Series, point)
	}
	for _, m := range r.marks {
		rep.Events = append(rep.Events, report.Event{AtMS: ms(m.At), Kind: m.Kind, Label: m.Label})
	}
	rep.Repairs = append([]report.Repair{}, r.repairs...)
	for _, rp := range rep.Repairs {
		if rp.RepairMS < 0 {
			sum.RepairMSMax = -1
			break
		}
		sum.RepairMSMax = max(sum.RepairMSMax, rp.RepairMS)
	}
	for _, snap := range r.topo.Snapshots {
		rep.Snapshots = append(rep.Snapshots, report.SnapshotRef{Name: snap.Name, AtMS: snap.AtMS})
	}
	if rep.Broadcasts == nil {
		rep.Broadcasts = []report.Broadcast{}
	}
	return rep
}

// spread assembles spread.json: per broadcast its latency percentiles and,
// where the network followed it, how it spread node by node.
func (r *run) spread(rep *report.Report) *report.Spread {
	out := &report.Spread{Scenario: rep.Scenario, Seed: rep.Seed, Broadcasts: make([]report.BroadcastSpread, len(rep.Broadcasts))}
	for k := range rep.Broadcasts {
		lat, sp := r.s.Deliveries(k)
		b := report.BroadcastSpread{ID: rep.Broadcasts[k].ID, LatencyMS: []float64{}}
		if len(lat) > 0 {
			sorted := slices.Clone(lat)
			slices.Sort(sorted)
			b.LatencyMS = make([]float64, 101)
			for p := range b.LatencyMS {
				rank := max((p*len(sorted)+99)/100, 1)
				b.LatencyMS[p] = ms(time.Duration(sorted[rank-1]))
			}
		}
		if sp != nil {
			b.Parent = slices.Clone(sp.Parent)
			b.Owed = r.s.Owed(k)
			b.Hop, b.ArrivalMS = make([]int, len(sp.Hop)), make([]float64, len(sp.Arrival))
			for i := range sp.Hop {
				b.Hop[i], b.ArrivalMS[i] = int(sp.Hop[i]), -1
				if sp.Arrival[i] >= 0 {
					b.ArrivalMS[i] = ms(sp.Arrival[i])
				} else {
					b.Hop[i] = -1
				}
			}
		}
		out.Broadcasts[k] = b
	}
	return out
}

// broadcastName is how the report names a broadcast: its origin's name and
// the message's sequence number, as in n51#1.
func broadcastName(s Network, b *sim.BroadcastResult) string {
	return fmt.Sprintf("%s#%d", s.Node(b.Origin).Name, b.ID.Seq&0xffffffff)
}

// fmtDigest formats a trace digest for the report.
func fmtDigest(d uint64) string { return fmt.Sprintf("%016x", d) }
