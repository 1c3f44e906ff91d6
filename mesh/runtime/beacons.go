package runtime

import (
	"context"
	"errors"
	"net"
	"time"

	"p2pmesh/mesh"
	"p2pmesh/mesh/discovery"
)

// Beacons: the engine's OutBeacon goes out by UDP multicast, and beacons of
// other nodes come back in as HandleBeacon (package discovery does the
// sockets).

// noMulticastHelp says how to get a node going without multicast.
const noMulticastHelp = "no multicast-capable interface is up, so this node cannot find peers by itself; " +
	"on a single host run `ip link set lo multicast on`, " +
	"or give static peers (p2pnode --peer HOST:PORT); the node keeps running and accepts links"

// openDiscovery opens the multicast socket, or returns nil (logged) when it
// cannot: the node then works with static peers only.
func (n *Node) openDiscovery(ctx context.Context) *discovery.Conn {
	group, _ := discovery.ParseGroup(n.cfg.Group) // validated by Start
	d, err := discovery.Listen(ctx, discovery.Config{
		Group:      group,
		Interfaces: n.cfg.Interfaces,
		Self:       n.id,
		Logger:     n.log,
	})
	switch {
	case d == nil:
		n.log.Error("multicast discovery is off: "+err.Error()+"; use static peers (p2pnode --peer HOST:PORT)", "group", group)
		return nil
	case errors.Is(err, discovery.ErrNoInterface):
		n.log.Warn(noMulticastHelp, "group", group)
	default:
		n.log.Info("multicast discovery on", "group", group, "interfaces", d.Joined())
	}
	return d
}

// beaconLoop passes beacons heard on the LAN to the loop.
func (n *Node) beaconLoop() {
	defer n.wg.Done()
	for {
		b, ip, err := n.disc.Receive()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			n.log.Debug("multicast receive failed", "err", err)
			t := time.NewTimer(100 * time.Millisecond) // do not spin on a persistent error
			select {
			case <-t.C:
			case <-n.quit:
				t.Stop()
				return
			}
			continue
		}
		if !n.post(event{kind: evBeacon, beacon: b, ip: ip}) {
			return
		}
	}
}

func (n *Node) sendBeacon(b *mesh.Beacon) {
	if n.disc == nil {
		return
	}
	if err := n.disc.Send(b); err != nil {
		n.log.Debug("beacon not sent on some interfaces", "err", err)
	}
}
