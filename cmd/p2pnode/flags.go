package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"p2pmesh/internal/buildinfo"
	"p2pmesh/mesh"
	"p2pmesh/mesh/meshnode"
	"p2pmesh/mesh/netkey"
)

const usageHead = `p2pnode runs one node of a peer-to-peer mesh on this host.

It finds the other nodes of the LAN by UDP multicast (group %s),
links to up to --max-out of them over TCP, accepts up to --max-in links on
one TCP port, and keeps the mesh connected as nodes come and go. Every line
read from standard input is broadcast to every node of the mesh; every line
broadcast by another node is printed to standard output once, as
"name: text" (or one JSON object per line with --json). Logs go to
standard error. SIGINT or SIGTERM leaves the mesh gracefully.

Usage:
  p2pnode [flags]

Examples:
  p2pnode --name alice                      # join the LAN's mesh, chat
  p2pnode --listen :7946                    # a fixed TCP port (firewalls)
  p2pnode --peer 10.0.0.5:7946 --no-multicast
                                            # no multicast here: dial a known node
  some-command | p2pnode --exit-on-eof      # broadcast a stream, then leave
  p2pnode --json | jq .text                 # machine-readable deliveries
  p2pnode --gen-network-key mesh.key        # make a network key, then copy it
  p2pnode --network-key-file mesh.key       # to every host: a closed mesh

Firewall: allow the UDP group port (49152 by default) for discovery and the
TCP --listen port for links. Where no interface can do multicast (loopback
in a container, some VPNs), the node says so and works with --peer; on one
host, "ip link set lo multicast on" lets several nodes find each other.

Network key: without one, anybody on the LAN can join the mesh and read
every line. With --network-key-file, links are authenticated and encrypted
(Noise, pre-shared key) and beacons sealed: nodes without the same key can
neither join, nor inject, nor read, nor replay. Make a key with
--gen-network-key FILE, copy the file to every host over a safe channel,
keep it readable by its owner only. Hosts' clocks must agree within a
minute for sealed beacons to be accepted.

Flags:
`

const usageTail = `
With --json each line received is one JSON object with the fields
  from    the sender's name (its node id when the payload was not a p2pnode line)
  origin  the sender's node id
  id      the message id, origin:sequence
  hops    the number of links the message traversed
  via     the neighbour it arrived from (HOST:PORT)
  text    the line, exactly as sent
  chat    true for a p2pnode line; false for any other payload (printed as text)

Exit status: 0 after leaving the mesh, 1 when the node cannot start, 2 for
usage errors, 3 when --exit-on-eof left with lines unsent because no peer
was found within --eof-wait.
`

// options are the parsed command line.
type options struct {
	name        string
	group       string
	listen      string
	peers       []string
	interfaces  []string
	noMulticast bool
	maxIn       int
	maxOut      int
	targetOut   int
	mode        string
	jsonOut     bool
	exitOnEOF   bool
	eofWait     time.Duration
	logLevel    string
	logJSON     bool
	keyFile     string
}

// parseFlags parses args. done reports that the command has nothing more to
// do (help, version, or a usage error), with status to exit with.
func parseFlags(args []string, stdout, stderr io.Writer) (opts options, status int, done bool) {
	fs := pflag.NewFlagSet("p2pnode", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := meshnode.DefaultConfig()
	host, _ := os.Hostname()
	fs.StringVar(&opts.name, "name", "", "name printed before your lines at the other nodes (default: the host name)")
	fs.StringVar(&opts.group, "group", def.Group, "multicast group and UDP port of discovery beacons (IPv4 GROUP:PORT)")
	fs.StringVar(&opts.listen, "listen", ":0", "TCP address to accept links on; port 0 lets the system choose")
	fs.StringArrayVar(&opts.peers, "peer", nil, "static peer HOST:PORT to link to, found or not by multicast (repeatable)")
	fs.StringArrayVar(&opts.interfaces, "interface", nil, "network interface to multicast on (repeatable; default: every up, multicast-capable one)")
	fs.BoolVar(&opts.noMulticast, "no-multicast", false, "do not use multicast: link only to --peer nodes and the peers they tell of")
	fs.IntVar(&opts.maxIn, "max-in", def.Mesh.MaxIn, "most incoming links (at least --max-out)")
	fs.IntVar(&opts.maxOut, "max-out", def.Mesh.MaxOut, "most outgoing links (a limit: a node dials on its own for --target-out of them)")
	fs.IntVar(&opts.targetOut, "target-out", def.Mesh.TargetOut, fmt.Sprintf("outgoing links the node dials for on its own, %d to --max-out; 0 (the default): four fifths of --max-in when flooding, --max-out in tree mode (--peer nodes may use every outgoing slot)", def.Mesh.MinLinks))
	fs.StringVar(&opts.mode, "mode", def.Mesh.Mode.String(), "broadcast mode: flood (every link) or tree (a broadcast tree; same for every node of a mesh)")
	fs.BoolVar(&opts.jsonOut, "json", false, `print each delivery as a JSON object: {"from","origin","id","hops","via","text"}`)
	fs.BoolVar(&opts.exitOnEOF, "exit-on-eof", false, "leave the mesh when standard input ends (default: keep serving the mesh)")
	fs.DurationVar(&opts.eofWait, "eof-wait", 10*time.Second, "with --exit-on-eof, how long to wait for a first peer so that lines read before any link existed still go out")
	fs.StringVar(&opts.keyFile, "network-key-file", "", "`FILE` holding the mesh's network key: only nodes with the same key can link, hear beacons or read (see --gen-network-key)")
	genKey := fs.String("gen-network-key", "", "write a new random network key to `FILE` (mode 0600, never overwritten) and exit")
	fs.StringVar(&opts.logLevel, "log-level", "info", "log level on standard error: debug, info, warn or error")
	fs.BoolVar(&opts.logJSON, "log-json", false, "write logs as JSON lines instead of text")
	help := fs.BoolP("help", "h", false, "show this help")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.SortFlags = false

	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "p2pnode: %v\nRun 'p2pnode --help' for usage.\n", err)
		return opts, exitUsage, true
	}
	switch {
	case *help:
		fmt.Fprintf(stdout, usageHead, meshnode.DefaultGroup)
		fmt.Fprint(stdout, fs.FlagUsages())
		fmt.Fprint(stdout, usageTail)
		return opts, exitOK, true
	case *showVersion:
		fmt.Fprintln(stdout, "p2pnode", buildinfo.Version())
		return opts, exitOK, true
	case *genKey != "":
		return opts, generateKey(*genKey, stdout, stderr), true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "p2pnode: unexpected argument %q (lines to send are read from standard input)\nRun 'p2pnode --help' for usage.\n", fs.Arg(0))
		return opts, exitUsage, true
	}
	if opts.name == "" {
		opts.name = defaultName(host)
	}
	return opts, exitOK, false
}

