package report

import (
	"reflect"
	"strings"
)

// SummaryField is one figure of a Summary by its JSON name; the fields of a
// struct the summary points to are named PARENT.FIELD (traffic.frames).
// The index page, the comparison of runs and the sweep's table all list a
// summary through it, so a field added to Summary shows up in each.
type SummaryField struct {
	Name  string
	index []int
}

// SummaryFields lists Summary's figures in declaration order.
func SummaryFields() []SummaryField {
	var out []SummaryField
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, prefix+name+".", idx)
				continue
			}
			out = append(out, SummaryField{prefix + name, idx})
		}
	}
	walk(reflect.TypeFor[Summary](), "", nil)
	return out
}

// Value returns the field's value in s, and false when s has none: the
// field sits under a nil pointer (traffic, in a run whose links have
// neither loss nor a bandwidth limit).
func (f SummaryField) Value(s *Summary) (reflect.Value, bool) {
	v := reflect.ValueOf(s).Elem()
	for _, i := range f.index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}
