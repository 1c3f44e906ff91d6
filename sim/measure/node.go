package measure

import "p2pmesh/mesh"

// NodeIndex numbers the nodes of a run in the order they were added.
type NodeIndex = int32

// NodeInfo describes a node's state.
type NodeInfo struct {
	Index       NodeIndex
	Name, Group string
	ID          mesh.NodeID
	Addr        mesh.Addr
	Segment     string
	Alive       bool
	Siphon      bool
	Partitioned bool
	MaxIn       int
	MaxOut      int
	Starts      uint32
	StartedAt   mesh.Time
	NetworkKey  string // the name of the node's network key, "" for none
	Load        mesh.Load
	Stats       mesh.Stats
}
