package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribeNamesRevisionTimeChangesAndGo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "p2pmesh", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "d063626f0123456789abcdef0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-12-06T21:58:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	want := "(devel), revision d063626f0123, committed 2026-12-06T21:58:00Z, with uncommitted changes; go1.26.8"
	if got := describe(bi); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	bi.Settings[3].Value = "false"
	if got := describe(bi); !strings.Contains(got, "d063626f0123, committed 2026-12-06T21:58:00Z, clean; go1.26.8") {
		t.Errorf("clean build: %s", got)
	}
	bi.Settings = nil
	if got := describe(bi); !strings.Contains(got, "no version control information") || !strings.HasSuffix(got, "; go1.26.8") {
		t.Errorf("no VCS settings: %s", got)
	}
}

func TestVersionOfTheTestBinary(t *testing.T) {
	if v := Version(); !strings.Contains(v, "go1.") {
		t.Errorf("Version() = %q, want the Go version in it", v)
	}
}
