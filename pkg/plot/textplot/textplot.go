// Package textplot draws an experiment's results as text charts for the terminal: the
// optimisation history, the trials' intermediate values, one slice per parameter, parallel
// coordinates, and several experiments' histories side by side.
//
// Every chart fits in Options.Width display columns, prints ANSI colour only when asked to,
// and prints the same bytes for the same experiment, so a chart can be piped, diffed and
// kept in a golden file. Plot areas use braille cells (2×4 dots per character) for
// resolution, with ordinary glyphs on top for the points a reader should find (the best
// trial, early-stopped trials).
package textplot

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/clipperhouse/displaywidth"

	"github.com/kubectl-katib/plugins/pkg/analysis"
)

// Options shape every chart.
type Options struct {
	// Width is the most display columns any line may take: at most 80 (MaxWidth), 80 when
	// zero, and at least MinWidth.
	Width int
	// Height is the number of rows of a chart's plot area (15 when zero); the slice chart
	// gives each parameter's panel about half of it.
	Height int
	// Color turns on ANSI colours; without it the output holds no escape sequence at all.
	Color bool
}

const (
	// MaxWidth is the widest chart drawn: wider terminals gain little and 80 columns still
	// reads when pasted into an issue or a log.
	MaxWidth = 80
	// MinWidth is the narrowest chart drawn: below it the axis labels leave too few
	// columns for a plot to say anything.
	MinWidth = 30
	// DefaultHeight fits a chart and its legend on one 24-line screen.
	DefaultHeight = 15
	minHeight     = 3
)

func (o Options) normalize() (Options, error) {
	switch {
	case o.Width == 0:
		o.Width = MaxWidth
	case o.Width > MaxWidth:
		o.Width = MaxWidth
	case o.Width < MinWidth:
		return o, fmt.Errorf("textplot: a width of %d columns is too narrow for a chart (at least %d)", o.Width, MinWidth)
	}
	switch {
	case o.Height == 0:
		o.Height = DefaultHeight
	case o.Height < minHeight:
		return o, fmt.Errorf("textplot: a height of %d rows is too low for a chart (at least %d)", o.Height, minHeight)
	}
	return o, nil
}

// dw measures display width; escape sequences take no columns, so coloured text measures
// like plain text.
var dw = displaywidth.Options{ControlSequences: true}

var errNoExperiment = errors.New("textplot: no experiment given")

// expName names an experiment the way kubectl does, with its namespace when it has one.
func expName(e *analysis.Experiment) string {
	if e.Namespace == "" {
		return e.Name
	}
	return e.Namespace + "/" + e.Name
}

func metricName(e *analysis.Experiment) string {
	if e.Metric == "" {
		return "objective"
	}
	return e.Metric
}

func direction(e *analysis.Experiment) string {
	if e.Maximize {
		return "maximize"
	}
	return "minimize"
}

// metricDir is the y axis's name: the reader needs the direction to know which way is good.
func metricDir(e *analysis.Experiment) string {
	return metricName(e) + " (" + direction(e) + ")"
}

// noObjective is what a chart says instead of an empty plot.
func noObjective(e *analysis.Experiment) string {
	return "no trial has reported " + metricName(e) + " yet"
}

// say prints a chart's title and one message in place of the plot: an experiment with
// nothing to draw yet is a normal state, not an error.
func say(w io.Writer, o Options, title, msg string) error {
	var b strings.Builder
	line(&b, o, title)
	line(&b, o, msg)
	_, err := io.WriteString(w, b.String())
	return err
}

// line writes s, broken between words into as many lines as the chart's width needs: a
// title cut short would lose the metric or the direction.
func line(b *strings.Builder, o Options, s string) {
	for _, l := range wrap([]string{s}, o.Width, "") {
		b.WriteString(l)
		b.WriteByte('\n')
	}
}

func fit(s string, width int) string {
	if dw.String(s) <= width {
		return s
	}
	return dw.TruncateString(s, width, "…")
}

