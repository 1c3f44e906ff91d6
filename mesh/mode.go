package mesh

import (
	"fmt"
	"strings"
)

// Modes lists every broadcast mode, in the order of their values.
var Modes = allModes()

func allModes() []Mode {
	modes := make([]Mode, len(strategies))
	for i := range modes {
		modes[i] = Mode(i)
	}
	return modes
}

// ParseMode returns the mode whose String is s ("flood" or "tree").
func ParseMode(s string) (Mode, error) {
	names := make([]string, len(Modes))
	for i, m := range Modes {
		if m.String() == s {
			return m, nil
		}
		names[i] = m.String()
	}
	return 0, fmt.Errorf("unknown broadcast mode %q: want one of %s", s, strings.Join(names, ", "))
}
