// Package replay writes replay.html, the interactive replay of a finished
// run, beside its index.html: a page that works from file:// with no
// network. A slider scrubs the whole run (the overlay at any instant,
// rebuilt from the overlay log of report.OverlayFile: links up and down,
// starts, stops, partitions; the broadcasts from report.SpreadFile), it plays as an animation, zooms and pans,
// tells about a node on hover or click, shows one broadcast spreading hop by
// hop, and draws the time series with a cursor at the slider. Drawing is
// done by sigma.js with graphology (the graph, WebGL) and uPlot (the
// series), vendored by vendor.sh and embedded here; the page's own script
// only keeps the graph in step with the slider.
//
// The libraries, the page's script and style are inlined into replay.html;
// the run's data goes to replay-data.js beside it (a script, since browsers
// refuse fetch() of file:// URLs). Runs of more than
// report.OverlayNodeLimit nodes are shown LAN by LAN, so the data stays
// bounded: about 30 bytes per link event (at most
// report.OverlayMaxLinkEvents) and per node a broadcast reached (for the
// broadcasts spread.json follows node by node).
package replay

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"

	"p2pmesh/sim/report"
)

// Files written into a run's directory.
const (
	PageFile = "replay.html"
	DataFile = "replay-data.js"
)

//go:embed vendor/*.js vendor/*.css page.html app.js app.css
var assets embed.FS

var page = template.Must(template.New("page.html").ParseFS(assets, "page.html"))

// WriteDir reads report.json, topology.json, overlay.json and spread.json
// (all but the first may be missing) from dir and writes replay.html and replay-data.js there.
func WriteDir(dir string) error {
	var r report.Report
	if err := report.Read(dir, report.ReportFile, &r); err != nil {
		return err
	}
	var t *report.Topology
	var top report.Topology
	if ok, err := readOptional(dir, report.TopologyFile, &top); err != nil {
		return err
	} else if ok {
		t = &top
	}
	var o *report.Overlay
	var ov report.Overlay
	if ok, err := readOptional(dir, report.OverlayFile, &ov); err != nil {
		return err
	} else if ok {
		o = &ov
	}
	var sp *report.Spread
	var spr report.Spread
	if ok, err := readOptional(dir, report.SpreadFile, &spr); err != nil {
		return err
	} else if ok {
		sp = &spr
	}
	return Write(dir, &r, t, o, sp)
}

// readOptional reads dir/name into v, reporting false when it is missing.
func readOptional(dir, name string, v any) (bool, error) {
	err := report.Read(dir, name, v)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Write writes replay.html and replay-data.js into dir for the run r with
// its topology t, overlay log o and spread sp (each may be nil).
func Write(dir string, r *report.Report, t *report.Topology, o *report.Overlay, sp *report.Spread) error {
	d := build(r, t, o, sp)
	var js bytes.Buffer
	js.WriteString("// The run shown by replay.html (written by p2psim).\nwindow.P2P_REPLAY = ")
	if err := json.NewEncoder(&js).Encode(d); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, DataFile), js.Bytes(), 0o644); err != nil {
		return err
	}
	var html bytes.Buffer
	if err := renderPage(&html, r.Scenario); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, PageFile), html.Bytes(), 0o644)
}

func renderPage(w *bytes.Buffer, scenario string) error {
	read := func(name string) string {
		b, err := assets.ReadFile(name)
		if err != nil {
			panic(err) // embedded: present by construction
		}
		return string(b)
	}
	return page.Execute(w, map[string]any{
		"Scenario": scenario,
		"Data":     DataFile,
		"CSS":      template.CSS(read("vendor/uPlot.min.css") + "\n" + read("app.css")),
		"Libs": []template.JS{template.JS(read("vendor/graphology.umd.min.js")), template.JS(read("vendor/sigma.min.js")),
			template.JS(read("vendor/uPlot.iife.min.js"))},
		"App": template.JS(read("app.js")),
	})
}
