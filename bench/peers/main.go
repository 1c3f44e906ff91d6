// Command peers builds the same networks with go-libp2p-pubsub (floodsub and
// gossipsub, on libp2p's in-memory network) and with the p2pmesh simulator,
// and compares wall time, CPU time, peak memory, deliveries and duplicate
// receptions. Each system runs in its own child process (this binary again,
// subcommand "child"), so that the peak resident memory the kernel reports
// for the child is that system's alone. See README.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// params describe one run of one system.
type params struct {
	System     string
	N          int
	Broadcasts int
	Latency    time.Duration
	Interval   time.Duration
	Size       int
	Degree     int
	Seed       uint64
	Sign       bool
	// Span is the virtual time, in seconds, the simulator must cover at
	// least: the longest wall time of the libp2p runs of the same N.
	Span float64
	// ReadyLinks is the number of links every node of our mesh must have
	// before the broadcasts start (0: the engine's MinLinks).
	ReadyLinks     int
	ReadyTimeout   time.Duration
	DeliverTimeout time.Duration
}

// result is what a child reports on its standard output, as JSON. Times are
// seconds since the start of the run.
type result struct {
	System        string  `json:"system"`
	N             int     `json:"n"`
	Broadcasts    int     `json:"broadcasts"`
	Links         int     `json:"links"`
	Expected      int64   `json:"expected"`       // deliveries owed: broadcasts × (n-1)
	Delivered     int64   `json:"delivered"`      // first receptions at nodes other than the origin
	AppDuplicates int64   `json:"app_duplicates"` // messages handed to an application twice
	Redundant     int64   `json:"redundant"`      // receptions of a message the node already had
	ReadyAt       float64 `json:"ready_at"`       // mesh formed (virtual time for ours)
	ReadyWall     float64 `json:"ready_wall"`
	FirstPublish  float64 `json:"first_publish"`
	LastDelivery  float64 `json:"last_delivery"` // virtual time for ours
	// LastDeliveryWall is the wall time at which the last delivery was
	// known; Wall is the whole timed run (for libp2p the same; for ours
	// it includes the idle virtual time up to Span).
	LastDeliveryWall float64 `json:"last_delivery_wall"`
	Wall             float64 `json:"wall"`
	Virtual          float64 `json:"virtual,omitempty"` // ours: virtual time simulated
	Events           uint64  `json:"events,omitempty"`  // ours: engine events
	Beacons          uint64  `json:"beacons,omitempty"` // ours: beacons heard by engines
	Frames           uint64  `json:"frames,omitempty"`  // ours: frames sent on links
	// Degree is the mean number of links per node when the broadcasts
	// start (libp2p: connections; gossipsub's mesh is a subset of them).
	Degree float64 `json:"degree"`
	Note   string  `json:"note,omitempty"`
	Err    string  `json:"error,omitempty"`

	// Filled in by the parent from the child's resource usage.
	MaxRSS int64   `json:"max_rss"` // bytes
	CPU    float64 `json:"cpu"`     // user + system seconds of the whole child
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		child(os.Args[2:])
		return
	}
	parent()
}

func commonFlags(fs *flag.FlagSet, p *params) {
	fs.IntVar(&p.Broadcasts, "broadcasts", 20, "broadcasts per run, from random origins")
	fs.DurationVar(&p.Latency, "latency", 2*time.Millisecond, "one-way link latency")
	fs.DurationVar(&p.Interval, "interval", 10*time.Millisecond, "time between two broadcasts")
	fs.IntVar(&p.Size, "size", 100, "payload bytes per broadcast (at least 8)")
	fs.IntVar(&p.Degree, "degree", 5, "libp2p: peers each host dials (our engine: its default 5 out + 5 in)")
	fs.Uint64Var(&p.Seed, "seed", 1, "seed of the graph, the origins and the simulator")
	fs.BoolVar(&p.Sign, "sign", false, "libp2p: sign and verify messages (pubsub's default); off by default because our engine does no cryptography")
	fs.IntVar(&p.ReadyLinks, "ready-links", 5, "ours: links every node needs before the broadcasts start (5: as many as each libp2p host dials; the engine itself is content with MinLinks, 2)")
	fs.DurationVar(&p.ReadyTimeout, "ready-timeout", 60*time.Second, "give up waiting for the mesh to form after this long")
	fs.DurationVar(&p.DeliverTimeout, "deliver-timeout", 60*time.Second, "give up waiting for deliveries after this long")
}

