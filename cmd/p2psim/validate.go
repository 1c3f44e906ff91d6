package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"p2pmesh/sim/scenario"
)

const validateUsage = `Usage: p2psim validate FILE...

Checks scenario files without running them: YAML syntax, unknown keys, types,
impossible values and references between actions. Every problem is reported
as FILE:LINE:COL: message.

Examples:
  p2psim validate scenarios/*.yaml

Exit status: 0 all files are valid, 2 otherwise.
`

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("validate", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, validateUsage) }
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			fmt.Fprint(stdout, validateUsage)
			return exitOK
		}
		return exitInvalid
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "p2psim validate: no scenario file given\n\n%s", validateUsage)
		return exitInvalid
	}
	status := exitOK
	for _, path := range fs.Args() {
		sc, err := scenario.Load(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = exitInvalid
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s: %d nodes, %d actions, %d expectations)\n", path, sc.Name, len(sc.Nodes), len(sc.Timeline), len(sc.Expect))
	}
	return status
}
