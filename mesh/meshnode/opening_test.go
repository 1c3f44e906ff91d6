package meshnode

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/framing"
)

// told returns how many connections n's engine has been told of.
func told(t *testing.T, n *testNode) uint64 {
	t.Helper()
	var v uint64
	if !n.call(func() { v = n.told }) {
		t.Fatal("the node has stopped")
	}
	return v
}

// readFrame reads one frame from c within d.
func readFrame(t *testing.T, fr *framing.Reader, c net.Conn, d time.Duration) (mesh.Frame, error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	return fr.Next()
}

func TestAcceptedConnectionIsToldWithItsHello(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	n := startNode(t, testConfig(t))
	c := dialNode(t, n)
	waitFor(t, 5*time.Second, "the connection to be accepted", func() bool { return n.Stats().Accepted == 1 })
	if got := told(t, n); got != 0 {
		t.Fatalf("the engine was told of %d connections before the Hello, want 0", got)
	}
	if _, err := c.Write(helloBytes(77)); err != nil {
		t.Fatal(err)
	}
	fr := framing.NewReader(bufio.NewReader(c), mesh.MaxFrameSize)
	f, err := readFrame(t, fr, c, 5*time.Second)
	if err != nil {
		t.Fatalf("no answer to the Hello: %v", err)
	}
	if f.Type != mesh.FrameWelcome {
		t.Fatalf("answer to the Hello is %v, want a Welcome", f.Type)
	}
	if got := told(t, n); got != 1 {
		t.Errorf("the engine was told of %d connections, want 1", got)
	}
	waitFor(t, 5*time.Second, "a link to the Hello's sender", func() bool { return linkedTo(n, 77) })
	if s := n.Stats().Engine; s.ProtocolError != 0 {
		t.Errorf("the engine counted %d protocol errors: the Hello reached it twice?", s.ProtocolError)
	}
}

func TestSilentAcceptedConnectionIsClosedUntold(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	cfg := testConfig(t)
	cfg.Mesh.HandshakeTimeout = 300 * time.Millisecond
	n := startNode(t, cfg)
	c := dialNode(t, n)
	took := closedBy(t, c, 4*time.Second, "a silent connection")
	if took < 250*time.Millisecond {
		t.Errorf("silent connection closed after %v, before the 300 ms handshake timeout", took)
	}
	s := n.Stats()
	if s.Accepted != 1 || s.Refused != 1 {
		t.Errorf("accepted %d, refused %d; want 1 and 1", s.Accepted, s.Refused)
	}
	if got := told(t, n); got != 0 {
		t.Errorf("the engine was told of %d connections, want none", got)
	}
}

func TestDialSendsItsHelloAndIsToldWithTheReject(t *testing.T) {
	checkNoLeaks(t)
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t)
	cfg.Peers = []string{ln.Addr().String()}
	n := startNode(t, cfg)

	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fr := framing.NewReader(bufio.NewReader(c), mesh.MaxFrameSize)
	f, err := readFrame(t, fr, c, 5*time.Second)
	if err != nil {
		t.Fatalf("the dialer sent nothing: %v", err)
	}
	if f.Type != mesh.FrameHello || f.Hello.ID != n.ID() {
		t.Fatalf("the dialer's first frame is %v from %v, want its Hello", f.Type, f.Hello.ID)
	}
	if got := told(t, n); got != 0 {
		t.Fatalf("the engine was told of %d connections before the answer, want 0", got)
	}
	reject, err := mesh.AppendFrame(nil, &mesh.Frame{Type: mesh.FrameReject, Reason: mesh.ReasonFull})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(reject); err != nil {
		t.Fatal(err)
	}
	// The dialer closes the connection on the Reject, without another
	// Hello: the engine did not send one of its own.
	for {
		f, err := readFrame(t, fr, c, 5*time.Second)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
			break
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the dialer kept the rejected connection open")
		}
		if err != nil {
			break // reset
		}
		if f.Type == mesh.FrameHello {
			t.Fatal("the dialer sent a second Hello")
		}
	}
	if got := told(t, n); got != 1 {
		t.Errorf("the engine was told of %d connections, want 1", got)
	}
	if links := n.Links(); len(links) != 0 {
		t.Errorf("links after a Reject: %v", links)
	}
}
