// Package runner plays a scenario file on the simulator and judges it: it
// builds the network the file describes, schedules its timeline of starts,
// kills, partitions, broadcasts, snapshots and checks in virtual time, samples
// the mesh as it goes, evaluates the expectations and assembles the
// deterministic report (package report). It adds no protocol logic: nodes are
// mesh engines driven by package sim.
//
// The runner reaches the network only through the Network interface, so
// the same timeline, measurements, expectations and report also serve a
// run on real sockets (package p2pmesh/sim/realnet, p2psim --transport
// tcp), whose report is not deterministic.
package runner
