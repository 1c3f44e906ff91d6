package sim

import "p2pmesh/mesh"

// Counters totals the traffic of a run.
type Counters struct {
	Beacons           uint64 // beacons multicast
	BeaconReceptions  uint64 // beacons handed to engines
	Dials             uint64 // connection attempts
	Frames            uint64 // frames sent on links
	FramesByType      [16]uint64
	Bytes             uint64 // encoded size of the frames sent
	DialFailures      uint64
	DeliveriesApp     uint64 // messages handed to applications
	Retransmitted     uint64 // segments retransmitted: lost (Network.Loss) or cut by a partition
	BeaconsLost       uint64 // beacons a node missed (Network.BeaconLoss)
	ConnectionsOpened uint64
	KeyRefused        uint64 // dials refused by the network key's handshake
}

// Counters returns the traffic totals so far.
func (s *Sim) Counters() Counters { return s.counters }

func (c *Counters) frame(f *mesh.Frame) {
	c.Frames++
	if int(f.Type) < len(c.FramesByType) {
		c.FramesByType[f.Type]++
	}
	c.Bytes += uint64(mesh.EncodedSize(f))
}
