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
	// Loss is the probability that one frame on a link is lost. Links model
	// TCP, so the default is 0; a positive value models a lossy transport.
	Loss float64
	// BeaconLoss is the probability that one node misses one beacon.
	BeaconLoss float64
	// DialTimeout is how long a dial to an unreachable or crashed node takes
	// to fail. A dial to a node that left gracefully is refused after one
	// round trip.
	DialTimeout time.Duration
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
	if n.DialTimeout <= 0 {
		errs = append(errs, fmt.Errorf("dial_timeout must be positive, got %v", n.DialTimeout))
	}
	return errors.Join(errs...)
}
