package viz

import (
	"html/template"
	"io"
	"math"
	"reflect"
	"strconv"

	"p2pmesh/sim/report"
)

// maxBroadcastRows is the number of broadcasts listed in index.html.
const maxBroadcastRows = 200

// picture is an image shown on the page.
type picture struct {
	File    string // relative to the page
	Title   string
	Alt     string
	Caption string
}

// summaryRow is one line of the summary table.
type summaryRow struct {
	Key, Value, Meaning string
}

// indexPage is everything index.html shows.
type indexPage struct {
	R            *report.Report
	Expectations []report.Expectation // the failing ones first
	Summary      []summaryRow
	Passed       int
	Failed       int
	Broadcasts   []report.Broadcast
	Hidden       int // broadcasts not listed
	Topology     []picture
	Spreads      []picture         // single broadcasts
	SpreadOf     map[string]string // broadcast id -> its picture
	Charts       []picture
	DOTFiles     []string
	Notes        []string // pictures skipped, and why
	Replay       string   // the interactive replay page beside index.html, if there is one
	HasTopo      bool     // topology.json was read
	// TopoNote says why there are no topology pictures when topology.json
	// could not be used; empty when it was read.
	TopoNote string
}

// summaryMeaning explains the summary fields; fields without an entry are
// still listed.
var summaryMeaning = map[string]string{
	"broadcasts":                 "messages flooded",
	"reliability_min":            "lowest share of the running nodes a broadcast reached",
	"reliability_mean":           "mean share of the running nodes a broadcast reached",
	"reliability_reachable_min":  "lowest share of the reachable nodes (linked while the message spread) a broadcast reached",
	"reliability_reachable_mean": "mean share of the reachable nodes a broadcast reached",
	"rmr_mean":                   "mean relative message redundancy: m/(n−1) − 1, 0 = every node got the payload once",
	"ldh_max":                    "largest last delivery hop: the depth of the deepest flood",
	"transmissions_total":        "payload frames sent over all broadcasts",
	"redundant_total":            "payloads received by a node that already had them",
	"duplicate_deliveries":       "messages an application received twice (must be 0)",
	"nodes_total":                "nodes declared in the scenario",
	"alive_final":                "nodes running at the end",
	"links_final":                "links at the end",
	"components_final":           "connected components at the end (1 = one mesh)",
	"repair_ms_max":              "longest time, in ms, the mesh took to heal after a disruption (−1: one never healed)",
	"traffic.frames":             "frames sent over links",
	"traffic.bytes":              "bytes sent over links",
	"traffic.retransmitted":      "segments lost and sent again",
	"traffic.queued":             "frames that waited for a busy uplink or downlink",
	"traffic.max_queue_bytes":    "largest backlog of one node's queue, in bytes",
	"traffic.max_wait_ms":        "longest time a frame waited in a queue, in ms",
	"engine_events":              "events the protocol engines handled",
	"trace_digest":               "digest of every simulated event: equal digests mean identical runs",
}

// summaryRows lists every figure of s (report.SummaryFields), so fields
// added to report.Summary show up without a change here; figures the run
// has none of (traffic, without loss or bandwidth limits) are left out.
func summaryRows(s report.Summary) []summaryRow {
	var rows []summaryRow
	for _, f := range summaryFields(s) {
		if f.value.IsValid() {
			rows = append(rows, summaryRow{Key: f.key, Value: formatValue(f.value), Meaning: summaryMeaning[f.key]})
		}
	}
	return rows
}

// summaryField is one figure of a report.Summary, by its JSON name; value
// is the zero Value when the run has none.
type summaryField struct {
	key   string
	value reflect.Value
}

// summaryFields lists the figures of s in declaration order.
func summaryFields(s report.Summary) []summaryField {
	fields := report.SummaryFields()
	out := make([]summaryField, len(fields))
	for i, f := range fields {
		v, _ := f.Value(&s)
		out[i] = summaryField{f.Name, v}
	}
	return out
}

// formatValue writes a summary value for people: grouped integers, short
// floats.
func formatValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return thousands(int(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() > math.MaxInt64 {
			return strconv.FormatUint(v.Uint(), 10)
		}
		return thousands(int(v.Uint()))
	case reflect.Float32, reflect.Float64:
		return number(v.Float())
	case reflect.String:
		return v.String()
	}
	return strconv.Quote(v.String())
}

