// Package hostile makes the hostile input that robustness tests throw at
// live nodes on the multicast port: garbage, altered, replayed and spoofed
// beacons and floods of them, sent at a given pace from an address of the
// test's choice, and real beacons captured to alter or replay. Tests only
// use it; nodes never do.
package hostile

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/discovery"
)

// Beacons sends datagrams to a beacon group and captures the beacons of
// the nodes on it.
type Beacons struct {
	group netip.AddrPort
	out   *net.UDPConn
	ears  *discovery.Conn
	heard chan heard
}

type heard struct {
	b    mesh.Beacon
	from netip.Addr
}

// NewBeacons opens a socket bound to from for sending to group, and joins
// group to hear real beacons. Sockets belong to the network namespace they
// are opened in: call it there.
func NewBeacons(from netip.Addr, group netip.AddrPort) (*Beacons, error) {
	out, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
	if err != nil {
		return nil, fmt.Errorf("hostile: %w", err)
	}
	ears, err := discovery.Listen(context.Background(), discovery.Config{Group: group, Self: 0xbad})
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("hostile: %w", err)
	}
	x := &Beacons{group: group, out: out, ears: ears, heard: make(chan heard, 64)}
	go x.listen()
	return x, nil
}

// listen keeps the latest beacons heard, dropping older ones when nobody
// asks for them.
func (x *Beacons) listen() {
	defer close(x.heard)
	for {
		b, from, err := x.ears.Receive()
		if err != nil {
			return
		}
		select {
		case x.heard <- heard{b, from}:
		default:
			<-x.heard
			x.heard <- heard{b, from}
		}
	}
}

// Close closes both sockets.
func (x *Beacons) Close() {
	x.out.Close()
	x.ears.Close()
	for range x.heard {
	}
}

// Send sends p to the group.
func (x *Beacons) Send(p []byte) error { return x.SendTo(p, x.group) }

// SendTo sends p to to.
func (x *Beacons) SendTo(p []byte, to netip.AddrPort) error {
	_, err := x.out.WriteToUDPAddrPort(p, to)
	return err
}

// Paced sends n datagrams made by next to the group, about rate a second.
func (x *Beacons) Paced(n, rate int, next func(i int) []byte) error {
	const batch = 10
	start := time.Now()
	for i := range n {
		if err := x.Send(next(i)); err != nil {
			return fmt.Errorf("hostile: datagram %d: %w", i, err)
		}
		if i%batch == batch-1 {
			if ahead := time.Duration(i+1)*time.Second/time.Duration(rate) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
	return nil
}

// Capture returns the next beacon heard that match accepts, with the
// address it came from.
func (x *Beacons) Capture(match func(b mesh.Beacon, from netip.Addr) bool, within time.Duration) (mesh.Beacon, netip.Addr, error) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		select {
		case h, ok := <-x.heard:
			if !ok {
				return mesh.Beacon{}, netip.Addr{}, net.ErrClosed
			}
			if match(h.b, h.from) {
				return h.b, h.from, nil
			}
		case <-deadline.C:
			return mesh.Beacon{}, netip.Addr{}, fmt.Errorf("hostile: no such beacon heard within %v", within)
		}
	}
}

// BitFlip returns a copy of p with bit i flipped (bit 0 is the lowest bit
// of p[0]).
func BitFlip(p []byte, i int) []byte {
	q := append([]byte(nil), p...)
	q[i/8] ^= 1 << (i % 8)
	return q
}

// Stranger returns a valid-looking beacon of a node nobody knows: a random
// id and instance, at port, claiming every free slot there is and a need
// for links (so that full nodes answer it).
func Stranger(rng *rand.Rand, port uint16) mesh.Beacon {
	return mesh.Beacon{ID: mesh.NodeID(rng.Uint64() | 1), Instance: rng.Uint64(), Port: port,
		Load: mesh.Load{FreeIn: 255}, Flags: mesh.HelloNeedy}
}

// RandomPort returns a port of the dynamic range, where nothing listens
// most likely.
func RandomPort(rng *rand.Rand) uint16 { return uint16(1024 + rng.IntN(60000)) }
