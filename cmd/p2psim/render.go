package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"p2pmesh/sim/report"
	"p2pmesh/viz"
	"p2pmesh/viz/replay"
)

const renderUsage = `Usage: p2psim render REPORT_DIR

Redraws the pictures and index.html of a finished run from its report.json
and topology.json, without simulating again.

Examples:
  p2psim render out/
`

var renderCommand = &command{
	name:     "render",
	synopsis: "REPORT_DIR",
	summary:  "redraw the pictures of a finished run",
	help:     renderUsage,
	setup: func(fs *pflag.FlagSet) func(c *call) int {
		return func(c *call) int {
			if len(c.args) != 1 {
				return c.usageError("want exactly one report directory, got %d arguments", len(c.args))
			}
			dir := c.args[0]
			files, err := renderDir(dir)
			if err != nil {
				return c.errorf(exitInvalid, "%v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, report.TopologyFile)); err != nil {
				c.printError(fmt.Sprintf("warning: no topology pictures: %v", err))
			}
			for _, f := range files {
				fmt.Fprintln(c.stdout, f)
			}
			return exitOK
		}
	},
}

// renderDir writes the replay page first, so that index.html links to it.
func renderDir(dir string) ([]string, error) {
	if err := replay.WriteDir(dir); err != nil {
		return nil, fmt.Errorf("replay page: %w", err)
	}
	files, err := viz.RenderDir(dir)
	return append(files, filepath.Join(dir, replay.PageFile), filepath.Join(dir, replay.DataFile)), err
}
