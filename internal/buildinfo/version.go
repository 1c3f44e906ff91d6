// Package buildinfo tells which version of the module a binary was built
// from, for the --version of the commands.
package buildinfo

import "runtime/debug"

// Version reports the module version the binary was built from, or "(devel)"
// for a build from a work tree.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
