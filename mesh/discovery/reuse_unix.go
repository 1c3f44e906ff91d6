//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package discovery

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// reuse lets several sockets on one host bind the same UDP port, so that
// several nodes on one machine all receive the group's beacons.
func reuse(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		if serr == nil {
			serr = onlyJoinedGroups(int(fd))
		}
	})
	if err != nil {
		return err
	}
	return serr
}
