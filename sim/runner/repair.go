package runner

import (
	"time"

	"p2pmesh/sim/report"
)

// repairPoll is how often a disruption is checked for having healed.
const repairPoll = 100 * time.Millisecond

// watchRepair records a disruption and polls until the mesh has healed (see
// report.Repair) or the run ends.
func (r *run) watchRepair(kind, label string) {
	rep := report.Repair{Kind: kind, Label: label, AtMS: ms(r.s.Now()), HealedAtMS: -1, RepairMS: -1}
	k := len(r.repairs)
	r.repairs = append(r.repairs, rep)
	start := r.s.Now()
	var poll func()
	poll = func() {
		if r.healed() {
			r.repairs[k].HealedAtMS = ms(r.s.Now())
			r.repairs[k].RepairMS = ms(r.s.Now() - start)
			return
		}
		if next := r.s.Now() + repairPoll; next <= r.sc.Duration {
			r.s.At(next, poll)
		}
	}
	r.s.At(r.s.Now(), poll)
}

// healed reports whether the running honest nodes form one component, hold
// no link to a node that is down, and each have their minimum degree.
func (r *run) healed() bool {
	s := r.s
	t := r.topology()
	if r.components(t) > 1 {
		return false
	}
	honest := 0
	for _, i := range t.Nodes {
		if !s.Node(i).Siphon {
			honest++
		}
	}
	for _, i := range t.Nodes {
		info := s.Node(i)
		if info.Siphon {
			continue
		}
		if int(info.Load.Degree()) != len(t.Neighbours(i)) {
			return false // some of its links lead to nodes that are down
		}
		if want := min(r.sc.Nodes[i].Config.MinLinks, honest-1); len(t.Neighbours(i)) < want {
			return false
		}
	}
	return true
}
