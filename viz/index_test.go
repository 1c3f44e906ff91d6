package viz

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"p2pmesh/sim/report"
)

// voidElements have no end tag.
var voidElements = map[string]bool{"meta": true, "img": true, "br": true, "link": true, "hr": true, "input": true}

// checkHTML tokenizes page and checks that it is well formed (every element
// closed in order) and self-contained: no scripts, no style sheets or
// fonts from elsewhere, only relative links. It returns the src of every
// img, with its alt text.
func checkHTML(t *testing.T, page string) map[string]string {
	t.Helper()
	if _, err := html.Parse(strings.NewReader(page)); err != nil {
		t.Fatalf("page does not parse: %v", err)
	}
	imgs := map[string]string{}
	var open []string
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenizer: %v", z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			if tok.Data == "script" || tok.Data == "link" || tok.Data == "iframe" {
				t.Errorf("page has a <%s> element", tok.Data)
			}
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
				if (a.Key == "src" || a.Key == "href") && (strings.Contains(a.Val, "://") || strings.HasPrefix(a.Val, "/")) {
					t.Errorf("<%s %s=%q> points outside the directory", tok.Data, a.Key, a.Val)
				}
			}
			if tok.Data == "img" {
				if attrs["alt"] == "" {
					t.Errorf("<img src=%q> has no alt text", attrs["src"])
				}
				imgs[attrs["src"]] = attrs["alt"]
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				open = append(open, tok.Data)
			}
		case html.EndTagToken:
			if len(open) == 0 || open[len(open)-1] != tok.Data {
				t.Fatalf("</%s> closes %v", tok.Data, open)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		t.Errorf("elements left open: %v", open)
	}
	if strings.Contains(page, "@import") || strings.Contains(page, "url(") {
		t.Error("the style sheet loads something")
	}
	return imgs
}

func TestSummaryRowsListEveryField(t *testing.T) {
	t.Parallel()
	s := report.Summary{Broadcasts: 1234, ReliabilityMean: 0.98765, TraceDigest: "abc", Traffic: &report.Traffic{}}
	rows := summaryRows(s)
	fields := report.SummaryFields()
	if len(rows) != len(fields) {
		t.Fatalf("%d rows for %d fields", len(rows), len(fields))
	}
	for i, row := range rows {
		if row.Key != fields[i].Name {
			t.Errorf("row %d is %q, want %q", i, row.Key, fields[i].Name)
		}
	}
	// Fields added to report.Summary later are listed without an
	// explanation; an explanation of a field that is gone is a mistake.
	for key := range summaryMeaning {
		if !slices.ContainsFunc(rows, func(r summaryRow) bool { return r.Key == key }) {
			t.Errorf("explanation of %s, which report.Summary lacks", key)
		}
	}
	byKey := map[string]string{}
	for _, r := range rows {
		byKey[r.Key] = r.Value
	}
	if byKey["broadcasts"] != "1,234" || byKey["reliability_mean"] != "0.9877" || byKey["trace_digest"] != "abc" {
		t.Errorf("values %v", byKey)
	}
}

func TestIndexPage(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	for k := range 250 {
		r.Broadcasts = append(r.Broadcasts, report.Broadcast{ID: fmt.Sprintf("extra#%d", k), Reliability: 1})
	}
	p := newIndexPage(r)
	p.HasTopo = true
	p.Topology = []picture{{File: "topology-start.png", Alt: "start"}, {File: "topology-end.png", Alt: "end"}}
	p.DOTFiles = []string{"topology-start.dot", "topology-end.dot"}
	p.Charts = []picture{{File: "timeseries.png", Title: "Over time", Alt: "series"}}
	p.Notes = []string{"degrees.png was not drawn: <boom>"}
	r.Repairs = []report.Repair{{Kind: "kill", Label: "5 nodes", AtMS: 30000, HealedAtMS: 31250, RepairMS: 1250}, {Kind: "heal", Label: "east", AtMS: 40000, HealedAtMS: -1, RepairMS: -1}}
	var buf bytes.Buffer
	if err := writeIndex(&buf, p); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	imgs := checkHTML(t, page)
	for _, f := range []string{"topology-start.png", "topology-end.png", "timeseries.png"} {
		if _, ok := imgs[f]; !ok {
			t.Errorf("no <img> of %s", f)
		}
	}
	for _, want := range []string{
		"<h1>sample</h1>", "a &lt;synthetic&gt; run", // escaped
		"1 of 2 expectations failed", "✘ FAIL", "✔ pass", "n7#7 reached 80%",
		"topology-start.dot", "reliability_min", "trace_digest",
		"Only the first 200 broadcasts are listed; 62 more", "&lt;boom&gt;",
		"kill: 5 nodes", "1250 ms", "not healed by the end of the run",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<code>extra#"); n != 200-12 {
		t.Errorf("%d extra broadcasts listed, want %d", n, 200-12)
	}
}

func TestIndexPageEmptyRun(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := writeIndex(&buf, newIndexPage(&report.Report{})); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	checkHTML(t, page)
	for _, want := range []string{"no expectations", "no broadcasts", "no snapshots"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// Without a usable topology.json the page says why there are no topology
// pictures, once, and not that the run recorded no snapshots.
func TestIndexPageSaysWhyNoTopology(t *testing.T) {
	t.Parallel()
	p := newIndexPage(&report.Report{})
	p.TopoNote = "No topology pictures: topology.json is missing."
	var buf bytes.Buffer
	if err := writeIndex(&buf, p); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Count(page, "topology.json is missing") != 1 || strings.Contains(page, "recorded no snapshots") {
		t.Errorf("the page does not say plainly why there are no topology pictures")
	}
}

// The failing expectations come first, and a broadcast with a picture of
// its own is linked from the table.
func TestIndexPageOrderAndLinks(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	slices.Reverse(r.Expectations) // the passing one first
	p := newIndexPage(r)
	p.SpreadOf["n7#7"] = "broadcast-n7-7.png"
	var buf bytes.Buffer
	if err := writeIndex(&buf, p); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	checkHTML(t, page)
	if i, j := strings.Index(page, "✘ FAIL"), strings.Index(page, "✔ pass"); i < 0 || j < 0 || i > j {
		t.Error("the failing expectation is not listed first")
	}
	if !strings.Contains(page, `<a href="broadcast-n7-7.png"><code>n7#7</code></a>`) {
		t.Error("the broadcasts table does not link the broadcast's picture")
	}
}

// The summary table lists nested figures by their own names (traffic.frames)
// and leaves them out of a run that has none; no row shows a Go value.
func TestSummaryRowsFlattenTraffic(t *testing.T) {
	t.Parallel()
	keys := func(s report.Summary) map[string]string {
		m := map[string]string{}
		for _, r := range summaryRows(s) {
			if strings.Contains(r.Value, "Value") || strings.Contains(r.Value, "<") {
				t.Errorf("row %s shows %q", r.Key, r.Value)
			}
			m[r.Key] = r.Value
		}
		return m
	}
	with := keys(report.Summary{Traffic: &report.Traffic{Frames: 1234}})
	if with["traffic.frames"] != "1,234" {
		t.Errorf("traffic.frames = %q, want 1,234", with["traffic.frames"])
	}
	if _, ok := keys(report.Summary{})["traffic.frames"]; ok {
		t.Error("a run without traffic lists traffic.frames")
	}
}
