package netkey

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"p2pmesh/mesh"
)

// recorder is a net.Conn that keeps a copy of every byte written through it.
type recorder struct {
	net.Conn
	mu      sync.Mutex
	written bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.written.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.written.Bytes())
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

type result struct {
	c   *Conn
	err error
}

// handshake runs Client on one end and Server on the other.
func handshake(t testing.TB, client, server net.Conn, ck, sk *Key) (cr, sr result) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	done := make(chan result, 1)
	go func() {
		c, err := Server(server, sk, deadline)
		if err != nil {
			server.Close() // as the runtime does: the client hears of it
		}
		done <- result{c, err}
	}()
	c, err := Client(client, ck, deadline)
	if err != nil {
		client.Close()
	}
	return result{c, err}, <-done
}

func TestHandshakeSameKeyCarriesBytesBothWays(t *testing.T) {
	client, server := tcpPair(t)
	k := mustKey(t, 1)
	cr, sr := handshake(t, client, server, k, k)
	if cr.err != nil || sr.err != nil {
		t.Fatalf("client %v, server %v", cr.err, sr.err)
	}
	// A frame larger than a record, then a batch of small ones.
	big := bytes.Repeat([]byte("0123456789abcdef"), (mesh.MaxFrameSize+15)/16)
	small := [][]byte{[]byte("one"), {}, []byte("two"), bytes.Repeat([]byte{7}, MaxRecordPayload+5)}
	want := append(bytes.Clone(big), bytes.Join(small, nil)...)
	errc := make(chan error, 1)
	go func() {
		if _, err := cr.c.Write(big); err != nil {
			errc <- err
			return
		}
		n, err := cr.c.WriteBuffers(small)
		if err == nil && n != int64(len(want)-len(big)) {
			err = errors.New("WriteBuffers reported a short count")
		}
		errc <- err
	}()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(sr.c, got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the bytes arrived changed")
	}
	// And back.
	go func() { _, err := sr.c.Write([]byte("welcome")); errc <- err }()
	back := make([]byte, 7)
	if _, err := io.ReadFull(cr.c, back); err != nil || string(back) != "welcome" || <-errc != nil {
		t.Fatalf("responder to initiator: %q, %v", back, err)
	}
}

func TestHandshakeRefusesAnotherKey(t *testing.T) {
	client, server := tcpPair(t)
	cr, sr := handshake(t, client, server, mustKey(t, 1), mustKey(t, 2))
	if !errors.Is(sr.err, ErrHandshake) || !strings.Contains(sr.err.Error(), "another network key") {
		t.Errorf("server: %v, want a refusal for another key", sr.err)
	}
	if !errors.Is(cr.err, ErrHandshake) {
		t.Errorf("client: %v, want ErrHandshake", cr.err)
	}
}

func TestHandshakeRefusesPlainMeshNode(t *testing.T) {
	client, server := tcpPair(t)
	hello := mesh.Frame{Type: mesh.FrameHello, Hello: mesh.Hello{ID: 7, Instance: 1, Port: 9}}
	b, err := mesh.AppendFrame(nil, &hello)
	if err != nil {
		t.Fatal(err)
	}
	go client.Write(b)
	_, err = Server(server, mustKey(t, 1), time.Now().Add(5*time.Second))
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "no network key") {
		t.Fatalf("got %v, want a refusal naming a node without a key", err)
	}
}

func TestHandshakeRefusesGarbageAndSilence(t *testing.T) {
	client, server := tcpPair(t)
	go client.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	_, err := Server(server, mustKey(t, 1), time.Now().Add(5*time.Second))
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "not a keyed mesh node") {
		t.Errorf("garbage: %v", err)
	}

	_, server = tcpPair(t)
	start := time.Now()
	_, err = Server(server, mustKey(t, 1), time.Now().Add(100*time.Millisecond))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("silence: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("silence: the deadline did not bound the handshake (%v)", d)
	}
}

// TestCapturedClientBytesCannotBeReplayedOrRead records everything a keyed
// initiator sends in a real session, shows that the plaintext is not in it,
// and replays it to a fresh responder: refused at the confirmation.
func TestCapturedClientBytesCannotBeReplayedOrRead(t *testing.T) {
	k := mustKey(t, 1)
	client, server := tcpPair(t)
	rec := &recorder{Conn: client}
	cr, sr := handshake(t, rec, server, k, k)
	if cr.err != nil || sr.err != nil {
		t.Fatalf("client %v, server %v", cr.err, sr.err)
	}
	secretText := []byte("the launch code is 0000, tell nobody")
	if _, err := cr.c.Write(secretText); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(secretText))
	if _, err := io.ReadFull(sr.c, got); err != nil {
		t.Fatal(err)
	}
	captured := rec.bytes()
	if bytes.Contains(captured, secretText) || bytes.Contains(captured, []byte("launch")) {
		t.Fatal("the plaintext travels in the clear")
	}

	client2, server2 := tcpPair(t)
	go client2.Write(captured)
	_, err := Server(server2, k, time.Now().Add(5*time.Second))
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "replayed") {
		t.Fatalf("replayed handshake: %v, want a refusal as replayed", err)
	}
}

func TestRecordTamperingIsDetected(t *testing.T) {
	k := mustKey(t, 1)
	client, server := tcpPair(t)
	// The responder reads through a pipe that flips one bit of the third
	// record's ciphertext (after message 1 and the confirmation).
	tap, tapped := net.Pipe()
	t.Cleanup(func() { tap.Close(); tapped.Close() })
	go func() {
		buf := make([]byte, 1<<16)
		seen := 0
		for {
			n, err := client.Read(buf)
			if err != nil {
				tap.Close()
				return
			}
			for i := 0; i < n; i++ {
				if seen+i == 2+48+2+16+2+3 {
					buf[i] ^= 1
				}
			}
			seen += n
			if _, err := tap.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	go func() { io.Copy(client, tap) }()
	cr, sr := handshake(t, server, tapped, k, k)
	if cr.err != nil || sr.err != nil {
		t.Fatalf("client %v, server %v", cr.err, sr.err)
	}
	go cr.c.Write([]byte("hello, world"))
	_, err := sr.c.Read(make([]byte, 64))
	if !errors.Is(err, ErrRecord) {
		t.Fatalf("tampered record: %v, want ErrRecord", err)
	}
	if _, err := sr.c.Read(make([]byte, 64)); !errors.Is(err, ErrRecord) {
		t.Fatalf("after a bad record: %v, want ErrRecord again", err)
	}
}
