// Package viz draws the pictures of a simulation run from the files the run
// leaves behind (report.json and topology.json, see p2pmesh/sim/report):
//
//   - topology-<snapshot>.png: the overlay at each snapshot. Nodes sit where
//     a force-directed layout (gonum's EadesR2, seeded from the run's seed)
//     put them once for the whole run, over the links of every snapshot, so
//     the snapshots of one run compare side by side. Colour and marker give
//     a node's state (alive, siphon, partitioned, killed, not started) in a
//     colour-blind-safe palette, size its number of links; links are thin
//     grey lines. Runs of more than SampleAbove nodes are drawn as a sample
//     of SampleSize nodes, which the title says.
//   - topology-<snapshot>.dot: the same snapshot in Graphviz DOT, encoded
//     by gonum's graph/encoding/dot, with states, colours and positions.
//   - redundancy.png: per broadcast the payload transmissions against the
//     ideal of one per receiver and the redundant receptions, RMR and last
//     delivery hop; per node a histogram of redundant receptions.
//   - timeseries.png: running nodes, links, connected components and
//     broadcast reliability against virtual time, in stacked panels, with
//     kills, leaves, restarts, partitions, heals and snapshots marked.
//   - degrees.png: histograms of incoming and outgoing links per node alive
//     at the end, with the configured limits.
//   - index.html: a self-contained page with the scenario, the
//     expectations, the summary, the broadcasts and the pictures.
//
// RenderDir does all of it for a report directory. The same input always
// gives byte-identical files: nothing depends on map order or the clock.
package viz
