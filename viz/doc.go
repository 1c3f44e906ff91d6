// Package viz draws the pictures of a simulation run from the files the run
// leaves behind (report.json and topology.json, see p2pmesh/sim/report):
//
//   - topology-<snapshot>.png: the overlay at each snapshot. Nodes sit where
//     a force-directed layout (gonum's EadesR2, seeded from the run's seed)
//     put them once for the whole run, over the links of every snapshot, so
//     the snapshots of one run compare side by side. Colour says what the
//     snapshot is about (colouring.go: side of a partition, connected
//     component, LAN segment, or group and role), shape the role or state,
//     size the links on one scale for the run; links between LANs are
//     dashed and, in tree mode, the broadcast tree is drawn bold. Runs of
//     more than SampleAbove nodes are drawn as a sample of SampleSize nodes
//     spread over the LANs, which the title says; the legend counts what is
//     drawn.
//   - lans.png: for runs on several LANs, one disc per LAN and one line per
//     pair of LANs linked, as wide as their links are many.
//   - broadcast-<id>.png: the first broadcast, the worst and any an
//     expectation names, over the topology: nodes coloured by the hop of
//     their first delivery, the first-arrival tree, missed nodes marked
//     (from spread.json).
//   - latency.png: every broadcast's delivery latencies as a cumulative
//     distribution.
//   - topology-<snapshot>.dot: the same snapshot in Graphviz DOT, encoded
//     by gonum's graph/encoding/dot, with states, colours and positions.
//   - redundancy.png: per broadcast the payload transmissions against the
//     ideal of one per node running at the send and the redundant
//     receptions, RMR and last delivery hop; per node a histogram of
//     redundant receptions stacked by group.
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
