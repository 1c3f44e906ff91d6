package realnet

import (
	"testing"

	"p2pmesh/internal/realtimetest"
)

// TestMain runs the package's tests side by side — real nodes on the wall
// clock, they wait far more than they compute — and fails them if any
// goroutine is still running after they have all ended (go.uber.org/goleak).
func TestMain(m *testing.M) {
	realtimetest.Main(m, 8)
}
