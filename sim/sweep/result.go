package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"p2pmesh/sim/report"
)

// File names in a sweep's folder.
const (
	CSVFile  = "sweep.csv"
	JSONFile = "sweep.json"
	RunsDir  = "runs"
)

// Point statuses.
const (
	StatusOK     = "ok"     // every expectation held
	StatusFailed = "failed" // an expectation failed
	StatusError  = "error"  // the run could not be made or finished
)

// Row is the outcome of one point.
type Row struct {
	Index  int      `json:"index"`
	Values []string `json:"values"`
	Seed   uint64   `json:"seed"`
	Status string   `json:"status"`
	// Error says what failed: the failed expectations, or the error.
	Error string `json:"error,omitempty"`
	// Dir is the run's folder, relative to the sweep's.
	Dir string `json:"dir"`
	// Summary is the run's report summary; nil when the run had none.
	Summary *report.Summary `json:"summary,omitempty"`
	// Expect holds the value each expectation measured, in the scenario's
	// order.
	Expect []Measured `json:"expect,omitempty"`
}

// Measured is an expectation's measured value.
type Measured struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Result is the content of sweep.json.
type Result struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"` // the parameters of each point
	Params  []Param  `json:"params"`
	Bases   []string `json:"scenarios"`
	Seeds   []uint64 `json:"seeds"`
	// Measures chosen for pictures and tables (empty: all).
	Measures []string `json:"measures,omitempty"`
	// Points is the size of the whole sweep; Shard the share of it this
	// folder holds ("" for all of it, or after a merge).
	Points int    `json:"points"`
	Shard  string `json:"shard,omitempty"`
	Rows   []Row  `json:"rows"`
}

// NewResult starts the result of spec's sweep.
func NewResult(spec *Spec, shard Shard) *Result {
	r := &Result{Name: spec.Name, Columns: spec.Columns(), Params: slices.Clone(spec.Params), Seeds: spec.Seeds,
		Measures: spec.Measures, Points: len(spec.Points())}
	for i := range r.Params {
		if r.Params[i].Label == "" {
			r.Params[i].Label = DefaultLabel(r.Params[i].Path, spec.Bases)
		}
	}
	for _, b := range spec.Bases {
		r.Bases = append(r.Bases, b.Name)
	}
	if shard.N > 1 {
		r.Shard = shard.String()
	}
	return r
}

// ColumnLabel is how pictures name column c: its parameter's label (the
// sweep file's `labels`, else DefaultLabel; sweep.json files written
// before labels read the path without timeline times).
func (r *Result) ColumnLabel(c int) string {
	name := r.Columns[c]
	for _, p := range r.Params {
		if p.Path == name {
			if p.Label != "" {
				return p.Label
			}
			return DefaultLabel(name, nil)
		}
	}
	return name
}

// Failed counts the points that failed or could not run.
func (r *Result) Failed() int {
	n := 0
	for _, row := range r.Rows {
		if row.Status != StatusOK {
			n++
		}
	}
	return n
}

// summaryValue formats a field of s; "" when it is under a nil pointer
// (traffic, in a run without loss or bandwidth limits).
func summaryValue(s *report.Summary, f report.SummaryField) string {
	v, ok := f.Value(s)
	if !ok {
		return ""
	}
	switch v.Kind() {
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	}
	return fmt.Sprint(v.Interface())
}

// ExpectPrefix marks an expectation's measured value among the measures.
const ExpectPrefix = "expect."

// expectNames lists the expectations of all rows, in the order first seen.
func (r *Result) expectNames() []string {
	var out []string
	for _, row := range r.Rows {
		for _, m := range row.Expect {
			if !slices.Contains(out, m.Name) {
				out = append(out, m.Name)
			}
		}
	}
	return out
}

