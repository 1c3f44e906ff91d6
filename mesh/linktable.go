package mesh

// linkTable holds an engine's links in the order they were opened: each
// link and its id in two slices side by side (the ids alone are scanned for
// every frame received), and index-aligned with what the broadcast strategy
// keeps per link (broadcast.addLink and removeLink). Only append and remove
// change the table, so the three never fall out of step. Removing a link
// moves the later ones down by one and keeps their order, on which the
// order of an engine's outputs depends.
type linkTable struct {
	linkIDs []LinkID // the id of links[i]
	links   []link
}

// appendLink adds link l with id, room made for capacity links when the
// table is new, and the strategy's per-link state beside it; it returns
// the link's index.
func (t *linkTable) appendLink(id LinkID, l link, capacity int, bc broadcast) int {
	if t.links == nil {
		// Room for a full node and one handshake: a simulation of many
		// nodes would otherwise keep half as much again in spare capacity.
		t.links, t.linkIDs = make([]link, 0, capacity), make([]LinkID, 0, capacity)
	}
	bc.addLink(cap(t.links))
	t.links = append(t.links, l)
	t.linkIDs = append(t.linkIDs, id)
	return len(t.links) - 1
}

// removeLink forgets link i and the strategy's state for it; the links
// after it move down by one.
func (t *linkTable) removeLink(i int, bc broadcast) {
	last := len(t.links) - 1
	copy(t.links[i:], t.links[i+1:])
	t.links[last] = link{}
	t.links = t.links[:last]
	t.linkIDs = append(t.linkIDs[:i], t.linkIDs[i+1:]...)
	bc.removeLink(i)
}

// linkIndex finds a link by id. It scans the compact id list rather than
// the links themselves: it runs for every frame received.
func (t *linkTable) linkIndex(id LinkID) int {
	for i, x := range t.linkIDs {
		if x == id {
			return i
		}
	}
	return -1
}

// peerLink returns the index of the established link to peer, or -1.
func (t *linkTable) peerLink(peer NodeID) int {
	if peer == 0 {
		return -1
	}
	for j := range t.links {
		if t.links[j].peer == peer && t.links[j].state == linkEstablished {
			return j
		}
	}
	return -1
}

// after returns where link keep is once link gone has been removed.
func after(gone, keep int) int {
	if gone < keep {
		return keep - 1
	}
	return keep
}
