package runner

import (
	"p2pmesh/sim"
	"p2pmesh/sim/report"
)

// overlayRecorder is a network that can log its overlay link by link (the
// simulator).
type overlayRecorder interface {
	RecordOverlay(maxLinkEvents int)
	OverlayLog() *sim.OverlayLog
}

// recordOverlay starts the overlay log when the network keeps one and the
// run is small enough (report.OverlayNodeLimit).
func (r *run) recordOverlay() {
	if rec, ok := r.s.(overlayRecorder); ok && r.s.NodeCount() <= report.OverlayNodeLimit {
		rec.RecordOverlay(report.OverlayMaxLinkEvents)
	}
}

// overlay converts the network's overlay log for overlay.json; nil when it
// kept none.
func (r *run) overlay() *report.Overlay {
	rec, ok := r.s.(overlayRecorder)
	if !ok || rec.OverlayLog() == nil {
		return nil
	}
	log := rec.OverlayLog()
	o := &report.Overlay{Scenario: r.sc.Name, Seed: r.seed, Truncated: log.Truncated,
		LinkAtMS: make([]float64, len(log.LinkEvents)), LinkA: make([]int32, len(log.LinkEvents)),
		LinkB: make([]int32, len(log.LinkEvents)), LinkUp: make([]int8, len(log.LinkEvents))}
	if log.Truncated {
		o.TruncatedAtMS = ms(log.TruncatedAt)
	}
	for k, e := range log.LinkEvents {
		o.LinkAtMS[k], o.LinkA[k], o.LinkB[k] = ms(e.At), e.A, e.B
		if e.Up {
			o.LinkUp[k] = 1
		}
	}
	for _, e := range log.NodeEvents {
		o.NodeAtMS = append(o.NodeAtMS, ms(e.At))
		o.Node = append(o.Node, e.Node)
		o.NodeKind = append(o.NodeKind, int8(e.Kind))
		o.NodePart = append(o.NodePart, e.Part)
	}
	return o
}
