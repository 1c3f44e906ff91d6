//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package discovery

import "syscall"

// reuse does nothing here: only one node per host can use the group's port.
func reuse(network, address string, c syscall.RawConn) error { return nil }
