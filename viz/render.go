package viz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"p2pmesh/sim/report"
)

// File names written by RenderDir besides the per-snapshot ones.
const (
	RedundancyFile = "redundancy.png"
	TimeSeriesFile = "timeseries.png"
	DegreesFile    = "degrees.png"
	IndexFile      = "index.html"
	// ReplayFile is the interactive replay (package viz/replay), linked
	// from index.html when it is there.
	ReplayFile = "replay.html"
)

// RenderDir reads report.json and topology.json from dir and writes the
// pictures of the run next to them: topology-<snapshot>.png and
// topology-<snapshot>.dot for every snapshot, broadcast-<id>.png for the
// broadcasts chosen to be seen one by one (when spread.json is there),
// lans.png (runs on several LANs), timeseries.png, redundancy.png,
// degrees.png, latency.png (with spread.json), and index.html, a
// self-contained page that shows them with the summary, the expectations
// and the broadcasts. It returns the paths of the files written, in that
// order.
//
// A missing topology.json only drops the topology pictures; a picture that
// cannot be drawn is left out and index.html says why. Errors reading
// report.json or writing files are returned.
func RenderDir(dir string) ([]string, error) {
	var r report.Report
	if err := report.Read(dir, report.ReportFile, &r); err != nil {
		return nil, err
	}
	page := newIndexPage(&r)
	if _, err := os.Stat(filepath.Join(dir, ReplayFile)); err == nil {
		page.Replay = ReplayFile
	}
	var written []string
	save := func(name string, draw func(io.Writer) error) (bool, error) {
		var buf bytes.Buffer
		if err := guard(func() error { return draw(&buf) }); err != nil {
			page.Notes = append(page.Notes, fmt.Sprintf("%s was not drawn: %v", name, err))
			return false, nil
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return false, err
		}
		written = append(written, path)
		return true, nil
	}

	var sp *report.Spread
	switch err := report.Read(dir, report.SpreadFile, &sp); {
	case errors.Is(err, fs.ErrNotExist):
		sp = nil
	case err != nil:
		page.Notes = append(page.Notes, fmt.Sprintf("No pictures of single broadcasts: %v", err))
		sp = nil
	}

	var t report.Topology
	switch err := report.Read(dir, report.TopologyFile, &t); {
	case errors.Is(err, fs.ErrNotExist):
		page.TopoNote = "No topology pictures: " + report.TopologyFile + " is missing."
	case err != nil:
		page.TopoNote = fmt.Sprintf("No topology pictures: %v", err)
	default:
		page.HasTopo = true
		var l *Layout
		if err := guard(func() error { l = NewLayout(&t); return nil }); err != nil {
			page.Notes = append(page.Notes, fmt.Sprintf("No topology pictures: the layout failed: %v", err))
			break
		}
		for k, base := range snapshotFiles(&t) {
			s := &t.Snapshots[k]
			ok, err := save(base+".png", func(w io.Writer) error { return TopologyPNG(w, &t, l, k) })
			if err != nil {
				return written, err
			}
			if ok {
				v := newSnapshotView(&t, l, k)
				page.Topology = append(page.Topology, picture{File: base + ".png",
					Alt:     fmt.Sprintf("The overlay at snapshot %s: %s", s.Name, strings.Join(v.title()[1:], "; ")),
					Caption: fmt.Sprintf("Snapshot “%s” at t = %s.", s.Name, seconds(s.AtMS))})
			}
			ok, err = save(base+".dot", func(w io.Writer) error { return DOT(w, &t, l, k) })
			if err != nil {
				return written, err
			}
			if ok {
				page.DOTFiles = append(page.DOTFiles, base+".dot")
			}
		}
		if sp != nil {
			if ids := followed(sp); len(ids) < len(r.Broadcasts) && len(ids) > 0 {
				which := ""
				if len(ids) <= 10 {
					which = " (" + strings.Join(ids, ", ") + ")"
				}
				page.Notes = append(page.Notes, fmt.Sprintf("The simulator followed %d of the %d broadcasts node by node%s: within its budget of node entries it follows each; beyond it, it keeps the first and those that did worst so far, and takes on each new one. Pictures of single broadcasts are drawn for those followed.", len(ids), len(r.Broadcasts), which))
			}
			for _, sb := range chooseBroadcasts(&r) {
				k := sb.index
				if k >= len(sp.Broadcasts) || len(sp.Broadcasts[k].Hop) == 0 {
					page.Notes = append(page.Notes, fmt.Sprintf("Broadcast %s (%s) was not followed node by node: the run is too large.", r.Broadcasts[k].ID, sb.why))
					continue
				}
				b := &r.Broadcasts[k]
				file := broadcastFile(b, k)
				ok, err := save(file, func(w io.Writer) error { return BroadcastPNG(w, &t, l, &r, k, &sp.Broadcasts[k], sb.why) })
				if err != nil {
					return written, err
				}
				if ok {
					page.SpreadOf[b.ID] = file
					page.Spreads = append(page.Spreads, picture{File: file, Title: fmt.Sprintf("%s (%s)", b.ID, sb.why),
						Alt:     fmt.Sprintf("Broadcast %s over the topology: nodes coloured by hop, the first-arrival tree, missed nodes marked", b.ID),
						Caption: fmt.Sprintf("Broadcast %s from %s at t = %s, the %s: nodes coloured by the hop at which they first delivered it, each linked to the node it first got it from; × marks a node that was owed it and never got it.", b.ID, b.Origin, seconds(b.SentAtMS), sb.why)})
				}
			}
		}
		if last := len(t.Snapshots) - 1; last >= 0 && segments(&t) > 1 {
			ok, err := save(LANsFile, func(w io.Writer) error { return LANsPNG(w, &t, last) })
			if err != nil {
				return written, err
			}
			if ok {
				s := &t.Snapshots[last]
				page.Topology = append(page.Topology, picture{File: LANsFile,
					Alt:     fmt.Sprintf("The LANs at snapshot %s: one disc per LAN, lines weighted by the links between LANs", s.Name),
					Caption: fmt.Sprintf("The LANs at snapshot “%s”: one disc per LAN, one line per pair of LANs linked, as wide as their links are many; coloured as the topology pictures (by component when the mesh is split, else by LAN).", s.Name)})
			}
		}
	}

	charts := []struct {
		file, title, alt, caption string
		draw                      func(io.Writer, *report.Report) error
	}{
		{TimeSeriesFile, "Over time", "Running nodes, links, connected components and broadcast reliability against virtual time, with the run's events as vertical lines",
			"Running nodes, links, connected components and reliability against virtual time; dashed lines mark kills, leaves, restarts, partitions and heals, dotted ones the snapshots.", TimeSeriesPNG},
		{RedundancyFile, "Redundancy", "Payload transmissions, ideal and redundant receptions per broadcast; RMR and last delivery hop per broadcast; histogram of redundant receptions per node",
			"Top: payload frames per broadcast against the ideal of one per receiver. Middle: relative message redundancy and last delivery hop. Bottom: redundant receptions per node.", RedundancyPNG},
		{DegreesFile, "Links per node", "Histograms of incoming and outgoing links of the nodes alive at the end, with the link limits",
			"Incoming and outgoing links of every node alive at the end of the run; the dashed line is the configured limit.", DegreesPNG},
	}
	if r.Summary.Traffic != nil {
		charts = append(charts, networkChart)
	}
	for _, c := range charts {
		ok, err := save(c.file, func(w io.Writer) error { return c.draw(w, &r) })
		if err != nil {
			return written, err
		}
		if ok {
			page.Charts = append(page.Charts, picture{File: c.file, Title: c.title, Alt: c.alt, Caption: c.caption})
		}
	}

	if sp != nil {
		ok, err := save(LatencyFile, func(w io.Writer) error { return LatencyPNG(w, &r, sp) })
		if err != nil {
			return written, err
		}
		if ok {
			page.Charts = append(page.Charts, picture{File: LatencyFile, Title: "Delivery latency",
				Alt:     "Cumulative distribution of delivery latency, one line per broadcast",
				Caption: "The share of each broadcast's deliveries made within a given time of the send: one faint line per broadcast, the median bold, the worst in red."})
		}
	}

	var buf bytes.Buffer
	if err := writeIndex(&buf, page); err != nil {
		return written, err
	}
	path := filepath.Join(dir, IndexFile)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return written, err
	}
	return append(written, path), nil
}

