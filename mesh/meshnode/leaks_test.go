package meshnode

import (
	"testing"

	"p2pmesh/internal/realtimetest"
)

// TestMain runs up to 8 of the tests that call t.Parallel at once — they
// wait on sockets and timers far more than they compute — and fails the
// package's tests if any goroutine is still running after they have all
// ended (go.uber.org/goleak). Tests that measure the whole process (the
// heap, every goroutine) do not call t.Parallel: they run first, alone.
func TestMain(m *testing.M) {
	realtimetest.Main(m, 8)
}
