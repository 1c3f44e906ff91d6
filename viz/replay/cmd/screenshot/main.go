// Command screenshot takes a picture of a finished run's replay page, as the
// README shows it: it opens DIR/replay.html from file:// in headless
// chromium (Debian's chromium, drawing WebGL in software as the browser
// tests do), sets the time slider and the broadcast, waits for the page to
// draw and writes the PNG. scripts/docs-img.sh makes the README's replay
// pictures with it.
//
//	go run ./viz/replay/cmd/screenshot --at 25.5s DIR out.png
//	go run ./viz/replay/cmd/screenshot --at kill+500ms DIR out.png
//	go run ./viz/replay/cmd/screenshot --broadcast last --spread 0.5 DIR out.png
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	flag "github.com/spf13/pflag"

	"p2pmesh/sim/report"
	"p2pmesh/viz/replay"
	"p2pmesh/viz/replay/headless"
)

func main() {
	atFlag := flag.String("at", "0s", "time of the run to show: virtual time (25.5s), or KIND+D, D after the run's first event of that kind in DIR/report.json (kill+500ms); with --broadcast, ignored")
	bcast := flag.String("broadcast", "", `broadcast to show: its index in the page's list (0 is the first) or "last"`)
	spread := flag.Float64("spread", 0.5, "with --broadcast: how far through its spread to show it, from 0 (sent) to 1 (its last first arrival)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: screenshot [--at T | --broadcast K|last [--spread F]] DIR OUT.png\n\n"+
			"Takes a picture (1400x1000 window) of DIR/%s, the replay page of a run made by\n"+
			"p2psim run, in headless chromium, and writes it to OUT.png.\n\n", replay.PageFile)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if *spread < 0 || *spread > 1 {
		fmt.Fprintln(os.Stderr, "screenshot: --spread must be between 0 and 1")
		os.Exit(2)
	}
	at, err := moment(flag.Arg(0), *atFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "screenshot: --at", err)
		os.Exit(2)
	}
	if err := shoot(flag.Arg(0), flag.Arg(1), at, *bcast, *spread); err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
}

// moment reads --at: a virtual time, or KIND+D, D after the first event
// of that kind (kill, partition, heal, restart, ...) in the run's report, so
// that a picture "just after the kill" follows the kill when the scenario
// moves it.
func moment(dir, at string) (time.Duration, error) {
	kind, after, relative := strings.Cut(at, "+")
	if !relative {
		return time.ParseDuration(at)
	}
	d, err := time.ParseDuration(after)
	if err != nil {
		return 0, err
	}
	var r report.Report
	if err := report.Read(dir, report.ReportFile, &r); err != nil {
		return 0, err
	}
	for _, e := range r.Events {
		if e.Kind == kind {
			return time.Duration(e.AtMS*float64(time.Millisecond)) + d, nil
		}
	}
	return 0, fmt.Errorf("%s: the run (%s) has no %q event", at, filepath.Join(dir, report.ReportFile), kind)
}

// shoot opens dir's replay page, shows the moment asked for and writes the
// picture to out.
func shoot(dir, out string, at time.Duration, bcast string, spread float64) error {
	page, err := filepath.Abs(filepath.Join(dir, replay.PageFile))
	if err != nil {
		return err
	}
	if _, err := os.Stat(page); err != nil {
		return fmt.Errorf("%w (was the run made with pictures?)", err)
	}
	browser, err := headless.Find()
	if err != nil {
		return err
	}
	// The browser tests' window and software WebGL.
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), headless.Options(browser)...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 5*time.Minute)
	defer cancelT()

	var show string
	switch bcast {
	case "":
		show = fmt.Sprintf("window.p2pReplay.setTime(%g);", float64(at)/float64(time.Millisecond))
	case "last":
		show = "const k = D.broadcasts.length - 1;"
	default:
		k, err := strconv.Atoi(bcast)
		if err != nil || k < 0 {
			return fmt.Errorf("--broadcast %q: want an index (0, 1, …) or last", bcast)
		}
		show = fmt.Sprintf("const k = %d;", k)
	}
	if bcast != "" {
		show += fmt.Sprintf(`
		if (k < 0 || k >= D.broadcasts.length) throw new Error("the run has " + D.broadcasts.length + " broadcasts, not " + (k + 1));
		const b = D.broadcasts[k], last = (b.at || []).reduce((m, t) => Math.max(m, t), b.sent_at);
		window.p2pReplay.selectBroadcast(k);
		window.p2pReplay.setTime(b.sent_at + %g * (last - b.sent_at));`, spread)
	}
	// Two animation frames after the change, sigma and uPlot have drawn it.
	js := `(() => { const D = window.P2P_REPLAY; ` + show + `
		return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(0)))); })()`
	// The window's 1400x1000 leaves a smaller viewport to the page (the
	// time series' value row fell below it): the viewport itself is set.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1400, 1000), chromedp.Navigate("file://"+page),
		chromedp.Poll[chromedp.Void]("window.p2pReplay !== undefined", chromedp.WithPollingTimeout(time.Minute))); err != nil {
		return fmt.Errorf("opening %s: %w", page, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise)); err != nil {
		return fmt.Errorf("setting the page: %w", err)
	}
	if err := chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)); err != nil {
		return err
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // the whole page, beyond the viewport if a long legend pushes it down
	if err != nil {
		return err
	}
	return os.WriteFile(out, shot, 0o644)
}
