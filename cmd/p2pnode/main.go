// Command p2pnode runs one mesh node on the LAN: it finds its peers by UDP
// multicast (or static --peer addresses), links to them over TCP on one
// port, broadcasts every line read from standard input to every node of the
// mesh and prints every line another node broadcast, once.
//
// Usage:
//
//	p2pnode [flags]
//
// Exit status: 0 after a clean leave (SIGINT, SIGTERM, or end of input with
// --exit-on-eof), 1 when the node cannot start, 2 for usage errors, 3 when
// --exit-on-eof left with typed lines unsent (no peer within --eof-wait).
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
	// exitUnsent: with --exit-on-eof, lines read were never sent.
	exitUnsent = 3
)

func main() {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(realMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, sig))
}

// realMain runs p2pnode with args until a signal arrives on sig (or the
// input ends, with --exit-on-eof) and returns the exit status.
func realMain(args []string, stdin io.Reader, stdout, stderr io.Writer, sig <-chan os.Signal) int {
	opts, status, done := parseFlags(args, stdout, stderr)
	if done {
		return status
	}
	cfg, err := opts.runtimeConfig(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "p2pnode: %v\n", err)
		return exitUsage
	}
	return runNode(opts, cfg, stdin, stdout, sig)
}
