package mesh

import (
	"fmt"
	"net/netip"
	"time"
)

// Time is a point in time as the driver sees it: the duration since an epoch
// of the driver's choosing (the start of a simulation, or of a process). The
// engine only compares and adds times; it never reads a clock.
type Time = time.Duration

// NodeID identifies a node. Zero is never a valid id.
type NodeID uint64

// String formats the id as 16 hex digits.
func (id NodeID) String() string { return fmt.Sprintf("%016x", uint64(id)) }

// LinkID is the driver's handle for one connection. The driver chooses link
// ids; an engine only ever sees the ids of its own links, and never reuses
// knowledge of a link after it has been closed.
type LinkID uint64

// Direction tells who dialed a link.
type Direction uint8

const (
	// Outgoing links were dialed by this node.
	Outgoing Direction = iota + 1
	// Incoming links were accepted by this node.
	Incoming
)

func (d Direction) String() string {
	switch d {
	case Outgoing:
		return "out"
	case Incoming:
		return "in"
	}
	return "dir?"
}

// MsgID identifies a broadcast message: its origin and a sequence number that
// is unique for that origin across restarts (its high half comes from the
// instance id).
type MsgID struct {
	Origin NodeID
	Seq    uint64
}

func (m MsgID) String() string { return fmt.Sprintf("%s:%d", m.Origin, m.Seq) }

// Addr is a transport address: an IPv6 (or IPv4-mapped) address and a port.
// It is a plain comparable value so engines can hold many without pointers.
type Addr struct {
	IP   [16]byte
	Port uint16
}

// AddrFrom converts a netip.AddrPort (zones are dropped).
func AddrFrom(ap netip.AddrPort) Addr {
	return Addr{IP: ap.Addr().As16(), Port: ap.Port()}
}

// AddrPort converts back to netip form, unmapping IPv4 addresses.
func (a Addr) AddrPort() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(a.IP).Unmap(), a.Port)
}

// WithPort returns the same host with another port.
func (a Addr) WithPort(port uint16) Addr { a.Port = port; return a }

// IsZero reports whether a is the zero address.
func (a Addr) IsZero() bool { return a == Addr{} }

func (a Addr) String() string {
	if a.IsZero() {
		return "-"
	}
	return a.AddrPort().String()
}
