package main

import (
	"os"
	"runtime/debug"

	"p2pmesh/sim/scenario"
)

// Large runs trade the second core's idle time for memory. The simulator is
// one goroutine, so the garbage collector's marking runs on the other core
// and a tighter heap goal costs little wall time; what runs out first in a
// run of a million nodes is memory. Measured on 2 cores (BENCHMARKS.md):
// scale-100k peaks at 1.2-1.5 GB with the default GOGC=100 and at 0.71 GB
// with GOGC=10, in the same wall time and 2-4 CPU-seconds more; scale-1m at
// 11.6 GB and 7.5 GB, a few percent slower.
const (
	largeRunNodes = 100_000
	largeRunGOGC  = 10
)

// gcPercentFor returns the GOGC to run scs with: largeRunGOGC when any of
// them has largeRunNodes nodes or more and the user set no GOGC of their own
// (env is os.Getenv), else 0 for the runtime's default.
func gcPercentFor(scs []*scenario.Scenario, env func(string) string) int {
	if env("GOGC") != "" {
		return 0
	}
	for _, sc := range scs {
		if len(sc.Nodes) >= largeRunNodes {
			return largeRunGOGC
		}
	}
	return 0
}

// applyGCPolicy sets the heap goal for scs (see gcPercentFor).
func applyGCPolicy(scs []*scenario.Scenario) {
	if p := gcPercentFor(scs, os.Getenv); p > 0 {
		debug.SetGCPercent(p)
	}
}
