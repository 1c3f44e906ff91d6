package mesh_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/sim"
)

func TestLinksFormWithinLimits(t *testing.T) {
	for _, tc := range []struct {
		name          string
		nodes         int
		maxIn, maxOut int
		latency       time.Duration
		wantDegree    int // every node at least
	}{
		{"two nodes link", 2, 5, 5, 5 * time.Millisecond, 1},
		{"three nodes", 3, 5, 5, 5 * time.Millisecond, 2},
		{"12 nodes default limits", 12, 5, 5, 5 * time.Millisecond, 2},
		{"12 nodes slow links (simultaneous dials)", 12, 5, 5, 300 * time.Millisecond, 2},
		{"30 nodes tight limits", 30, 2, 2, 20 * time.Millisecond, 2},
		{"30 nodes uneven limits", 30, 6, 3, 5 * time.Millisecond, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mesh.DefaultConfig()
			cfg.MaxIn, cfg.MaxOut = tc.maxIn, tc.maxOut
			net := sim.DefaultNetwork()
			net.Latency = sim.FixedLatency(tc.latency)
			s, err := sim.New(7, net)
			if err != nil {
				t.Fatal(err)
			}
			seg := s.AddSegment("lan")
			for i := 0; i < tc.nodes; i++ {
				idx, _ := s.AddNode("n", "", cfg, seg)
				s.Start(idx, 0)
			}
			runChecked(t, s, 20*time.Second, 50*time.Millisecond)
			if c := components(s); c != 1 {
				t.Fatalf("%d components, want 1", c)
			}
			if d := minDegree(s); d < tc.wantDegree {
				t.Fatalf("a node has %d links, want at least %d", d, tc.wantDegree)
			}
		})
	}
}

func newEngine(t *testing.T, id mesh.NodeID) *mesh.Engine {
	t.Helper()
	cfg := mesh.DefaultConfig()
	cfg.Port = 9000
	e, err := mesh.New(cfg, id, uint64(id)*100, rand.New(rand.NewPCG(uint64(id), 1)))
	if err != nil {
		t.Fatal(err)
	}
	e.Start(0)
	return e
}

// dialTo makes e hear a beacon of peer and return the dial it decides on.
func dialTo(t *testing.T, e *mesh.Engine, peer mesh.NodeID, at mesh.Addr) {
	t.Helper()
	e.HandleBeacon(0, &mesh.Beacon{ID: peer, Instance: uint64(peer) * 100, Port: at.Port, Load: mesh.Load{FreeIn: 5}}, at)
	outs := e.HandleTimer(time.Second, mesh.TimerDial)
	for _, o := range outs {
		if o.Kind == mesh.OutDial && o.Peer == peer {
			return
		}
	}
	t.Fatalf("engine %s did not dial %s: %v", e.ID(), peer, outs)
}

func sendOf(t testing.TB, outs []mesh.Output, ft mesh.FrameType) *mesh.Frame {
	t.Helper()
	for _, o := range outs {
		if o.Kind == mesh.OutSend && o.Frame.Type == ft {
			f := o.Frame
			return &f
		}
	}
	t.Fatalf("no %v frame in %v", ft, outs)
	return nil
}

func copyOuts(outs []mesh.Output) []mesh.Output { return append([]mesh.Output(nil), outs...) }
