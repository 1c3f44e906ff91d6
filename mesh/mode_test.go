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
