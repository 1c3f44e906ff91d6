package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"p2pmesh/internal/realtimetest"
)

// asNodeEnv makes the test binary run as p2pnode itself.
const asNodeEnv = "P2PNODE_TEST_AS_NODE"

func TestMain(m *testing.M) {
	// The multi-host test runs this binary as p2pnode in other namespaces.
	if os.Getenv(asNodeEnv) != "" {
		main()
	}
	// The tests on sockets wait side by side, and no goroutine may outlive
	// the tests (go.uber.org/goleak).
	realtimetest.Main(m, 8)
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--version"}} {
		var out, errb bytes.Buffer
		if code := realMain(args, strings.NewReader(""), &out, &errb, nil); code != exitOK {
			t.Errorf("%v: exit %d, want 0 (stderr %q)", args, code, errb.String())
		}
		if out.Len() == 0 {
			t.Errorf("%v printed nothing", args)
		}
	}
	var out bytes.Buffer
	realMain([]string{"--help"}, nil, &out, io.Discard, nil)
	for _, flag := range []string{"--name", "--group", "--listen", "--max-in", "--max-out", "--target-out", "--peer", "--json", "--exit-on-eof", "--no-multicast", "ip link set lo multicast on", "--network-key-file", "--gen-network-key"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("--help does not mention %s", flag)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--frobnicate"}, "unknown flag"},
		{[]string{"hello"}, "unexpected argument"},
		{[]string{"--max-in", "2", "--max-out", "3"}, "max_in (2) must be at least max_out (3)"},
		{[]string{"--target-out", "6"}, "target_out must be 0 (four fifths of max_in when flooding, max_out in tree mode) or between min_links (2) and max_out (5), got 6"},
		{[]string{"--mode", "gossip"}, "unknown broadcast mode"},
		{[]string{"--group", "10.0.0.1:49152"}, "not an IPv4 multicast address"},
		{[]string{"--listen", "nonsense"}, "listen address"},
		{[]string{"--peer", "nohost"}, "want HOST:PORT"},
		{[]string{"--name", " padded"}, "--name"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--interface", "nosuch0"}, `--interface "nosuch0": no such network interface on this host (it has: `},
	} {
		var errb bytes.Buffer
		if code := realMain(tc.args, strings.NewReader(""), io.Discard, &errb, nil); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: stderr %q does not say %q", tc.args, errb.String(), tc.want)
		}
	}
}

// --target-out reaches the engine's configuration; 0 keeps the rule.
func TestTargetOutFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 0},
		{[]string{"--max-in", "6", "--target-out", "5"}, 5},
	} {
		opts, _, done := parseFlags(tc.args, io.Discard, io.Discard)
		if done {
			t.Fatalf("%v: parseFlags stopped", tc.args)
		}
		cfg, err := opts.runtimeConfig(io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if cfg.Mesh.TargetOut != tc.want {
			t.Errorf("%v: TargetOut %d, want %d", tc.args, cfg.Mesh.TargetOut, tc.want)
		}
	}
}

func TestCannotListenIsExit1(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var errb bytes.Buffer
	code := realMain([]string{"--no-multicast", "--listen", ln.Addr().String()}, strings.NewReader(""), io.Discard, &errb, nil)
	if code != exitError || !strings.Contains(errb.String(), "cannot listen") {
		t.Errorf("exit %d, stderr %q; want 1 and a message saying it cannot listen", code, errb.String())
	}
}

