package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"p2pmesh/sim/scenario"
	"p2pmesh/sim/sweep"
	"p2pmesh/viz"
)

const sweepUsage = `Usage: p2psim sweep FILE [flags]
       p2psim sweep merge DIR... --out DIR

Runs a scenario over a grid of parameters and seeds: the cross product of
the values of every --set and of the seeds, each point an ordinary run with
its own simulator, --workers of them at once. FILE is a scenario file, or a
sweep file naming scenario files with their seeds and values
(docs/sweeps.md); flags add to what the file sets.

Writes DIR/sweep.csv (one row per run: its parameters, seed, status, every
summary field and every expectation's measured value), DIR/sweep.json,
DIR/sweep.md (each measure's mean and range over the seeds), each run's
report.json under DIR/runs/, a picture of each measure against each swept
parameter (mean over the seeds, min-max band, one line per value of another
parameter) and DIR/index.html.

A point that fails (an expectation, or an error) is recorded in the CSV and
the summary, and the sweep goes on.

--shard I/N runs only the I-th of N shares of the points (a point always
lands in the same share); "p2psim sweep merge" joins the shares' folders
into the folder one machine would have written (the same sweep.csv, byte
for byte).

Flags:
%s
PATH names a value of the scenario file as it is spelled there:
  node.max_in   node.mode   network.latency   timeline[3].kill.percent
A value is YAML: 20, tree, 5ms, {dist: uniform, min: 1ms, max: 5ms}; values
are separated by commas outside braces and brackets.

Examples:
  p2psim sweep scenarios/mass-failure.yaml --seeds 1-10 --set timeline[3].kill.percent=10,50,90 --out sw/
  p2psim sweep scenarios/quickstart.yaml --seeds 1-5 --set node.mode=flood,tree --set node.max_in=4,8 --out sw/
  p2psim sweep scenarios/sweeps/mass-failure.sweep.yaml --out mf/
  p2psim sweep scenarios/sweeps/mass-failure.sweep.yaml --shard 2/8 --out shard2/
  p2psim sweep merge shard1/ shard2/ shard3/ --out all/

Exit status: 0 every point held its expectations, 1 a point failed, 2 usage
error or invalid scenario (nothing ran).
`

var sweepCommand = &command{
	name:        "sweep",
	synopsis:    "FILE [--seeds A-B] [--set PATH=V1,V2,...] [--workers K] [--shard I/N] [--out DIR]",
	summary:     "run a scenario over seeds and a grid of values",
	help:        sweepUsage,
	subcommands: []*command{sweepMergeCommand},
	setup: func(fs *pflag.FlagSet) func(c *call) int {
		out := fs.String("out", "sweep", "directory for the sweep's files")
		seeds := fs.String("seeds", "", "seeds of every point: A-B or a list such as 1,2,5 (default: the sweep file's, else the scenario's seed)")
		sets := fs.StringArray("set", nil, "PATH=V1,V2,...: sweep a value of the scenario (repeatable)")
		workers := fs.Int("workers", runtime.NumCPU(), "points run at once")
		shard := fs.String("shard", "", "I/N: run only the I-th of N shares of the points; job/N: the share of a Kubernetes Indexed Job's pod, $JOB_COMPLETION_INDEX+1")
		noRender := fs.Bool("no-render", false, "write sweep.csv, sweep.json and sweep.md only, no pictures or index.html")
		progress := fs.String("progress", "auto", "show progress on stderr: auto (when stderr is a terminal), always or never")
		quiet := fs.BoolP("quiet", "q", false, "print only failures")
		measures := fs.StringSlice("measures", nil, "measures to draw and tabulate, such as reliability_mean,expect.NAME (default: the sweep file's, else every one that varies); sweep.csv has them all")
		return func(c *call) int {
			stderr := c.stderr
			fail := func(format string, a ...any) int { return c.errorf(exitInvalid, format, a...) }
			if len(c.args) != 1 {
				return c.usageError("want one scenario or sweep file, got %d arguments", len(c.args))
			}
			if *workers < 1 {
				return c.usageError("--workers must be at least 1, not %d", *workers)
			}
			showProgress, ok := progressWanted(*progress, stderr)
			if !ok {
				return c.usageError("--progress must be auto, always or never, not %q", *progress)
			}
			var sh sweep.Shard
			if *shard != "" {
				var err error
				if sh, err = sweep.ParseShard(*shard, os.Getenv); err != nil {
					return fail("%v", err)
				}
			}
			spec, err := sweep.Load(c.args[0])
			if err != nil {
				var pe *os.PathError
				if errors.As(err, &pe) {
					return fail("%s: %v", pe.Path, pe.Err) // not "open PATH: ..."
				}
				c.printError(err.Error())
				return exitInvalid
			}
			if *seeds != "" {
				if spec.Seeds, err = sweep.ParseSeeds(*seeds); err != nil {
					return fail("--%v", err)
				}
			}
			if len(spec.Seeds) == 0 {
				sc, _ := spec.Scenario(sweep.Point{Values: make([]string, len(spec.Columns()))})
				if sc == nil {
					return fail("give --seeds")
				}
				spec.Seeds = []uint64{sc.Seed}
			}
			for _, s := range *sets {
				p, err := sweep.ParseSet(s)
				if err != nil {
					return fail("%v", err)
				}
				spec.Set(p)
			}
			if fs.Changed("measures") {
				spec.Measures = *measures
			}
			if err := spec.Validate(); err != nil {
				c.printError(err.Error())
				return exitInvalid
			}
			total := len(spec.Points())
			// Large scenarios get run's heap policy (it looks at the node
			// count: one scenario per base is enough).
			var scs []*scenario.Scenario
			seen := map[string]bool{}
			for _, pt := range spec.Points() {
				base := ""
				if len(spec.Bases) > 1 {
					base = pt.Values[0]
				}
				if seen[base] {
					continue
				}
				seen[base] = true
				if sc, err := spec.Scenario(pt); err == nil {
					scs = append(scs, sc)
				}
			}
			applyGCPolicy(scs, *workers)
			opts := sweep.Options{Dir: *out, Workers: *workers, Shard: sh}
			if showProgress {
				opts.Progress = func(done, failed, n int, elapsed time.Duration) {
					eta := time.Duration(float64(elapsed) / float64(done) * float64(n-done)).Round(time.Second)
					fmt.Fprintf(stderr, "\r\033[Ksweep %s: %d of %d runs, %d failed, %s, about %s to go",
						spec.Name, done, n, failed, elapsed.Round(time.Second), eta)
				}
			}
			start := time.Now()
			res, err := sweep.Run(spec, opts)
			if showProgress {
				fmt.Fprint(stderr, "\r\033[K")
			}
			if err != nil {
				return fail("%v", err)
			}
			if err := writeSweepExtras(*out, res, !*noRender); err != nil {
				return fail("%v", err)
			}
			share := ""
			if sh.N > 1 {
				share = fmt.Sprintf(" (shard %s of %d points)", sh, total)
			}
			printSweep(c.stdout, res, *out, share, *quiet)
			fmt.Fprintf(stderr, "sweep %s: %d runs in %.1f s wall with %d workers\n", spec.Name, len(res.Rows), time.Since(start).Seconds(), *workers)
			if res.Failed() > 0 {
				return exitFailed
			}
			return exitOK
		}
	},
}

