package meshnode

import (
	"log/slog"
	"sync"
	"time"
)

// rejectLog logs input the node refuses — malformed frames, connections
// without a handshake, connection floods — at most once per reason per
// interval, with the number of refusals not logged meanwhile. A stranger
// sending garbage in a loop then costs a log line every interval, not a log
// flood.
type rejectLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	reasons map[string]*rejectReason
}

type rejectReason struct {
	last       time.Time
	suppressed int
}

// rejectLogEvery is how often one reason is logged at most.
const rejectLogEvery = 10 * time.Second

func newRejectLog(log *slog.Logger, every time.Duration) *rejectLog {
	return &rejectLog{log: log, every: every, now: time.Now, reasons: map[string]*rejectReason{}}
}

// refuse records one refusal for reason, logging it unless the same reason
// was logged less than the interval ago. It is safe for concurrent use.
// Callers refuse before they count the refusal in the node's Stats, so
// that whoever sees the count (an operator, a test) finds the line too.
func (r *rejectLog) refuse(reason string, args ...any) {
	r.mu.Lock()
	now := r.now()
	rr := r.reasons[reason]
	if rr == nil {
		rr = &rejectReason{}
		r.reasons[reason] = rr
	}
	if !rr.last.IsZero() && now.Sub(rr.last) < r.every {
		rr.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := rr.suppressed
	rr.last, rr.suppressed = now, 0
	r.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "more_since_last_logged", suppressed)
	}
	r.log.Warn("refused: "+reason, args...)
}
