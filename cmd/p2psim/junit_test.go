package main

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// junitRules is testdata/junit.xsd in short: the children each element may
// have, and its required attributes. checkJUnit applies it when xmllint is
// not installed to validate against the schema itself.
var junitRules = map[string]struct {
	children []string
	required []string
}{
	"testsuites": {children: []string{"testsuite"}},
	"testsuite":  {children: []string{"properties", "testcase", "system-out", "system-err"}, required: []string{"name", "tests"}},
	"properties": {children: []string{"property"}},
	"property":   {required: []string{"name", "value"}},
	"testcase":   {children: []string{"skipped", "error", "failure", "system-out", "system-err"}, required: []string{"name"}},
	"failure":    {},
}

// checkJUnit checks the structure of a JUnit file element by element.
func checkJUnit(t *testing.T, data []byte) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(data)))
	var stack []string
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			name := e.Name.Local
			rule, known := junitRules[name]
			if !known {
				t.Errorf("element <%s> is not in the JUnit schema", name)
			}
			if len(stack) == 0 && name != "testsuites" {
				t.Errorf("root element <%s>, want <testsuites>", name)
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				ok := false
				for _, c := range junitRules[parent].children {
					ok = ok || c == name
				}
				if !ok {
					t.Errorf("<%s> inside <%s>", name, parent)
				}
			}
			for _, req := range rule.required {
				found := false
				for _, a := range e.Attr {
					found = found || a.Name.Local == req
				}
				if !found {
					t.Errorf("<%s> lacks its required attribute %s", name, req)
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// A run of two scenarios, one with a failing expectation, gives a JUnit
// file that validates against the schema and holds exactly one failure,
// which says the measured value.
func TestJUnitReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "junit.xml")
	code, out, errs := run(t, "run", "../../scenarios/quickstart.yaml", "testdata/failing.yaml", "--no-render", "--out", dir, "--junit", path)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkJUnit(t, data)
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		if b, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", path).CombinedOutput(); err != nil {
			t.Errorf("xmllint: %v\n%s", err, b)
		}
	} else {
		t.Log("xmllint not installed (Debian: libxml2-utils): structure checked without the schema")
	}

	var got junitSuites
	if err := xml.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Suites) != 2 || got.Suites[0].Name != "quickstart" || got.Suites[1].Name != "failing" {
		t.Fatalf("suites %+v, want quickstart and failing", got.Suites)
	}
	if got.Tests != 6 || got.Failures != 1 || got.Suites[0].Tests != 5 || got.Suites[0].Failures != 0 || got.Suites[1].Failures != 1 {
		t.Errorf("counts: %d tests, %d failures; suites %d/%d and %d/%d", got.Tests, got.Failures,
			got.Suites[0].Tests, got.Suites[0].Failures, got.Suites[1].Tests, got.Suites[1].Failures)
	}
	var failures []*junitFailure
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures = append(failures, c.Failure)
			}
		}
	}
	if len(failures) != 1 {
		t.Fatalf("%d failures, want 1", len(failures))
	}
	f := failures[0]
	if !strings.Contains(f.Message, "running nodes = 3") || !strings.Contains(f.Text, "measured value: 3") {
		t.Errorf("the failure does not say the measured value: %+v", f)
	}
}
