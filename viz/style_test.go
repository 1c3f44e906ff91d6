package viz

import (
	"bytes"
	"image/color"
	"testing"

	"gonum.org/v1/plot/vg/draw"
)

func TestPaletteDistinct(t *testing.T) {
	t.Parallel()
	cols := []color.RGBA{okBlack, okOrange, okSky, okGreen, okBlue, okVermilion, okPurple, grey, lightGrey, white}
	for i, a := range cols {
		for _, b := range cols[i+1:] {
			if a == b {
				t.Errorf("colour %v used twice", a)
			}
		}
	}
	// Every group colour differs from the others and from the marks of
	// nodes that are not running; every role has its own marker.
	all := append([]color.RGBA{otherColour, killedStyle.color, notStartedStyle.color}, groupPalette...)
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a == b {
				t.Errorf("colour %v used twice", a)
			}
		}
	}
	for i := range numRoles {
		for j := i + 1; j < numRoles; j++ {
			if roleShape[i].shape == roleShape[j].shape {
				t.Errorf("%s and %s look alike", roleShape[i].name, roleShape[j].name)
			}
		}
	}
}

func TestCanvasSize(t *testing.T) {
	t.Parallel()
	c := newCanvas(1000, 700)
	b := c.Image().Bounds()
	if b.Dx() != 1000 || b.Dy() != 700 {
		t.Errorf("canvas %v, want 1000×700", b)
	}
}

func TestHeadingAndNotice(t *testing.T) {
	t.Parallel()
	c := newCanvas(900, 700)
	dc := draw.New(c)
	rest := heading(dc, "Title", "second line")
	if rest.Max.Y >= dc.Max.Y || rest.Min.Y != dc.Min.Y {
		t.Errorf("heading left %v of %v", rest.Rectangle, dc.Rectangle)
	}
	emptyPanel(rest, "Panel", "nothing to draw")
	var buf bytes.Buffer
	if err := writePNG(&buf, c); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, buf.Bytes())
}
