package runner

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"p2pmesh/sim"
	"p2pmesh/sim/report"
	"p2pmesh/sim/scenario"
)

// evaluate measures what an expectation is about, now, and compares it with
// its bounds; at a seed its bounds are not for (`seeds:`) it only measures.
func (r *run) evaluate(x *scenario.Expectation) report.Expectation {
	res := r.judge(x)
	if !x.JudgedAt(r.seed) {
		seeds := make([]string, len(x.Seeds))
		for i, s := range x.Seeds {
			seeds[i] = strconv.FormatUint(s, 10)
		}
		res.OK = true
		res.Detail = fmt.Sprintf("not judged at seed %d, the bound is for seed %s only: %s", r.seed, strings.Join(seeds, ", "), res.Detail)
	}
	return res
}

// judge measures what an expectation is about, now, and compares it with
// its bounds.
func (r *run) judge(x *scenario.Expectation) report.Expectation {
	value, what, ok := r.measure(x)
	res := report.Expectation{Name: x.Name, AtMS: ms(r.s.Now()), Value: round(value)}
	if !ok {
		res.Detail = what
		return res
	}
	res.OK = x.Holds(value)
	var want []string
	switch {
	case x.Kind == scenario.ExpLinkLimits:
		want = append(want, "0")
		res.OK = value == 0
	case x.Min != nil && x.Max != nil && *x.Min == *x.Max:
		want = append(want, "= "+x.Kind.Format(*x.Min))
	default:
		if x.Min != nil {
			want = append(want, ">= "+x.Kind.Format(*x.Min))
		}
		if x.Max != nil {
			want = append(want, "<= "+x.Kind.Format(*x.Max))
		}
	}
	res.Detail = fmt.Sprintf("%s = %s (want %s)", what, x.Kind.FormatMeasured(value), strings.Join(want, " and "))
	if !res.OK {
		res.Detail += ": " + r.shortfall(x, value)
	}
	return res
}