func child(args []string) {
	var p params
	fs := flag.NewFlagSet("child", flag.ExitOnError)
	fs.StringVar(&p.System, "system", "", "floodsub, gossipsub or ours")
	fs.IntVar(&p.N, "n", 100, "nodes")
	fs.Float64Var(&p.Span, "span", 0, "ours: virtual seconds to cover at least")
	commonFlags(fs, &p)
	_ = fs.Parse(args)
	var r result
	switch p.System {
	case "floodsub", "gossipsub":
		r = runLibp2p(p.System, p)
	case "ours":
		r = runOurs(p)
	case "idle":
		r = result{System: "idle"} // the memory of the binary alone
	default:
		fmt.Fprintf(os.Stderr, "unknown system %q\n", p.System)
		os.Exit(2)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(1)
	}
	// Exit without closing anything else: teardown is not measured.
	os.Exit(0)
}

func parent() {
	var p params
	var ns, systems, jsonOut string
	var timeout time.Duration
	flag.StringVar(&ns, "n", "50,100,200,500", "comma-separated network sizes")
	flag.StringVar(&systems, "systems", "floodsub,gossipsub,ours", "systems to run (ours runs last, to cover the libp2p runs' time)")
	flag.DurationVar(&timeout, "timeout", 5*time.Minute, "kill a child process that runs longer than this")
	flag.StringVar(&jsonOut, "json", "", "also write every result to this file as JSON")
	commonFlags(flag.CommandLine, &p)
	flag.Parse()
	if p.Size < 8 {
		p.Size = 8
	}

	fmt.Printf("# %s, GOMAXPROCS %d, %s; latency %v, %d broadcasts %v apart, %d-byte payloads, libp2p degree %d, signing %v, seed %d\n",
		runtime.Version(), runtime.GOMAXPROCS(0), cpuModel(), p.Latency, p.Broadcasts, p.Interval, p.Size, p.Degree, p.Sign, p.Seed)
	idle := runChild(params{System: "idle", N: 2}, timeout)
	fmt.Printf("# idle child (this binary, libp2p's package initialisation included, no network): peak RSS %.1f MiB, CPU %.3f s\n", mib(idle.MaxRSS), idle.CPU)
	var all []result
	for _, f := range strings.Split(ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			fmt.Fprintf(os.Stderr, "bad --n %q\n", f)
			os.Exit(2)
		}
		p.N = n
		var row []result
		span := 0.0
		for _, sys := range strings.Split(systems, ",") {
			sys = strings.TrimSpace(sys)
			q := p
			q.System = sys
			if sys == "ours" {
				q.Span = span
			}
			r := runChild(q, timeout)
			if sys != "ours" {
				span = max(span, r.Wall)
			}
			printResult(r)
			row = append(row, r)
		}
		printRatios(row, idle.MaxRSS)
		all = append(all, row...)
	}
	fmt.Println()
	printMarkdown(all, idle.MaxRSS)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// runChild runs one system in a child process and adds its peak resident
// memory and CPU time, as the kernel accounted them.
func runChild(p params, timeout time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := []string{"child", "-system", p.System, "-n", strconv.Itoa(p.N),
		"-broadcasts", strconv.Itoa(p.Broadcasts), "-latency", p.Latency.String(),
		"-interval", p.Interval.String(), "-size", strconv.Itoa(p.Size),
		"-degree", strconv.Itoa(p.Degree), "-seed", strconv.FormatUint(p.Seed, 10),
		"-sign=" + strconv.FormatBool(p.Sign), "-span", strconv.FormatFloat(p.Span, 'f', -1, 64),
		"-ready-links", strconv.Itoa(p.ReadyLinks),
		"-ready-timeout", p.ReadyTimeout.String(), "-deliver-timeout", p.DeliverTimeout.String()}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = os.Environ()
	if os.Getenv("GOLOG_LOG_LEVEL") == "" {
		cmd.Env = append(cmd.Env, "GOLOG_LOG_LEVEL=error")
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	var r result
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
		r = result{System: p.System, N: p.N, Broadcasts: p.Broadcasts}
		switch {
		case ctx.Err() != nil:
			r.Err = fmt.Sprintf("killed after %v", timeout)
		case err != nil:
			r.Err = err.Error()
		default:
			r.Err = "no result: " + jerr.Error()
		}
	}
	if st := cmd.ProcessState; st != nil {
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			r.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		}
		r.CPU = (st.UserTime() + st.SystemTime()).Seconds()
	}
	return r
}

