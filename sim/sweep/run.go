package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"p2pmesh/sim/report"
	"p2pmesh/sim/runner"
)

// Options control a sweep's run.
type Options struct {
	// Dir is the sweep's folder; each point's report.json goes to
	// Dir/runs/POINT/.
	Dir string
	// Workers is how many points run at once (0: one per core). Each is
	// one goroutine with its own simulator.
	Workers int
	Shard   Shard
	// Progress, if set, is called after each point (from one goroutine at
	// a time) with the points done and failed so far, of total, and the
	// time since the start.
	Progress func(done, failed, total int, elapsed time.Duration)
}

// Run plays the points of spec that belong to the shard, opts.Workers at a
// time. A point that fails (an expectation, or an error) is recorded in its
// row and the sweep goes on; Run's error is for the sweep itself (a report
// that cannot be written).
func Run(spec *Spec, opts Options) (*Result, error) {
	res := NewResult(spec, opts.Shard)
	var todo []Point
	for _, pt := range spec.Points() {
		if opts.Shard.Has(spec, pt) {
			todo = append(todo, pt)
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = max(1, min(workers, len(todo)))
	start := time.Now()
	jobs := make(chan Point)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pt := range jobs {
				row, err := runPoint(spec, pt, opts.Dir)
				mu.Lock()
				res.Rows = append(res.Rows, row)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if opts.Progress != nil {
					opts.Progress(len(res.Rows), res.Failed(), len(todo), time.Since(start))
				}
				mu.Unlock()
			}
		}()
	}
	for _, pt := range todo {
		jobs <- pt
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := res.Write(opts.Dir); err != nil {
		return nil, err
	}
	return res, nil
}

// PointDir names a point's folder: its parameter values and seed.
func (s *Spec) PointDir(pt Point) string {
	var parts []string
	for i, c := range s.Columns() {
		if c == ScenarioParam {
			parts = append(parts, pt.Values[i])
			continue
		}
		parts = append(parts, c+"="+pt.Values[i])
	}
	parts = append(parts, fmt.Sprintf("seed=%d", pt.Seed))
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._=,-", r):
			return r
		case r == '[' || r == ']':
			return -1
		}
		return '_'
	}, strings.Join(parts, ","))
	return filepath.Join(RunsDir, name)
}

// runPoint plays one point and writes its report. The error is for a
// report that cannot be written; a run's own failure goes into the row.
func runPoint(spec *Spec, pt Point, dir string) (Row, error) {
	row := Row{Index: pt.Index, Values: pt.Values, Seed: pt.Seed, Dir: filepath.ToSlash(spec.PointDir(pt))}
	sc, err := spec.Scenario(pt)
	if err != nil {
		row.Status, row.Error = StatusError, oneLine(err.Error())
		return row, nil
	}
	out, err := runner.Run(sc, runner.Options{Seed: pt.Seed, HasSeed: true})
	if out == nil {
		row.Status, row.Error = StatusError, oneLine(err.Error())
		return row, nil
	}
	r := out.Report
	summary := r.Summary // a copy: the row must not keep the whole report alive
	row.Summary = &summary
	for _, e := range r.Expectations {
		row.Expect = append(row.Expect, Measured{Name: e.Name, Value: e.Value})
	}
	var failed []string
	for _, e := range out.Failed {
		failed = append(failed, e.Name+": "+e.Detail)
	}
	switch {
	case err != nil:
		row.Status, row.Error = StatusError, oneLine(err.Error())
	case len(failed) > 0:
		row.Status, row.Error = StatusFailed, strings.Join(failed, "; ")
	default:
		row.Status = StatusOK
	}
	if werr := os.MkdirAll(filepath.Join(dir, row.Dir), 0o755); werr != nil {
		return row, werr
	}
	if werr := report.Write(filepath.Join(dir, row.Dir), report.ReportFile, r); werr != nil {
		return row, werr
	}
	return row, nil
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }
