package adversary

import "testing"

func TestZeroBehaviourIsHonest(t *testing.T) {
	var b Behaviour
	if !b.Honest() || b.Siphon() {
		t.Fatalf("zero behaviour: honest %v, siphon %v", b.Honest(), b.Siphon())
	}
	if s := Siphoner(); s.Honest() || !s.Siphon() {
		t.Fatalf("siphoner: honest %v, siphon %v", s.Honest(), s.Siphon())
	}
}
