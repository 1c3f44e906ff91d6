// Package sweep runs one scenario over a grid of parameters and seeds: the
// cross product of the values given for each parameter (scenario.Override
// paths such as timeline[3].kill.percent) and of the seeds, each point an
// ordinary run of sim/runner with its own simulator, several at once on
// separate goroutines. It tabulates every point's summary (sweep.csv,
// sweep.json), splits the points into deterministic shards for many
// machines, and merges the shards' folders back into the result one
// machine would have written.
package sweep
