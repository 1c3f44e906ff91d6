package realtimetest

import (
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A test's goroutines are told apart from those of tests running beside it
// by a pprof label: Check labels the test's goroutine, and every goroutine
// started from a labelled goroutine inherits its labels, down to the
// goroutines of the nodes the test starts and of their connections.

// labelKey is the pprof label that names the test a goroutine was started
// for.
const labelKey = "p2pmesh-test"

// LeakWait is how long Check waits for the test's goroutines to end after
// the test and its cleanups have.
const LeakWait = 5 * time.Second

var (
	labels   sync.Map // *testing.T → its label value
	labelSeq atomic.Uint64
)

// Check fails t if goroutines started by it (by its own goroutine, or by
// goroutines those started) are still running LeakWait after t and every
// cleanup registered after Check have ended. Call it first in the test,
// before t.Parallel, so that its check runs after the cleanups that stop
// the test's nodes. Goroutines that a test starts from a timer callback
// (time.AfterFunc) are not its own and are not checked; the package's
// goleak check (Main) still sees them.
func Check(t *testing.T) {
	t.Helper()
	label := fmt.Sprintf("%s#%d", t.Name(), labelSeq.Add(1))
	labels.Store(t, label)
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(labelKey, label)))
	t.Cleanup(func() {
		pprof.SetGoroutineLabels(context.Background()) // the test's own goroutine is no leak
		defer labels.Delete(t)
		deadline := time.Now().Add(LeakWait)
		for {
			n, stacks := running(label)
			if n == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines started by this test still run %v after it ended:\n%s", n, LeakWait, stacks)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// Count returns how many goroutines t has started (as Check counts them)
// are running now, the one that calls Count excluded. t must have called
// Check.
func Count(t *testing.T) int {
	t.Helper()
	label, ok := labels.Load(t)
	if !ok {
		t.Fatal("realtimetest.Count without realtimetest.Check")
	}
	n, _ := running(label.(string))
	return n
}

// running returns the number of goroutines labelled with label, except
// those that are inside running itself, and their stacks.
func running(label string) (int, string) {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		panic(err)
	}
	want := "# labels: {" + strconv.Quote(labelKey) + ":" + strconv.Quote(label) + "}"
	n := 0
	var stacks strings.Builder
	// debug=1: a header line, then one record per stack and label set,
	// separated by blank lines: "COUNT @ PCS", "# labels: {...}" if any,
	// then "#\tPC FUNC FILE:LINE" lines.
	_, records, _ := strings.Cut(buf.String(), "\n")
	for _, rec := range strings.Split(records, "\n\n") {
		lines := strings.Split(strings.TrimSpace(rec), "\n")
		if len(lines) < 2 || lines[1] != want || strings.Contains(rec, "realtimetest.running") {
			continue
		}
		count, _, _ := strings.Cut(lines[0], " @ ")
		k, err := strconv.Atoi(count)
		if err != nil {
			continue
		}
		n += k
		stacks.WriteString(rec)
		stacks.WriteString("\n\n")
	}
	return n, stacks.String()
}