// pickOrigins draws the origin of every broadcast; the same for every
// system of a run.
func pickOrigins(p params) []int {
	rng := rand.New(rand.NewPCG(p.Seed, uint64(p.N)))
	o := make([]int, p.Broadcasts)
	for k := range o {
		o[k] = rng.IntN(p.N)
	}
	return o
}

func printResult(r result) {
	extra := ""
	if r.System == "ours" {
		extra = fmt.Sprintf(" virtual %.2fs (ready %.2fs, last delivery %.3fs), %d engine events,", r.Virtual, r.ReadyAt, r.LastDelivery, r.Events)
	} else {
		extra = fmt.Sprintf(" ready %.2fs,", r.ReadyAt)
	}
	fmt.Printf("n=%-4d %-9s wall %7.3fs  cpu %7.3fs  peak RSS %7.1f MiB  delivered %d/%d  redundant %d  app duplicates %d  links %d,%s",
		r.N, r.System, r.Wall, r.CPU, mib(r.MaxRSS), r.Delivered, r.Expected, r.Redundant, r.AppDuplicates, r.Links, extra)
	if r.Note != "" {
		fmt.Printf("  note: %s", r.Note)
	}
	if r.Err != "" {
		fmt.Printf("  ERROR: %s", r.Err)
	}
	fmt.Println()
}

func printRatios(row []result, idleRSS int64) {
	ours := find(row, row[0].N, "ours")
	if ours == nil {
		return
	}
	for _, r := range row {
		if r.System == "ours" {
			continue
		}
		fmt.Printf("n=%-4d ours vs %-9s  wall %.1fx faster, cpu %.1fx less, peak RSS %.1fx less (%.1fx above the idle child's)\n",
			r.N, r.System, ratio(r.Wall, ours.Wall), ratio(r.CPU, ours.CPU),
			ratio(float64(r.MaxRSS), float64(ours.MaxRSS)), ratio(float64(r.MaxRSS-idleRSS), float64(ours.MaxRSS-idleRSS)))
	}
}

func find(all []result, n int, system string) *result {
	for i := range all {
		if all[i].N == n && all[i].System == system {
			return &all[i]
		}
	}
	return nil
}

// printMarkdown prints the table BENCHMARKS.md holds.
func printMarkdown(all []result, idleRSS int64) {
	fmt.Println("| N | system | links per node | wall (s) | CPU (s) | peak RSS (MiB) | delivered / owed | redundant receptions | app duplicates | ours: wall × less | ours: CPU × less | ours: peak RSS × less (above idle) |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range all {
		rw, rc, rm := "", "", ""
		if ours := find(all, r.N, "ours"); ours != nil && r.System != "ours" {
			rw = fmt.Sprintf("%.0f×", ratio(r.Wall, ours.Wall))
			rc = fmt.Sprintf("%.0f×", ratio(r.CPU, ours.CPU))
			rm = fmt.Sprintf("%.1f× (%.1f×)", ratio(float64(r.MaxRSS), float64(ours.MaxRSS)),
				ratio(float64(r.MaxRSS-idleRSS), float64(ours.MaxRSS-idleRSS)))
		}
		sys := r.System
		if r.System == "ours" {
			sys = fmt.Sprintf("ours (%.2f s virtual)", r.Virtual)
		}
		if r.Note != "" {
			sys += " ¹"
		}
		if r.Err != "" {
			sys += " (" + r.Err + ")"
		}
		fmt.Printf("| %d | %s | %.1f | %.3f | %.3f | %.1f | %d / %d | %d | %d | %s | %s | %s |\n",
			r.N, sys, r.Degree, r.Wall, r.CPU, mib(r.MaxRSS), r.Delivered, r.Expected, r.Redundant, r.AppDuplicates, rw, rc, rm)
	}
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