// number writes a float briefly: at most four significant decimals.
func number(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(math.Round(f*1e4)/1e4, 'f', -1, 64)
}

var indexTemplate = template.Must(template.New("index").Funcs(template.FuncMap{
	"num":     number,
	"secs":    seconds,
	"int":     thousands,
	"uint":    func(u uint64) string { return thousands(int(min(u, math.MaxInt64))) },
	"percent": func(f float64) string { return number(f*100) + " %" },
	"plus1":   func(i int) int { return i + 1 },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.R.Scenario}} — p2pmesh run</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1340px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.7rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #006b4f; font-weight: bold; }
.fail { color: #b34700; font-weight: bold; }
.verdict { font-size: 1.1rem; padding: 0.5rem 0.8rem; border-radius: 4px; display: inline-block; }
.verdict.ok { background: #e3f4ee; }
.verdict.fail { background: #fbe9dc; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { color: #555; font-size: 0.9rem; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(900px, 1fr)); gap: 1rem; }
.note { color: #555; font-style: italic; }
code { background: #f4f4f4; padding: 0 0.2rem; }
</style>
</head>
<body>
<h1>{{.R.Scenario}}</h1>
<p class="meta">{{if .R.Description}}{{.R.Description}}<br>{{end}}
{{if .R.File}}scenario file <code>{{.R.File}}</code> · {{end}}seed {{.R.Seed}} · {{secs .R.DurationMS}} of virtual time</p>
{{if .Replay}}<p><a href="{{.Replay}}"><b>Interactive replay</b></a>: scrub through the whole run, watch a broadcast spread.</p>{{end}}

<h2>Expectations</h2>
{{if .R.Expectations}}
<p class="verdict {{if .Failed}}fail{{else}}ok{{end}}">{{if .Failed}}{{.Failed}} of {{len .R.Expectations}} expectations failed{{else}}All {{len .R.Expectations}} expectations hold{{end}}</p>
<table>
<tr><th>result</th><th>expectation</th><th>checked at</th><th>measured</th><th>detail</th></tr>
{{range .Expectations}}<tr><td class="{{if .OK}}ok{{else}}fail{{end}}">{{if .OK}}✔ pass{{else}}✘ FAIL{{end}}</td><td>{{.Name}}</td><td class="n">{{secs .AtMS}}</td><td class="n">{{num .Value}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
{{else}}<p class="note">The scenario states no expectations.</p>{{end}}

<h2>Summary</h2>
<table>
<tr><th>field</th><th>value</th><th>meaning</th></tr>
{{range .Summary}}<tr><td><code>{{.Key}}</code></td><td class="n">{{.Value}}</td><td>{{.Meaning}}</td></tr>
{{end}}</table>

<h2>Topology</h2>
{{if .Topology}}<p>Every snapshot uses the same node positions, so pictures of one run compare side by side.
Colour says what the snapshot is about (the side of a partition, the connected component, the LAN, or the group and role), shape the role or state, size the number of links on one scale for the whole run; each legend says which. Click a picture for full size.{{if .DOTFiles}} Graphviz versions:
{{range $i, $f := .DOTFiles}}{{if $i}}, {{end}}<a href="{{$f}}">{{$f}}</a>{{end}} (positions included: <code>neato -n -Tsvg</code>).{{end}}</p>
<div class="pair">
{{range .Topology}}<figure><a href="{{.File}}"><img src="{{.File}}" alt="{{.Alt}}" loading="lazy"></a><figcaption>{{.Caption}}</figcaption></figure>
{{end}}</div>
{{else if .TopoNote}}<p class="note">{{.TopoNote}}</p>
{{else}}<p class="note">No topology pictures: the run recorded no snapshots.</p>{{end}}

{{if .Spreads}}<h2>Single broadcasts</h2>
<p>The first broadcast, the worst, and any an expectation names, drawn over the topology: colour is the hop at which a node first delivered it, lines lead to the node it first got it from.</p>
<div class="pair">
{{range .Spreads}}<figure><a href="{{.File}}"><img src="{{.File}}" alt="{{.Alt}}" loading="lazy"></a><figcaption><b>{{.Title}}</b>: {{.Caption}}</figcaption></figure>
{{end}}</div>
{{end}}
{{range .Charts}}<h2>{{.Title}}</h2>
<figure><a href="{{.File}}"><img src="{{.File}}" alt="{{.Alt}}" loading="lazy"></a><figcaption>{{.Caption}}</figcaption></figure>
{{end}}
{{if .Notes}}<h2>Notes</h2>
<ul>{{range .Notes}}<li class="note">{{.}}</li>{{end}}</ul>{{end}}

{{if .R.Repairs}}<h2>Healing</h2>
<table>
<tr><th>disruption</th><th>at</th><th>healed at</th><th>took</th></tr>
{{range .R.Repairs}}<tr><td>{{.Kind}}{{if .Label}}: {{.Label}}{{end}}</td><td class="n">{{secs .AtMS}}</td>{{if lt .RepairMS 0.0}}<td class="n fail" colspan="2">not healed by the end of the run</td>{{else}}<td class="n">{{secs .HealedAtMS}}</td><td class="n">{{num .RepairMS}} ms</td>{{end}}</tr>
{{end}}</table>
{{end}}
<h2>Broadcasts</h2>
{{if .Broadcasts}}
<table>
<tr><th>#</th><th>id</th><th>origin</th><th>sent at</th><th title="honest nodes other than the origin running when it was sent">running at send</th><th title="of those, still running at the end">still running</th><th>delivered</th><th>reliability</th><th>transmissions</th><th>redundant</th><th>RMR</th><th>LDH</th><th>latency p50 / p99 / max (ms)</th></tr>
{{range $i, $b := .Broadcasts}}<tr><td class="n">{{plus1 $i}}</td><td>{{with index $.SpreadOf $b.ID}}<a href="{{.}}"><code>{{$b.ID}}</code></a>{{else}}<code>{{$b.ID}}</code>{{end}}</td><td>{{$b.Origin}}</td><td class="n">{{secs $b.SentAtMS}}</td><td class="n">{{int $b.Running}}</td><td class="n">{{int $b.Alive}}</td><td class="n">{{int $b.Delivered}}</td><td class="n {{if lt $b.Reliability 1.0}}fail{{end}}">{{percent $b.Reliability}}</td><td class="n">{{uint $b.Transmissions}}</td><td class="n">{{uint $b.Redundant}}</td><td class="n">{{num $b.RMR}}</td><td class="n">{{$b.LDH}}</td><td class="n">{{num $b.LatencyMS.P50}} / {{num $b.LatencyMS.P99}} / {{num $b.LatencyMS.Max}}</td></tr>
{{end}}</table>
{{if .Hidden}}<p class="note">Only the first {{len .Broadcasts}} broadcasts are listed; {{int .Hidden}} more are in report.json.</p>{{end}}
{{else}}<p class="note">The run sent no broadcasts.</p>{{end}}
<p class="meta">Data: <a href="report.json">report.json</a>{{if .HasTopo}}, <a href="topology.json">topology.json</a>{{end}}.</p>
</body>
</html>
`))

// writeIndex writes the page.
func writeIndex(w io.Writer, p *indexPage) error {
	return indexTemplate.Execute(w, p)
}

// newIndexPage prepares the page for r; pictures and notes are added by
// the caller.
func newIndexPage(r *report.Report) *indexPage {
	p := &indexPage{R: r, Summary: summaryRows(r.Summary), Broadcasts: r.Broadcasts}
	if len(p.Broadcasts) > maxBroadcastRows {
		p.Hidden = len(p.Broadcasts) - maxBroadcastRows
		p.Broadcasts = p.Broadcasts[:maxBroadcastRows]
	}
	p.SpreadOf = map[string]string{}
	for _, e := range r.Expectations {
		if !e.OK {
			p.Expectations = append(p.Expectations, e)
		}
	}
	for _, e := range r.Expectations {
		if e.OK {
			p.Expectations = append(p.Expectations, e)
		}
	}
	for _, e := range r.Expectations {
		if e.OK {
			p.Passed++
		} else {
			p.Failed++
		}
	}
	return p
}
