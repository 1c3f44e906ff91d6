// Command p2psim runs mesh scenarios in the deterministic simulator, checks
// their expectations and writes reports and pictures. With --transport tcp
// it plays them on real nodes over loopback TCP instead, in wall-clock time
// (docs/transport-tcp.md).
//
// Usage:
//
//	p2psim run FILE... [--seed N] [--out DIR] [--transport sim|tcp] [--junit FILE]
//	p2psim validate FILE...
//	p2psim render REPORT_DIR
//	p2psim compare DIR DIR... [--out DIR]
//	p2psim study mass-failure [--out DIR]
//	p2psim sweep FILE [--seeds A-B] [--set PATH=V1,V2,...] [--workers K] [--shard I/N] [--out DIR]
//	p2psim sweep merge DIR... --out DIR
//	p2psim version
//
// Exit status: 0 when every expectation holds, 1 when one fails, 2 for usage
// errors and invalid scenario files.
package main

import "os"

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1
	exitInvalid = 2
)

func main() { os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr)) }
