// Package sim is a deterministic discrete-event simulator that drives many
// mesh engines over an in-memory network.
//
// It implements no protocol rule: every decision is the engine's (package
// mesh), exactly the code a real node runs. The simulator supplies what the
// engines cannot have themselves: a virtual clock, links with latency (fixed,
// uniform or normal), loss and FIFO order like TCP, LAN segments that carry
// beacons to their members, partitions, crashes (silent) and graceful leaves,
// and measurements: per broadcast the nodes reached, payload transmissions,
// redundant receptions, RMR, last delivery hop and latency; per node its links
// and redundant receptions; over time alive nodes, links and connected
// components.
//
// One seed fixes a run. Events are ordered by (time, insertion sequence) in a
// binary heap, nodes and links live in slices indexed by number, and every
// random draw comes from seeded PCG sources, so no map order, goroutine or
// wall clock can leak in: the same seed gives the same trace on any machine.
package sim