func TestReadLine(t *testing.T) {
	in := "short\r\nexactly10!\n" + strings.Repeat("x", 30) + "\nlast without newline"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	var got []string
	for {
		l, err := readLine(br, 20)
		if err == errLineTooLong {
			got = append(got, "<too long>")
			continue
		}
		if err != nil {
			break
		}
		got = append(got, l)
	}
	want := []string{"short", "exactly10!", "<too long>", "last without newline"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// proc is p2pnode run in-process by realMain, with its standard streams as
// pipes.
type proc struct {
	stdin  *io.PipeWriter
	sig    chan os.Signal
	done   chan int
	mu     sync.Mutex
	out    []string
	stderr bytes.Buffer
}

func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &proc{stdin: inW, sig: make(chan os.Signal, 1), done: make(chan int, 1)}
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, sc.Text())
			p.mu.Unlock()
		}
	}()
	errW := &lockedWriter{mu: &p.mu, w: &p.stderr}
	go func() {
		code := realMain(args, inR, outW, errW, p.sig)
		outW.Close()
		p.done <- code
	}()
	t.Cleanup(func() {
		select {
		case p.sig <- syscall.SIGTERM:
		default:
		}
		inW.Close()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Error("p2pnode did not stop")
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *proc) lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.out...)
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// waitFor polls until cond holds or the (wall-clock) deadline passes: these
// are real sockets.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestTwoNodesChatOverStaticPeers(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	a := startProc(t, "--name", "alice", "--no-multicast", "--listen", addr)
	b := startProc(t, "--name", "bob", "--no-multicast", "--listen", "127.0.0.1:0", "--peer", addr, "--json")

	// Typed before any link exists: the engine keeps it and sends it once linked.
	fmt.Fprintln(a.stdin, "hello bob")
	waitFor(t, "bob to receive alice's line", 10*time.Second, func() bool { return len(b.lines()) == 1 })
	var d jsonDelivery
	if err := json.Unmarshal([]byte(b.lines()[0]), &d); err != nil {
		t.Fatalf("bob's --json line %q: %v", b.lines()[0], err)
	}
	if d.From != "alice" || d.Text != "hello bob" || d.Hops != 1 || !d.Chat || d.ID == "" || d.Origin == "" {
		t.Errorf("bob got %+v", d)
	}

	fmt.Fprintln(b.stdin, "hi alice\x1b[2J")
	waitFor(t, "alice to receive bob's line", 10*time.Second, func() bool { return len(a.lines()) == 1 })
	if got, want := a.lines()[0], "bob: hi alice\uFFFD[2J"; got != want {
		t.Errorf("alice printed %q, want %q (control characters neutralised)", got, want)
	}

	// End of input does not stop a node; a signal makes it leave cleanly.
	a.stdin.Close()
	time.Sleep(200 * time.Millisecond)
	select {
	case code := <-a.done:
		t.Fatalf("alice stopped at the end of input (exit %d)", code)
	default:
	}
	a.sig <- syscall.SIGINT
	if code := <-a.done; code != exitOK {
		t.Errorf("alice exit %d after SIGINT, want 0", code)
	}
	a.done <- exitOK // for the cleanup
	if !strings.Contains(a.logs(), "leaving the mesh") {
		t.Errorf("alice's log does not say it left: %s", a.logs())
	}
	if n := len(a.lines()); n != 1 {
		t.Errorf("alice printed %d lines, want 1 (no echo of her own, no duplicates)", n)
	}
}

func TestExitOnEOFSendsFirst(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	a := startProc(t, "--name", "sink", "--no-multicast", "--listen", addr)
	b := startProc(t, "--name", "pipe", "--no-multicast", "--peer", addr, "--exit-on-eof")
	for i := range 3 {
		fmt.Fprintf(b.stdin, "line %d\n", i)
	}
	b.stdin.Close()
	select {
	case code := <-b.done:
		if code != exitOK {
			t.Errorf("exit %d, want 0", code)
		}
		b.done <- code
	case <-time.After(15 * time.Second):
		t.Fatal("--exit-on-eof did not exit")
	}
	waitFor(t, "the sink to receive all three lines", 5*time.Second, func() bool { return len(a.lines()) == 3 })
	if got := strings.Join(a.lines(), "|"); got != "pipe: line 0|pipe: line 1|pipe: line 2" {
		t.Errorf("sink printed %q", got)
	}
}

