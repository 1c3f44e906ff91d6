package mesh

// Flooding (ModeFlood): a node relays the payload of every new message on
// every established link but the one it came from. It keeps no state of its
// own: a flooding engine's broadcast strategy is the empty flooding value.

type flooding struct{}

func (flooding) start(*Engine) {}

func (flooding) relay(e *Engine, skip int, m Message) {
	for j := range e.links {
		if j == skip || e.links[j].state != linkEstablished {
			continue
		}
		e.sendData(j, m)
	}
}

// duplicate: a flood sends every copy on purpose; there is nothing to
// repair.
func (flooding) duplicate(*Engine, int, MsgID) {}

// frame ignores the frames of a tree (a neighbour in tree mode).
func (flooding) frame(*Engine, int, *Frame) {}

func (flooding) timer(*Engine, TimerKind) {}

func (flooding) linkUp(*Engine, int) {}

func (flooding) linkDown(*Engine, NodeID) {}

// keepalive pings a link on which the peer would otherwise not hear from
// this node in time (healing.go's keepaliveDue).
func (flooding) keepalive(e *Engine, i int) {
	if e.keepaliveDue(i) {
		e.send(i, Frame{Type: FramePing, Load: e.Load()})
	}
}

func (flooding) tellLoad(e *Engine, i int) { e.send(i, Frame{Type: FramePing, Load: e.Load()}) }

func (flooding) pulse(*Engine) {}

func (flooding) leave() {}

// lazy: every link carries every payload.
func (flooding) lazy(int) bool { return false }

func (flooding) carried(*Engine, int) int { return 0 }

func (flooding) onTree(int) bool { return false }

func (flooding) keep(*Engine, int, Message) {}

func (flooding) keepsOutgoing(*Engine) bool { return false }

// sending: never a reason to wait; every link carries every payload, so a
// link closed under a sender's messages leaves its peer the others.
func (flooding) sending(*Engine, Time) bool { return false }

// relaying: a flooded message reaches each node over many links, so a link
// closed under it costs nothing.
func (flooding) relaying(*Engine) bool { return false }

// resendsRecent: a flooded message that went out only over links to peers
// that had just crashed is lost, as nothing fetches it later.
func (flooding) resendsRecent() bool { return true }

func (flooding) position() (Position, NodeID) { return Position{}, 0 }

func (flooding) addLink(int) {}

func (flooding) removeLink(int) {}