// followed lists the broadcasts sp follows node by node.
func followed(sp *report.Spread) []string {
	var out []string
	for _, b := range sp.Broadcasts {
		if len(b.Hop) > 0 {
			out = append(out, b.ID)
		}
	}
	return out
}

// segments counts the LAN segments of t.
func segments(t *report.Topology) int {
	seen := map[string]bool{}
	for _, n := range t.Nodes {
		seen[n.Segment] = true
	}
	return len(seen)
}

// guard runs f and turns a panic into an error, so that one picture that
// cannot be drawn does not take the others down.
func guard(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("internal error: %v", v)
		}
	}()
	return f()
}

// snapshotFiles is the base file name of every snapshot's pictures:
// topology-<name>, with the name reduced to letters, digits, '-', '_' and
// '.', and made unique.
func snapshotFiles(t *report.Topology) []string {
	out := make([]string, len(t.Snapshots))
	used := map[string]bool{}
	for k, s := range t.Snapshots {
		base := "topology-" + slug(s.Name, k)
		for n := 2; used[base]; n++ {
			base = fmt.Sprintf("topology-%s-%d", slug(s.Name, k), n)
		}
		used[base] = true
		out[k] = base
	}
	return out
}

// slug makes a file-name-safe version of a snapshot name.
func slug(name string, k int) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-.")
	if s == "" {
		return fmt.Sprintf("snapshot%d", k+1)
	}
	return s
}
