package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"p2pmesh/sim/report"
	"p2pmesh/sim/runner"
	"p2pmesh/sim/scenario"
	"p2pmesh/viz"
)

const runUsage = `Usage: p2psim run FILE... [flags]

Runs each scenario in the deterministic simulator, prints a short summary,
checks its expectations and writes DIR/report.json, DIR/topology.json,
DIR/spread.json, DIR/overlay.json (runs of up to 10,000 nodes), DIR/perf.json,
the pictures, DIR/index.html and DIR/replay.html (the interactive replay).
With several files, each scenario gets its own subfolder DIR/NAME/ and
DIR/index.html is an overview of them all, failing runs first.

The same file and seed always give byte-identical report.json and
topology.json; the simulator's own speed goes to perf.json and stderr.

With --transport tcp every node is a real node (package mesh/meshnode) on its
own TCP port on 127.0.0.1, and the scenario plays in wall-clock time: a 60 s
scenario takes 60 s. The report has the same form, but is not reproducible;
see docs/transport-tcp.md for what differs from the simulator.

Runs of 100,000 nodes or more keep the heap within 10%% of the live data
(GOGC=10): the collector works on the second core, and memory is what a
million-node run runs out of. Set GOGC yourself to choose otherwise.

Flags:
%s
On stderr each run prints its speed: the simulated time, the wall-clock
time of the simulation alone (reports and pictures not counted), and engine
events per second; then the engine events per node and the most frequent
kinds of them (frame_data: Data frames received, beacon_offer: offers
heard, timer_maintain: maintenance timers...; perf.json lists every kind).
--quiet prints only failed expectations and errors.

--junit FILE writes every expectation as a JUnit XML test case (one test
suite per scenario; a failed expectation is a failure with its measured
value), the format that GitLab, Jenkins and GitHub test reporters show.

Examples:
  p2psim run scenarios/quickstart.yaml --out out/
  p2psim run scenarios/*.yaml --seed 42 --out results/
  p2psim run scenarios/mass-failure.yaml --no-render
  p2psim run scenarios/quickstart.yaml --transport tcp --out out-tcp/
  p2psim run scenarios/*.yaml --no-render --junit out/junit.xml
  p2psim run scenarios/scale-100k.yaml --no-render --cpuprofile cpu.pprof --memprofile mem.pprof

Exit status: 0 every expectation holds, 1 an expectation failed (the summary
says which and by how much), 2 usage error or invalid scenario.
`

var runCommand = &command{
	name:     "run",
	synopsis: "FILE... [--seed N] [--out DIR] [--transport sim|tcp] [--junit FILE] [--quiet]",
	summary:  "run scenarios, check expectations, write reports",
	help:     runUsage,
	setup:    runFlags,
}

// runOptions are the flags of p2psim run.
type runOptions struct {
	seed                   *uint64
	out, progress          *string
	transport, junit       *string
	noRender, quiet        *bool
	cpuProfile, memProfile *string
}

func runFlags(fs *pflag.FlagSet) func(c *call) int {
	o := runOptions{
		seed:       fs.Uint64("seed", 0, "seed for the whole run (default: the scenario's own seed)"),
		out:        fs.String("out", "out", "directory for reports and pictures"),
		noRender:   fs.Bool("no-render", false, "write the JSON files only, no pictures or index.html"),
		progress:   fs.String("progress", "auto", "show progress on stderr: auto (when stderr is a terminal), always or never"),
		quiet:      fs.BoolP("quiet", "q", false, "print only failures and errors"),
		transport:  fs.String("transport", "sim", "sim (the deterministic simulator) or tcp (real nodes on loopback TCP, in wall-clock time)"),
		junit:      fs.String("junit", "", "also write the expectations as JUnit XML to this file (one test suite per scenario), for CI test reports"),
		cpuProfile: fs.String("cpuprofile", "", "write a CPU profile of the runs (and of writing their reports) to this file, for go tool pprof"),
		memProfile: fs.String("memprofile", "", "write a heap profile to this file when the last run's simulation ends (before its report is assembled)"),
	}
	return func(c *call) int { return runScenarios(c, o) }
}