// defaultName turns a host name into a valid node name.
func defaultName(host string) string {
	host, _, _ = strings.Cut(host, ".")
	if len(host) > maxNameLen {
		host = host[:maxNameLen]
	}
	if !validName(host) {
		return "node"
	}
	return host
}

// interfaceNames lists the host's network interfaces, for an error message.
func interfaceNames() string {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		return "none found"
	}
	names := make([]string, len(ifs))
	for i, ifc := range ifs {
		names[i] = ifc.Name
	}
	return strings.Join(names, ", ")
}

// runtimeConfig turns the options into a validated runtime configuration;
// the error lists every problem.
func (o *options) runtimeConfig(logOut io.Writer) (meshnode.Config, error) {
	var errs []error
	cfg := meshnode.DefaultConfig()
	if !validName(o.name) {
		errs = append(errs, fmt.Errorf("--name %q: want 1 to %d printable characters, no spaces at either end", o.name, maxNameLen))
	}
	mode, err := mesh.ParseMode(o.mode)
	if err != nil {
		errs = append(errs, fmt.Errorf("--mode: %w", err))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel))
	}
	if o.exitOnEOF && o.eofWait < 0 {
		errs = append(errs, fmt.Errorf("--eof-wait must not be negative, got %v", o.eofWait))
	}
	cfg.Mesh.MaxIn, cfg.Mesh.MaxOut, cfg.Mesh.TargetOut, cfg.Mesh.Mode = o.maxIn, o.maxOut, o.targetOut, mode
	cfg.Listen = o.listen
	cfg.Peers = o.peers
	cfg.Group = o.group
	cfg.Interfaces = o.interfaces
	for _, name := range o.interfaces {
		if _, err := net.InterfaceByName(name); err != nil {
			errs = append(errs, fmt.Errorf("--interface %q: no such network interface on this host (it has: %s)", name, interfaceNames()))
		}
	}
	cfg.NoMulticast = o.noMulticast
	var keyWarning string
	if o.keyFile != "" {
		cfg.NetworkKey, keyWarning, err = netkey.Load(o.keyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("--network-key-file: %w", err))
		}
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, fmt.Errorf("invalid flags:\n%w", indent(err))
	}
	hopts := &slog.HandlerOptions{Level: level}
	if o.logJSON {
		cfg.Logger = slog.New(slog.NewJSONHandler(logOut, hopts))
	} else {
		cfg.Logger = slog.New(slog.NewTextHandler(logOut, hopts))
	}
	if keyWarning != "" {
		cfg.Logger.Warn(keyWarning)
	}
	return cfg, nil
}

// generateKey writes a new key file and says what to do with it.
func generateKey(path string, stdout, stderr io.Writer) int {
	k, err := netkey.WriteNew(path)
	if err != nil {
		fmt.Fprintf(stderr, "p2pnode: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "wrote a new network key to %s (fingerprint %s)\n"+
		"Copy it to every host of the mesh over a safe channel (scp, a configuration\n"+
		"manager), keep it readable by its owner only, and start each node with\n"+
		"  p2pnode --network-key-file %s\n", path, k.Fingerprint(), path)
	return exitOK
}

// indent puts every line of err on a line of its own, indented.
func indent(err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return errors.New(strings.Join(lines, "\n"))
}
