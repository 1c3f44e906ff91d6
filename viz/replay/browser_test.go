package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/report"
	"p2pmesh/sim/runner"
	"p2pmesh/sim/scenario"
	"p2pmesh/viz/replay"
	"p2pmesh/viz/replay/headless"
)

// chromium finds Debian's chromium: the test is skipped without it, except
// in CI (CI=true), where .ci/run installs it and its absence is a failure.
func chromium(t testing.TB) string {
	t.Helper()
	p, err := headless.Find()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v; CI must run the browser test", err)
	}
	t.Skipf("%v: browser test skipped", err)
	return ""
}

// runScenario plays a shipped scenario and writes its files and replay into
// a new directory.
func runScenario(t testing.TB, file string) (string, *runner.Result) {
	t.Helper()
	sc, err := scenario.Load(filepath.Join("..", "..", "scenarios", file))
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Run(sc, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := report.Write(dir, report.ReportFile, res.Report); err != nil {
		t.Fatal(err)
	}
	if err := report.Write(dir, report.TopologyFile, res.Topology); err != nil {
		t.Fatal(err)
	}
	if err := report.Write(dir, report.SpreadFile, res.Spread); err != nil {
		t.Fatal(err)
	}
	if res.Overlay != nil {
		if err := report.WriteCompact(dir, report.OverlayFile, res.Overlay); err != nil {
			t.Fatal(err)
		}
	}
	if err := replay.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return dir, res
}

// browser opens a headless chromium that records console errors,
// exceptions and every request that is not for a file.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errs   []string
	remote []string
}

func newBrowser(t testing.TB) *browser {
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), headless.Options(chromium(t))...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 10*time.Minute)
	t.Cleanup(func() { cancelT(); cancel(); cancelA() })
	b := &browser{ctx: ctx}
	if err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value))
				}
				b.errs = append(b.errs, "console.error: "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			b.errs = append(b.errs, "exception: "+ev.ExceptionDetails.Text+" "+exceptionText(ev.ExceptionDetails))
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				b.remote = append(b.remote, u)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) check(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errs) > 0 {
		t.Fatalf("errors in the page: %v", b.errs)
	}
	if len(b.remote) > 0 {
		t.Fatalf("the page made network requests: %v", b.remote)
	}
}

type state struct {
	T         float64        `json:"t"`
	Mode      string         `json:"mode"`
	Alive     int            `json:"alive"`
	Links     int            `json:"links"`
	Colours   map[string]int `json:"colours"`
	Broadcast int            `json:"broadcast"`
	Reached   int            `json:"reached"`
}

// open loads dir's replay and waits until it has drawn.
func (b *browser) open(t testing.TB, dir string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+filepath.Join(dir, replay.PageFile)),
		chromedp.Poll[chromedp.Void]("window.p2pReplay !== undefined", chromedp.WithPollingTimeout(time.Minute))); err != nil {
		t.Fatal(err)
	}
}

// slide moves the slider as a user does (an input event) and reads the
// state drawn.
func (b *browser) slide(t testing.TB, ms float64) state {
	t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.getElementById("slider"); s.value = "%d";
		s.dispatchEvent(new Event("input")); return window.p2pReplay.state(); })()`, int(ms))
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[state](js))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (b *browser) pickBroadcast(t testing.TB, k int) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const b = document.getElementById("broadcast"); b.value = "%d";
		b.dispatchEvent(new Event("change")); return 0; })()`, k)
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](js)); err != nil {
		t.Fatal(err)
	}
}

