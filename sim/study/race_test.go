//go:build race

package study

// raceDetector is whether the tests run under the race detector, which
// slows a 10,000-node run about tenfold.
const raceDetector = true
