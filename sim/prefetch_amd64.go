package sim

import "unsafe"

// prefetch asks the processor to bring the cache line at p into all cache
// levels (PREFETCHT0). It never faults.
//
//go:noescape
func prefetch(p unsafe.Pointer)
