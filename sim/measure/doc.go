// Package measure holds what every network under test of a scenario reports
// and is judged by, whether it is the simulator (package p2pmesh/sim) or real
// nodes on sockets (package p2pmesh/sim/realnet): the numbering of nodes
// (NodeIndex) and what a node is (NodeInfo), the overlay at one moment and
// its connected components (Topology), the ledger that judges every
// broadcast (Ledger), and the labels of named partitions (Partitions).
// Both networks import it, so neither imports the other.
//
// It implements no protocol rule.
package measure
