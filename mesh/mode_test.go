package mesh

import "testing"

func TestParseMode(t *testing.T) {
	for _, m := range Modes {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseMode("gossip"); err == nil {
		t.Error("ParseMode(gossip) accepted an unknown mode")
	}
}

// Every engine a simulation starts validates its configuration: a valid
// one, in any mode, costs no allocation (the strategies' checks once made
// Validate's closure escape, two allocations per engine).
func TestValidateAllocatesNothing(t *testing.T) {
	for _, m := range Modes {
		c := DefaultConfig()
		c.Mode = m
		if n := testing.AllocsPerRun(100, func() { _ = c.Validate() }); n != 0 {
			t.Errorf("%v: Validate allocates %v times", m, n)
		}
	}
}