// --exit-on-eof without any peer: the line cannot be sent, and the exit
// status says so.
func TestExitOnEOFWithLinesUnsentIsExit3(t *testing.T) {
	t.Parallel()
	var errb bytes.Buffer
	code := realMain([]string{"--name", "lonely", "--no-multicast", "--listen", "127.0.0.1:0", "--exit-on-eof", "--eof-wait", "300ms"},
		strings.NewReader("hello, anybody?\n"), io.Discard, &errb, nil)
	if code != exitUnsent {
		t.Errorf("exit %d, want %d\n%s", code, exitUnsent, errb.String())
	}
	if !strings.Contains(errb.String(), "lines not sent") {
		t.Errorf("the log does not say that lines were not sent:\n%s", errb.String())
	}
}

// --help lists every field of the --json objects.
func TestHelpListsTheJSONFields(t *testing.T) {
	var out bytes.Buffer
	realMain([]string{"--help"}, nil, &out, io.Discard, nil)
	typ := reflect.TypeFor[jsonDelivery]()
	for i := range typ.NumField() {
		name := typ.Field(i).Tag.Get("json")
		if !regexp.MustCompile(`(?m)^  ` + name + ` `).MatchString(out.String()) {
			t.Errorf("--help does not list the JSON field %q", name)
		}
	}
	if !strings.Contains(out.String(), "Exit status") {
		t.Error("--help does not give the exit statuses")
	}
}

// syncBuffer is a bytes.Buffer safe for a node's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Two nodes in this process: each logs, at the default level, one line
// when their link is made (peer, address, who dialed) and the survivor one
// when it is lost (and why).
func TestLinkMadeAndLostAreLogged(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	var logA, logB syncBuffer
	sigA, sigB := make(chan os.Signal, 1), make(chan os.Signal, 1)
	doneA, doneB := make(chan int, 1), make(chan int, 1)
	inA, inAW := io.Pipe()
	inB, inBW := io.Pipe()
	defer inAW.Close()
	defer inBW.Close()
	go func() {
		doneA <- realMain([]string{"--name", "alice", "--no-multicast", "--listen", addr}, inA, io.Discard, &logA, sigA)
	}()
	go func() {
		doneB <- realMain([]string{"--name", "bob", "--no-multicast", "--listen", "127.0.0.1:0", "--peer", addr}, inB, io.Discard, &logB, sigB)
	}()
	waitLog := func(buf *syncBuffer, want ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			s, all := buf.String(), true
			for _, w := range want {
				all = all && strings.Contains(s, w)
			}
			if all {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("log lacks %q:\n%s", want, buf.String())
	}
	waitLog(&logB, "link made", "addr="+addr, `why="this node dialed the peer"`)
	waitLog(&logA, "link made", `why="the peer dialed this node"`)
	sigB <- syscall.SIGTERM
	if code := <-doneB; code != exitOK {
		t.Errorf("bob: exit %d", code)
	}
	waitLog(&logA, "link lost", "why=")
	if strings.Contains(logB.String(), "link lost") {
		t.Errorf("the node that left logged each link it closed:\n%s", logB.String())
	}
	sigA <- syscall.SIGTERM
	if code := <-doneA; code != exitOK {
		t.Errorf("alice: exit %d", code)
	}
	t.Logf("alice's log:\n%s", logA.String())
}

// The startup line says how the node finds peers, and does not claim
// multicast discovery it does not have.
func TestStartupLineTellsTheTruthAboutDiscovery(t *testing.T) {
	t.Parallel()
	var errb syncBuffer
	sig := make(chan os.Signal, 1)
	sig <- syscall.SIGTERM // leave as soon as started
	in, w := io.Pipe()
	defer w.Close()
	if code := realMain([]string{"--name", "quiet", "--no-multicast", "--listen", "127.0.0.1:0"}, in, io.Discard, &errb, sig); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	log := errb.String()
	if !strings.Contains(log, `msg="node started"`) || !strings.Contains(log, `discovery="off (static peers only)"`) || strings.Contains(log, "multicast=true") {
		t.Errorf("startup line does not say discovery is off:\n%s", log)
	}
}
