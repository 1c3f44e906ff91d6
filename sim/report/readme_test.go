package report

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// jsonKeys are the JSON names of t's fields.
func jsonKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

var (
	bullet   = regexp.MustCompile(`(?m)^\* ([^\n]*(?:\n  [^\n]*)*)`)
	codeName = regexp.MustCompile("`([a-z][a-z0-9_]*)`")
)

// The README's list of report.json fields names every field of every
// object, and nothing that is not one.
func TestREADMEListsEveryReportField(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "`report.json` fields that other tools may rely on")
	end := strings.Index(text, "`spread.json` holds")
	if start < 0 || end < start {
		t.Fatal("README: the report field list is not where expected")
	}
	list := text[start:end]
	objects := []struct {
		label string // how the bullet starts
		typ   reflect.Type
		also  []reflect.Type // nested objects the bullet lists too
	}{
		{"top level:", reflect.TypeFor[Report](), nil},
		{"each node:", reflect.TypeFor[Node](), []reflect.Type{reflect.TypeFor[Traffic]()}},
		{"each broadcast:", reflect.TypeFor[Broadcast](), []reflect.Type{reflect.TypeFor[Latency]()}},
		{"`summary`:", reflect.TypeFor[Summary](), nil},
		{"each expectation:", reflect.TypeFor[Expectation](), nil},
		{"each repair", reflect.TypeFor[Repair](), nil},
		{"each sample of `series`:", reflect.TypeFor[Sample](), nil},
		{"each event:", reflect.TypeFor[Event](), nil},
		{"each of `snapshots`:", reflect.TypeFor[SnapshotRef](), nil},
	}
	for _, o := range objects {
		var text string
		for _, m := range bullet.FindAllStringSubmatch(list, -1) {
			if strings.HasPrefix(m[1], o.label) {
				text = m[1]
			}
		}
		if text == "" {
			t.Errorf("README: no bullet %q for %s", o.label, o.typ.Name())
			continue
		}
		want := jsonKeys(o.typ)
		known := slices.Clone(want)
		for _, n := range o.also {
			known = append(known, jsonKeys(n)...)
		}
		var named []string
		for _, m := range codeName.FindAllStringSubmatch(text, -1) {
			named = append(named, m[1])
		}
		for _, k := range want {
			if !slices.Contains(named, k) {
				t.Errorf("README, %s: %s lacks the field %q", o.label, o.typ.Name(), k)
			}
		}
		for _, n := range named {
			if !slices.Contains(known, n) && n != "series" && n != "snapshots" && n != "summary" {
				t.Errorf("README, %s: %q is not a field of %s", o.label, n, o.typ.Name())
			}
		}
	}
}