// screenshot takes a picture of the page, checks that it is not blank and
// keeps it in $P2P_REPLAY_SHOTS (if set) as name.
func (b *browser) screenshot(t testing.TB, name string) {
	t.Helper()
	shot := b.shot(t)
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	colours := map[[3]uint32]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 3 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if len(colours) < 20 {
		t.Fatalf("%s: the screenshot is nearly blank (%d colours)", name, len(colours))
	}
	if dir := os.Getenv("P2P_REPLAY_SHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	stoppedColour = "#c8c8c8"
	originColour  = "#000000"
	hop1Colour    = "#08306b"
	missedColour  = "#d55e00"
	notOwedColour = "#e4e4e4"
)

// The replay of mass-failure from file://: before the kill 200 nodes run,
// just after it 100, and the killed ones are drawn as stopped; a broadcast
// shows its hop colours; no error, no request to the network.
func TestReplayInChromium(t *testing.T) {
	longtest.Skip(t)
	b := newBrowser(t)

	dir, qres := runScenario(t, "quickstart.yaml")
	b.open(t, dir)
	end := b.slide(t, 1e9)
	if end.Mode != replay.ModeLinks || end.Alive != 20 || end.Links == 0 {
		t.Fatalf("quickstart at the end: %+v", end)
	}
	b.pickBroadcast(t, 0)
	b.screenshot(t, "replay-quickstart.png")
	b.check(t)

	// Without the overlay log (a run on sockets) the page steps through the
	// snapshots; a broadcast's spread survives the change of snapshot.
	if err := os.Remove(filepath.Join(dir, report.OverlayFile)); err != nil {
		t.Fatal(err)
	}
	if err := replay.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	b.open(t, dir)
	b.pickBroadcast(t, 0)
	qb := qres.Report.Broadcasts[0]
	b.slide(t, 0)
	if spread := b.slide(t, qb.SentAtMS+qb.LatencyMS.Max+1); spread.Mode != replay.ModeSnapshots || spread.Reached != qb.Delivered {
		t.Fatalf("quickstart from its snapshots, broadcast %s (%d delivered): %+v", qb.ID, qb.Delivered, spread)
	}
	b.check(t)

	dir, res := runScenario(t, "mass-failure.yaml")
	var killAt float64
	for _, e := range res.Report.Events {
		if e.Kind == "kill" {
			killAt = e.AtMS
		}
	}
	b.open(t, dir)
	before, after := b.slide(t, killAt-1), b.slide(t, killAt+500)
	t.Logf("before the kill %+v", before)
	t.Logf("after the kill %+v", after)
	if before.Alive != 200 || after.Alive != 100 {
		t.Fatalf("running before and after the kill: %d, %d; want 200, 100", before.Alive, after.Alive)
	}
	if before.Colours[stoppedColour] != 0 || after.Colours[stoppedColour] != 100 {
		t.Fatalf("stopped nodes drawn before and after the kill: %d, %d; want 0, 100", before.Colours[stoppedColour], after.Colours[stoppedColour])
	}
	if after.Links >= before.Links {
		t.Fatalf("links before and after the kill: %d, %d", before.Links, after.Links)
	}
	// Without the pointer over it, the chart's legend gives the values at
	// the replay's time, not "--".
	legend, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#series .u-legend .u-value")].map((e) => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(legend) != 4 || slices.Contains(legend, "--") {
		t.Fatalf("the series legend after the kill reads %q, want the values at %.0f ms", legend, killAt+500)
	}
	last := len(res.Report.Broadcasts) - 1
	b.pickBroadcast(t, last)
	bc := res.Report.Broadcasts[last]
	spread := b.slide(t, bc.SentAtMS+bc.LatencyMS.Max)
	t.Logf("broadcast %s spread: %+v", bc.ID, spread)
	if spread.Broadcast != last || spread.Reached != bc.Delivered || spread.Colours[originColour] != 1 || spread.Colours[hop1Colour] == 0 {
		t.Fatalf("broadcast %s (%d delivered): drawn %+v", bc.ID, bc.Delivered, spread)
	}
	partway := b.slide(t, bc.SentAtMS+bc.LatencyMS.P50/2)
	if partway.Reached == 0 || partway.Reached >= spread.Reached {
		t.Fatalf("broadcast %s halfway: reached %d of %d", bc.ID, partway.Reached, spread.Reached)
	}
	b.slide(t, bc.SentAtMS+bc.LatencyMS.P50)
	b.screenshot(t, "replay-mass-failure-broadcast.png")
	b.pickBroadcast(t, -1)
	b.slide(t, killAt+500)
	b.screenshot(t, "replay-mass-failure.png")
	b.check(t)

	// On several LANs the links between them keep their colour while a
	// broadcast is shown, and the legend names it then too.
	dir, _ = runScenario(t, "segments.yaml")
	b.open(t, dir)
	b.pickBroadcast(t, 0)
	items, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#legend span")].map((e) => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(items, "link between LANs") || !slices.Contains(items, "first-arrival tree") {
		t.Fatalf("segments.yaml, a broadcast shown: legend %q, want its hops, the first-arrival tree and the links between LANs", items)
	}
	b.check(t)

	// sim/runner/testdata/owed.yaml: n5 (partitioned off before the send)
	// was owed the broadcast and missed it, n4 (killed a millisecond after
	// the send) and n6 (started after it) were not owed it: drawn as the
	// PNG pictures mark them, and said so in the info panel.
	dir, res = runScenario(t, "../sim/runner/testdata/owed.yaml")
	b.open(t, dir)
	b.pickBroadcast(t, 0)
	ob := res.Report.Broadcasts[0]
	owed := b.slide(t, res.Report.DurationMS) // n6 started
	t.Logf("owed.yaml, broadcast %s: %+v", ob.ID, owed)
	if owed.Reached != ob.Delivered || owed.Colours[missedColour] != 1 || owed.Colours[notOwedColour] != 1 || owed.Colours[stoppedColour] != 1 {
		t.Fatalf("owed.yaml: want n5 missed, n6 not owed, n4 stopped; drawn %+v", owed)
	}
	for name, want := range map[string]string{"n5": "never: missed (owed it)", "n6": "never (not owed it)"} {
		if got := b.nodeInfo(t, name, "arrived"); got != want {
			t.Errorf("owed.yaml: %s arrived %q, want %q", name, got, want)
		}
	}
	b.screenshot(t, "replay-owed.png")
	b.check(t)
}

