// Package scenario reads scenario files: YAML documents that describe one
// simulation run of the mesh — the node configuration, the simulated network,
// a timeline of actions (start nodes, kill, restart, partition, heal,
// broadcast, snapshot, check) and the expectations the run must meet.
//
// The package only turns a file into a validated, fully resolved value of
// type [Scenario]; it runs nothing. Every time is resolved to an absolute
// virtual time, every node a file creates is listed with its name, segment,
// group and configuration, and every reference (node, group, segment,
// partition) has been checked against what the timeline declared before it.
// A runner can therefore switch over [Action.Kind] and [Expectation.Kind]
// without further validation.
//
// Problems are reported as an [ErrorList]: one [Error] per problem, each
// formatted as "file:line:col: message", sorted by position and capped at
// [MaxErrors]. The format is documented for users in docs/scenarios.md.
package scenario
