package mesh

import "fmt"

// Broadcast. A message gets an id (origin, sequence); every node that sees it
// for the first time delivers it to its application once and relays it with
// the hop count raised by one; receptions of a message already seen are
// counted as redundant and go no further. In flood mode a node relays the
// payload on every link but the one it came from; in tree mode (tree.go) only
// on the links of its broadcast tree, announcing the id on the others.

// Broadcast originates a message with the given payload. The payload is
// retained and shared, not copied.
func (e *Engine) Broadcast(now Time, payload []byte) (MsgID, []Output, error) {
	e.begin(now)
	if !e.active() {
		return MsgID{}, e.box.out, fmt.Errorf("mesh: node %s is not running", e.id)
	}
	if len(payload) > e.cfg.MaxPayload {
		return MsgID{}, e.box.out, fmt.Errorf("mesh: payload of %d bytes exceeds the %d-byte limit", len(payload), e.cfg.MaxPayload)
	}
	e.seq++
	id := MsgID{Origin: e.id, Seq: e.seq}
	e.seen.add(id)
	e.stats.Broadcasts++
	if m := (Message{ID: id, Hops: 1, Payload: payload}); !e.hold(m) {
		e.relay(-1, m)
	}
	return id, e.box.out, nil
}

// onData handles a Data frame received on link i.
func (e *Engine) onData(i int, m *Message) {
	if len(m.Payload) > e.cfg.MaxPayload {
		e.protocolError(i)
		return
	}
	if !e.seen.add(m.ID) {
		e.stats.Redundant++
		if e.cfg.Mode == ModeTree {
			e.treeDuplicate(i)
		}
		return
	}
	e.stats.Delivered++
	o := e.emitNew(OutDeliver)
	o.Peer, o.Msg = e.links[i].peer, *m
	if e.cfg.Siphon {
		return // a siphoner relays nothing
	}
	next := *m
	if next.Hops < ^uint16(0) {
		next.Hops++
	}
	e.relay(i, next)
}

// relay passes m on to every established link except link skip: the payload
// on all of them when flooding, on the tree's links only in tree mode.
func (e *Engine) relay(skip int, m Message) {
	if e.cfg.Mode == ModeTree {
		e.treeRelay(skip, m)
		return
	}
	for j := range e.links {
		if j == skip || e.links[j].state != linkEstablished {
			continue
		}
		e.sendData(j, m)
	}
}

func (e *Engine) sendData(j int, m Message) {
	e.stats.DataSent++
	e.sendFrame(j, FrameData).Msg = m
}
