package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/pflag"
)

// A command is one subcommand of p2psim. Every command gets the same
// treatment from its call: flags parsed without pflag printing anything
// itself, --help printed once on standard output, and every error printed
// on standard error as "p2psim NAME: message", usage errors followed by
// where to read the help, with exit status 2. A new subcommand is one more
// entry in commands.
type command struct {
	name     string // as typed: p2psim NAME
	synopsis string // arguments after the name, for the overview
	summary  string // one line for the overview
	// help is the command's full help text; %s in it receives the flag
	// list (pflag's FlagUsages), when the command has flags.
	help string
	// setup declares the command's flags on fs and returns what the
	// command does once they are parsed.
	setup func(fs *pflag.FlagSet) func(c *call) int
	// subcommands are commands named "NAME WORD" (sweep merge), chosen by
	// the first argument.
	subcommands []*command
}

// commands are p2psim's subcommands, in the order the overview lists them.
// (Filled in init: run's help refers to the overview, which lists commands.)
var commands []*command

func init() {
	commands = []*command{runCommand, validateCommand, renderCommand, compareCommand, studyCommand, sweepCommand, versionCommand}
}

// lookup returns the command called name ("run", "sweep merge"), or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
		for _, sub := range c.subcommands {
			if sub.name == name {
				return sub
			}
		}
	}
	return nil
}

// A call is one invocation of a command.
type call struct {
	cmd    *command
	fs     *pflag.FlagSet
	args   []string // the arguments left after the flags
	stdout io.Writer
	stderr io.Writer
}

// prefix is what every message of the command starts with.
func (c *call) prefix() string { return "p2psim " + c.cmd.name + ": " }

// usageError prints a usage error and where the help is; it returns 2.
func (c *call) usageError(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "%s%s\nRun 'p2psim help %s' for usage.\n", c.prefix(), fmt.Sprintf(format, a...), c.cmd.name)
	return exitInvalid
}

// errorf prints an error and returns status.
func (c *call) errorf(status int, format string, a ...any) int {
	c.printError(fmt.Sprintf(format, a...))
	return status
}

// printError prints msg, each of its lines prefixed with the program's
// name (a scenario file can have several problems, one a line).
func (c *call) printError(msg string) {
	for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintf(c.stderr, "%s%s\n", c.prefix(), line)
	}
}

// helpText is the command's full help.
func (c *command) helpText(fs *pflag.FlagSet) string {
	if strings.Contains(c.help, "%s") {
		return fmt.Sprintf(c.help, fs.FlagUsages())
	}
	return c.help
}

// execute parses args for c and runs it; it returns the exit status.
func (c *command) execute(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		for _, sub := range c.subcommands {
			if sub.name == c.name+" "+args[0] {
				return sub.execute(args[1:], stdout, stderr)
			}
		}
	}
	fs := pflag.NewFlagSet("p2psim "+c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // the call prints errors and help, once
	fs.Usage = func() {}
	fs.SortFlags = false
	action := c.setup(fs)
	cl := &call{cmd: c, fs: fs, stdout: stdout, stderr: stderr}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, c.helpText(fs))
			return exitOK
		}
		return cl.usageError("%s", flagError(err))
	}
	cl.args = fs.Args()
	return action(cl)
}

// strconvDetail is the part of a flag error that repeats the input:
// `invalid argument "abc" for "--seed" flag: strconv.ParseUint: parsing "abc": invalid syntax`.
var strconvDetail = regexp.MustCompile(`strconv\.Parse\w+: parsing "[^"]*": `)

// flagError is pflag's message for err, without strconv's repetition, and
// with a reason people read for the usual two.
func flagError(err error) string {
	msg := strconvDetail.ReplaceAllString(err.Error(), "")
	msg = strings.Replace(msg, ": invalid syntax", ": not a number (or a negative one)", 1)
	msg = strings.Replace(msg, ": value out of range", ": too large", 1)
	return msg
}

// overview is the help of p2psim itself.
func overview() string {
	var b strings.Builder
	b.WriteString("p2psim runs peer-to-peer mesh scenarios in a deterministic simulator.\n\nUsage:\n")
	for _, c := range commands {
		line := "p2psim " + c.name
		if c.synopsis != "" {
			line += " " + c.synopsis
		}
		fmt.Fprintf(&b, "  %s\n      %s\n", line, c.summary)
		for _, sub := range c.subcommands {
			fmt.Fprintf(&b, "  p2psim %s %s\n      %s\n", sub.name, sub.synopsis, sub.summary)
		}
	}
	fmt.Fprintf(&b, "  %s\n      %s\n", "p2psim help [COMMAND]", "show a command's help (also: p2psim COMMAND --help)")
	b.WriteString(`
Exit status: 0 all expectations hold, 1 an expectation failed, 2 usage error or
invalid scenario. Scenario format: docs/scenarios.md.
`)
	return b.String()
}

// realMain runs the command line args and returns the exit status.
func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, overview())
		return exitInvalid
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "--help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, overview())
			return exitOK
		}
		if c := lookup(strings.Join(rest, " ")); c != nil {
			return c.execute([]string{"--help"}, stdout, stderr)
		}
		fmt.Fprintf(stderr, "p2psim help: unknown command %q\nRun 'p2psim help' for the list.\n", rest[0])
		return exitInvalid
	case "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "p2psim: unknown command %q\nRun 'p2psim help' for usage.\n", name)
		return exitInvalid
	}
	return c.execute(rest, stdout, stderr)
}
