// Package adversary names the ways an engine may be made to depart from the
// protocol, so that simulations and tests can show honest nodes coping with
// such peers. Only code of module p2pmesh can import it (it is internal),
// and a Behaviour other than the zero one can be made only here: an
// engine's configuration (mesh.Config.Misbehave) therefore cannot make a
// node misbehave anywhere but in this module's simulator and tests.
package adversary

// Behaviour is how an engine misbehaves; the zero Behaviour is honest.
type Behaviour struct {
	siphon bool
}

// Siphoner takes links but serves nobody: it accepts no incoming links
// (with MaxIn 0), relays nothing, shares no peers and sends no beacons.
func Siphoner() Behaviour { return Behaviour{siphon: true} }

// Siphon reports whether b is a siphoner's behaviour.
func (b Behaviour) Siphon() bool { return b.siphon }

// Honest reports whether b follows the protocol.
func (b Behaviour) Honest() bool { return b == Behaviour{} }
