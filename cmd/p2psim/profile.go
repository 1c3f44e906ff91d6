package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiler writes the CPU profile of a run and a heap profile at its end
// (go tool pprof reads both), for finding where the simulator spends its
// time and memory.
type profiler struct {
	cpu     *os.File
	memPath string
}

// startProfiles starts CPU profiling into cpuPath (if not empty) and
// remembers memPath for writeHeap.
func startProfiles(cpuPath, memPath string) (*profiler, error) {
	p := &profiler{memPath: memPath}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		p.cpu = f
	}
	return p, nil
}

// stop ends the CPU profile.
func (p *profiler) stop() error {
	if p.cpu == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.cpu.Close()
	p.cpu = nil
	return err
}

// writeHeap writes the heap profile: the memory in use after a collection,
// and every allocation made so far (pprof's -sample_index=alloc_space).
func (p *profiler) writeHeap() error {
	if p.memPath == "" {
		return nil
	}
	f, err := os.Create(p.memPath)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}
