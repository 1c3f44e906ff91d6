package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"p2pmesh/internal/buildinfo"
)

var versionCommand = &command{
	name:    "version",
	summary: "show the commit, build time and Go version of this binary",
	help: `Usage: p2psim version

Prints the version control revision the binary was built from, its commit
time and whether the work tree had uncommitted changes, and the Go version
(from the build information Go records in every binary).
`,
	setup: func(fs *pflag.FlagSet) func(c *call) int {
		return func(c *call) int {
			if len(c.args) > 0 {
				return c.usageError("unexpected argument %q", c.args[0])
			}
			fmt.Fprintln(c.stdout, "p2psim", buildinfo.Version())
			return exitOK
		}
	},
}
