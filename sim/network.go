package sim

import (
	"errors"
	"fmt"
	"time"
)

// Network is the model of the in-memory network.
type Network struct {
	// Latency is the one-way delay of frames, connection setup and beacons
	// within a segment; CrossLatency applies to links between segments.
	Latency, CrossLatency Latency
	// Loss is the probability that a frame's segment is lost on a link.
	// Links are TCP connections: a lost segment is retransmitted after the
	// retransmission timeout (doubling), and the frames behind it wait
	// (see link.go); no frame is lost while the connection lives.
	Loss float64
	// BeaconLoss is the probability that one node misses one beacon.
	BeaconLoss float64
	// DialTimeout is how long a dial to an unreachable or crashed node takes
	// to fail. A dial to a node that left gracefully is refused after one
	// round trip.
	DialTimeout time.Duration
	// Capacity is every node's bandwidth unless its segment says
	// otherwise; zero is unlimited.
	Capacity Capacity
}

// DefaultNetwork is a LAN: 5 ms one way, no loss, 1 s dial timeout.
func DefaultNetwork() Network {
	return Network{Latency: FixedLatency(5 * time.Millisecond), CrossLatency: FixedLatency(5 * time.Millisecond), DialTimeout: time.Second}
}

// Validate reports every problem with n.
func (n *Network) Validate() error {
	var errs []error
	if err := n.Latency.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("latency: %w", err))
	}
	if err := n.CrossLatency.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("cross_latency: %w", err))
	}
	if n.Loss < 0 || n.Loss >= 1 {
		errs = append(errs, fmt.Errorf("loss must be in [0, 1), got %v", n.Loss))
	}
	if n.BeaconLoss < 0 || n.BeaconLoss >= 1 {
		errs = append(errs, fmt.Errorf("beacon_loss must be in [0, 1), got %v", n.BeaconLoss))
	}
	if n.Capacity.Up < 0 || n.Capacity.Down < 0 {
		errs = append(errs, fmt.Errorf("bandwidth must not be negative, got %+v", n.Capacity))
	}
	if n.DialTimeout <= 0 {
		errs = append(errs, fmt.Errorf("dial_timeout must be positive, got %v", n.DialTimeout))
	}
	return errors.Join(errs...)
}
