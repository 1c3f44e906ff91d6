package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"

	"p2pmesh/sim/runner"
)

// JUnit XML, the test report format that GitLab, Jenkins and GitHub test
// reporters read: one test suite per scenario, one test case per
// expectation; a failed expectation is a <failure> that says the measured
// value. The element and attribute names follow the JUnit schema
// (testdata/junit.xsd).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// seconds formats a duration in seconds as JUnit wants it.
func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// junitReport turns finished runs into JUnit test suites.
func junitReport(results []*runner.Result) junitSuites {
	all := junitSuites{Name: "p2psim"}
	var wall float64
	for _, res := range results {
		r := res.Report
		s := junitSuite{Name: r.Scenario, Time: seconds(res.Perf.WallSeconds)}
		transport := res.Perf.Transport
		if transport == "" {
			transport = "sim"
		}
		s.Properties = []junitProperty{
			{"file", r.File}, {"seed", strconv.FormatUint(r.Seed, 10)},
			{"transport", transport}, {"simulated_ms", strconv.FormatFloat(r.DurationMS, 'f', -1, 64)},
		}
		for _, e := range r.Expectations {
			c := junitCase{Name: e.Name, Classname: "p2psim." + r.Scenario, Time: "0"}
			if !e.OK {
				s.Failures++
				c.Failure = &junitFailure{
					Message: e.Detail,
					Type:    "expectation",
					Text: fmt.Sprintf("scenario %s (%s, seed %d): expectation %q failed at %s\nmeasured value: %s\n%s\n",
						r.Scenario, r.File, r.Seed, e.Name, msDur(e.AtMS), strconv.FormatFloat(e.Value, 'g', 6, 64), e.Detail),
				}
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		all.Tests += s.Tests
		all.Failures += s.Failures
		wall += res.Perf.WallSeconds
		all.Suites = append(all.Suites, s)
	}
	all.Time = seconds(wall)
	return all
}

// writeJUnit writes the JUnit XML of the runs to path.
func writeJUnit(path string, results []*runner.Result) error {
	b, err := xml.MarshalIndent(junitReport(results), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}
