package realtimetest

import (
	"flag"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// Main runs the package's tests, at most parallel of those that call
// t.Parallel at once unless -test.parallel is given (its default,
// GOMAXPROCS, is 2 on the CI machine: right for tests that compute, too
// few for tests that wait), and fails if any goroutine is still running
// after they have all ended (go.uber.org/goleak). Call it from TestMain.
func Main(m *testing.M, parallel int) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		if err := flag.Set("test.parallel", strconv.Itoa(parallel)); err != nil {
			panic(err)
		}
	}
	goleak.VerifyTestMain(m)
}
