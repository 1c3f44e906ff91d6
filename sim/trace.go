package sim

import (
	"fmt"
	"io"

	"p2pmesh/mesh"
)

// trace folds every event a run processes into a 64-bit digest, and
// optionally writes one line per event, so that two runs can be compared.
type trace struct {
	digest uint64
	events uint64
	w      io.Writer
}

// mix folds one word into the digest with a multiply-xorshift step.
func (t *trace) mix(v uint64) {
	d := (t.digest ^ v) * 0x9e3779b97f4a7c15
	t.digest = d ^ d>>29
}

func (t *trace) record(at mesh.Time, kind eventKind, node NodeIndex, link mesh.LinkID, detail uint64) {
	t.mix(uint64(at))
	t.mix(uint64(kind)<<32 | uint64(uint32(node)))
	t.mix(uint64(link))
	t.mix(detail)
	t.events++
	if t.w != nil {
		fmt.Fprintf(t.w, "%d %d %d %d %x\n", at, kind, node, link, detail)
	}
}

func traceDetail(ev *event) uint64 {
	switch {
	case ev.kind == evTimer:
		return uint64(ev.timer)
	case ev.pkt != nil && ev.kind == evFrame:
		f := &ev.pkt.frame
		return uint64(f.Type)<<56 ^ f.Msg.ID.Seq ^ uint64(f.Msg.ID.Origin)
	case ev.pkt != nil:
		return uint64(ev.pkt.peer)
	}
	return 0
}

// TraceDigest returns the digest of all events processed so far and their
// number. Two runs of the same scenario and seed give the same pair.
func (s *Sim) TraceDigest() (digest, events uint64) { return s.trace.digest, s.trace.events }

// SetTraceWriter makes the run write one line per event to w (nil stops it).
func (s *Sim) SetTraceWriter(w io.Writer) { s.trace.w = w }
