package viz

import (
	"testing"

	"p2pmesh/sim/report"
)

func TestDegreesPNG(t *testing.T) {
	t.Parallel()
	dead := sampleReport()
	for k := range dead.Nodes {
		dead.Nodes[k].Alive = false
	}
	mixed := sampleReport()
	mixed.Nodes[1].MaxIn = 8
	one := &report.Report{Nodes: []report.Node{{Name: "solo", Alive: true}}}
	for name, r := range map[string]*report.Report{"sample": sampleReport(), "all dead": dead, "mixed limits": mixed, "one node": one, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			quickCase(t, name)
			a := tableChart(t, name, "degrees", DegreesPNG, r)
			if name == "sample" {
				checkRich(t, decodePNG(t, a))
			}
		})
	}
}

func TestDegreesColours(t *testing.T) {
	t.Parallel()
	img := decodePNG(t, sampleChart(t, "degrees", DegreesPNG))
	if countColour(img, okBlue) < 1000 || countColour(img, okOrange) < 1000 {
		t.Error("the incoming or outgoing histogram is missing")
	}
}

func TestMean(t *testing.T) {
	t.Parallel()
	if mean(nil) != 0 || mean([]float64{1, 2, 6}) != 3 {
		t.Error("mean")
	}
}
