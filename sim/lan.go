package sim

import (
	"fmt"

	"p2pmesh/mesh"
)

// NewLAN returns a simulation of n nodes named n0, n1, … in one segment
// "lan", all started at time 0, on the default network.
func NewLAN(seed uint64, n int, cfg mesh.Config) (*Sim, error) {
	s, err := New(seed, DefaultNetwork())
	if err != nil {
		return nil, err
	}
	seg := s.AddSegment("lan")
	for i := 0; i < n; i++ {
		idx, err := s.AddNode(fmt.Sprintf("n%d", i), "", cfg, seg)
		if err != nil {
			return nil, err
		}
		s.Start(idx, 0)
	}
	return s, nil
}
