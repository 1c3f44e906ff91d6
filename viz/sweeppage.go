package viz

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"p2pmesh/sim/sweep"
)

// A sweep's folder: its pictures and an index.html with the verdict, a
// table of every measure per combination of parameters, the failed points
// and the pictures.

// SweepPicture is one picture of a sweep: Param is the parameter's path,
// Label how the picture names it (sweep.Result.ColumnLabel).
type SweepPicture struct {
	File, Measure, Param, Label string
}

// RenderSweep draws the pictures of a sweep into dir (each chosen measure
// against each swept parameter, one line per value of the next parameter)
// and writes dir/index.html.
func RenderSweep(dir string, r *sweep.Result) ([]SweepPicture, error) {
	var pics []SweepPicture
	_, constant := r.Shown()
	if len(r.Columns) > 0 {
		measures, _ := r.Shown()
		// Against numeric parameters first: a line over their values says
		// more than a few categories side by side.
		order := make([]int, len(r.Columns))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return boolRank(numericColumn(r, b)) - boolRank(numericColumn(r, a)) })
		for _, m := range measures {
			for _, x := range order {
				lines := -1
				if len(r.Columns) > 1 {
					lines = (x + 1) % len(r.Columns)
					if x > 0 {
						lines = 0 // the first parameter keeps its lines
					}
				}
				name := fileSafe(m) + "-vs-" + fileSafe(r.Columns[x]) + ".png"
				var buf bytes.Buffer
				if err := SweepPNG(&buf, r, m, x, lines); err != nil {
					return nil, err
				}
				if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
					return nil, err
				}
				pics = append(pics, SweepPicture{File: name, Measure: m, Param: r.Columns[x], Label: r.ColumnLabel(x)})
			}
		}
	}
	var buf bytes.Buffer
	if err := sweepTemplate.Execute(&buf, sweepPage{R: r, Pictures: pics, Table: sweepTable(r), Constant: constant}); err != nil {
		return nil, err
	}
	return pics, os.WriteFile(filepath.Join(dir, "index.html"), buf.Bytes(), 0o644)
}

// fileSafe turns a measure or parameter name into part of a file name:
// "expect.reliability >= 1" becomes "expect.reliability_1".
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// numericColumn reports whether every value of column c is a number.
func numericColumn(r *sweep.Result, c int) bool {
	for _, row := range r.Rows {
		if _, err := strconv.ParseFloat(strings.TrimSuffix(row.Values[c], "%"), 64); err != nil {
			return false
		}
	}
	return true
}

func fileSafe(s string) string {
	var b strings.Builder
	sep := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.':
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(c)
			sep = false
		case c == '[' || c == ']':
		default:
			sep = true
		}
	}
	return b.String()
}

type sweepPage struct {
	R        *sweep.Result
	Pictures []SweepPicture
	Table    [][]string
	Constant []string
}

// sweepTable is the page's table: a header row, then one row per
// combination of parameters.
func sweepTable(r *sweep.Result) [][]string {
	measures, _ := r.Shown()
	by := make([]int, len(r.Columns))
	for i := range by {
		by[i] = i
	}
	head := append(append([]string(nil), r.Columns...), "runs")
	head = append(head, measures...)
	out := [][]string{head}
	var groups [][]sweep.Spread
	for _, m := range measures {
		groups = append(groups, r.Spreads(m, by))
	}
	if len(groups) == 0 {
		return out
	}
	for g, s := range groups[0] {
		row := append(append([]string(nil), s.Values...), fmt.Sprint(s.N+s.Missing+s.Never))
		for i := range measures {
			sp := groups[i][g]
			switch {
			case sp.N == 0 && sp.Never > 0:
				row = append(row, "never")
			case sp.N == 0:
				row = append(row, "—")
			case sp.Min == sp.Max:
				row = append(row, number(sp.Mean))
			default:
				row = append(row, fmt.Sprintf("%s (%s–%s)", number(sp.Mean), number(sp.Min), number(sp.Max)))
			}
			if sp.Never > 0 && sp.N > 0 {
				row[len(row)-1] += fmt.Sprintf(", %d never", sp.Never)
			}
		}
		out = append(out, row)
	}
	return out
}

var sweepTemplate = template.Must(template.New("sweep").Funcs(template.FuncMap{
	"failed": func(r *sweep.Result) int { return r.Failed() },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.R.Name}} — p2pmesh sweep</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.88rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; vertical-align: top; font-variant-numeric: tabular-nums; }
td { white-space: nowrap; }
th { background: #f4f4f4; }
.ok { color: #006b4f; font-weight: bold; }
.fail { color: #b34700; font-weight: bold; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
</style>
</head>
<body>
<h1>Sweep {{.R.Name}}</h1>
<p>{{len .R.Rows}} run(s){{if .R.Shard}} (shard {{.R.Shard}} of {{.R.Points}} points){{end}} over {{len .R.Seeds}} seed(s);
{{with failed .R}}<span class="fail">{{.}} failed</span>{{else}}<span class="ok">every run held its expectations</span>{{end}}.
Data: <a href="sweep.csv">sweep.csv</a>, <a href="sweep.json">sweep.json</a>; each run's report under <a href="runs/">runs/</a>.</p>
{{with failed .R}}<h2>Failed runs</h2>
<table><tr><th>run</th><th>status</th><th>what</th></tr>
{{range $.R.Rows}}{{if ne .Status "ok"}}<tr><td><a href="{{.Dir}}/report.json">{{.Dir}}</a></td><td class="fail">{{.Status}}</td><td style="text-align:left; white-space: normal">{{.Error}}</td></tr>
{{end}}{{end}}</table>{{end}}
<h2>Measures</h2>
<p>Mean over the seeds, and (min–max) where they differ.{{with .Constant}} The same in every run: {{range $i, $c := .}}{{if $i}}, {{end}}{{$c}}{{end}}.{{end}}</p>
<table>{{range $i, $row := .Table}}<tr>{{range $row}}{{if eq $i 0}}<th>{{.}}</th>{{else}}<td>{{.}}</td>{{end}}{{end}}</tr>
{{end}}</table>
{{range .Pictures}}<figure><a href="{{.File}}"><img src="{{.File}}" alt="{{.Measure}} against {{.Label}}"></a></figure>
{{end}}
</body>
</html>
`))
