package replay_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"p2pmesh/internal/longtest"
)

// onScreen is where the page draws a node: its centre in CSS pixels of the
// page, its drawn radius, and the distance to the nearest other node's
// centre that is drawn.
type onScreen struct {
	Name    string  `json:"name"`
	X       float64 `json:"x"`
	Y       float64 `json:"y"`
	R       float64 `json:"r"`
	Nearest float64 `json:"nearest"`
}

// nodesOnScreenJS places every node with sigma's own projection
// (framedGraphToViewport of its display data) and returns those whose
// centre is inside the graph's canvas.
const nodesOnScreenJS = `(() => {
  const r = window.p2pReplay.renderer, D = window.P2P_REPLAY, box = document.getElementById("graph").getBoundingClientRect();
  const out = [];
  r.getGraph().forEachNode((key) => {
    const d = r.getNodeDisplayData(key);
    if (d.hidden) return;
    const p = r.framedGraphToViewport(d);
    if (p.x < 4 || p.y < 4 || p.x > box.width - 4 || p.y > box.height - 4) return;
    out.push({ name: D.nodes.name[+key], x: box.left + p.x, y: box.top + p.y, r: r.scaleSize(d.size), nearest: 1e9 });
  });
  // The nearest other node, on a grid of 16-pixel cells.
  const cells = new Map(), cell = (x, y) => Math.floor(x / 16) + "," + Math.floor(y / 16);
  out.forEach((o, k) => { const c = cell(o.x, o.y); if (!cells.has(c)) cells.set(c, []); cells.get(c).push(k); });
  out.forEach((o, k) => {
    const cx = Math.floor(o.x / 16), cy = Math.floor(o.y / 16);
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) {
      for (const j of cells.get((cx + dx) + "," + (cy + dy)) || []) {
        if (j !== k) o.nearest = Math.min(o.nearest, Math.hypot(out[j].x - o.x, out[j].y - o.y));
      }
    }
  });
  return out;
})()`

const (
	infoNameJS  = `(() => { const td = document.querySelector("#info td:nth-child(2)"); return td ? td.textContent : ""; })()`
	clearInfoJS = `(() => { document.getElementById("info").replaceChildren(); return ""; })()`
)

// pickNodes clicks (or, hover, moves the mouse over) up to n nodes chosen
// at random among those drawn apart from the others (no other centre
// within 3 pixels: a click lands within a pixel of where it is aimed), each at its drawn centre with real mouse events, and
// returns how many times the info panel then named the node, and of how
// many.
func (b *browser) pickNodes(t testing.TB, n int, hover bool) (hits, tries int, missed []string) {
	t.Helper()
	all, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]onScreen](nodesOnScreenJS))
	if err != nil {
		t.Fatal(err)
	}
	offX, offY := b.pointerOffset(t)
	var apart []onScreen
	for _, o := range all {
		if o.Nearest > 3 {
			apart = append(apart, o)
		}
	}
	var near []float64
	for _, o := range all {
		near = append(near, o.Nearest)
	}
	slices.Sort(near)
	t.Logf("%d of %d nodes drawn apart from the others; nearest other centre: median %.2f px, 90th %.2f", len(apart), len(all), near[len(near)/2], near[len(near)*9/10])
	if len(apart) < n {
		t.Fatalf("only %d of %d nodes drawn apart from the others", len(apart), len(all))
	}
	x := uint32(7)
	for range n {
		x = x*1664525 + 1013904223
		o := apart[int(x>>8)%len(apart)]
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](clearInfoJS)); err != nil {
			t.Fatal(err)
		}
		// Away first, so that a hover is a new one; two clicks closer
		// than sigma's doubleClickTimeout (300 ms) are a double click,
		// which zooms.
		acts := []chromedp.Action[chromedp.Void]{chromedp.Sleep(350 * time.Millisecond), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1)}
		// The pixel of the drawn centre, as the page will see the pointer.
		x, y := math.Round(o.X)-offX, math.Round(o.Y)-offY
		if hover {
			acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
		} else {
			acts = append(acts, chromedp.MouseClickXY(x, y))
		}
		if err := chromedp.Do(b.ctx, acts...); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](infoNameJS))
		if err != nil {
			t.Fatal(err)
		}
		tries++
		if got == o.Name {
			hits++
		} else {
			missed = append(missed, fmt.Sprintf("%s at (%.1f, %.1f) r %.1f: %q", o.Name, o.X, o.Y, o.R, got))
		}
	}
	return hits, tries, missed
}

