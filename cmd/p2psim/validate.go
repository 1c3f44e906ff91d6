package main

import (
	"fmt"

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

var validateCommand = &command{
	name:     "validate",
	synopsis: "FILE...",
	summary:  "check scenario files without running them",
	help:     validateUsage,
	setup: func(fs *pflag.FlagSet) func(c *call) int {
		return func(c *call) int {
			if len(c.args) == 0 {
				return c.usageError("no scenario file given")
			}
			status := exitOK
			for _, path := range c.args {
				sc, err := scenario.Load(path)
				if err != nil {
					c.printError(err.Error())
					status = exitInvalid
					continue
				}
				fmt.Fprintf(c.stdout, "%s: ok (%s: %d nodes, %d actions, %d expectations)\n", path, sc.Name, len(sc.Nodes), len(sc.Timeline), len(sc.Expect))
			}
			return status
		}
	},
}