func runScenarios(c *call, o runOptions) int {
	if len(c.args) == 0 {
		return c.usageError("no scenario file given")
	}
	var showProgress bool
	switch *o.progress {
	case "auto":
		showProgress = isTerminal(c.stderr)
	case "always":
		showProgress = true
	case "never":
	default:
		return c.usageError("--progress must be auto, always or never, not %q", *o.progress)
	}

	var network func(*scenario.Scenario, uint64) (runner.Network, error)
	switch *o.transport {
	case "sim":
	case "tcp":
		network = tcpNetwork
	default:
		return c.usageError("--transport must be sim or tcp, not %q", *o.transport)
	}

	// Validate every file before running any, so a typo in the last file
	// does not surface after minutes of simulation.
	var scs []*scenario.Scenario
	invalid := false
	for _, path := range c.args {
		sc, err := scenario.Load(path)
		if err != nil {
			c.printError(err.Error())
			invalid = true
			continue
		}
		scs = append(scs, sc)
	}
	if invalid {
		return exitInvalid
	}
	names := map[string]string{}
	for _, sc := range scs {
		if other, dup := names[sc.Name]; dup && len(scs) > 1 {
			return c.errorf(exitInvalid, "%s and %s are both named %q: their reports would overwrite each other", other, sc.File, sc.Name)
		}
		names[sc.Name] = sc.File
	}

	applyGCPolicy(scs, 1)
	prof, err := startProfiles(*o.cpuProfile, *o.memProfile)
	if err != nil {
		return c.errorf(exitInvalid, "%v", err)
	}
	status := exitOK
	var results []*runner.Result
	var written []string // the runs' folders, for the overview page
	for _, sc := range scs {
		dir := *o.out
		if len(scs) > 1 {
			dir = filepath.Join(*o.out, sc.Name)
		}
		opts := runner.Options{Seed: *o.seed, HasSeed: c.fs.Changed("seed"), Network: network}
		if showProgress {
			opts.Progress = progressPrinter(c.stderr, sc.Name)
		}
		last := sc == scs[len(scs)-1]
		if last {
			opts.Finished = func() {
				if perr := prof.writeHeap(); perr != nil {
					c.printError(perr.Error())
				}
			}
		}
		res, err := runner.Run(sc, opts)
		if showProgress {
			fmt.Fprint(c.stderr, "\r\033[K")
		}
		if err != nil && res == nil {
			status = max(status, c.errorf(exitInvalid, "%v", err))
			continue
		}
		if err != nil {
			// The scenario asked for something impossible mid-run (a
			// broadcast from a dead node): report it as a failure.
			status = max(status, c.errorf(exitFailed, "%v", err))
		}
		if werr := writeRun(dir, res, !*o.noRender); werr != nil {
			status = max(status, c.errorf(exitInvalid, "%v", werr))
			continue
		}
		written = append(written, sc.Name)
		if last {
			if perr := prof.stop(); perr != nil {
				status = max(status, c.errorf(exitInvalid, "%v", perr))
			}
		}
		results = append(results, res)
		printSummary(c.stdout, res, dir, *o.quiet)
		if !*o.quiet {
			printPerf(c.stderr, sc.Name, res)
		}
		if len(res.Failed) > 0 {
			status = max(status, exitFailed)
		}
	}
	if *o.junit != "" {
		if err := writeJUnit(*o.junit, results); err != nil {
			status = max(status, c.errorf(exitInvalid, "--junit: %v", err))
		}
	}
	if len(scs) > 1 && !*o.noRender && len(written) > 0 {
		title := fmt.Sprintf("p2psim run: %d scenarios", len(scs))
		if err := viz.WriteOverview(*o.out, title, written); err != nil {
			status = max(status, c.errorf(exitInvalid, "overview page: %v", err))
		} else if !*o.quiet {
			fmt.Fprintf(c.stdout, "overview: %s\n", filepath.Join(*o.out, viz.IndexFile))
		}
	}
	return status
}

// writeRun writes the files of one run into dir.
func writeRun(dir string, res *runner.Result, render bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := report.Write(dir, report.ReportFile, res.Report); err != nil {
		return err
	}
	if err := report.Write(dir, report.TopologyFile, res.Topology); err != nil {
		return err
	}
	if err := report.Write(dir, report.SpreadFile, res.Spread); err != nil {
		return err
	}
	if res.Overlay != nil {
		if err := report.WriteCompact(dir, report.OverlayFile, res.Overlay); err != nil {
			return err
		}
	}
	perf, _ := json.MarshalIndent(res.Perf, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "perf.json"), append(perf, '\n'), 0o644); err != nil {
		return err
	}
	if render {
		if _, err := renderDir(dir); err != nil {
			return fmt.Errorf("rendering pictures: %w", err)
		}
	}
	return nil
}

