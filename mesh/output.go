package mesh

import "fmt"

// OutputKind says what an Output asks the driver to do.
type OutputKind uint8

const (
	// OutSend asks to send Frame on Link.
	OutSend OutputKind = iota + 1
	// OutDial asks to open a connection to Addr, the listen address of Peer
	// (Peer is zero when only the address is known, as for static peers).
	// The driver answers every dial with exactly one HandleLinkOpened,
	// HandleDialAnswered or HandleDialFailed. Frame is the dial's Hello: a
	// driver may send it as soon as the connection opens and tell the
	// engine of the connection with the first frame read back
	// (HandleDialAnswered), or tell it at once (HandleLinkOpened), and the
	// engine sends a Hello then.
	OutDial
	// OutClose asks to close Link once the frames queued before it are sent.
	// The engine forgets the link at once; a later HandleLinkClosed for it is
	// ignored.
	OutClose
	// OutBeacon asks to multicast Beacon on the LAN.
	OutBeacon
	// OutDeliver hands Msg to the application. It happens once per message.
	OutDeliver
	// OutTimer asks for HandleTimer(Timer) at time At. A timer of the same
	// kind set earlier is replaced; a driver may still deliver the earlier
	// one, which the engine then ignores.
	OutTimer
	// OutUnsentDropped reports that Msg, a broadcast of this node's that
	// waited for a first link, was dropped unsent: more than
	// Config.UnsentLimit broadcasts waited (unsent.go).
	OutUnsentDropped
	// OutHearOffers says whether the node wants to be handed offers
	// (Beacon.Offer) from now on: Hear is false while every slot of the
	// node is in use, and true again once a link goes. A driver that hands
	// it offers all the same changes nothing (the engine ignores them), but
	// each is an input spent. Calls (every other beacon) it always wants.
	OutHearOffers
)

func (k OutputKind) String() string {
	switch k {
	case OutSend:
		return "send"
	case OutDial:
		return "dial"
	case OutClose:
		return "close"
	case OutBeacon:
		return "beacon"
	case OutDeliver:
		return "deliver"
	case OutTimer:
		return "timer"
	case OutUnsentDropped:
		return "unsent-dropped"
	case OutHearOffers:
		return "hear-offers"
	}
	return fmt.Sprintf("output(%d)", uint8(k))
}

// TimerKind names one of the engine's timers.
type TimerKind uint8

const (
	// TimerMaintain drives keepalives, dead-link detection and healing.
	TimerMaintain TimerKind = iota
	// TimerBeacon drives the Trickle schedule of beacons.
	TimerBeacon
	// TimerDial batches dial decisions shortly after new peers are heard.
	TimerDial
	// TimerGraft asks announcers for messages that did not arrive over the
	// broadcast tree (tree mode).
	TimerGraft
	// TimerIHave flushes batched announcements (tree mode).
	TimerIHave
	// TimerTree checks whether the tree parent fell behind a neighbour's
	// round: its path to the root broke (tree mode).
	TimerTree
	numTimers
)

func (k TimerKind) String() string {
	switch k {
	case TimerMaintain:
		return "maintain"
	case TimerBeacon:
		return "beacon"
	case TimerDial:
		return "dial"
	case TimerGraft:
		return "graft"
	case TimerIHave:
		return "ihave"
	case TimerTree:
		return "tree"
	}
	return fmt.Sprintf("timer(%d)", uint8(k))
}

// Output is one effect asked of the driver. Only the fields of its Kind are
// meaningful.
type Output struct {
	Kind   OutputKind
	Link   LinkID    // Send, Close
	Peer   NodeID    // Send, Dial, Close (zero if unknown)
	Addr   Addr      // Dial
	Frame  Frame     // Send (a Peers frame's list, like the output, is good until the engine's next call)
	Reason Reason    // Close
	Beacon Beacon    // Beacon
	Msg    Message   // Deliver, UnsentDropped
	Timer  TimerKind // Timer
	Hear   bool      // HearOffers
	At     Time      // Timer
}
