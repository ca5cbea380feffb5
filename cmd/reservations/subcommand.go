package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// subcommand is the flag set of a subcommand that takes flags and no arguments (agent, feeds,
// check-booking-server), with the usage text --help prints and the "name: message" form of its errors.
type subcommand struct {
	*flag.FlagSet
	name   string
	stderr io.Writer
}

// newSubcommand returns the flag set of the subcommand name. --help prints "Usage: " + synopsis, the summary
// line and the flags.
func newSubcommand(name, synopsis, summary string, stderr io.Writer) *subcommand {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: "+synopsis)
		fmt.Fprintln(stderr, summary)
		fs.PrintDefaults()
	}
	return &subcommand{FlagSet: fs, name: name, stderr: stderr}
}

// parse parses args. When the command ends there it reports done with the exit code: exitOK after --help,
// exitUsage after a bad flag (the flag package has printed why) or an argument.
func (c *subcommand) parse(args []string) (code int, done bool) {
	if err := c.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	if c.NArg() > 0 {
		return c.usage("unexpected argument %q", c.Arg(0)), true
	}
	return exitOK, false
}

// usage prints "name: " and the message to stderr and returns exitUsage.
func (c *subcommand) usage(format string, a ...any) int {
	fmt.Fprintf(c.stderr, c.name+": "+format+"\n", a...)
	return exitUsage
}
