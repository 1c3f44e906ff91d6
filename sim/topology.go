package sim

import (
	"p2pmesh/mesh"
	"p2pmesh/sim/measure"
)

// Topology takes a snapshot of the overlay.
func (s *Sim) Topology() *Topology {
	alive := make([]NodeIndex, 0, s.aliveCount())
	keys := s.edgeKeys[:0] // reused: TopologyOfEdges keeps none of it
	var buf []mesh.LinkInfo
	for i := range s.nodes {
		n := &s.nodes[i]
		if !n.alive {
			continue
		}
		alive = append(alive, NodeIndex(i))
		buf = n.eng.Links(buf[:0])
		for _, l := range buf {
			j, ok := s.peerIndex(NodeIndex(i), &l)
			if !ok || j == NodeIndex(i) || !s.nodes[j].alive {
				continue
			}
			keys = measure.AppendEdge(keys, NodeIndex(i), j)
		}
	}
	s.edgeKeys = keys
	return measure.TopologyOfEdges(s.now, len(s.nodes), alive, keys)
}

// peerIndex returns the node that holds the id node i's link l leads to:
// the other end of the link's connection when it holds that id, which it
// nearly always does and which costs no lookup in the map of a million
// ids; otherwise whoever holds the id (an impostor at the other end
// claimed another's).
func (s *Sim) peerIndex(i NodeIndex, l *mesh.LinkInfo) (NodeIndex, bool) {
	if c := s.conn(l.Link); c != nil {
		j := c.a
		if j == i {
			j = c.b
		}
		if s.nodes[j].id == l.Peer {
			return j, true
		}
	}
	j, ok := s.byID[l.Peer]
	return j, ok
}

// aliveCount counts the running nodes.
func (s *Sim) aliveCount() int {
	n := 0
	for i := range s.nodes {
		if s.nodes[i].alive {
			n++
		}
	}
	return n
}

// Components counts the connected components of t that hold at least one
// honest node: a siphoner that honest nodes refused stays alone, and is not
// a split of the mesh.
func (s *Sim) Components(t *Topology) int {
	return t.HonestComponents(func(i NodeIndex) bool { return s.nodes[i].cfg.Misbehaviour().Siphon() })
}
