package discovery

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Multicast tests need an interface with the MULTICAST flag, which the
// loopback interface of most hosts lacks. inFreshNetns re-runs the calling
// test in a new network namespace (as root, or in a new user namespace when
// unprivileged user namespaces are allowed), where it turns lo up with
// MULTICAST: the test then neither depends on nor disturbs the host's
// network. It returns true in the re-executed process, where the test should
// run; false in the original process, whose test is then done.
func inFreshNetns(t *testing.T) bool {
	t.Helper()
	const env = "P2P_TEST_IN_NETNS"
	if os.Getenv(env) == t.Name() {
		if err := setLoopbackMulticast(true); err != nil {
			t.Skipf("cannot turn on multicast on lo in the new namespace: %v", err)
		}
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env+"="+t.Name())
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	if cmd.Process == nil {
		t.Skipf("cannot create a network namespace for this test (%v): run as root or allow unprivileged user namespaces", err)
	}
	t.Logf("in a fresh network namespace:\n%s", out)
	if err != nil {
		t.Fatalf("the test failed in its network namespace: %v", err)
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Skip("skipped in the network namespace (see above)")
	}
	return false
}

// setLoopbackMulticast sets lo up and its MULTICAST flag on or off, as
// `ip link set lo up multicast on|off` does.
func setLoopbackMulticast(on bool) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	flags := ifr.Uint16() | unix.IFF_UP
	if on {
		flags |= unix.IFF_MULTICAST
	} else {
		flags &^= unix.IFF_MULTICAST
	}
	ifr.SetUint16(flags)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
