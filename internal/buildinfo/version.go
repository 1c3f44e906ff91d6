// Package buildinfo tells which version of the module a binary was built
// from, for the version commands of p2psim and p2pnode: the version control
// revision, its commit time and whether the work tree had changes that were
// not committed (recorded by go build from a git checkout), and the Go
// version.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Version describes the running binary, for example
// "(devel) revision 1a2b3c4d5e6f, committed 2026-12-06T22:00:00Z, with uncommitted changes; go1.26.8".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(no build information); " + runtime.Version()
	}
	return describe(bi)
}

// describe formats what bi says about the build.
func describe(bi *debug.BuildInfo) string {
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	parts := []string{version}
	if rev := vcs["vcs.revision"]; rev != "" {
		parts = append(parts, "revision "+rev[:min(len(rev), 12)])
		if t := vcs["vcs.time"]; t != "" {
			parts = append(parts, "committed "+t)
		}
		switch vcs["vcs.modified"] {
		case "true":
			parts = append(parts, "with uncommitted changes")
		case "false":
			parts = append(parts, "clean")
		}
	} else {
		parts = append(parts, "no version control information (built outside a git checkout, with -buildvcs=false, or by go run/go test)")
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	return strings.Join(parts, ", ") + "; " + goVersion
}