// wrap joins items into lines of at most width columns, two spaces apart. An item that
// does not fit the rest of a line starts a new one, indented; an item wider than a whole
// line is broken between words (its continuation indented two more), so that nothing a
// legend says is cut off.
func wrap(items []string, width int, indent string) []string {
	var out []string
	cur := ""
	for _, it := range items {
		if cur != "" && dw.String(cur)+2+dw.String(it) <= width {
			cur += "  " + it
			continue
		}
		if cur != "" {
			out = append(out, cur)
			cur = indent
		}
		start := true
		for _, word := range strings.Split(it, " ") {
			if !start && dw.String(cur)+1+dw.String(word) > width {
				out = append(out, cur)
				cur, start = indent+"  ", true
			}
			if !start {
				cur += " "
			}
			cur += word
			start = false
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	for i := range out {
		out[i] = fit(out[i], width)
	}
	return out
}

// num formats a tick or a value compactly.
func num(v float64) string { return numPrec(v, 3) }

func numPrec(v float64, prec int) string {
	if v == 0 {
		return "0" // not "-0"
	}
	return strconv.FormatFloat(v, 'g', prec, 64)
}

// ticks are labelled values on an axis, in the axis's own (possibly log10) space.
type tick struct {
	v     float64
	label string
}

// niceTicks picks about n round values (1, 2 or 5 times a power of ten apart) within
// [lo, hi]. Whole-number axes (trial numbers, steps, int parameters) never get fractional
// ticks.
func niceTicks(lo, hi float64, n int, integer bool) []float64 {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		if math.IsNaN(lo) || math.IsInf(lo, 0) {
			return nil
		}
		return []float64{lo}
	}
	n = max(n, 2)
	step := niceStep((hi - lo) / float64(n-1))
	for {
		if integer {
			step = math.Max(1, math.Round(step))
		}
		var out []float64
		first := math.Ceil(lo/step - 1e-9)
		for i := 0; ; i++ {
			v := (first + float64(i)) * step
			if v > hi+step*1e-9 {
				break
			}
			// Rounded to the step's precision: (first+i)*step leaves float noise
			// (0.30000000000000004) that would otherwise show in wider labels.
			out = append(out, roundTo(v, step))
		}
		if len(out) >= 2 || (integer && step == 1) {
			return out
		}
		step = niceStep(step / 2.01)
	}
}

func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f < 1.5:
		return mag
	case f < 3:
		return 2 * mag
	case f < 7:
		return 5 * mag
	default:
		return 10 * mag
	}
}

func roundTo(v, step float64) float64 {
	digits := -math.Floor(math.Log10(step)) + 1
	p := math.Pow(10, digits)
	return math.Round(v*p) / p
}

// labelTicks formats ticks with three significant digits, or more only when three would
// make two labels equal. format turns an axis value into its label at a precision.
func labelTicks(vs []float64, format func(v float64, prec int) string) []tick {
	out := make([]tick, len(vs))
	for prec := 3; prec <= 8; prec++ {
		for i, v := range vs {
			out[i] = tick{v: v, label: format(v, prec)}
		}
		if !hasDuplicate(out) {
			break
		}
	}
	return out
}

func hasDuplicate(ts []tick) bool {
	for i := 1; i < len(ts); i++ {
		if ts[i].label == ts[i-1].label {
			return true
		}
	}
	return false
}

// axis maps values in [lo, hi] (already log10 for log axes) onto n pixels.
type axis struct {
	lo, hi float64
	n      int
}

// px is the pixel a value falls on, counted from the low end; a degenerate axis puts
// everything in its middle.
func (a axis) px(v float64) int {
	if !(a.hi > a.lo) {
		return (a.n - 1) / 2
	}
	p := int(math.Round((v - a.lo) / (a.hi - a.lo) * float64(a.n-1)))
	return min(max(p, 0), a.n-1)
}

// padRange widens a range holding a single value, so its points sit mid-axis with ticks
// around them instead of on a zero-length axis.
func padRange(lo, hi float64) (float64, float64) {
	if hi > lo {
		return lo, hi
	}
	d := math.Abs(lo) * 0.05
	if d == 0 {
		d = 1
	}
	return lo - d, hi + d
}

// stateCounts says how many trials of each state were left out, states in name order.
func stateCounts(ts []analysis.Trial, skip func(*analysis.Trial) bool) string {
	counts := map[string]int{}
	for i := range ts {
		if skip(&ts[i]) {
			continue
		}
		s := string(ts[i].State)
		if s == "" {
			s = "Unknown"
		}
		counts[s]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return strings.Join(parts, ", ")
}