// drawnCheck is what the page's p2pReplay.verify() reports: the links up
// and the nodes running at the slider's instant rebuilt from scratch, what
// the page shows, and what sigma draws that differs from the rebuilt state.
type drawnCheck struct {
	T            float64  `json:"t"`
	Links        int      `json:"links"`
	Shown        int      `json:"shown"`
	Running      int      `json:"running"`
	ShownRunning int      `json:"shownRunning"`
	ShownLinks   int      `json:"shownLinks"`
	Wrong        int      `json:"wrong"`
	Examples     []string `json:"examples"`
}

// verify moves the slider to ms and checks that what sigma draws there
// (edges, node colours and sizes) is the state rebuilt from the start of
// the logs.
func (b *browser) verify(t testing.TB, ms float64) drawnCheck {
	t.Helper()
	b.slide(t, ms)
	c, err := chromedp.Run(b.ctx, chromedp.Evaluate[drawnCheck]("window.p2pReplay.verify()"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Wrong != 0 || c.Shown != c.Links || c.ShownLinks != c.Links || c.ShownRunning != c.Running {
		t.Fatalf("at %.0f ms the page draws what the run did not have: %+v", ms, c)
	}
	return c
}

// sameAsRedrawn checks that the graph drawn now equals the graph a new
// renderer draws.
func (b *browser) sameAsRedrawn(t testing.TB, what string) {
	t.Helper()
	stepped := b.shot(t)
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void]("window.p2pReplay.redraw()")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stepped, b.shot(t)) {
		t.Fatalf("%s: the graph drawn step by step differs from the one drawn afresh", what)
	}
}

// shot is a screenshot of the page as it is, once its drawing has settled
// (CaptureScreenshot: an element's screenshot may resize the page, and sigma
// then draws the graph afresh).
func (b *browser) shot(t testing.TB) []byte {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	return shot
}

