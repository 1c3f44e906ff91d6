package sweep

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Spread is one measure over the seeds (and any parameters not held
// fixed) of a group of points.
type Spread struct {
	Values         []string // the values of the columns held fixed
	Min, Mean, Max float64
	N              int // points with a value
	Missing        int // points without one (a run that failed to start)
	Never          int // points whose repair time is -1: never healed
}

// Never reports whether v is a repair time meaning "never healed".
func Never(measure string, v float64) bool {
	return v < 0 && strings.Contains(measure, "repair_ms")
}

// Spreads groups the rows by the values of the given columns (indices into
// Columns) and returns the measure's spread in each group, in the order the
// groups first appear.
func (r *Result) Spreads(measure string, by []int) []Spread {
	var out []Spread
	index := map[string]int{}
	for _, row := range r.Rows {
		vals := make([]string, len(by))
		for i, c := range by {
			vals[i] = row.Values[c]
		}
		key := strings.Join(vals, "\x00")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, Spread{Values: vals, Min: math.Inf(1), Max: math.Inf(-1)})
		}
		s := &out[i]
		v, ok := row.Measure(measure)
		if !ok || math.IsNaN(v) {
			s.Missing++
			continue
		}
		if Never(measure, v) {
			s.Never++
			continue
		}
		s.Min, s.Max = min(s.Min, v), max(s.Max, v)
		s.Mean += v
		s.N++
	}
	for i := range out {
		if out[i].N > 0 {
			out[i].Mean /= float64(out[i].N)
		} else {
			out[i].Min, out[i].Max = math.NaN(), math.NaN()
		}
	}
	return out
}

// PlotMeasures returns the measures chosen for pictures and tables: the
// spec's measures, or every numeric measure.
func (r *Result) PlotMeasures() []string {
	if len(r.Measures) > 0 {
		return r.Measures
	}
	return r.MeasureNames()
}

// Shown splits the chosen measures into those that vary between the runs,
// worth a picture and a column, and those the same in every run (named
// with their value); measures no run has are left out. Measures chosen
// explicitly are always shown.
func (r *Result) Shown() (varying, constant []string) {
	if len(r.Measures) > 0 {
		return r.Measures, nil
	}
	for _, m := range r.MeasureNames() {
		first, same, any := 0.0, true, false
		for _, row := range r.Rows {
			v, ok := row.Measure(m)
			if !ok {
				continue
			}
			if !any {
				first, any = v, true
			} else if v != first {
				same = false
				break
			}
		}
		switch {
		case !any:
			// No run has it (traffic, without loss or bandwidth limits).
		case same && len(r.Rows) > 1:
			constant = append(constant, m+" = "+num(first))
		default:
			varying = append(varying, m)
		}
	}
	return varying, constant
}

// CheckMeasures reports measures that no row has.
func (r *Result) CheckMeasures() error {
	all := r.MeasureNames()
	for _, m := range r.Measures {
		if !slices.Contains(all, m) {
			return fmt.Errorf("measure %q is not in the results (there are %s)", m, strings.Join(all, ", "))
		}
	}
	return nil
}

// Markdown tabulates the chosen measures for each combination of
// parameters: mean and, when the seeds disagree, the range over seeds.
func (r *Result) Markdown() string {
	var b strings.Builder
	measures, constant := r.Shown()
	if len(constant) > 0 {
		b.WriteString("The same in every run: " + strings.Join(constant, ", ") + ".\n\n")
	}
	by := make([]int, len(r.Columns))
	for i := range by {
		by[i] = i
	}
	spreads := make([][]Spread, len(measures))
	for i, m := range measures {
		spreads[i] = r.Spreads(m, by)
	}
	head := append(append([]string(nil), r.Columns...), "runs", "failed")
	for _, m := range measures {
		head = append(head, m+" mean (min–max)")
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	b.WriteString(strings.Repeat("---:|", len(head)) + "\n")
	failed := map[string]int{}
	for _, row := range r.Rows {
		if row.Status != StatusOK {
			failed[strings.Join(row.Values, "\x00")]++
		}
	}
	if len(spreads) == 0 {
		return b.String()
	}
	for g, s := range spreads[0] {
		cells := append([]string(nil), s.Values...)
		cells = append(cells, fmt.Sprint(s.N+s.Missing+s.Never), fmt.Sprint(failed[strings.Join(s.Values, "\x00")]))
		for i := range measures {
			cells = append(cells, formatSpread(spreads[i][g]))
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

func formatSpread(s Spread) string {
	never := ""
	if s.Never > 0 {
		never = fmt.Sprintf(", %d never", s.Never)
	}
	if s.N == 0 {
		if s.Never > 0 {
			return "never"
		}
		return "—"
	}
	if never != "" {
		return fmt.Sprintf("%s (%s–%s%s)", num(s.Mean), num(s.Min), num(s.Max), never)
	}
	if s.Min == s.Max {
		return num(s.Mean)
	}
	return fmt.Sprintf("%s (%s–%s)", num(s.Mean), num(s.Min), num(s.Max))
}

// num formats a figure as people read it: integers as integers, others to
// four significant digits.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}