// measure returns the value an expectation bounds, a description of it, and
// false (with the reason in the description) when it cannot be measured.
func (r *run) measure(x *scenario.Expectation) (float64, string, bool) {
	s := r.s
	window := func() ([]sim.BroadcastResult, string) {
		var in []sim.BroadcastResult
		for _, b := range s.Broadcasts() {
			if b.SentAt >= x.After && (x.Before == 0 || b.SentAt < x.Before) {
				in = append(in, b)
			}
		}
		desc := fmt.Sprintf("%d broadcasts", len(in))
		if x.After > 0 {
			desc += fmt.Sprintf(" sent after %v", x.After)
		}
		if x.Before > 0 {
			desc += fmt.Sprintf(" sent before %v", x.Before)
		}
		return in, desc
	}
	switch x.Kind {
	case scenario.ExpReliability, scenario.ExpReliabilityMean, scenario.ExpRMR, scenario.ExpLDH, scenario.ExpLatencyP50, scenario.ExpLatencyP99,
		scenario.ExpReliabilityReachable, scenario.ExpReliabilityReachableMean:
		bs, desc := window()
		if len(bs) == 0 {
			return 0, "no broadcasts to judge (" + desc + ")", false
		}
		var v float64
		switch x.Kind {
		case scenario.ExpReliability, scenario.ExpReliabilityReachable:
			what, get := reliabilityOf(x.Kind)
			v = 1
			for _, b := range bs {
				v = math.Min(v, get(&b))
			}
			return v, "minimum " + what + " over " + desc, true
		case scenario.ExpReliabilityMean, scenario.ExpReliabilityReachableMean:
			what, get := reliabilityOf(x.Kind)
			for _, b := range bs {
				v += get(&b)
			}
			return v / float64(len(bs)), "mean " + what + " over " + desc, true
		case scenario.ExpRMR:
			for _, b := range bs {
				v += b.RMR
			}
			return v / float64(len(bs)), "mean RMR over " + desc, true
		case scenario.ExpLDH:
			for _, b := range bs {
				v = math.Max(v, float64(b.LDH))
			}
			return v, "largest last delivery hop over " + desc, true
		case scenario.ExpLatencyP50:
			for _, b := range bs {
				v = math.Max(v, float64(b.LatencyP50))
			}
			return v, "largest latency p50 over " + desc, true
		default:
			for _, b := range bs {
				v = math.Max(v, float64(b.LatencyP99))
			}
			return v, "largest latency p99 over " + desc, true
		}
	case scenario.ExpComponents:
		return float64(r.components(r.topology())), "connected components among running honest nodes", true
	case scenario.ExpAlive:
		return float64(len(r.alive(""))), "running nodes", true
	case scenario.ExpMinDegree:
		v, who := math.Inf(1), ""
		for _, i := range r.alive("") {
			info := s.Node(i)
			if info.Siphon {
				continue
			}
			if d := float64(info.Load.Degree()); d < v {
				v, who = d, info.Name
			}
		}
		if math.IsInf(v, 1) {
			return 0, "no running honest node", false
		}
		return v, fmt.Sprintf("smallest number of links of a running honest node (%s)", who), true
	case scenario.ExpLinkLimits:
		over := 0
		for _, i := range r.alive("") {
			info := s.Node(i)
			if int(info.Load.In) > info.MaxIn || int(info.Load.Out) > info.MaxOut {
				over++
			}
		}
		return float64(over), "nodes above their link limits", true
	case scenario.ExpDuplicates:
		return float64(s.DuplicateDeliveries()), "duplicate deliveries to applications", true
	case scenario.ExpForeignDeliveries:
		bs, desc := window()
		v := 0
		for _, b := range bs {
			v += b.Foreign
		}
		return float64(v), "deliveries to nodes without the origin's network key over " + desc, true
	case scenario.ExpForeignLinks:
		t := r.topology()
		v := 0
		for _, e := range t.Edges {
			if s.Node(e[0]).NetworkKey != s.Node(e[1]).NetworkKey {
				v++
			}
		}
		return float64(v), "links between nodes with different network keys", true
	case scenario.ExpRepair:
		return r.longestRepair()
	}
	return 0, fmt.Sprintf("unknown expectation kind %v", x.Kind), false
}

// shortfall says by how much and where an expectation missed.
func (r *run) shortfall(x *scenario.Expectation, value float64) string {
	switch x.Kind {
	case scenario.ExpReliability:
		var worst *sim.BroadcastResult
		bs := r.s.Broadcasts()
		for i := range bs {
			b := &bs[i]
			if b.SentAt >= x.After && (x.Before == 0 || b.SentAt < x.Before) && (worst == nil || b.Reliability < worst.Reliability) {
				worst = b
			}
		}
		if worst != nil {
			return fmt.Sprintf("broadcast %s from %s at %v reached %d of %d nodes (%d missed)",
				broadcastName(r.s, worst), r.s.Node(worst.Origin).Name, worst.SentAt, worst.Delivered, worst.Alive, worst.Alive-worst.Delivered)
		}
	}
	var parts []string
	if x.Min != nil && value < *x.Min {
		parts = append(parts, x.Kind.FormatMeasured(*x.Min-value)+" below the minimum")
	}
	if x.Max != nil && value > *x.Max {
		parts = append(parts, x.Kind.FormatMeasured(value-*x.Max)+" above the maximum")
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

// round keeps 6 decimals so reports stay readable and stable.
func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// reliabilityOf names the reliability a kind bounds and reads it from a
// broadcast: the reachable one, or the one owed to every running node.
func reliabilityOf(k scenario.ExpectKind) (string, func(*sim.BroadcastResult) float64) {
	if k == scenario.ExpReliabilityReachable || k == scenario.ExpReliabilityReachableMean {
		return "reachable reliability", func(b *sim.BroadcastResult) float64 { return b.ReliabilityReachable }
	}
	return "reliability", func(b *sim.BroadcastResult) float64 { return b.Reliability }
}
