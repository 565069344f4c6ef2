// Command echo-metric is a stand-in trial workload for tests and benchmarks: it waits, prints
// exactly the lines it is given and exits with the status it is told to, so a test controls
// every byte a metrics collector will see and how long the Pod lives.
//
// Usage:
//
//	echo-metric [--sleep 2s] [--print LINE]... [--series NAME=START:END:COUNT]... [--interval 100ms] [--linger 1s] [--exit CODE [--fail-once MARKER]] [--] [ARG]...
//
// It sleeps, then prints the --print and --series lines in the order the flags were given,
// then each argument, one per line and unchanged (quotes, backslashes, "$" and embedded
// newlines included), pausing --interval between lines, waits --linger, and exits with
// --exit. Put "--" before arguments that start with a dash. --linger exists because a
// container runtime may drop the end of a burst of output written just before the
// container exits (containerd 1.6 does): lingering lets the runtime write all of it to the
// log before the process ends.
//
// With --fail-once, --exit applies only to a run that finds no file MARKER, which the run
// creates: on a volume that outlives the container (an emptyDir), a container the kubelet
// restarts (restartPolicy OnFailure) fails once, then prints the same lines again and exits 0.
//
// A series prints COUNT lines NAME=VALUE whose values go in equal steps from START to END
// (END alone when COUNT is 1), each rounded to 6 decimals and written in the shortest form
// that reads back as the same number (0.5, 0.123457), so a test can compute every printed
// text, and hence a trial's min, max and latest, from START, END and COUNT alone. Repeating
// a name continues its metric, e.g. a final drop after a rise.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// maxSeriesCount bounds one series: lines are generated as they are printed, so this only
// guards against a typo that would keep a trial printing for hours.
const maxSeriesCount = 10_000_000

// series is one --series flag.
type series struct {
	name       string
	start, end float64
	count      int
}

// value is the i-th printed value (0-based), already rounded as printed.
func (s series) value(i int) float64 {
	v := s.end
	if i < s.count-1 {
		v = s.start + (s.end-s.start)*float64(i)/float64(s.count-1)
	}
	v = math.Round(v*1e6) / 1e6
	if v == 0 {
		v = 0 // no "-0" for tiny negative values
	}
	return v
}

func (s series) line(i int) string {
	return s.name + "=" + strconv.FormatFloat(s.value(i), 'f', -1, 64)
}

func parseSeries(v string) (series, error) {
	name, spec, ok := strings.Cut(v, "=")
	if !ok || name == "" || strings.ContainsAny(name, " \t\n") {
		return series{}, fmt.Errorf("want NAME=START:END:COUNT, got %q", v)
	}
	parts := strings.Split(spec, ":")
	if len(parts) != 3 {
		return series{}, fmt.Errorf("want NAME=START:END:COUNT, got %q", v)
	}
	s := series{name: name}
	for i, p := range []*float64{&s.start, &s.end} {
		f, err := strconv.ParseFloat(parts[i], 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return series{}, fmt.Errorf("%q: %q is not a finite number", v, parts[i])
		}
		*p = f
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil || n < 1 || n > maxSeriesCount {
		return series{}, fmt.Errorf("%q: COUNT must be a whole number from 1 to %d", v, maxSeriesCount)
	}
	s.count = n
	return s, nil
}

// item is one --print line or one --series, kept in the order the flags came.
type item struct {
	line   string
	series *series
}

func (it item) len() int {
	if it.series != nil {
		return it.series.count
	}
	return 1
}

func (it item) text(i int) string {
	if it.series != nil {
		return it.series.line(i)
	}
	return it.line
}

// items collects --print and --series flags in order.
type items []item

func (l *items) String() string { return fmt.Sprint(len(*l)) }

type printFlag struct{ l *items }

func (f printFlag) String() string     { return "" }
func (f printFlag) Set(v string) error { *f.l = append(*f.l, item{line: v}); return nil }

type seriesFlag struct{ l *items }

func (f seriesFlag) String() string { return "" }
func (f seriesFlag) Set(v string) error {
	s, err := parseSeries(v)
	if err != nil {
		return err
	}
	*f.l = append(*f.l, item{series: &s})
	return nil
}

type config struct {
	sleep, interval, linger time.Duration
	items                   []item
	exit                    int
	failOnce                string
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
	exit, err := c.exitCode()
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo-metric: %v\n", err)
		os.Exit(1)
	}
	if err := emit(c, os.Stdout, time.Sleep); err != nil {
		fmt.Fprintf(os.Stderr, "echo-metric: %v\n", err)
		os.Exit(1)
	}
	os.Exit(exit)
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	var printed items
	fs := flag.NewFlagSet("echo-metric", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.DurationVar(&c.sleep, "sleep", 0, "wait this long before the first line (e.g. 1.5s)")
	fs.Var(printFlag{&printed}, "print", "a line to print; repeat for more lines, printed in order")
	fs.Var(seriesFlag{&printed}, "series", "a series `NAME=START:END:COUNT`: COUNT lines NAME=VALUE, VALUE going in equal steps from START\n"+
		"to END (END alone when COUNT is 1), rounded to 6 decimals and written without trailing zeros;\n"+
		"repeat for more, printed in order with the --print lines (a repeated NAME continues that metric)")
	fs.DurationVar(&c.interval, "interval", 0, "pause between consecutive lines")
	fs.DurationVar(&c.linger, "linger", 0, "wait this long after the last line before exiting")
	fs.IntVar(&c.exit, "exit", 0, "exit status (0-255)")
	fs.StringVar(&c.failOnce, "fail-once", "", "a marker file: --exit applies only while it does not exist, and the run creates it (later runs exit 0)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, "Usage: echo-metric [flags] [--] [ARG]...\n\nPrints the --print and --series lines in order, then each ARG, one per line, then exits.\n"+
				"--print values and ARGs are printed unchanged.\n\nExample: echo-metric --series accuracy=0.1:0.9:20 --interval 1s\n"+
				"prints accuracy=0.1, accuracy=0.142105, ... accuracy=0.9, one a second: min 0.1, max and latest 0.9.\n\nFlags:\n")
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
	case c.linger < 0:
		return c, fmt.Errorf("--linger must not be negative, got %s", c.linger)
	case c.exit < 0 || c.exit > 255:
		return c, fmt.Errorf("--exit must be between 0 and 255, got %d", c.exit)
	}
	for _, a := range fs.Args() {
		printed = append(printed, item{line: a})
	}
	c.items = printed
	return c, nil
}

// exitCode is the status this run ends with: --exit, unless --fail-once's marker says an
// earlier run has failed already. The marker is made before any line is printed, so a run
// killed half-way still counts as the failed one.
func (c config) exitCode() (int, error) {
	if c.failOnce == "" {
		return c.exit, nil
	}
	f, err := os.OpenFile(c.failOnce, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("--fail-once: %w", err)
	}
	return c.exit, f.Close()
}

// emit writes each line with its own write call, so a reader following the log sees every
// line as soon as it is printed. Series lines are made as they are written: a long series
// costs no memory.
func emit(c config, w io.Writer, sleep func(time.Duration)) error {
	if c.sleep > 0 {
		sleep(c.sleep)
	}
	first := true
	for _, it := range c.items {
		for i := 0; i < it.len(); i++ {
			if !first && c.interval > 0 {
				sleep(c.interval)
			}
			first = false
			if _, err := io.WriteString(w, it.text(i)+"\n"); err != nil {
				return err
			}
		}
	}
	if c.linger > 0 {
		sleep(c.linger)
	}
	return nil
}