// printSummary prints the human summary of one run.
func printSummary(w io.Writer, res *runner.Result, dir string, quiet bool) {
	r := res.Report
	s := r.Summary
	msDur := msDur
	if res.Perf.Transport == "tcp" {
		// Wall-clock times: to the millisecond is enough to read.
		msDur = func(ms float64) time.Duration {
			return time.Duration(ms * float64(time.Millisecond)).Round(time.Millisecond)
		}
	}
	if !quiet || len(res.Failed) > 0 {
		fmt.Fprintf(w, "%s (seed %d): %d nodes, %d alive at the end in %d component(s), %d links\n",
			r.Scenario, r.Seed, s.NodesTotal, s.AliveFinal, s.ComponentsFinal, s.LinksFinal)
		if s.Broadcasts > 0 {
			fmt.Fprintf(w, "  %d broadcasts: reliability min %.4f mean %.4f, RMR mean %.2f, last delivery hop max %d, %d redundant receptions\n",
				s.Broadcasts, s.ReliabilityMin, s.ReliabilityMean, s.RMRMean, s.LDHMax, s.RedundantTotal)
		}
	}
	if !quiet {
		for _, rp := range r.Repairs {
			what := rp.Kind
			if rp.Label != "" {
				what += " (" + rp.Label + ")"
			}
			if rp.RepairMS < 0 {
				fmt.Fprintf(w, "  %s at %s: not healed by the end of the run\n", what, msDur(rp.AtMS))
			} else {
				fmt.Fprintf(w, "  %s at %s: healed in %s\n", what, msDur(rp.AtMS), msDur(rp.RepairMS))
			}
		}
	}
	for _, e := range r.Expectations {
		if e.OK && quiet {
			continue
		}
		mark := "ok  "
		if !e.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s at %s: %s\n", mark, e.Name, msDur(e.AtMS), e.Detail)
	}
	if !quiet {
		fmt.Fprintf(w, "  report: %s\n", filepath.Join(dir, report.ReportFile))
	}
}

// printPerf prints the run's own speed: how much time it simulated, the
// wall-clock time the simulation itself took (not reading the file, nor
// writing reports and pictures), and the engine events per second.
func printPerf(w io.Writer, name string, res *runner.Result) {
	p := res.Perf
	if p.Transport == "tcp" {
		fmt.Fprintf(w, "%s: %.2f s wall on loopback TCP, %.2f s CPU, %d frames sent, timeline late by %.1f ms at most\n",
			name, p.WallSeconds, p.CPUSeconds, p.FramesSent, p.LateMaxMS)
		return
	}
	fmt.Fprintf(w, "%s: simulated %v in %.2f s of wall-clock time (the simulation alone): %d engine events, %.2fM events/s\n", name,
		msDur(res.Report.DurationMS), p.WallSeconds, p.EngineEvents, p.EventsPerSecond/1e6)
	if len(p.EngineEventsByKind) == 0 {
		return
	}
	fmt.Fprintf(w, "  engine events per node %.1f:", p.EngineEventsPerNode)
	shown := p.EngineEventsByKind[:min(len(p.EngineEventsByKind), perfKindsShown)]
	for i, k := range shown {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(w, "%s %s %.1f", sep, k.Kind, k.PerNode)
	}
	if rest := len(p.EngineEventsByKind) - len(shown); rest > 0 {
		fmt.Fprintf(w, " (%d more kinds in perf.json)", rest)
	}
	fmt.Fprintln(w)
}

// perfKindsShown is how many kinds of engine event the speed line's second
// line names, the most frequent first.
const perfKindsShown = 8

func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// progressPrinter returns a Progress callback that redraws one status line.
func progressPrinter(w io.Writer, name string) func(now, end time.Duration) {
	start := time.Now()
	last := time.Time{}
	return func(now, end time.Duration) {
		if time.Since(last) < 200*time.Millisecond && now < end {
			return
		}
		last = time.Now()
		pct := 100 * float64(now) / float64(max(end, 1))
		fmt.Fprintf(w, "\r\033[K%s: virtual %v of %v (%.0f%%), %.1f s wall", name, now.Truncate(time.Millisecond), end, pct, time.Since(start).Seconds())
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
