// Command echo-metric is a stand-in trial workload for tests and benchmarks: it waits, prints
// exactly the lines it is given and exits with the status it is told to, so a test controls
// every byte a metrics collector will see and how long the Pod lives.
//
// Usage:
//
//	echo-metric [--sleep 2s] [--print LINE]... [--interval 100ms] [--exit CODE] [--] [ARG]...
//
// It sleeps, then prints each --print value and then each argument, one per line and unchanged
// (quotes, backslashes, "$" and embedded newlines included), pausing --interval between lines,
// and exits with --exit. Put "--" before arguments that start with a dash.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// lines collects repeated --print flags in order.
type lines []string

func (l *lines) String() string     { return fmt.Sprint(*l) }
func (l *lines) Set(v string) error { *l = append(*l, v); return nil }

type config struct {
	sleep, interval time.Duration
	lines           []string
	exit            int
}

func main() {
	c, err := parse(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo-metric: %v\n", err)
		os.Exit(2)
	}
	if err := emit(c, os.Stdout, time.Sleep); err != nil {
		fmt.Fprintf(os.Stderr, "echo-metric: %v\n", err)
		os.Exit(1)
	}
	os.Exit(c.exit)
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	var printed lines
	fs := flag.NewFlagSet("echo-metric", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.DurationVar(&c.sleep, "sleep", 0, "wait this long before the first line (e.g. 1.5s)")
	fs.Var(&printed, "print", "a line to print; repeat for more lines, printed in order")
	fs.DurationVar(&c.interval, "interval", 0, "pause between consecutive lines")
	fs.IntVar(&c.exit, "exit", 0, "exit status (0-255)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, "Usage: echo-metric [flags] [--] [ARG]...\n\nPrints each --print value, then each ARG, one per line and unchanged, then exits.\n\nFlags:\n")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return c, err
	}
	switch {
	case c.sleep < 0:
		return c, fmt.Errorf("--sleep must not be negative, got %s", c.sleep)
	case c.interval < 0:
		return c, fmt.Errorf("--interval must not be negative, got %s", c.interval)
	case c.exit < 0 || c.exit > 255:
		return c, fmt.Errorf("--exit must be between 0 and 255, got %d", c.exit)
	}
	c.lines = append(printed, fs.Args()...)
	return c, nil
}

// emit writes each line with its own write call, so a reader following the log sees every
// line as soon as it is printed.
func emit(c config, w io.Writer, sleep func(time.Duration)) error {
	if c.sleep > 0 {
		sleep(c.sleep)
	}
	for i, l := range c.lines {
		if i > 0 && c.interval > 0 {
			sleep(c.interval)
		}
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			return err
		}
	}
	return nil
}
