package discovery

import "golang.org/x/sys/unix"

// onlyJoinedGroups turns IP_MULTICAST_ALL off: by default Linux hands a
// socket bound to 0.0.0.0:port the datagrams of every group some socket on the
// host joined. The group check in Receive remains, for other systems.
func onlyJoinedGroups(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
}
