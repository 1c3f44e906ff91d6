package realnet

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"p2pmesh/mesh"
	"p2pmesh/sim/measure"
)

// Reachability: who can talk to whom. A node that is not running hears
// nothing and says nothing; nodes talk only within their partition (label
// 0 is everybody not in a named partition). Dials, beacons and open links
// all follow it: a dial across a cut or to a crashed node hangs until the
// dial timeout, as to a host that is gone; a dial to a node that left is
// refused at once (its host is up, the port closed); beacons do not cross;
// open links across a cut go dark (conn.go).

// reachable reports whether a and b can talk now: dial, hear each other's
// beacons. Called with n.mu held.
func (n *Net) reachable(a, b measure.NodeIndex) bool {
	na, nb := n.nodes[a], n.nodes[b]
	return na.up && nb.up && na.part == nb.part
}

// cut reports whether a link between a and b must go dark: an end crashed,
// or a partition lies between them. (The links of a node that leaves stay
// lit: its Leave frames must get through.) Called with n.mu held.
func (n *Net) cut(a, b measure.NodeIndex) bool {
	na, nb := n.nodes[a], n.nodes[b]
	return na.crashed() || nb.crashed() || na.part != nb.part
}

// crashed reports a node stopped without leaving.
func (nd *node) crashed() bool { return !nd.up && !nd.left }

// reachBeacon is the beacon buses' Reach: it is called with a bus locked.
func (n *Net) reachBeacon(from, to mesh.NodeID) bool {
	a, okA := n.byID[from]
	b, okB := n.byID[to]
	if !okA || !okB {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.reachable(a, b)
}

// Partition cuts members off from every node outside the partition: open
// links between the two sides go dark, new ones cannot be made, beacons do
// not cross. A node is in one partition at most: putting it in another
// moves it.
func (n *Net) Partition(name string, members []measure.NodeIndex) {
	n.mu.Lock()
	defer n.mu.Unlock()
	label := n.parts.Label(name)
	for _, i := range members {
		n.nodes[i].part = label
	}
	n.darken()
}

// Heal ends the named partition, or every partition when name is empty.
// Links that went dark stay dark: the nodes find them dead and replace
// them.
func (n *Net) Heal(name string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	healed, err := n.parts.Healing(name)
	if err != nil {
		return fmt.Errorf("realnet: %w", err)
	}
	for _, nd := range n.nodes {
		if healed(nd.part) {
			nd.part = 0
		}
	}
	return nil
}

// dialer returns the Dial hook of node from: dials go to the run's nodes
// only, over loopback, and honour reachability.
func (n *Net) dialer(from measure.NodeIndex) func(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	return func(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
		to, ok := n.byAddr[addr]
		if !ok {
			return nil, fmt.Errorf("realnet: %v is not a node of this run: not dialed", addr)
		}
		n.mu.Lock()
		reach, refused := n.reachable(from, to), n.nodes[from].up && !n.nodes[to].up && n.nodes[to].left &&
			n.nodes[from].part == n.nodes[to].part
		n.mu.Unlock()
		switch {
		case refused:
			return nil, fmt.Errorf("realnet: dial %v: connection refused (%s left)", addr, n.nodes[to].name)
		case !reach:
			<-ctx.Done() // the host is gone, or on the other side of a partition
			return nil, fmt.Errorf("realnet: dial %v: %w", addr, ctx.Err())
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr.String())
		if err != nil {
			return nil, err
		}
		return n.register(c, from, to), nil
	}
}
