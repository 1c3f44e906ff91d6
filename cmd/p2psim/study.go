package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"p2pmesh/sim/study"
	"p2pmesh/viz"
)

const studyUsage = `Usage: p2psim study mass-failure [flags]

Runs the mass-failure study (after HyParView, DSN 2007): for each network
size and each percentage, a settled mesh loses that share of its nodes at
once (crash); the study measures the reliability of the first broadcasts
after the failure, the time until the survivors are one component again and
fully healed, and the reliability of broadcasts 30 s later. It prints a
Markdown table and writes DIR/study.json, DIR/study.md and
DIR/mass-failure.png. Every run is a generated scenario played as
p2psim run would (--print-scenario shows one).

Flags:
%s
Examples:
  p2psim study mass-failure --out study/
  p2psim study mass-failure --nodes 200 --kill 50,90
  p2psim study mass-failure --nodes 1000 --mode tree --out study-tree/
  p2psim study mass-failure --nodes 1000 --kill 50 --print-scenario

The default study (1,000 and 10,000 nodes on one LAN, 10,000 on 10 LANs of
1,000 bridged by static peers; 10%% to 90%%) takes a few minutes.

It runs one seed. For the spread over seeds, other shapes and any other
parameter, the same study is a sweep file (docs/sweeps.md):
  p2psim sweep scenarios/sweeps/mass-failure.sweep.yaml --out mf/
`

var studyCommand = &command{
	name:     "study",
	synopsis: "mass-failure [--out DIR]",
	summary:  "kill 10%…90% of a mesh at once, tabulate healing",
	help:     studyUsage,
	setup: func(fs *pflag.FlagSet) func(c *call) int {
		def := study.DefaultMassFailure()
		nodes := fs.IntSlice("nodes", def.Nodes, "network sizes")
		kill := fs.IntSlice("kill", def.Percent, "percentages of nodes killed at once (1 to 99)")
		seed := fs.Uint64("seed", def.Seed, "seed of every run")
		mode := fs.String("mode", def.Mode, "broadcast mode: flood or tree")
		lans := fs.IntSlice("lan", def.LANs, "LAN sizes (the shapes): each network size runs once as one LAN if a LAN size holds it, and once split into LANs bridged by static peers for each smaller LAN size")
		out := fs.String("out", "study", "directory for study.json, study.md and mass-failure.png")
		printScenario := fs.Bool("print-scenario", false, "print the scenario of the first run and exit")
		return func(c *call) int {
			switch {
			case len(c.args) == 0:
				return c.usageError("want a study name: mass-failure")
			case c.args[0] != "mass-failure":
				return c.usageError("unknown study %q: the one study is mass-failure", c.args[0])
			case len(c.args) > 1:
				return c.usageError("unexpected argument %q", c.args[1])
			}
			m := study.MassFailure{Nodes: *nodes, Percent: *kill, Seed: *seed, Mode: *mode, LANs: *lans}
			if err := m.Validate(); err != nil {
				return c.usageError("%v", err)
			}
			if *printScenario {
				fmt.Fprint(c.stdout, m.FirstScenario())
				return exitOK
			}
			m.Progress = func(n, lans, p int) {
				fmt.Fprintf(c.stderr, "mass failure: %d nodes on %d LAN(s), %d%% killed...\n", n, lans, p)
			}
			rows, err := m.Run()
			if err != nil {
				return c.errorf(exitFailed, "%v", err)
			}
			table := study.Markdown(rows)
			fmt.Fprint(c.stdout, table)
			if err := writeStudy(*out, rows, table); err != nil {
				return c.errorf(exitFailed, "%v", err)
			}
			fmt.Fprintf(c.stdout, "written: %s\n", filepath.Join(*out, "mass-failure.png"))
			return exitOK
		}
	},
}

func writeStudy(dir string, rows []study.Row, table string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "study.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "study.md"), []byte(table), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "mass-failure.png"))
	if err != nil {
		return err
	}
	if err := viz.MassFailurePNG(f, rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
