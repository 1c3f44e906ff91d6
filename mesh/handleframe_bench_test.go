package mesh_test

import (
	"math/rand/v2"
	"testing"

	"p2pmesh/mesh"
)

// BenchmarkHandleFrameData measures the engine's own cost of a Data frame,
// with its state in the caches: an engine with ten established incoming
// links receives messages that each arrive once new (delivered and relayed
// on nine links) and seven times more as duplicates, as in a flood.
func BenchmarkHandleFrameData(b *testing.B) {
	const links = 10
	cfg := mesh.DefaultConfig()
	cfg.Port, cfg.MaxIn = 9000, links
	e, err := mesh.New(cfg, 1, 1, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	e.Start(0)
	for k := mesh.LinkID(1); k <= links; k++ {
		peer := mesh.NodeID(100 + k)
		e.HandleLinkOpened(1, k, mesh.Incoming, 0, mesh.Addr{IP: [16]byte{10, 0, 0, byte(k)}, Port: 1})
		e.HandleFrame(1, k, &mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: peer, Instance: uint64(k), Port: 9000, Load: mesh.Load{FreeIn: 5}}})
	}
	if got := e.Load().Degree(); got != links {
		b.Fatalf("%d links established, want %d", got, links)
	}
	payload := make([]byte, 100)
	f := mesh.Frame{Type: mesh.FrameData, Msg: mesh.Message{ID: mesh.MsgID{Origin: 7}, Hops: 1, Payload: payload}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Msg.ID.Seq = uint64(i / 8)
		e.HandleFrame(2, mesh.LinkID(1+i%links), &f)
	}
	if got := e.Stats().DataSent; got < uint64(b.N/8)*(links-1) {
		b.Fatalf("%d Data frames sent, want at least %d", got, b.N/8*(links-1))
	}
}
