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
//
// Small runs in parallel (a sweep with several workers) trade the other
// way: every core already runs a simulation, so the collector's marking
// takes time from them, and their heaps are small. A looser goal made a
// 20-seed sweep of 1,000-node runs 0.60 -> 0.56 of the one-worker wall time
// on 2 cores, its peak 47 -> 77 MB (BENCHMARKS.md, "Sweeps").
const (
	largeRunNodes = 100_000
	largeRunGOGC  = 10

	parallelRunsMaxNodes = 20_000
	parallelRunsGOGC     = 300
)

// gcPercentFor returns the GOGC to run scs with, workers of them at a time,
// when the user set no GOGC of their own (env is os.Getenv): largeRunGOGC
// when any of them has largeRunNodes nodes or more; parallelRunsGOGC when
// several run at once and none has parallelRunsMaxNodes nodes or more; else
// 0 for the runtime's default.
func gcPercentFor(scs []*scenario.Scenario, workers int, env func(string) string) int {
	if env("GOGC") != "" {
		return 0
	}
	largest := 0
	for _, sc := range scs {
		largest = max(largest, len(sc.Nodes))
	}
	switch {
	case largest >= largeRunNodes:
		return largeRunGOGC
	case workers > 1 && largest < parallelRunsMaxNodes:
		return parallelRunsGOGC
	}
	return 0
}

// applyGCPolicy sets the heap goal for scs run workers at a time (see
// gcPercentFor).
func applyGCPolicy(scs []*scenario.Scenario, workers int) {
	if p := gcPercentFor(scs, workers, os.Getenv); p > 0 {
		debug.SetGCPercent(p)
	}
}
