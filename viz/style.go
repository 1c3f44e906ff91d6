package viz

import (
	"bufio"
	"image/color"
	"image/png"
	"io"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the resolution of every picture: sizes below are in pixels and
// converted with px.
const dpi = 96

// px converts pixels to drawing units.
func px(n float64) vg.Length { return vg.Length(n) * vg.Inch / dpi }

// Fonts: Liberation Sans, which gonum/plot embeds, so pictures do not depend
// on the fonts of the machine.
var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// The Okabe–Ito palette, distinguishable with the common colour-vision
// deficiencies.
var (
	okBlack     = color.RGBA{0x00, 0x00, 0x00, 0xff}
	okOrange    = color.RGBA{0xe6, 0x9f, 0x00, 0xff}
	okSky       = color.RGBA{0x56, 0xb4, 0xe9, 0xff}
	okGreen     = color.RGBA{0x00, 0x9e, 0x73, 0xff}
	okYellow    = color.RGBA{0xf0, 0xe4, 0x42, 0xff}
	okBlue      = color.RGBA{0x00, 0x72, 0xb2, 0xff}
	okVermilion = color.RGBA{0xd5, 0x5e, 0x00, 0xff}
	okPurple    = color.RGBA{0xcc, 0x79, 0xa7, 0xff}
	grey        = color.RGBA{0x99, 0x99, 0x99, 0xff}
	lightGrey   = color.RGBA{0xc8, 0xc8, 0xc8, 0xff}
	white       = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// textStyle is plain text of the given size and colour.
func textStyle(f font.Font, size float64, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(f, vg.Points(size)), Handler: plot.DefaultTextHandler}
}

// newPlot returns a plot with the house style: sans-serif text sized for
// pictures about a thousand pixels wide, light grid-free axes.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansBold, 13)
	p.Title.Padding = px(8)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 12)
		a.Tick.Label.Font = font.From(sans, 10.5)
		a.Padding = px(4)
	}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.TextStyle.Font = font.From(sans, 10.5)
	p.Legend.Top = true
	return p
}

// newCanvas returns a white w×h pixel canvas.
func newCanvas(w, h int) *vgimg.Canvas {
	return vgimg.NewWith(vgimg.UseWH(px(float64(w)), px(float64(h))), vgimg.UseDPI(dpi))
}

// pngCompression is how hard writePNG compresses: the default for what users
// get. The package's tests store the pictures uncompressed (TestMain): under
// the race detector, filtering and compressing cost more than drawing them
// (about half of the tests' CPU time), and the pixels every check reads are
// the same at any level.
var pngCompression = png.DefaultCompression

// writePNG encodes c as PNG to w.
func writePNG(w io.Writer, c *vgimg.Canvas) error {
	bw := bufio.NewWriter(w)
	enc := png.Encoder{CompressionLevel: pngCompression}
	if err := enc.Encode(bw, c.Image()); err != nil {
		return err
	}
	return bw.Flush()
}

// heading draws lines of text centred at the top of c, the first one bold,
// and returns the part of c below them.
func heading(c draw.Canvas, lines ...string) draw.Canvas {
	y := c.Max.Y - px(10)
	for k, line := range lines {
		sty := textStyle(sans, 12, okBlack)
		if k == 0 {
			sty = textStyle(sansBold, 15, okBlack)
		}
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(sty, vg.Point{X: c.Center().X, Y: y}, line)
		y -= sty.Height(line) + px(4)
	}
	c.Max.Y = y - px(6)
	return c
}

// notice writes msg in the middle of c: what a panel shows when there is
// nothing to draw.
func notice(c draw.Canvas, msg string) {
	sty := textStyle(sans, 13, grey)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, c.Center(), msg)
}

// emptyPanel draws a titled panel saying why it is empty.
func emptyPanel(c draw.Canvas, title, msg string) {
	p := newPlot(title, "", "")
	p.HideAxes()
	p.Draw(c)
	notice(p.DataCanvas(c), msg)
}
