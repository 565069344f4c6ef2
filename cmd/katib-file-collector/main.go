// Command katib-file-collector is the metrics collector kubectl katib adds to a trial's Pod
// for Katib's File and TensorFlowEvent collectors. It runs as a native sidecar next to the
// training container, shares the metrics file's directory with it through a volume, follows
// what the trainer writes there and prints it to its own stdout, whose log kubectl katib
// reads and parses like a StdOut trial's log:
//
//   - --mode file: every line of the file, unchanged (TEXT lines for the experiment's filter,
//     or JSON lines);
//   - --mode tfevent: for every scalar summary in the event files under the directory that
//     names one of the --metric names (by Katib's rule: a name "test/accuracy" selects tags
//     starting with "accuracy" in files under a directory ending in "test"), one JSON line
//     {"<metric>": value, "timestamp": wall time in seconds}.
//
// Each printed line starts with a key, "@SOURCE:OFFSET ": the file it was read from (its
// inode, and ".N" after the file was truncated N times) and the offset of the line or event
// record in it. If the kubelet restarts the collector (a crash, an out-of-memory kill), the new
// run reads the files from the start and prints them again with the same keys, and the
// engine skips what it has already read.
//
// On SIGTERM (the kubelet stops native sidecars once the training container has exited) it
// reads what is left of the files, prints it, and exits 0, so the metrics written just before
// the trainer ended are not lost.
//
// Exit codes: 0 stopped by a signal after draining, 2 invalid flags.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type metricNames []string

func (m *metricNames) String() string { return strings.Join(*m, ",") }

func (m *metricNames) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty metric name")
	}
	*m = append(*m, v)
	return nil
}

type config struct {
	mode    string
	path    string
	metrics metricNames
	poll    time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("katib-file-collector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.mode, "mode", "file", "file (print the lines of --path) or tfevent (print the scalars of the event files under --path)")
	fs.StringVar(&c.path, "path", "", "the metrics file (--mode file) or the directory of event files (--mode tfevent)")
	fs.Var(&c.metrics, "metric", "a metric to take from event files (repeatable; --mode tfevent)")
	fs.DurationVar(&c.poll, "poll", 250*time.Millisecond, "how often to look for new data")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var problems []string
	switch {
	case c.path == "":
		problems = append(problems, "--path is required")
	case !strings.HasPrefix(c.path, "/"):
		problems = append(problems, fmt.Sprintf("--path must be absolute, got %q", c.path))
	}
	switch c.mode {
	case "file":
	case "tfevent":
		if len(c.metrics) == 0 {
			problems = append(problems, "--mode tfevent needs at least one --metric")
		}
	default:
		problems = append(problems, fmt.Sprintf("--mode must be file or tfevent, got %q", c.mode))
	}
	if c.poll <= 0 {
		problems = append(problems, "--poll must be positive")
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "katib-file-collector: %s\n", strings.Join(problems, "; "))
		return 2
	}
	out := bufio.NewWriter(stdout)
	var src source
	if c.mode == "file" {
		src = &fileSource{path: c.path}
	} else {
		src = newEventSource(c.path, c.metrics)
	}
	follow(ctx, src, out, stderr, c.poll)
	return 0
}

// source is something followed: each call to read prints what is new; final says the
// writer has finished, so an unterminated last line is complete.
type source interface {
	read(out *bufio.Writer, final bool) error
}

// follow reads the source every poll interval until ctx ends, then once more to the end.
func follow(ctx context.Context, src source, out *bufio.Writer, stderr io.Writer, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	lastErr := ""
	report := func(err error) {
		// Each distinct problem once: a file that does not exist yet is the normal start.
		if err != nil && err.Error() != lastErr {
			fmt.Fprintf(stderr, "katib-file-collector: %v\n", err)
		}
		if err != nil {
			lastErr = err.Error()
		} else {
			lastErr = ""
		}
	}
	for {
		report(src.read(out, false))
		_ = out.Flush()
		select {
		case <-ctx.Done():
			report(src.read(out, true))
			_ = out.Flush()
			return
		case <-t.C:
		}
	}
}
