// Package longtest gates the tests that take long — soaks, studies, large
// scenarios, big layouts, sweeps over many seeds — behind one switch, so
// that the README's `go test -race ./...` stays quick. `.ci/run` turns the
// switch on: CI still runs everything.
//
//	P2P_LONG=1 go test ./...   # also the long tests
package longtest

import (
	"os"
	"testing"
)

// Env is the environment variable that turns the long tests on.
const Env = "P2P_LONG"

// Enabled reports whether the long tests run.
func Enabled() bool {
	v := os.Getenv(Env)
	return v != "" && v != "0" && v != "false"
}

// Skip skips t unless the long tests are on.
func Skip(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skipf("long test: set %s=1 to run it (.ci/run does)", Env)
	}
}
