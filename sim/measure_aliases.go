package sim

import "p2pmesh/sim/measure"

// The simulator's vocabulary that runs on real sockets share (package
// p2pmesh/sim/measure), named here too so that the simulator's callers
// need only this package.
type (
	NodeIndex       = measure.NodeIndex
	NodeInfo        = measure.NodeInfo
	Topology        = measure.Topology
	Ledger          = measure.Ledger
	NodeState       = measure.NodeState
	BroadcastResult = measure.BroadcastResult
	Partitions      = measure.Partitions
	Spread          = measure.Spread
)

// DefaultSpreadBudget is measure.DefaultSpreadBudget: the node entries the
// simulator spends following broadcasts node by node.
const DefaultSpreadBudget = measure.DefaultSpreadBudget
