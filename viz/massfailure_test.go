package viz

import (
	"bytes"
	"testing"

	"p2pmesh/internal/longtest"

	"p2pmesh/sim/study"
)

func studyRows() []study.Row {
	var rows []study.Row
	for _, n := range []int{1000, 10000} {
		for p := 10; p <= 90; p += 10 {
			rel := 1.0
			if p > 60 {
				rel = 1 - float64(p-60)/40
			}
			rows = append(rows, study.Row{Nodes: n, Percent: p, Survivors: n - n*p/100,
				FirstReliabilityMean: rel, FirstReliabilityMin: rel, ConnectedMS: float64(p * 40),
				RepairMS: 4000 + float64(p*10), LaterReliabilityMin: 1, ComponentsFinal: 1})
		}
	}
	rows[len(rows)-1].RepairMS = -1 // one run never healed
	return rows
}

func TestMassFailurePNG(t *testing.T) {
	t.Parallel()
	for name, rows := range map[string][]study.Row{"study": studyRows(), "empty": nil} {
		t.Run(name, func(t *testing.T) {
			if name != "study" {
				longtest.Skip(t)
			}
			a := renderDeterministic(t, func(b *bytes.Buffer) error { return MassFailurePNG(b, rows) })
			img := decodePNG(t, a)
			if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w < 800 || h < 600 {
				t.Errorf("picture is %d×%d, want at least 800×600", w, h)
			}
			if name == "study" {
				checkRich(t, img)
				// One colour per network size, in both panels.
				if b, v := countColour(img, okBlue), countColour(img, okVermilion); b < 100 || v < 100 {
					t.Logf("blue %d, vermilion %d pixels", b, v)
					t.Error("a network size is missing from the picture")
				}
			}
		})
	}
}
