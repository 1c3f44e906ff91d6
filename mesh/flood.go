package mesh

import "fmt"

// Broadcast by flooding. A message gets an id (origin, sequence); the origin
// sends it on every link, and every node that sees it for the first time
// delivers it to its application once and forwards it on every link but the
// one it came from, with the hop count raised by one. Receptions of a message
// already seen are counted as redundant and go no further.

// Broadcast originates a message with the given payload. The payload is
// retained and shared, not copied.
func (e *Engine) Broadcast(now Time, payload []byte) (MsgID, []Output, error) {
	e.begin(now)
	if !e.active() {
		return MsgID{}, e.out, fmt.Errorf("mesh: node %s is not running", e.id)
	}
	if len(payload) > e.cfg.MaxPayload {
		return MsgID{}, e.out, fmt.Errorf("mesh: payload of %d bytes exceeds the %d-byte limit", len(payload), e.cfg.MaxPayload)
	}
	e.seq++
	id := MsgID{Origin: e.id, Seq: e.seq}
	e.seen.add(id)
	e.stats.Broadcasts++
	e.forward(-1, Message{ID: id, Hops: 1, Payload: payload})
	return id, e.out, nil
}

// onData handles a Data frame received on link i.
func (e *Engine) onData(i int, m *Message) {
	if !e.seen.add(m.ID) {
		e.stats.Redundant++
		return
	}
	e.stats.Delivered++
	e.emit(Output{Kind: OutDeliver, Peer: e.links[i].peer, Msg: *m})
	if e.cfg.Siphon {
		return // a siphoner relays nothing
	}
	next := *m
	if next.Hops < ^uint16(0) {
		next.Hops++
	}
	e.forward(i, next)
}

// forward sends m on every established link except link skip.
func (e *Engine) forward(skip int, m Message) {
	for j := range e.links {
		if j == skip || e.links[j].state != linkEstablished {
			continue
		}
		e.stats.DataSent++
		e.send(j, Frame{Type: FrameData, Msg: m})
	}
}
