package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"p2pmesh/viz"
)

const renderUsage = `Usage: p2psim render REPORT_DIR

Redraws the pictures and index.html of a finished run from its report.json
and topology.json, without simulating again.

Examples:
  p2psim render out/
`

func renderCmd(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("render", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, renderUsage) }
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			fmt.Fprint(stdout, renderUsage)
			return exitOK
		}
		return exitInvalid
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "p2psim render: want exactly one report directory\n\n%s", renderUsage)
		return exitInvalid
	}
	files, err := renderDir(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "p2psim render: %v\n", err)
		return exitInvalid
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return exitOK
}

func renderDir(dir string) ([]string, error) { return viz.RenderDir(dir) }
