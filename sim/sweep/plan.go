package sweep

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"p2pmesh/sim/scenario"
)

// Point is one run of a sweep: a value for each parameter and a seed.
type Point struct {
	Index  int      // position in the cross product
	Values []string // one per Spec.Columns()
	Seed   uint64
}

// Points returns the cross product of the bases, parameter values and
// seeds; the seed varies fastest, then the last parameter.
func (s *Spec) Points() []Point {
	dims := [][]string{}
	if len(s.Bases) > 1 {
		var names []string
		for _, b := range s.Bases {
			names = append(names, b.Name)
		}
		dims = append(dims, names)
	}
	for _, p := range s.Params {
		dims = append(dims, p.Values)
	}
	var out []Point
	var walk func(prefix []string)
	walk = func(prefix []string) {
		if len(prefix) == len(dims) {
			for _, seed := range s.Seeds {
				out = append(out, Point{Index: len(out), Values: append([]string(nil), prefix...), Seed: seed})
			}
			return
		}
		for _, v := range dims[len(prefix)] {
			walk(append(prefix, v))
		}
	}
	walk(nil)
	return out
}

// Key names the point by its parameters and seed; it does not depend on
// the order of the points, so a point keeps its shard when values are
// added to a sweep.
func (s *Spec) Key(pt Point) string {
	var b strings.Builder
	for i, c := range s.Columns() {
		fmt.Fprintf(&b, "%s=%s\x00", c, pt.Values[i])
	}
	b.WriteString("seed=" + strconv.FormatUint(pt.Seed, 10))
	return b.String()
}

// Shard is the I-th (1-based) of N shares of a sweep's points.
type Shard struct{ I, N int }

// JobIndexEnv is the environment variable in which a Kubernetes Indexed
// Job gives each pod its completion index, from 0.
const JobIndexEnv = "JOB_COMPLETION_INDEX"

// ParseShard reads "I/N", or "job/N": the shard of a Kubernetes Indexed
// Job's pod, $JOB_COMPLETION_INDEX + 1 (getenv reads the environment).
func ParseShard(text string, getenv func(string) string) (Shard, error) {
	a, b, ok := strings.Cut(text, "/")
	if a == "job" {
		idx := getenv(JobIndexEnv)
		k, err := strconv.Atoi(idx)
		if err != nil || k < 0 {
			return Shard{}, fmt.Errorf("--shard %q: $%s is %q, not a completion index (0, 1, ...): job/N is for the pods of a Kubernetes Indexed Job", text, JobIndexEnv, idx)
		}
		a = strconv.Itoa(k + 1)
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: want I/N with 1 <= I <= N, such as 2/8, or job/N (got shard %s)", text, a)
	}
	return Shard{i, n}, nil
}

// Has reports whether the point belongs to the shard: by a hash of its key,
// so the same point always lands in the same shard.
func (sh Shard) Has(s *Spec, pt Point) bool {
	if sh.N <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(s.Key(pt)))
	return int(h.Sum64()%uint64(sh.N)) == sh.I-1
}

// String formats the shard as "I/N".
func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.I, sh.N) }

// overrides returns the scenario overrides of a point and the base it runs.
func (s *Spec) overrides(pt Point) (Base, []scenario.Override) {
	base := s.Bases[0]
	vals := pt.Values
	if len(s.Bases) > 1 {
		for _, b := range s.Bases {
			if b.Name == vals[0] {
				base = b
			}
		}
		vals = vals[1:]
	}
	var out []scenario.Override
	for i, p := range s.Params {
		out = append(out, scenario.Override{Path: p.Path, Value: vals[i]})
	}
	return base, out
}

// Scenario parses the scenario of a point.
func (s *Spec) Scenario(pt Point) (*scenario.Scenario, error) {
	base, ovs := s.overrides(pt)
	return scenario.ParseWith(base.File, base.Data, ovs)
}

// Validate checks the spec and parses the scenario of every combination of
// parameter values, so that a bad value is reported (at file:line:col)
// before anything runs.
func (s *Spec) Validate() error {
	if len(s.Bases) == 0 {
		return errors.New("a sweep needs a scenario")
	}
	if len(s.Seeds) == 0 {
		return errors.New("a sweep needs seeds (--seeds 1-10, or seeds: in the sweep file)")
	}
	seen := map[string]bool{ScenarioParam: len(s.Bases) > 1}
	for _, p := range s.Params {
		if p.Path == "seed" {
			return errors.New("seed is not swept with --set (every run's seed comes from --seeds): use --seeds " + strings.Join(p.Values, ","))
		}
		if seen[p.Path] {
			return fmt.Errorf("%s is swept twice", p.Path)
		}
		seen[p.Path] = true
	}
	var errs []error
	reported := map[string]bool{}
	for _, pt := range s.Points() {
		if pt.Seed != s.Seeds[0] {
			continue
		}
		if _, err := s.Scenario(pt); err != nil && !reported[err.Error()] {
			reported[err.Error()] = true
			base, ovs := s.overrides(pt)
			var with []string
			for _, o := range ovs {
				with = append(with, o.String())
			}
			if len(with) > 0 {
				err = fmt.Errorf("%s with %s:\n%w", base.File, strings.Join(with, " "), err)
			}
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && len(s.Measures) > 0 {
		// The measures a run will have: the summary's fields and the
		// expectations of every swept scenario.
		known := (&Result{}).MeasureNames()
		for _, pt := range s.Points() {
			if sc, err := s.Scenario(pt); err == nil {
				for _, e := range sc.Expect {
					if !slices.Contains(known, ExpectPrefix+e.Name) {
						known = append(known, ExpectPrefix+e.Name)
					}
				}
			}
			if pt.Seed != s.Seeds[0] || len(known) > 200 {
				break
			}
		}
		for _, m := range s.Measures {
			if !slices.Contains(known, m) {
				errs = append(errs, fmt.Errorf("measure %q: no run has it (the measures are %s)", m, strings.Join(known, ", ")))
			}
		}
	}
	return errors.Join(errs...)
}
