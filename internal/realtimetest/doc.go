// Package realtimetest serves the tests that run on real sockets and the
// wall clock (mesh/meshnode, sim/realnet, cmd/p2pnode): such a test mostly
// waits — for a link, a keepalive, a deadline — so many of them can wait at
// once. It gives them a goroutine leak check that still names the leaking
// test when tests run in parallel (Check), and a TestMain that lets more
// of them run at once than the default GOMAXPROCS and checks the whole
// package for leaks at the end (Main).
package realtimetest
