package mesh_test

import (
	"strings"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// TargetOut is 0 (the default rule) or between MinLinks and MaxOut; a value
// outside says so, naming both bounds.
func TestConfigValidatesTargetOut(t *testing.T) {
	for _, c := range []struct {
		name      string
		set       func(*mesh.Config)
		wantError string // "" for a valid configuration
	}{
		{"default rule", func(c *mesh.Config) {}, ""},
		{"max_out", func(c *mesh.Config) { c.TargetOut = 5 }, ""},
		{"min_links", func(c *mesh.Config) { c.TargetOut = 2 }, ""},
		{"tree mode", func(c *mesh.Config) { c.TargetOut, c.Mode = 3, mesh.ModeTree }, ""},
		{"above max_out", func(c *mesh.Config) { c.TargetOut = 6 },
			"target_out must be 0 (four fifths of max_in when flooding, max_out in tree mode) or between min_links (2) and max_out (5), got 6"},
		{"below min_links", func(c *mesh.Config) { c.TargetOut = 1 }, "between min_links (2) and max_out (5), got 1"},
		{"negative", func(c *mesh.Config) { c.TargetOut = -1 }, "got -1"},
		{"above a smaller max_out", func(c *mesh.Config) { c.MaxOut, c.TargetOut = 3, 4 }, "between min_links (2) and max_out (3), got 4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := mesh.DefaultConfig()
			c.set(&cfg)
			err := cfg.Validate()
			switch {
			case c.wantError == "" && err != nil:
				t.Fatalf("TargetOut %d: unexpected error %v", cfg.TargetOut, err)
			case c.wantError != "" && (err == nil || !strings.Contains(err.Error(), c.wantError)):
				t.Fatalf("TargetOut %d: error %v, want one containing %q", cfg.TargetOut, err, c.wantError)
			}
		})
	}
}

// A flooding node with TargetOut 5 dials for 5 outgoing links where the
// default rule dials for 4 (dialing.go's huntTarget): both reach 5 at
// first (the default by its probe), but when peers of outgoing links leave,
// the default node dials again only below 4, the other below 5.
func TestTargetOutSetsTheOutgoingLinksDialedFor(t *testing.T) {
	for _, c := range []struct {
		targetOut int
		outs      [3]int // outgoing links at the start, after one leave, after two
		dials     [3]int // dials made by then
	}{
		{0, [3]int{5, 4, 4}, [3]int{3, 3, 4}},
		{5, [3]int{5, 5, 5}, [3]int{3, 4, 5}},
	} {
		cfg := mesh.DefaultConfig()
		cfg.TargetOut = c.targetOut
		h, lids := newLinkedHandOf(t, cfg, mesh.Load{In: 1, FreeIn: 4}, 3)
		n := 0
		run := func(d time.Duration) {
			for end := h.now + d; h.now < end; {
				for _, p := range dials(h.alive(h.now+10*time.Millisecond, lids...)) {
					n++
					h.link(mesh.LinkID(p), p, mesh.Load{In: 1, FreeIn: 4})
					lids = append(lids, mesh.LinkID(p))
				}
			}
		}
		run(10 * time.Second)
		for i := range c.outs {
			if i > 0 {
				gone := lids[len(lids)-1]
				lids = lids[:len(lids)-1]
				h.take(h.e.HandleFrame(h.now, gone, &mesh.Frame{Type: mesh.FrameLeave, Reason: mesh.ReasonLeaving}))
				run(2 * time.Second)
			}
			if out := int(h.e.Load().Out); out != c.outs[i] || n != c.dials[i] {
				t.Errorf("target_out %d, after %d leaves: %d outgoing links after %d dials; want %d after %d",
					c.targetOut, i, out, n, c.outs[i], c.dials[i])
			}
		}
	}
}
