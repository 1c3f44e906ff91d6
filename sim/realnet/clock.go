package realnet

import (
	"container/heap"
	"time"
)

// The clock: scenario time is wall-clock time since the first call of Run.
// Functions scheduled with At run on the goroutine that calls Run, one at a
// time, in (time, order of scheduling) order, as on the simulator's clock;
// but they run when the wall clock gets there, while the nodes run on their
// own goroutines meanwhile.

type call struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type calls []call

func (q calls) Len() int { return len(q) }
func (q calls) Less(i, j int) bool {
	return q[i].at < q[j].at || q[i].at == q[j].at && q[i].seq < q[j].seq
}
func (q calls) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *calls) Push(x any)   { *q = append(*q, x.(call)) }
func (q *calls) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

// clock is the schedule of a run. Only the goroutine that calls Run uses
// it.
type clock struct {
	start time.Time // zero until the first Run
	queue calls
	seq   uint64

	ran     int           // scheduled functions run
	late    time.Duration // total lateness of those
	lateMax time.Duration
	onStart func() // called once, as the clock starts
}

// Now returns the time since the first call of Run (0 before).
func (c *clock) Now() time.Duration {
	if c.start.IsZero() {
		return 0
	}
	return time.Since(c.start)
}

// At runs fn at time at, or now if at has passed.
func (c *clock) At(at time.Duration, fn func()) {
	if now := c.Now(); at < now {
		at = now
	}
	c.seq++
	heap.Push(&c.queue, call{at: at, seq: c.seq, fn: fn})
}

// Run runs the scheduled functions as their times come, until the clock
// reaches until.
func (c *clock) Run(until time.Duration) {
	if c.start.IsZero() {
		if c.onStart != nil {
			c.onStart()
		}
		c.start = time.Now()
	}
	for {
		if len(c.queue) > 0 && c.queue[0].at <= until {
			next := c.queue[0]
			if d := next.at - c.Now(); d > 0 {
				time.Sleep(d)
			}
			heap.Pop(&c.queue)
			late := c.Now() - next.at
			c.ran++
			c.late += late
			c.lateMax = max(c.lateMax, late)
			next.fn()
			continue
		}
		d := until - c.Now()
		if d <= 0 {
			return
		}
		time.Sleep(d) // nothing else can be scheduled meanwhile
	}
}

// lateness returns the largest and the mean delay of scheduled functions
// behind their times.
func (c *clock) lateness() (maxLate, mean time.Duration) {
	if c.ran == 0 {
		return 0, 0
	}
	return c.lateMax, c.late / time.Duration(c.ran)
}