// Measure returns a row's value of a measure (a summary field or
// expect.NAME), and whether it has one.
func (row *Row) Measure(name string) (float64, bool) {
	if e, ok := strings.CutPrefix(name, ExpectPrefix); ok {
		for _, m := range row.Expect {
			if m.Name == e {
				return m.Value, true
			}
		}
		return 0, false
	}
	if row.Summary == nil {
		return 0, false
	}
	for _, f := range report.SummaryFields() {
		if f.Name == name {
			v, err := strconv.ParseFloat(summaryValue(row.Summary, f), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// MeasureNames lists the numeric measures of the result: the summary's
// fields (all but the trace digest) and each expectation's value.
func (r *Result) MeasureNames() []string {
	var out []string
	for _, f := range report.SummaryFields() {
		if f.Name != "trace_digest" {
			out = append(out, f.Name)
		}
	}
	for _, e := range r.expectNames() {
		out = append(out, ExpectPrefix+e)
	}
	return out
}

// CSV renders sweep.csv: one row per point in the sweep's order, with its
// parameters, seed, status, every summary field and every expectation's
// measured value. It holds no wall-clock figures, so the same sweep gives
// the same bytes however it was run.
func (r *Result) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	fields := report.SummaryFields()
	exps := r.expectNames()
	head := append(append([]string(nil), r.Columns...), "seed", "status", "error", "dir")
	for _, f := range fields {
		head = append(head, f.Name)
	}
	for _, e := range exps {
		head = append(head, ExpectPrefix+e)
	}
	w.Write(head)
	for _, row := range r.Rows {
		rec := append(append([]string(nil), row.Values...), strconv.FormatUint(row.Seed, 10), row.Status, row.Error, row.Dir)
		for _, f := range fields {
			if row.Summary == nil {
				rec = append(rec, "")
			} else {
				rec = append(rec, summaryValue(row.Summary, f))
			}
		}
		for _, e := range exps {
			if v, ok := row.Measure(ExpectPrefix + e); ok {
				rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
			} else {
				rec = append(rec, "")
			}
		}
		w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

// Write writes sweep.csv and sweep.json into dir.
func (r *Result) Write(dir string) error {
	slices.SortFunc(r.Rows, func(a, b Row) int { return a.Index - b.Index })
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, CSVFile), r.CSV(), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, JSONFile), append(b, '\n'), 0o644)
}

// ReadResult reads dir/sweep.json.
func ReadResult(dir string) (*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, JSONFile), err)
	}
	return &r, nil
}

// Merge joins the results of a sweep's shards. They must be shares of the
// same sweep, and hold every point exactly once.
func Merge(parts []*Result, dirs []string) (*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	first := parts[0]
	plan := func(r *Result) string {
		b, _ := json.Marshal([]any{r.Name, r.Columns, r.Params, r.Bases, r.Seeds, r.Points})
		return string(b)
	}
	out := *first
	out.Shard, out.Rows = "", nil
	owner := map[int]string{}
	for i, p := range parts {
		if plan(p) != plan(first) {
			return nil, fmt.Errorf("%s is not a share of the same sweep as %s (its scenarios, parameters or seeds differ)", dirs[i], dirs[0])
		}
		for _, row := range p.Rows {
			if other, dup := owner[row.Index]; dup {
				return nil, fmt.Errorf("point %d (%s) is in both %s and %s", row.Index, row.Dir, other, dirs[i])
			}
			owner[row.Index] = dirs[i]
			out.Rows = append(out.Rows, row)
		}
	}
	if len(out.Rows) != out.Points {
		var missing []string
		for i := 0; i < out.Points && len(missing) < 5; i++ {
			if _, ok := owner[i]; !ok {
				missing = append(missing, strconv.Itoa(i))
			}
		}
		return nil, fmt.Errorf("the folders hold %d of the sweep's %d points (missing points such as %s: is a shard absent?)",
			len(out.Rows), out.Points, strings.Join(missing, ", "))
	}
	slices.SortFunc(out.Rows, func(a, b Row) int { return a.Index - b.Index })
	return &out, nil
}

// CopyRuns copies the runs' reports of the shard folders dirs (whose
// results are parts) into out/runs, unless a folder is out itself.
func CopyRuns(dirs []string, parts []*Result, out string) error {
	for i, d := range dirs {
		if same, _ := sameDir(d, out); same {
			continue
		}
		for _, row := range parts[i].Rows {
			src := filepath.Join(d, row.Dir, report.ReportFile)
			b, err := os.ReadFile(src)
			if err != nil {
				if os.IsNotExist(err) && row.Status == StatusError {
					continue // a run that never started has no report
				}
				return err
			}
			dst := filepath.Join(out, row.Dir)
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dst, report.ReportFile), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func sameDir(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, nil
	}
	return os.SameFile(sa, sb), nil
}
