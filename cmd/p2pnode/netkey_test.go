package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGenerateNetworkKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mesh.key")
	var out, errb bytes.Buffer
	if code := realMain([]string{"--gen-network-key", path}, nil, &out, &errb, nil); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	if !strings.Contains(out.String(), "fingerprint") || !strings.Contains(out.String(), "--network-key-file "+path) {
		t.Errorf("output does not say what to do next:\n%s", out.String())
	}
	errb.Reset()
	if code := realMain([]string{"--gen-network-key", path}, nil, io.Discard, &errb, nil); code != exitError || !strings.Contains(errb.String(), "not overwritten") {
		t.Errorf("second --gen-network-key on the same file: exit %d, %q", code, errb.String())
	}
}

func TestBadNetworkKeyFileIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	weak := filepath.Join(dir, "weak.key")
	if err := os.WriteFile(weak, []byte("password123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{weak, "passphrase"},
		{filepath.Join(dir, "missing.key"), "no such file"},
	} {
		var errb bytes.Buffer
		code := realMain([]string{"--no-multicast", "--network-key-file", tc.file}, strings.NewReader(""), io.Discard, &errb, nil)
		if code != exitUsage || !strings.Contains(errb.String(), "--network-key-file") || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.file, code, errb.String(), tc.want)
		}
	}
}

// TestKeyedNodesChatAndAnIntruderHearsNothing: two nodes with the same key
// chat; a node without it, given the same peer, links with nobody and
// prints nothing, and its lines reach nobody.
func TestKeyedNodesChatAndAnIntruderHearsNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mesh.key")
	if code := realMain([]string{"--gen-network-key", path}, nil, io.Discard, io.Discard, nil); code != exitOK {
		t.Fatal("cannot make a key")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	a := startProc(t, "--name", "alice", "--no-multicast", "--listen", addr, "--network-key-file", path)
	b := startProc(t, "--name", "bob", "--no-multicast", "--peer", addr, "--network-key-file", path)
	eve := startProc(t, "--name", "eve", "--no-multicast", "--peer", addr)

	fmt.Fprintln(eve.stdin, "eve was here")
	fmt.Fprintln(b.stdin, "for alice only")
	waitFor(t, "alice to receive bob's line", 30*time.Second, func() bool { return len(a.lines()) == 1 })
	if got := a.lines()[0]; got != "bob: for alice only" {
		t.Errorf("alice printed %q", got)
	}
	fmt.Fprintln(a.stdin, "hi bob")
	waitFor(t, "bob to receive alice's line", 30*time.Second, func() bool { return len(b.lines()) == 1 })
	waitFor(t, "alice to refuse eve", 30*time.Second, func() bool {
		return strings.Contains(a.logs(), "refused: network key mismatch or not a mesh node")
	})
	time.Sleep(300 * time.Millisecond) // eve's held line would go out now if she had linked
	if n := len(eve.lines()); n != 0 {
		t.Errorf("eve printed %d lines: %q", n, eve.lines())
	}
	if n := len(a.lines()); n != 1 {
		t.Errorf("alice printed %d lines, want 1: %q", n, a.lines())
	}
	if !strings.Contains(a.logs(), "can be read by other users") {
		t.Errorf("no warning about a world-readable key file:\n%s", a.logs())
	}
	if !strings.Contains(eve.logs(), "no peer yet; lines wait until the first link") {
		t.Errorf("eve should still be waiting for a first link:\n%s", eve.logs())
	}
}