// A step of the slider hands sigma only what changed. Moved forward and
// back over the whole run in uneven steps (across starts, kills, restarts,
// partitions, and with a broadcast spreading), the page draws at every stop
// the links, colours and sizes of the state rebuilt from scratch, and the
// picture equals the one a new renderer draws of the whole graph.
func TestReplayStepsDrawWhatARebuildDraws(t *testing.T) {
	longtest.Skip(t)
	b := newBrowser(t)
	for _, file := range []string{"mass-failure.yaml", "churn.yaml", "partition-heal.yaml"} {
		dir, res := runScenario(t, file)
		b.open(t, dir)
		end := res.Report.DurationMS
		var moments []float64
		for _, e := range res.Report.Events {
			moments = append(moments, e.AtMS-1, e.AtMS+1)
		}
		// Then 30 instants at random: steps forward and back, short and long.
		for k, x := 0, uint32(1); k < 30; k++ {
			x = x*1664525 + 1013904223
			moments = append(moments, end*float64(x>>8)/float64(1<<24))
		}
		changed := 0
		last := b.verify(t, end)
		for _, ms := range moments {
			c := b.verify(t, ms)
			if c.Links != last.Links || c.Running != last.Running {
				changed++
			}
			last = c
		}
		if changed < len(moments)/3 {
			t.Fatalf("%s: the walk changed what is drawn at %d of %d stops", file, changed, len(moments))
		}
		stops := 0
		for k := len(res.Report.Broadcasts) - 1; k >= 0 && stops < 3; k -= 1 + len(res.Report.Broadcasts)/3 {
			bc := res.Report.Broadcasts[k]
			b.pickBroadcast(t, k)
			for _, ms := range []float64{bc.SentAtMS + bc.LatencyMS.Max, bc.SentAtMS + bc.LatencyMS.P50/2, bc.SentAtMS - 1, bc.SentAtMS + bc.LatencyMS.P50} {
				b.verify(t, ms)
			}
			stops++
		}
		// What sigma drew from, not only what it holds: after steps that
		// change no node's size (where sigma re-indexes nothing and
		// rewrites only what changed), the picture equals the one a new
		// renderer draws of the whole graph. Once over links coming and
		// going after the last start or stop, once over a broadcast's
		// colours and tree.
		b.pickBroadcast(t, -1)
		lastNode := res.Overlay.NodeAtMS[len(res.Overlay.NodeAtMS)-1]
		for _, ms := range []float64{lastNode + 1, end, (lastNode + end) / 2} {
			b.verify(t, ms)
		}
		b.sameAsRedrawn(t, file+" after the last start or stop")
		k := len(res.Report.Broadcasts) - 1
		bc := res.Report.Broadcasts[k]
		b.pickBroadcast(t, k)
		for _, ms := range []float64{bc.SentAtMS + bc.LatencyMS.P50/2, bc.SentAtMS + bc.LatencyMS.P50} {
			b.verify(t, ms)
		}
		b.sameAsRedrawn(t, file+" broadcast "+bc.ID)
		t.Logf("%s: %d stops, the last %+v", file, len(moments), last)
	}
	b.check(t)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// stepsJS moves the slider in 21 steps over the whole run and returns the
// mean milliseconds of a step: script, setting the time (the page's script
// and sigma's processing of what changed); frame, that and sigma's drawing
// calls; drawn, that until the GPU has finished the picture (a pixel read
// back from each WebGL canvas; with SwiftShader the GPU is the CPU).
const stepsJS = `(() => {
  const r = window.p2pReplay, D = window.P2P_REPLAY, steps = 20, px = new Uint8Array(4), out = {};
  const sync = () => { for (const k of ["edges", "nodes"]) { const gl = r.renderer.webGLContexts[k]; gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); } };
  const run = (name, after) => {
    sync();
    const t0 = performance.now();
    for (let k = 0; k <= steps; k++) { r.setTime(D.duration_ms * k / steps); after(); }
    out[name] = (performance.now() - t0) / (steps + 1);
  };
  run("script", () => {});
  run("frame", () => r.renderer.render());
  run("drawn", () => { r.renderer.render(); sync(); });
  return out;
})()`

// BenchmarkReplay measures the replay in headless chromium at 1,000 and
// 10,000 nodes: the page's load (navigation start to first drawing, ms), a
// step of the slider (stepsJS: script-ms, frame-ms, drawn-ms), and the size
// of the page and its data.
func BenchmarkReplay(b *testing.B) {
	for _, c := range []struct {
		file  string
		nodes int
	}{{"flood-single-1000.yaml", 1000}, {"scale-10k.yaml", 10000}} {
		b.Run(fmt.Sprint(c.nodes), func(b *testing.B) {
			dir, _ := runScenario(b, c.file)
			br := newBrowser(b)
			var load, script, frame, drawn float64
			for range b.N {
				br.open(b, dir)
				l, err := chromedp.Run(br.ctx, chromedp.Evaluate[float64]("window.p2pReplay.readyMs"))
				if err != nil {
					b.Fatal(err)
				}
				s, err := chromedp.Run(br.ctx, chromedp.Evaluate[struct{ Script, Frame, Drawn float64 }](stepsJS))
				if err != nil {
					b.Fatal(err)
				}
				load, script, frame, drawn = load+l, script+s.Script, frame+s.Frame, drawn+s.Drawn
			}
			br.check(b)
			n := float64(b.N)
			b.ReportMetric(load/n, "load-ms")
			b.ReportMetric(script/n, "script-ms")
			b.ReportMetric(frame/n, "frame-ms")
			b.ReportMetric(drawn/n, "drawn-ms")
			var size int64
			for _, f := range []string{replay.PageFile, replay.DataFile} {
				st, err := os.Stat(filepath.Join(dir, f))
				if err != nil {
					b.Fatal(err)
				}
				size += st.Size()
			}
			b.ReportMetric(float64(size)/1e6, "page-MB")
			br.screenshot(b, fmt.Sprintf("replay-%d.png", c.nodes))
		})
	}
}