// pointerOffset returns how far from where a mouse event is dispatched
// the page sees the pointer (headless Chromium here: one pixel up and to
// the left of an integral position, and fractions dropped), measured by
// moving the mouse to a whole pixel of the graph and reading the position
// of sigma's own event; the clicks aim at a node's pixel minus it. Aimed
// at the fractional centres without it, clicks on nodes 3-4 pixels from
// another were taken for the neighbour above and to the left (6 of 40 on
// flood-single-1000 at bb87975).
func (b *browser) pointerOffset(t testing.TB) (dx, dy float64) {
	t.Helper()
	const probe = `(() => { const r = window.p2pReplay.renderer, box = document.getElementById("graph").getBoundingClientRect();
		window.__pointer = null;
		if (!window.__pointerHooked) { r.on("moveBody", (e) => { window.__pointer = [e.event.x, e.event.y]; }); window.__pointerHooked = true; }
		return [Math.round(box.left + box.width / 2), Math.round(box.top + box.height / 2)]; })()`
	at, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](probe))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at[0], at[1])); err != nil {
		t.Fatal(err)
	}
	seen, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`(() => { const box = document.getElementById("graph").getBoundingClientRect(), p = window.__pointer;
		return p ? [p[0] + box.left, p[1] + box.top] : []; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatal("the page saw no pointer move over its graph")
	}
	dx, dy = seen[0]-at[0], seen[1]-at[1]
	t.Logf("the page sees the pointer %+.2f, %+.2f px from where it is dispatched", dx, dy)
	return dx, dy
}

// At sizes where nodes are drawn as points (beyond 300 nodes), a click on
// a node, and a hover, shows that node in the info panel: flood-single-1000
// as the page opens, scale-10k zoomed in on a LAN (at the opening zoom its
// nodes are 2.4 pixels apart and overlap). Clicks are 350 ms apart: two
// closer are sigma's double click, which zooms (and moved the nodes away
// from where an earlier harness clicked).
func TestReplayClickNodesInChromium(t *testing.T) {
	longtest.Skip(t)
	b := newBrowser(t)
	for _, file := range []string{"flood-single-1000.yaml", "scale-10k.yaml"} {
		dir, _ := runScenario(t, file)
		b.open(t, dir)
		if file == "scale-10k.yaml" {
			// 1,000 nodes a LAN, 2.4 pixels apart: a person zooms in
			// on one (the camera ratio 1/10) to tell nodes apart.
			js := `(() => { const r = window.p2pReplay.renderer, d = r.getNodeDisplayData("0");
				r.getCamera().setState({ x: d.x, y: d.y, ratio: 0.1, angle: 0 }); r.refresh(); return 0; })()`
			if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](js)); err != nil {
				t.Fatal(err)
			}
		}
		hits, tries, missed := b.pickNodes(t, 40, false)
		t.Logf("%s: clicks %d of %d named the node clicked; missed %v", file, hits, tries, missed)
		if hits*100 < tries*95 {
			t.Errorf("%s: clicks named the node clicked %d times of %d", file, hits, tries)
		}
		hits, tries, missed = b.pickNodes(t, 10, true)
		t.Logf("%s: hovers %d of %d named the node; missed %v", file, hits, tries, missed)
		if hits*100 < tries*95 {
			t.Errorf("%s: hovers named the node %d times of %d", file, hits, tries)
		}
		b.screenshot(t, "replay-click-"+file+".png")
	}
	b.check(t)
}

// nodeInfo moves the mouse onto the named node and returns the row of the
// info panel whose first cell is row.
func (b *browser) nodeInfo(t testing.TB, name, row string) string {
	t.Helper()
	all, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]onScreen](nodesOnScreenJS))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		if o.Name != name {
			continue
		}
		if err := chromedp.Do(b.ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, o.X, o.Y)); err != nil {
			t.Fatal(err)
		}
		js := fmt.Sprintf(`(() => { for (const tr of document.querySelectorAll("#info tr")) if (tr.cells[0].textContent === %q) return tr.cells[1].textContent; return ""; })()`, row)
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Fatalf("node %s is not drawn", name)
	return ""
}
