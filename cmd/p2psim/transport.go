package main

import (
	"p2pmesh/sim/realnet"
	"p2pmesh/sim/runner"
	"p2pmesh/sim/scenario"
)

// tcpNetwork plays a scenario on real nodes over loopback TCP
// (--transport tcp).
func tcpNetwork(sc *scenario.Scenario, seed uint64) (runner.Network, error) {
	return realnet.New(sc, seed, realnet.Options{})
}