// writeSweepExtras writes sweep.md and, if render, the pictures and
// index.html.
func writeSweepExtras(dir string, res *sweep.Result, render bool) error {
	if err := res.CheckMeasures(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "sweep.md"), []byte(res.Markdown()), 0o644); err != nil {
		return err
	}
	if render {
		if _, err := viz.RenderSweep(dir, res); err != nil {
			return fmt.Errorf("rendering pictures: %w", err)
		}
	}
	return nil
}

// printSweep prints the verdict of a sweep and its failed points.
func printSweep(w io.Writer, res *sweep.Result, dir, share string, quiet bool) {
	failed := res.Failed()
	if !quiet || failed > 0 {
		fmt.Fprintf(w, "sweep %s%s: %d runs, %d failed\n", res.Name, share, len(res.Rows), failed)
	}
	shown := 0
	for _, row := range res.Rows {
		if row.Status == sweep.StatusOK {
			continue
		}
		if shown++; shown > 10 {
			fmt.Fprintf(w, "  ... and %d more (see %s)\n", failed-10, filepath.Join(dir, sweep.CSVFile))
			break
		}
		fmt.Fprintf(w, "  FAIL %s: %s\n", row.Dir, row.Error)
	}
	if !quiet {
		fmt.Fprintf(w, "  results: %s\n", filepath.Join(dir, sweep.CSVFile))
	}
}

const sweepMergeUsage = `Usage: p2psim sweep merge DIR... --out DIR

Joins the folders of a sweep's shards (p2psim sweep --shard I/N) into one:
the sweep.csv, sweep.json, sweep.md, pictures and index.html one machine
would have written, and the runs' reports copied beside them. The folders
must be shares of the same sweep and hold every point exactly once; a
pattern such as 'results/shard-*' names them all. Merging one folder into
itself redraws its pictures and page.

Flags:
%s`

var sweepMergeCommand = &command{
	name:     "sweep merge",
	synopsis: "DIR... --out DIR",
	summary:  "join the folders of a sharded sweep (--shard I/N)",
	help:     sweepMergeUsage,
	setup: func(fs *pflag.FlagSet) func(c *call) int {
		out := fs.String("out", "sweep", "directory for the merged sweep")
		noRender := fs.Bool("no-render", false, "no pictures or index.html")
		quiet := fs.BoolP("quiet", "q", false, "print only failures")
		return func(c *call) int {
			if len(c.args) == 0 {
				return c.usageError("no shard folder given")
			}
			// Folders may be given as patterns (shard-*), for callers without a
			// shell, such as a container's args.
			var dirs []string
			for _, a := range c.args {
				m, err := filepath.Glob(a)
				if err != nil || len(m) == 0 {
					m = []string{a} // reported below
				}
				dirs = append(dirs, m...)
			}
			var parts []*sweep.Result
			for _, d := range dirs {
				r, err := sweep.ReadResult(d)
				if err != nil {
					return c.errorf(exitInvalid, "%v", err)
				}
				parts = append(parts, r)
			}
			res, err := sweep.Merge(parts, dirs)
			if err != nil {
				return c.errorf(exitInvalid, "%v", err)
			}
			if err := sweep.CopyRuns(dirs, parts, *out); err != nil {
				return c.errorf(exitInvalid, "%v", err)
			}
			if err := res.Write(*out); err != nil {
				return c.errorf(exitInvalid, "%v", err)
			}
			if err := writeSweepExtras(*out, res, !*noRender); err != nil {
				return c.errorf(exitInvalid, "%v", err)
			}
			printSweep(c.stdout, res, *out, "", *quiet)
			if res.Failed() > 0 {
				return exitFailed
			}
			return exitOK
		}
	},
}

// progressWanted reads --progress.
func progressWanted(mode string, stderr io.Writer) (show, ok bool) {
	switch mode {
	case "auto":
		return isTerminal(stderr), true
	case "always":
		return true, true
	case "never":
		return false, true
	}
	return false, false
}
