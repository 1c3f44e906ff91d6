package runner

import (
	"fmt"
	"time"

	"p2pmesh/sim"
	"p2pmesh/sim/report"
)

// repairPoll is how often open disruptions are checked for having healed.
const repairPoll = 100 * time.Millisecond

// A disruption (a kill, a leave, a healed partition) damages some nodes: the
// running honest neighbours of the nodes killed, or every running honest
// node when a partition heals. Its damage is healed once each of those
// nodes that still runs in the same life
//
//   - holds no link to a node that is down,
//   - has its minimum number of links (or links to all other running honest
//     nodes, in smaller meshes), and
//   - is in the main component: the one that holds the most running honest
//     nodes.
//
// A damaged node that is killed or restarted since is owed nothing more.
// Its repair time (report.Repair) is the time from the disruption until
// then. One check serves every open disruption: each poll builds the
// overlay and counts its components once, however many disruptions wait,
// so continuous churn costs one topology per poll instead of one per
// disruption per poll.

// openRepair is a disruption whose damage has not healed yet.
type openRepair struct {
	k        int // its entry in run.repairs
	start    time.Duration
	affected []damaged
}

// damaged is a node a disruption damaged, in the life it had then.
type damaged struct {
	node   sim.NodeIndex
	starts uint32
}

// neighboursOf lists the running honest nodes linked to any of victims, in
// the overlay t (taken before the victims go down), each once.
func (r *run) neighboursOf(t *sim.Topology, victims []sim.NodeIndex) []sim.NodeIndex {
	seen := make(map[sim.NodeIndex]bool, len(victims))
	for _, v := range victims {
		seen[v] = true
	}
	var out []sim.NodeIndex
	for _, v := range victims {
		for _, j := range t.Neighbours(v) {
			if !seen[j] && !r.topo.Nodes[j].Siphon {
				seen[j] = true
				out = append(out, j)
			}
		}
	}
	return out
}

// honestRunning lists the running honest nodes of t.
func (r *run) honestRunning(t *sim.Topology) []sim.NodeIndex {
	var out []sim.NodeIndex
	for _, i := range t.Nodes {
		if !r.topo.Nodes[i].Siphon {
			out = append(out, i)
		}
	}
	return out
}

// watchRepair records a disruption that damaged the nodes affected (see
// above) and checks it from now on until it has healed or the run ends.
func (r *run) watchRepair(kind, label string, affected []sim.NodeIndex) {
	now := r.s.Now()
	r.repairs = append(r.repairs, report.Repair{Kind: kind, Label: label, AtMS: ms(now), HealedAtMS: -1, RepairMS: -1})
	o := openRepair{k: len(r.repairs) - 1, start: now}
	for _, i := range affected {
		if info := r.s.Node(i); info.Alive {
			o.affected = append(o.affected, damaged{node: i, starts: info.Starts})
		}
	}
	r.openRepairs = append(r.openRepairs, o)
	// Check now, after what else happens at this instant; a poll pending
	// for later is superseded by this one's series.
	r.pollGen++
	gen := r.pollGen
	r.s.At(now, func() { r.pollRepairs(gen) })
}

// pollRepairs checks every open disruption once, and comes back in
// repairPoll while any stays open.
func (r *run) pollRepairs(gen int) {
	if gen != r.pollGen || len(r.openRepairs) == 0 {
		return
	}
	now := r.s.Now()
	c := r.healthCheck()
	open := r.openRepairs[:0]
	for _, o := range r.openRepairs {
		if c.healed(r, o.affected) {
			r.repairs[o.k].HealedAtMS = ms(now)
			r.repairs[o.k].RepairMS = ms(now - o.start)
			continue
		}
		open = append(open, o)
	}
	r.openRepairs = open
	if next := now + repairPoll; len(open) > 0 && next <= r.sc.Duration {
		r.s.At(next, func() { r.pollRepairs(gen) })
	}
}

// healthCheck is the overlay at one poll, read once for every open
// disruption.
type healthCheck struct {
	t *sim.Topology
	// component numbers the component of each running node (by node
	// index); main is the number of the main component.
	component []int32
	main      int32
	honest    int // running honest nodes
}

// healthCheck takes the overlay now and finds its main component.
func (r *run) healthCheck() *healthCheck {
	t := r.topology()
	c := &healthCheck{t: t, component: make([]int32, r.s.NodeCount()), main: -1}
	best := -1
	for k, comp := range t.Components() {
		n := 0
		for _, i := range comp {
			c.component[i] = int32(k)
			if !r.topo.Nodes[i].Siphon {
				n++
			}
		}
		c.honest += n
		if n > best {
			best, c.main = n, int32(k)
		}
	}
	return c
}

// healed reports whether the damage to the nodes affected has healed.
func (c *healthCheck) healed(r *run, affected []damaged) bool {
	for _, d := range affected {
		if !r.s.Alive(d.node) {
			continue // down since: owed nothing
		}
		info := r.s.Node(d.node)
		if info.Starts != d.starts {
			continue // a later life
		}
		links := len(c.t.Neighbours(d.node))
		if int(info.Load.Degree()) != links {
			return false // some of its links lead to nodes that are down
		}
		if want := min(r.sc.Nodes[d.node].Config.MinLinks, c.honest-1); links < want {
			return false
		}
		if c.component[d.node] != c.main {
			return false
		}
	}
	return true
}

// longestRepair measures the longest repair time of the disruptions so far
// (in nanoseconds); one still open counts the time since it happened.
func (r *run) longestRepair() (float64, string, bool) {
	if len(r.repairs) == 0 {
		return 0, "no disruption to judge", false
	}
	now := r.s.Now()
	var longest time.Duration
	which := ""
	for _, rp := range r.repairs {
		d := time.Duration(rp.RepairMS * float64(time.Millisecond))
		state := "healed"
		if rp.RepairMS < 0 {
			d, state = now-time.Duration(rp.AtMS*float64(time.Millisecond)), "not healed yet"
		}
		if which == "" || d > longest {
			longest, which = d, fmt.Sprintf("the %s of %s at %v, %s", rp.Kind, rp.Label, time.Duration(rp.AtMS*float64(time.Millisecond)), state)
		}
	}
	return float64(longest), fmt.Sprintf("longest repair over %d disruptions (%s)", len(r.repairs), which), true
}
