//go:build !amd64

package sim

import "unsafe"

// prefetch does nothing where the simulator has no prefetch instruction.
func prefetch(p unsafe.Pointer) {}
