// Command p2psim runs mesh scenarios in the deterministic simulator, checks
// their expectations and writes reports and pictures. With --transport tcp
// it plays them on real nodes over loopback TCP instead, in wall-clock time
// (docs/transport-tcp.md).
//
// Usage:
//
//	p2psim run FILE... [--seed N] [--out DIR] [--transport sim|tcp]
//	p2psim validate FILE...
//	p2psim render REPORT_DIR
//	p2psim study mass-failure [--out DIR]
//	p2psim sweep FILE [--seeds A-B] [--set PATH=V1,V2,...] [--workers K] [--shard I/N] [--out DIR]
//	p2psim sweep merge DIR... --out DIR
//
// Exit status: 0 when every expectation holds, 1 when one fails, 2 for usage
// errors and invalid scenario files.
package main

import (
	"fmt"
	"io"
	"os"

	"p2pmesh/internal/buildinfo"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1
	exitInvalid = 2
)

const usage = `p2psim runs peer-to-peer mesh scenarios in a deterministic simulator.

Usage:
  p2psim run FILE... [--seed N] [--out DIR]   run scenarios, check expectations, write reports
      [--transport tcp]                       ... on real nodes over loopback TCP, in real time
  p2psim validate FILE...                     check scenario files without running them
  p2psim render REPORT_DIR                    redraw the pictures of a finished run
  p2psim study mass-failure [--out DIR]       kill 10%…90% of a mesh at once, tabulate healing
  p2psim sweep FILE [--seeds A-B] [--set PATH=V1,V2,...] [--workers K] [--out DIR]
                                              run a scenario over seeds and a grid of values
  p2psim sweep merge DIR... --out DIR         join the folders of a sharded sweep (--shard I/N)
  p2psim help [COMMAND]                       show help

Exit status: 0 all expectations hold, 1 an expectation failed, 2 usage error or
invalid scenario. Scenario format: docs/scenarios.md.
`

func main() { os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr)) }

// realMain runs the command line args and returns the exit status.
func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitInvalid
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(rest, stdout, stderr)
	case "validate":
		return validateCmd(rest, stdout, stderr)
	case "render":
		return renderCmd(rest, stdout, stderr)
	case "study":
		return studyCmd(rest, stdout, stderr)
	case "sweep":
		return sweepCmd(rest, stdout, stderr)
	case "help", "-h", "--help":
		if len(rest) > 0 {
			return realMain([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(stdout, "p2psim", buildinfo.Version())
		return exitOK
	}
	fmt.Fprintf(stderr, "p2psim: unknown command %q\n\n%s", cmd, usage)
	return exitInvalid
}
