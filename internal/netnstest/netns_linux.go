// Package netnstest runs a test in Linux namespaces of its own, so that tests
// of multicast discovery and of several "hosts" neither depend on nor disturb
// the machine's network: the test binary re-runs the calling test in a new
// network namespace (and, for tests that build their own namespaces and
// mounts, a new mount namespace), where it is free to change interfaces.
package netnstest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// env names the test being re-run inside the namespaces.
const env = "P2P_TEST_IN_NETNS"

// Inside reports whether this process is the re-run of test t.
func Inside(t *testing.T) bool { return os.Getenv(env) == t.Name() }

// InFresh re-runs the calling test in a new network namespace (as root, or
// in a new user namespace where unprivileged ones are allowed) whose only
// interface, lo, is up with MULTICAST on. It returns true in the re-run
// process, where the test should go on; false in the original process,
// whose test is then done (passed, failed or skipped as the re-run was).
func InFresh(t *testing.T) bool {
	t.Helper()
	if Inside(t) {
		if err := SetLoopbackMulticast(true); err != nil {
			t.Skipf("cannot turn on multicast on lo in the new namespace: %v", err)
		}
		return true
	}
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	rerun(t, attr, "run as root or allow unprivileged user namespaces")
	return false
}

// InFreshWithMounts re-runs the calling test as root in a new network and
// mount namespace (every mount private), for tests that create namespaces,
// bridges and mounts of their own: all of it vanishes with the re-run. It
// skips the test where that is not permitted. Its results are as InFresh's.
func InFreshWithMounts(t *testing.T) bool {
	t.Helper()
	if Inside(t) {
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("this test needs root to create network namespaces (CI runs as root)")
	}
	// CLONE_NEWNS in Unshareflags also makes every mount private.
	rerun(t, &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS}, "run as root")
	return false
}

func rerun(t *testing.T, attr *syscall.SysProcAttr, hint string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = ChildEnv(env + "=" + t.Name())
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	if cmd.Process == nil {
		t.Skipf("cannot create the namespaces for this test (%v): %s", err, hint)
	}
	t.Logf("in fresh namespaces:\n%s", out)
	if err != nil {
		t.Fatalf("the test failed in its namespaces: %v", err)
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Skip("skipped in the namespaces (see above)")
	}
}

// ChildEnv is the environment for the test binary run again as a child
// process: this process's environment, the given variables, and
// atexit_sleep_ms=0 added to GORACE (read only by binaries built with
// -race). The race detector otherwise sleeps a second at every exit, in
// case other threads still have a race to report; the races a child finds
// while it runs are reported, and fail it, all the same. Without this,
// every test re-run in namespaces took a second longer than its work.
func ChildEnv(vars ...string) []string {
	e := append(os.Environ(), vars...)
	gorace := "atexit_sleep_ms=0"
	if old := os.Getenv("GORACE"); old != "" {
		gorace = old + " " + gorace
	}
	return append(e, "GORACE="+gorace)
}

// SetLoopbackMulticast sets lo up and its MULTICAST flag on or off, as
// `ip link set lo up multicast on|off` does.
func SetLoopbackMulticast(on bool) error {
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

// Enter runs f on the calling goroutine's thread switched into the network
// namespace /run/netns/name (as `ip netns add` makes), then switches back.
// Sockets f opens belong to that namespace for good, whichever goroutine
// uses them later; goroutines f starts run elsewhere.
func Enter(name string, f func()) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return err
	}
	defer self.Close()
	target, err := os.Open("/run/netns/" + name)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("netnstest: entering %s: %w", name, err)
	}
	defer func() {
		if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
			panic("netnstest: cannot return to the test's network namespace: " + err.Error())
		}
	}()
	f()
	return nil
}
