package measure

import "fmt"

// Partitions numbers named partitions. A node's partition label is 0 while
// it is in none; nodes talk only to nodes with the same label. A name keeps
// its label when it is used again after a heal. The simulator and runs on
// real sockets (package p2pmesh/sim/realnet) share these rules.
type Partitions struct {
	labels map[string]int32
}

// Label returns the label of the named partition, numbering a new name.
func (p *Partitions) Label(name string) int32 {
	if p.labels == nil {
		p.labels = make(map[string]int32)
	}
	label, ok := p.labels[name]
	if !ok {
		label = int32(len(p.labels) + 1)
		p.labels[name] = label
	}
	return label
}

// Healing returns which labels healing name ends (every label when name is
// empty), or an error when no partition has that name.
func (p *Partitions) Healing(name string) (func(label int32) bool, error) {
	label, ok := p.labels[name]
	if name != "" && !ok {
		return nil, fmt.Errorf("no partition named %q", name)
	}
	return func(l int32) bool { return name == "" || l == label }, nil
}
