package runner

import (
	"fmt"

	"p2pmesh/sim"
	"p2pmesh/sim/scenario"
)

// LinkShaper is a Network whose links can differ by segment and between
// segments (the simulator; real sockets cannot).
type LinkShaper interface {
	SetSegmentLinks(seg int32, p sim.LinkProps, c sim.Capacity) error
	SetPairLinks(a, b int32, p sim.LinkProps) error
}

// setLinks applies the scenario's per_segment and between properties.
func (r *run) setLinks(segs map[string]int32) error {
	net := &r.sc.Network
	if len(net.PerSegment) == 0 && len(net.Between) == 0 {
		return nil
	}
	shaper, ok := r.s.(LinkShaper)
	if !ok {
		return fmt.Errorf("%s: per_segment and between need the simulator (this network cannot shape its links)", r.sc.File)
	}
	props := func(o *scenario.LinkOverride, base sim.Latency) sim.LinkProps {
		p := sim.LinkProps{Latency: base, Loss: net.Loss}
		if o.Latency != nil {
			p.Latency = *o.Latency
		}
		if o.Loss != nil {
			p.Loss = *o.Loss
		}
		return p
	}
	for i := range net.PerSegment {
		o := &net.PerSegment[i]
		if err := shaper.SetSegmentLinks(segs[o.Segment], props(o, net.Latency), o.Capacity); err != nil {
			return fmt.Errorf("%s:%d:%d: %w", r.sc.File, o.Pos.Line, o.Pos.Col, err)
		}
	}
	for i := range net.Between {
		o := &net.Between[i]
		p := props(o, net.CrossLatency)
		p.Bandwidth = o.Bandwidth
		if err := shaper.SetPairLinks(segs[o.Between[0]], segs[o.Between[1]], p); err != nil {
			return fmt.Errorf("%s:%d:%d: %w", r.sc.File, o.Pos.Line, o.Pos.Col, err)
		}
	}
	return nil
}
