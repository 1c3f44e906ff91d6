// Package deploy holds the Kubernetes manifests that run p2pmesh's image
// (the Dockerfile at the repository's root) on a cluster: a sweep sharded
// over an Indexed Job and merged by a second Job (sweep-*.yaml), and one
// real p2pnode per host (p2pnode-daemonset.yaml). It has no code; its test
// checks the manifests' structure and that they agree with each other, with
// the Dockerfile and with the p2psim flags they use (README: "Sweeps on a
// cluster").
package deploy
