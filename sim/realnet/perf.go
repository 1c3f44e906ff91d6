package realnet

import (
	"time"

	"p2pmesh/sim/runner"
)

// AddPerf adds the run's own figures to perf.json: how late the timeline
// ran behind the wall clock, the sockets' traffic over every life, and the
// CPU time the process spent.
func (n *Net) AddPerf(p *runner.Perf) {
	lateMax, lateMean := n.lateness()
	p.LateMaxMS = float64(lateMax) / float64(time.Millisecond)
	p.LateMeanMS = float64(lateMean) / float64(time.Millisecond)
	n.mu.Lock()
	t := n.totals
	var lives []*life
	for _, nd := range n.nodes {
		if nd.life != nil {
			lives = append(lives, nd.life)
		}
	}
	n.mu.Unlock()
	for _, lf := range lives {
		t.add(lf.rt.Stats())
	}
	p.FramesSent, p.BytesSent, p.Dials, p.DialFailures, p.SlowLinks = t.framesSent, t.bytesSent, t.dials, t.dialFailures, t.slowLinks
	p.KeyRefused, p.BeaconsRefused = t.keyRefused, t.beaconsRefused
	if cpu := processCPU(); cpu > 0 {
		p.CPUSeconds = (cpu - n.cpu0).Seconds()
	}
}
