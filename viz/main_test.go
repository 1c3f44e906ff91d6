package viz

import (
	"image/png"
	"os"
	"testing"
)

// TestMain writes the tests' pictures uncompressed (see pngCompression):
// the pixels are the same, and the package's tests take about half the
// CPU time under -race (34 against 66 CPU-s, measured). Users' pictures,
// docs/img and scripts/docs-img.sh --check keep the default compression.
func TestMain(m *testing.M) {
	pngCompression = png.NoCompression
	os.Exit(m.Run())
}
