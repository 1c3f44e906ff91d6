package viz

import (
	"bytes"
	"fmt"
	"testing"

	"gonum.org/v1/plot/vg"

	"p2pmesh/sim/report"
)

func TestTimeSeriesPNG(t *testing.T) {
	t.Parallel()
	noSeries := sampleReport()
	noSeries.Series = nil
	noRel := sampleReport()
	for k := range noRel.Series {
		noRel.Series[k].Reliability = nil
	}
	oneSample := sampleReport()
	oneSample.Series = oneSample.Series[:1]
	busy := sampleReport()
	for k := range 120 {
		busy.Events = append(busy.Events, report.Event{AtMS: float64(k) * 400, Kind: []string{"kill", "restart", "leave"}[k%3], Label: fmt.Sprintf("%d nodes", k%4+1)})
	}
	dead := sampleReport()
	for k := range dead.Series {
		dead.Series[k].Alive, dead.Series[k].Links, dead.Series[k].Components = 0, 0, 0
	}
	for name, r := range map[string]*report.Report{"sample": sampleReport(), "no series": noSeries, "no reliability": noRel,
		"one sample": oneSample, "busy": busy, "all dead": dead, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			quickCase(t, name)
			a := tableChart(t, name, "timeseries", TimeSeriesPNG, r)
			if name == "sample" {
				checkRich(t, decodePNG(t, a))
			}
		})
	}
}

func TestTimeSeriesMarksEvents(t *testing.T) {
	t.Parallel()
	img := decodePNG(t, sampleChart(t, "timeseries", TimeSeriesPNG))
	// Every kind of event in the sample has its coloured lines.
	for _, kind := range []string{"kill", "partition", "heal", "start"} {
		c := eventColor(kind)
		if n := countColour(img, rgba(c)); n < 100 {
			t.Errorf("%s: only %d pixels of its colour", kind, n)
		}
	}
	if eventColor("broadcast") != nil {
		t.Error("broadcasts are marked: there are too many")
	}
}

func TestMarkedEventsInTimeOrder(t *testing.T) {
	t.Parallel()
	r := &report.Report{Events: []report.Event{
		{AtMS: 5, Kind: "heal"}, {AtMS: 1, Kind: "broadcast"}, {AtMS: 2, Kind: "kill"}, {AtMS: 2, Kind: "partition"}, {AtMS: 0, Kind: "start"},
	}}
	var got []string
	for _, e := range markedEvents(r) {
		got = append(got, e.Kind)
	}
	if fmt.Sprint(got) != "[start kill partition heal]" {
		t.Errorf("events %v", got)
	}
}

func TestPlaceLabels(t *testing.T) {
	t.Parallel()
	x := func(s float64) vg.Length { return vg.Length(s) * px(10) }
	var evs []report.Event
	for k := range 10 {
		evs = append(evs, report.Event{AtMS: float64(k) * 1000, Kind: "kill", Label: "100 nodes"})
	}
	// Labels 10 px apart need more rows than there are: some are dropped.
	labels, rows, dropped := placeLabels(evs, x, px(2000))
	if rows != maxLabelRows || dropped == 0 || len(labels)+dropped != len(evs) {
		t.Errorf("%d labels in %d rows, %d dropped", len(labels), rows, dropped)
	}
	for i, a := range labels {
		for _, b := range labels[i+1:] {
			if a.row == b.row && b.x < a.x+textStyle(sans, 10, okBlack).Width(a.text) {
				t.Errorf("labels %q and %q overlap", a.text, b.text)
			}
		}
	}
	// Far apart, they share one row.
	wide := func(s float64) vg.Length { return vg.Length(s) * px(200) }
	if _, rows, dropped := placeLabels(evs[:4], wide, px(2000)); rows != 1 || dropped != 0 {
		t.Errorf("%d rows, %d dropped for labels far apart", rows, dropped)
	}
}

func TestTimeExtent(t *testing.T) {
	t.Parallel()
	if got := timeExtent(&report.Report{}); got != 1 {
		t.Errorf("empty run: %v", got)
	}
	r := &report.Report{DurationMS: 1000, Events: []report.Event{{AtMS: 3000}}, Series: []report.Sample{{AtMS: 2000}}}
	if got := timeExtent(r); got != 3 {
		t.Errorf("extent %v, want 3 s", got)
	}
}

func BenchmarkTimeSeries(b *testing.B) {
	r := sampleReport()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := TimeSeriesPNG(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
}
