package viz

import (
	"bytes"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/report"
	"p2pmesh/sim/sweep"
)

// sweepFixture is a 2 x 2 sweep over 3 seeds whose links grow with max_in
// and are higher in tree mode, spread by the seed.
func sweepFixture() *sweep.Result {
	r := &sweep.Result{Name: "fixture", Columns: []string{"node.max_in", "node.mode"}, Seeds: []uint64{1, 2, 3}}
	i := 0
	for _, in := range []string{"4", "8"} {
		for k, mode := range []string{"flood", "tree"} {
			for s := range 3 {
				links := 100 + 10*len(in)*(1+k) + s
				if in == "8" {
					links += 50
				}
				r.Rows = append(r.Rows, sweep.Row{Index: i, Values: []string{in, mode}, Seed: uint64(s + 1), Status: sweep.StatusOK,
					Summary: &report.Summary{LinksFinal: links, RepairMSMax: -1}})
				i++
			}
		}
	}
	r.Points = i
	return r
}

// Drawing is slow under the race detector (seconds per picture), so the
// picture tests are long tests; TestSweepTable is the quick check.
func TestSweepPictureDrawsOneLinePerValue(t *testing.T) {
	t.Parallel()
	longtest.Skip(t)
	var buf bytes.Buffer
	if err := SweepPNG(&buf, sweepFixture(), "links_final", 0, 1); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, buf.Bytes())
	count := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			count[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 0xff}]++
		}
	}
	for _, c := range []color.RGBA{okBlue, okVermilion} {
		if count[c] < 50 {
			t.Errorf("colour %v drawn on %d pixels: want a line per mode", c, count[c])
		}
	}
	// A measure no run has (every repair -1: never healed) says so.
	buf.Reset()
	if err := SweepPNG(&buf, sweepFixture(), "repair_ms_max", 0, 1); err != nil {
		t.Fatal(err)
	}
}

func TestRenderSweepWritesPage(t *testing.T) {
	t.Parallel()
	longtest.Skip(t)
	dir := t.TempDir()
	pics, err := RenderSweep(dir, sweepFixture())
	if err != nil {
		t.Fatal(err)
	}
	// links_final varies, the other summary fields are constant and get
	// no picture; repair_ms_max (-1 everywhere) is constant too.
	if len(pics) != 2 || pics[0].File != "links_final-vs-node.max_in.png" {
		t.Fatalf("pictures %+v, want links_final against each parameter", pics)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<img src="links_final-vs-node.mode.png"`, "The same in every run: broadcasts = 0", "every run held its expectations"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}

func TestSweepTable(t *testing.T) {
	t.Parallel()
	r := sweepFixture()
	r.Rows[0].Summary.RepairMSMax = 2500 // one run healed, the others never
	table := sweepTable(r)
	want := [][]string{
		{"node.max_in", "node.mode", "runs", "links_final", "repair_ms_max"},
		{"4", "flood", "3", "111 (110–112)", "2500, 2 never"},
		{"4", "tree", "3", "121 (120–122)", "never"},
	}
	for i, row := range want {
		if strings.Join(table[i], "|") != strings.Join(row, "|") {
			t.Errorf("row %d: %q, want %q", i, table[i], row)
		}
	}
	if len(table) != 5 {
		t.Errorf("%d rows, want a header and 4", len(table))
	}
	if fileSafe("expect.reliability >= 1") != "expect.reliability_1" || fileSafe("timeline[3].kill.percent") != "timeline3.kill.percent" {
		t.Error("fileSafe")
	}
}
