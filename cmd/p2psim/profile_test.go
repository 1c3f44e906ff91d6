package main

import (
	"os"
	"path/filepath"
	"testing"
)

// --cpuprofile and --memprofile write profiles (gzip-compressed protocol
// buffers, as go tool pprof reads them).
func TestRunWritesProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	code, out, errs := run(t, "run", "../../scenarios/quickstart.yaml", "--out", dir, "--no-render",
		"--cpuprofile", cpu, "--memprofile", mem)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, path := range []string{cpu, mem} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 100 || data[0] != 0x1f || data[1] != 0x8b {
			t.Fatalf("%s: %d bytes, not a gzip-compressed profile", path, len(data))
		}
	}
}

func TestRunProfileToBadPathIsAUsageError(t *testing.T) {
	code, _, errs := run(t, "run", "../../scenarios/quickstart.yaml", "--out", t.TempDir(), "--no-render",
		"--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.pprof"))
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d\n%s", code, exitInvalid, errs)
	}
}
