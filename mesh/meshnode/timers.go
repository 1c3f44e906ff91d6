package meshnode

import (
	"time"

	"p2pmesh/mesh"
)

// timerTable keeps the engine's timers: the due time of each mesh.TimerKind,
// replaced on every OutTimer as the engine asks, and one time.Timer armed for
// the earliest of them, so that the loop selects on a single channel however
// many kinds the engine uses. A timer the engine has replaced may still fire;
// the engine ignores such stale timers, and the table only reports kinds
// whose current due time has passed.
type timerTable struct {
	epoch time.Time
	due   []mesh.Time // by kind; 0 when not armed
	t     *time.Timer
	armed mesh.Time // when t fires; 0 when stopped
}

func (tt *timerTable) init(epoch time.Time) {
	tt.epoch = epoch
	tt.t = time.NewTimer(time.Hour)
	tt.t.Stop()
}

// C is the channel of the underlying timer.
func (tt *timerTable) C() <-chan time.Time { return tt.t.C }

// set arms timer kind for time at, replacing an earlier setting.
func (tt *timerTable) set(kind mesh.TimerKind, at mesh.Time) {
	for int(kind) >= len(tt.due) {
		tt.due = append(tt.due, 0)
	}
	tt.due[kind] = at
	if tt.armed == 0 || at < tt.armed {
		tt.arm(at)
	}
}

func (tt *timerTable) arm(at mesh.Time) {
	tt.armed = at
	tt.t.Reset(time.Until(tt.epoch.Add(at))) // Go ≥ 1.23: no stale value after Reset
}

// expired disarms and returns the kinds due at now, and re-arms the timer for
// the earliest remaining one.
func (tt *timerTable) expired(now mesh.Time) []mesh.TimerKind {
	var kinds []mesh.TimerKind
	var next mesh.Time
	for k, at := range tt.due {
		switch {
		case at == 0:
		case at <= now:
			kinds = append(kinds, mesh.TimerKind(k))
			tt.due[k] = 0
		case next == 0 || at < next:
			next = at
		}
	}
	tt.armed = 0
	if next != 0 {
		tt.arm(next)
	}
	return kinds
}

// stop disarms everything.
func (tt *timerTable) stop() {
	clear(tt.due)
	tt.armed = 0
	tt.t.Stop()
}
