package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// LatencyDist names a latency distribution.
type LatencyDist uint8

// Distributions.
const (
	Fixed LatencyDist = iota
	Uniform
	Normal
)

// Latency is a one-way link delay distribution.
type Latency struct {
	Dist         LatencyDist
	Value        time.Duration // Fixed
	Min, Max     time.Duration // Uniform
	Mean, Stddev time.Duration // Normal (truncated at MinLatency)
}

// MinLatency is the smallest delay the simulator gives a frame.
const MinLatency = time.Microsecond

// FixedLatency returns a constant delay.
func FixedLatency(d time.Duration) Latency { return Latency{Dist: Fixed, Value: d} }

// Sample draws one delay.
func (l Latency) Sample(rng *rand.Rand) time.Duration {
	var d time.Duration
	switch l.Dist {
	case Fixed:
		d = l.Value
	case Uniform:
		d = l.Min
		if l.Max > l.Min {
			d += time.Duration(rng.Int64N(int64(l.Max-l.Min) + 1))
		}
	case Normal:
		d = l.Mean + time.Duration(rng.NormFloat64()*float64(l.Stddev))
	}
	if d < MinLatency {
		d = MinLatency
	}
	return d
}

// Validate checks the parameters.
func (l Latency) Validate() error {
	switch l.Dist {
	case Fixed:
		if l.Value < 0 {
			return fmt.Errorf("fixed latency must not be negative, got %v", l.Value)
		}
	case Uniform:
		if l.Min < 0 || l.Max < l.Min {
			return fmt.Errorf("uniform latency needs 0 <= min <= max, got min %v max %v", l.Min, l.Max)
		}
	case Normal:
		if l.Mean < 0 || l.Stddev < 0 {
			return fmt.Errorf("normal latency needs a non-negative mean and stddev, got mean %v stddev %v", l.Mean, l.Stddev)
		}
	default:
		return fmt.Errorf("unknown latency distribution %d", l.Dist)
	}
	return nil
}

func (l Latency) String() string {
	switch l.Dist {
	case Fixed:
		return fmt.Sprintf("fixed %v", l.Value)
	case Uniform:
		return fmt.Sprintf("uniform %v..%v", l.Min, l.Max)
	case Normal:
		return fmt.Sprintf("normal mean %v stddev %v", l.Mean, l.Stddev)
	}
	return "latency?"
}

// Average returns the distribution's mean (of Normal before truncation).
func (l Latency) Average() time.Duration {
	switch l.Dist {
	case Uniform:
		return (l.Min + l.Max) / 2
	case Normal:
		return l.Mean
	}
	return l.Value
}
