// Package headless finds the Chromium that draws the replay page without a
// screen, and gives the options both the browser tests and the screenshot
// command start it with: its window size and software WebGL (SwiftShader),
// so that pictures and timings do not depend on a GPU.
package headless

import (
	"errors"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// ErrNoBrowser says that no Chromium-based browser is on the PATH.
var ErrNoBrowser = errors.New("chromium is not installed (apt-get install -y chromium)")

// Find returns the path of Debian's chromium, or of another Chromium-based
// browser on the PATH.
func Find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Options starts the browser at path headless, in a 1400×1000 window, with
// software WebGL.
func Options(path string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("enable-unsafe-swiftshader", true), chromedp.Flag("use-angle", "swiftshader"),
		chromedp.WindowSize(1400, 1000))
}
