package meshnode

import (
	"fmt"

	"p2pmesh/mesh"
)

// linkLog tells the person running a node, one info line each, when a link
// to a peer is made (the peer's id and address, and who dialed) and when
// one is lost (and why: the reason this node closed it, or what happened to
// the connection). Owned by the loop goroutine.
type linkLog struct {
	shown   []mesh.LinkInfo        // the established links last logged
	scratch []mesh.LinkInfo        // reused for the engine's current list
	why     map[mesh.LinkID]string // why a link closing now was closed
}

// closing records why link id is being closed, for the line that says it
// was lost.
func (l *linkLog) closing(id mesh.LinkID, why string) {
	if l.why == nil {
		l.why = map[mesh.LinkID]string{}
	}
	if _, ok := l.why[id]; !ok {
		l.why[id] = why
	}
}

// noteLinks compares the engine's established links with those logged before
// and logs the difference.
func (n *Node) noteLinks() {
	l := &n.links
	cur := n.eng.Links(l.scratch[:0])
	for _, old := range l.shown {
		if linkIn(cur, old.Link) {
			continue
		}
		why, ok := l.why[old.Link]
		if !ok {
			why = "the connection closed"
		}
		if !n.leaving {
			n.log.Info("link lost", "peer", old.Peer, "addr", old.Addr, "dir", old.Dir, "why", why, "links", len(cur))
		}
	}
	for _, c := range cur {
		if !linkIn(l.shown, c.Link) {
			n.log.Info("link made", "peer", c.Peer, "addr", c.Addr, "dir", c.Dir, "why", dialedBy(c.Dir), "links", len(cur))
		}
	}
	clear(l.why)
	l.shown, l.scratch = append(l.shown[:0], cur...), cur
}

func linkIn(links []mesh.LinkInfo, id mesh.LinkID) bool {
	for i := range links {
		if links[i].Link == id {
			return true
		}
	}
	return false
}

// dialedBy says who opened a link of direction d.
func dialedBy(d mesh.Direction) string {
	if d == mesh.Outgoing {
		return "this node dialed the peer"
	}
	return "the peer dialed this node"
}

// closeWhy says why the engine closed a link, as the person running the
// node would put it.
func closeWhy(r mesh.Reason) string {
	switch r {
	case mesh.ReasonLeaving:
		return "the peer left the mesh"
	case mesh.ReasonDead:
		return "the peer stopped answering (dead-link timeout)"
	case mesh.ReasonDuplicate:
		return "a second link to the same peer"
	case mesh.ReasonFull:
		return "no free link slot"
	case mesh.ReasonEvicted:
		return "closed to make room for a node with too few links"
	case mesh.ReasonFreeRider:
		return "the peer takes links but offers none"
	case mesh.ReasonSurplus:
		return "no longer needed"
	case mesh.ReasonProtocol:
		return "the peer broke the protocol"
	case mesh.ReasonHandshake:
		return "no handshake in time"
	}
	return "closed: " + r.String()
}

// closedWhy is what a lost connection's error says, for a link-lost line.
func closedWhy(err error) string {
	if err == nil {
		return "the peer closed the connection"
	}
	return fmt.Sprintf("the connection broke: %v", err)
}
