package viz

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"

	"p2pmesh/sim/report"
)

// OverviewRow is one run on an overview page: where its files are (a
// folder relative to the page) and its report.
type OverviewRow struct {
	Dir    string
	Report *report.Report
	// Failed names the expectations that did not hold.
	Failed []string
	// Replay is set when the run's folder has the interactive replay.
	Replay bool
}

// ReadOverview reads the report.json of each folder sub of dir, for an
// overview page in dir.
func ReadOverview(dir string, subs []string) ([]OverviewRow, error) {
	var rows []OverviewRow
	for _, sub := range subs {
		var r report.Report
		if err := report.Read(filepath.Join(dir, sub), report.ReportFile, &r); err != nil {
			return nil, err
		}
		row := OverviewRow{Dir: filepath.ToSlash(sub), Report: &r}
		for _, e := range r.Expectations {
			if !e.OK {
				row.Failed = append(row.Failed, e.Name)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, sub, ReplayFile)); err == nil {
			row.Replay = true
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// WriteOverview writes dir/index.html: a table of the runs in the folders
// subs of dir, each with its verdict and key figures and links to its own
// page and replay.
func WriteOverview(dir, title string, subs []string) error {
	rows, err := ReadOverview(dir, subs)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	failed := 0
	for _, r := range rows {
		if len(r.Failed) > 0 {
			failed++
		}
	}
	if err := overviewPage.Execute(&buf, map[string]any{"Title": title, "Rows": rows, "Failed": failed}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, IndexFile), buf.Bytes(), 0o644)
}

var overviewPage = template.Must(template.New("overview").Funcs(template.FuncMap{
	"secs": seconds,
	"num":  number,
	"int":  thousands,
	"repair": func(ms float64) string {
		if ms < 0 {
			return "never healed"
		}
		if ms == 0 {
			return "–"
		}
		return seconds(ms)
	},
	"pct": func(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 78rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e3e3e3; text-align: right; vertical-align: top; }
th:nth-child(-n+2), td:first-child, td.l { text-align: left; }
td:first-child { white-space: nowrap; }
th { background: #f4f4f4; font-weight: 600; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #c62828; font-weight: 600; }
small { color: #666; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{len .Rows}} run(s){{if .Failed}}, <span class="fail">{{.Failed}} with failing expectations</span>{{else}}, <span class="pass">every expectation holds</span>{{end}}.
Failing runs come first. Click a scenario for its report and pictures.</p>
<table>
<tr><th>scenario</th><th>verdict</th><th>nodes</th><th>running at the end</th><th>components</th><th>broadcasts</th><th>reliability min</th><th>RMR mean</th><th>last hop max</th><th>longest repair</th><th>replay</th></tr>
{{range .Rows}}{{if .Failed}}{{template "row" .}}{{end}}{{end}}{{range .Rows}}{{if not .Failed}}{{template "row" .}}{{end}}{{end}}
</table>
</body>
</html>
{{define "row"}}{{$s := .Report.Summary}}<tr>
<td><a href="{{.Dir}}/index.html">{{.Report.Scenario}}</a><br><small>seed {{.Report.Seed}} · {{secs .Report.DurationMS}}</small></td>
<td class="l">{{if .Failed}}<span class="fail">FAIL</span>{{range .Failed}}<br><small>{{.}}</small>{{end}}{{else}}<span class="pass">pass</span>{{end}}</td>
<td>{{int $s.NodesTotal}}</td><td>{{int $s.AliveFinal}}</td><td>{{$s.ComponentsFinal}}</td><td>{{$s.Broadcasts}}</td>
<td>{{if $s.Broadcasts}}{{pct $s.ReliabilityMin}}{{else}}–{{end}}</td><td>{{if $s.Broadcasts}}{{num $s.RMRMean}}{{else}}–{{end}}</td><td>{{if $s.Broadcasts}}{{$s.LDHMax}}{{else}}–{{end}}</td>
<td>{{repair $s.RepairMSMax}}</td>
<td>{{if .Replay}}<a href="{{.Dir}}/replay.html">replay</a>{{else}}–{{end}}</td>
</tr>
{{end}}`))
