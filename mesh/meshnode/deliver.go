package meshnode

import (
	"bytes"
	"time"

	"p2pmesh/mesh"
)

// Deliveries to the application, with bounded backpressure: a full channel
// holds the loop up to DeliveryWait, after which the message is dropped,
// counted and logged. While the channel stays full, further messages are
// dropped without waiting, so a stalled application costs the mesh at most
// one DeliveryWait until it reads again.

func (n *Node) deliver(via mesh.NodeID, m *mesh.Message) {
	d := Delivery{From: m.ID.Origin, Via: via, ID: m.ID, Hops: int(m.Hops), Payload: bytes.Clone(m.Payload)}
	select {
	case n.deliveries <- d:
		n.delivered(m)
		return
	default:
	}
	if !n.overflowing && n.cfg.DeliveryWait > 0 {
		t := time.NewTimer(n.cfg.DeliveryWait)
		defer t.Stop()
		select {
		case n.deliveries <- d:
			n.delivered(m)
			return
		case <-t.C:
		}
	}
	n.stats.DeliveriesDropped++
	n.droppedRun++
	if !n.overflowing {
		n.overflowing = true
		n.log.Warn("the application does not read deliveries fast enough; dropping messages until it catches up",
			"buffer", cap(n.deliveries), "waited", n.cfg.DeliveryWait, "msg", m.ID)
	}
}

func (n *Node) delivered(m *mesh.Message) {
	n.stats.Deliveries++
	if n.obs != nil {
		n.obs.Delivered(m)
	}
	if n.overflowing {
		n.log.Warn("deliveries resumed", "dropped", n.droppedRun)
		n.overflowing = false
		n.droppedRun = 0
	}
}
