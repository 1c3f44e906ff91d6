package runner

import (
	"maps"
	"testing"

	"p2pmesh/internal/longtest"
	"p2pmesh/sim/report"
)

// The overlay log, replayed up to each snapshot, gives that snapshot's
// links and running nodes.
func TestOverlayLogReplaysTheSnapshots(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"mass-failure.yaml", "partition-heal.yaml", "tree-churn.yaml", "segments.yaml"} {
		t.Run(file, func(t *testing.T) {
			if file == "tree-churn.yaml" {
				longtest.Skip(t)
			}
			replaysTheSnapshots(t, file)
		})
	}
}

func replaysTheSnapshots(t *testing.T, file string) {
	res, err := Run(load(t, "../../scenarios/"+file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Overlay
	if o == nil || o.Truncated {
		t.Fatalf("overlay %v", o)
	}
	// A snapshot is taken before or after what else happens at its instant
	// (before-failure at 25 s comes before the kill at 25 s): the log up to
	// that instant, with or without it, must give the snapshot.
	for _, snap := range res.Topology.Snapshots {
		if !replayMatches(o, &snap, false) && !replayMatches(o, &snap, true) {
			t.Fatalf("snapshot %s at %v ms: the log gives other links or running nodes", snap.Name, snap.AtMS)
		}
	}
	// Every sample of the time series: as many links, counting the
	// events before its instant and some of those at it (a sample is taken
	// among the events of its instant).
	for _, smp := range res.Report.Series {
		if !linksAt(o, smp.AtMS, smp.Links) {
			t.Fatalf("at %v ms: the log never gives the sample's %d links", smp.AtMS, smp.Links)
		}
	}
}

func linksAt(o *report.Overlay, atMS float64, want int) bool {
	n := 0
	for k, at := range o.LinkAtMS {
		if at == atMS && n == want {
			return true
		}
		if at > atMS {
			break
		}
		n += 2*int(o.LinkUp[k]) - 1
	}
	return n == want
}

func replayMatches(o *report.Overlay, snap *report.Snapshot, inclusive bool) bool {
	past := func(at float64) bool { return at > snap.AtMS || !inclusive && at == snap.AtMS }
	edges := map[[2]int]bool{}
	for k, at := range o.LinkAtMS {
		if past(at) {
			break
		}
		e := [2]int{int(o.LinkA[k]), int(o.LinkB[k])}
		if o.LinkUp[k] == 1 {
			edges[e] = true
		} else {
			delete(edges, e)
		}
	}
	want := map[[2]int]bool{}
	for _, e := range snap.Edges {
		want[[2]int{min(e[0], e[1]), max(e[0], e[1])}] = true
	}
	if !maps.Equal(edges, want) {
		return false
	}
	alive := make([]bool, len(snap.States))
	for k, at := range o.NodeAtMS {
		if past(at) {
			break
		}
		alive[o.Node[k]] = o.NodeKind[k] == 0 || o.NodeKind[k] == 3 && alive[o.Node[k]]
	}
	for i, st := range snap.States {
		running := st == report.StateAlive || st == report.StatePartitioned
		if alive[i] != running {
			return false
		}
	}
	return true
}
