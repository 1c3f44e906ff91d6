package viz

import (
	"fmt"
	"image/color"
	"io"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"p2pmesh/sim/study"
)

// The mass-failure study's picture: for each network size, against the
// percentage of nodes killed at once, the reliability of the broadcasts
// right after the failure and 30 s later, and the time the survivors took to
// be one component again and to heal completely.

const (
	studyWidth  = 1400
	studyHeight = 700
)

// sizeColors tells network sizes apart.
var sizeColors = []color.Color{okBlue, okVermilion, okGreen, okPurple, okOrange, okSky}

func massFailureImage(rows []study.Row) *vgimg.Canvas {
	img := newCanvas(studyWidth, studyHeight)
	dc := draw.New(img)
	type shape struct{ nodes, lans int }
	var sizes []shape
	for _, r := range rows {
		if sh := (shape{r.Nodes, max(r.LANs, 1)}); !slices.Contains(sizes, sh) {
			sizes = append(sizes, sh)
		}
	}
	body := pad(heading(dc, "Mass failure — nodes crash at once, the survivors heal",
		"after HyParView (DSN 2007): reliability of broadcasts and time to heal against the share of nodes killed"), 10)
	if len(rows) == 0 {
		emptyPanel(body, "Mass failure", "no runs")
		return img
	}
	rel := newPlot("Broadcast reliability among the survivors", "nodes killed at once (%)", "reliability")
	heal := newPlot("Time until the survivors have healed", "nodes killed at once (%)", "seconds after the failure")
	rel.Y.Min, rel.Y.Max = 0, 1.05
	heal.Y.Min = 0
	for _, p := range []*plot.Plot{rel, heal} {
		p.X.Min, p.X.Max = 0, 100
		p.X.Tick.Marker = niceTicks{Target: 10, Integer: true}
		p.Add(plotter.NewGrid())
		p.Legend.Left = true
		p.Legend.Top = p == heal
	}
	rel.Legend.Top = false
	never, top := 0, 0.0
	for _, r := range rows {
		top = max(top, r.RepairMS/1000, r.ConnectedMS/1000)
	}
	heal.Y.Max = max(top*1.3, 1) // room for the legend above the lines
	for k, n := range sizes {
		c := sizeColors[k%len(sizeColors)]
		var first, later, connected, healed plotter.XYs
		for _, r := range rows {
			if r.Nodes != n.nodes || max(r.LANs, 1) != n.lans {
				continue
			}
			x := float64(r.Percent)
			first = append(first, plotter.XY{X: x, Y: r.FirstReliabilityMean})
			later = append(later, plotter.XY{X: x, Y: r.LaterReliabilityMin})
			if r.ConnectedMS >= 0 {
				connected = append(connected, plotter.XY{X: x, Y: r.ConnectedMS / 1000})
			}
			if r.RepairMS >= 0 {
				healed = append(healed, plotter.XY{X: x, Y: r.RepairMS / 1000})
			} else {
				never++
			}
		}
		label := thousands(n.nodes) + " nodes"
		if n.lans > 1 {
			label += fmt.Sprintf(" on %d LANs", n.lans)
		}
		addLine(rel, first, c, false, label+": first 10 broadcasts right after (mean)")
		addLine(rel, later, c, true, label+": broadcasts 30 s later (min)")
		addLine(heal, healed, c, false, label+": fully healed")
		addLine(heal, connected, c, true, label+": one component again")
	}
	row := []*plot.Plot{rel, heal}
	cells := plot.Align([][]*plot.Plot{row}, draw.Tiles{Rows: 1, Cols: 2, PadX: px(50)}, body)
	for k, p := range row {
		p.Draw(cells[0][k])
	}
	if never > 0 {
		notice(heal.DataCanvas(cells[0][1]), fmt.Sprintf("%d run(s) never healed", never))
	}
	return img
}

// addLine adds a line with point marks to p, dashed if asked.
func addLine(p *plot.Plot, xy plotter.XYs, c color.Color, dashed bool, label string) {
	if len(xy) == 0 {
		return
	}
	l, pts, err := plotter.NewLinePoints(xy)
	if err != nil {
		return // NaN or Inf: nothing sensible to draw
	}
	l.Color, l.Width = c, px(2)
	pts.Color, pts.Radius = c, px(3.5)
	pts.Shape = draw.CircleGlyph{}
	if dashed {
		l.Dashes = []vg.Length{px(6), px(4)}
		pts.Shape = draw.BoxGlyph{}
	}
	p.Add(l, pts)
	p.Legend.Add(label, l, pts)
}

// MassFailurePNG draws the mass-failure study.
func MassFailurePNG(w io.Writer, rows []study.Row) error {
	return writePNG(w, massFailureImage(rows))
}
