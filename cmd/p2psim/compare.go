package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"p2pmesh/sim/report"
	"p2pmesh/viz"
)

const compareUsage = `Usage: p2psim compare DIR DIR... [--out DIR]

Compares two or more finished runs (folders written by p2psim run): prints a
table of their summaries, each value with its change against the first run,
and draws them on shared axes into --out:

  compare-over-time.png  running nodes, links, components and reliability
                         over time, one line per run
  compare-latency.png    each broadcast's median and 99th-percentile latency

Runs of the same scenario file (the same file over several seeds) are drawn
as one line, their mean, with a band from the lowest to the highest seed.

Flags:
%s
Examples:
  p2psim run scenarios/flood-single-1000.yaml scenarios/tree-single-1000.yaml --out twins/
  p2psim compare twins/flood-single-1000 twins/tree-single-1000 --out twins/compare

  for s in 1 2 3 4 5; do p2psim run scenarios/churn.yaml --seed $s --out seeds/$s; done
  p2psim compare seeds/* --out seeds/compare

Exit status: 0 compared, 2 usage error or a folder without report.json.
`

var compareCommand = &command{
	name:     "compare",
	synopsis: "DIR DIR... [--out DIR]",
	summary:  "compare finished runs: a table of their summaries and pictures on shared axes",
	help:     compareUsage,
	setup: func(fs *pflag.FlagSet) func(c *call) int {
		out := fs.String("out", "compare", "directory for the comparison pictures")
		return func(c *call) int {
			if len(c.args) < 2 {
				return c.usageError("want at least two run folders, got %d", len(c.args))
			}
			var runs []*report.Report
			for _, dir := range c.args {
				var r report.Report
				if err := report.Read(dir, report.ReportFile, &r); err != nil {
					return c.errorf(exitInvalid, "%s: not a finished run: %v", dir, err)
				}
				runs = append(runs, &r)
			}
			printComparison(c.stdout, c.args, runs)
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return c.errorf(exitInvalid, "%v", err)
			}
			groups := viz.GroupRuns(runs)
			for _, pic := range []struct {
				file string
				draw func(io.Writer, []viz.CompareGroup) error
			}{{"compare-over-time.png", viz.CompareOverTimePNG}, {"compare-latency.png", viz.CompareLatencyPNG}} {
				var buf bytes.Buffer
				if err := pic.draw(&buf, groups); err != nil {
					return c.errorf(exitInvalid, "%s: %v", pic.file, err)
				}
				path := filepath.Join(*out, pic.file)
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					return c.errorf(exitInvalid, "%v", err)
				}
				fmt.Fprintln(c.stdout, path)
			}
			return exitOK
		}
	},
}

// printComparison prints the runs' summaries side by side; a * marks the
// measures that differ.
func printComparison(w io.Writer, dirs []string, runs []*report.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"", "measure"}
	for k, r := range runs {
		col := fmt.Sprintf("%s seed %d", r.Scenario, r.Seed)
		if base := filepath.Base(filepath.Clean(dirs[k])); base != r.Scenario {
			col += " (" + base + ")"
		}
		head = append(head, col)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, row := range viz.CompareSummaries(runs) {
		mark := ""
		if row.Differs {
			mark = "*"
		}
		fmt.Fprintln(tw, mark+"\t"+row.Key+"\t"+strings.Join(row.Values, "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintln(w, "* differs; (±x%) is the change against the first run")
}
