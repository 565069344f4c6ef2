package textplot

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/guptarohit/asciigraph"

	"github.com/kubectl-katib/plugins/pkg/analysis"
)

// seriesStyle tells experiments apart in Multi: a line style each, so the chart reads
// without colour, and a colour each for when it is on (the same basic ANSI colours in the
// plot and in the legend). Past the last style they repeat.
var seriesStyle = []struct {
	chars  asciigraph.CharSet
	glyph  string
	color  asciigraph.AnsiColor
	legend color
}{
	{asciigraph.DefaultCharSet, "─", asciigraph.Green, green},
	{boxSet("━", "┃", "┏", "┓", "┗", "┛"), "━", asciigraph.Olive, yellow},
	{boxSet("═", "║", "╔", "╗", "╚", "╝"), "═", asciigraph.Teal, cyan},
	{asciigraph.CreateCharSet("•"), "•", asciigraph.Purple, magenta},
	{asciigraph.CreateCharSet("+"), "+", asciigraph.Navy, blue},
	{asciigraph.CreateCharSet("o"), "o", asciigraph.Maroon, red},
}

func boxSet(h, v, downRight, downLeft, upRight, upLeft string) asciigraph.CharSet {
	return asciigraph.CharSet{Horizontal: h, VerticalLine: v, ArcDownRight: downRight, ArcDownLeft: downLeft,
		ArcUpRight: upRight, ArcUpLeft: upLeft, EndCap: h, StartCap: h}
}

// Multi draws the best-so-far lines of several experiments on one chart, against the
// trial number, with a legend naming each experiment and its best objective.
//
// The lines are drawn by asciigraph, whose box-drawing steps read well for a handful of
// lines; the axes and the legend are drawn here so that they match the other charts.
func Multi(w io.Writer, es []*analysis.Experiment, o Options) error {
	o, err := o.normalize()
	if err != nil {
		return err
	}
	var exps []*analysis.Experiment
	for _, e := range es {
		if e != nil {
			exps = append(exps, e)
		}
	}
	if len(exps) == 0 {
		return say(w, o, "Best so far", "no experiments to compare")
	}
	same := true
	for _, e := range exps {
		same = same && metricDir(e) == metricDir(exps[0])
	}
	title := fmt.Sprintf("Best so far of %d experiments: %s", len(exps), metricDir(exps[0]))
	yname := metricDir(exps[0])
	if !same {
		title = fmt.Sprintf("Best so far of %d experiments (their metrics differ)", len(exps))
		yname = "objective (see each experiment)"
	}

	hists := make([][]analysis.HistoryPoint, len(exps))
	lo, hi, last := math.NaN(), math.NaN(), 0
	for i, e := range exps {
		hists[i] = e.History()
		for _, h := range hists[i] {
			lo, hi = fmin(lo, h.BestSoFar), fmax(hi, h.BestSoFar)
		}
		if len(hists[i]) > 0 {
			last = max(last, len(e.Trials))
		}
	}
	if last == 0 {
		msg := "no trial has reported " + metricName(exps[0]) + " yet"
		if !same {
			msg = "no trial of these experiments has reported its metric yet"
		}
		return say(w, o, title, msg)
	}
	lo, hi = padRange(lo, hi)
	yt := labelTicks(niceTicks(lo, hi, yTickCount(o.Height), false), numPrec)
	lw := 1
	for _, t := range yt {
		lw = max(lw, dw.String(t.label))
	}

	// Each series has a value per column: column 0 is trial 1 on the y axis itself, as
	// asciigraph places a series' first value; the rest are the plot's columns.
	pw := o.Width - lw - 2
	cols := pw + 1
	trialAt := func(col int) int {
		if cols == 1 || last == 1 {
			return 1
		}
		return 1 + int(math.Floor(float64(col)*float64(last-1)/float64(cols-1)+1e-9))
	}
	var data [][]float64
	var styles []asciigraph.CharSet
	var colors []asciigraph.AnsiColor
	for i, h := range hists {
		if len(h) == 0 {
			continue
		}
		s := make([]float64, cols)
		for col := range s {
			s[col] = bestAt(h, trialAt(col), len(exps[i].Trials))
		}
		st := seriesStyle[i%len(seriesStyle)]
		data, styles, colors = append(data, s), append(styles, st.chars), append(colors, st.color)
	}

	// asciigraph labels every row; only the rows nearest the ticks keep a label, like
	// the other charts. A row is labelled when a tick lies within half a row of it.
	rows := o.Height - 1
	rowStep := (hi - lo) / float64(rows)
	// Every label is padded to the same width, so the axis sits where the x axis below
	// expects it even when two ticks fall on one row and a label goes unused.
	label := func(v float64) string {
		for _, t := range yt {
			if t.v > v-rowStep/2 && t.v <= v+rowStep/2 {
				return fmt.Sprintf("%*s", lw, t.label)
			}
		}
		return strings.Repeat(" ", lw)
	}
	opts := []asciigraph.Option{
		asciigraph.Height(rows), asciigraph.LowerBound(lo), asciigraph.UpperBound(hi),
		asciigraph.Offset(3), asciigraph.YAxisValueFormatter(label), asciigraph.SeriesChars(styles...),
	}
	if o.Color {
		opts = append(opts, asciigraph.SeriesColors(colors...))
	}
	body := asciigraph.PlotMany(data, opts...)

	var b strings.Builder
	line(&b, o, title)
	line(&b, o, yname)
	for _, l := range strings.Split(body, "\n") {
		// asciigraph pads labels with one more leading space than this package's charts,
		// and puts a tick on every row; both are evened out here.
		l = strings.TrimPrefix(l, " ")
		if strings.TrimSpace(l[:min(lw, len(l))]) == "" {
			if rest, ok := strings.CutPrefix(l[min(lw+1, len(l)):], "┤"); ok {
				l = l[:lw+1] + "│" + rest
			}
		}
		b.WriteString(l + "\n")
	}
	var xt []xtick
	for _, v := range niceTicks(1, float64(last), xTickCount(pw), true) {
		// The column whose trial number first reaches the tick.
		for col := range cols {
			if trialAt(col) >= int(v) {
				xt = append(xt, xtick{col: col - 1, label: num(v)})
				break
			}
		}
	}
	xAxis(&b, o.Width, lw+1, pw, xt, "trial")

	var legend []string
	for i, e := range exps {
		st := seriesStyle[i%len(seriesStyle)]
		name := expName(e)
		if !same {
			name += " " + metricDir(e)
		}
		if len(hists[i]) == 0 {
			legend = append(legend, fmt.Sprintf("  %s: %s", name, noObjective(e)))
			continue
		}
		h := hists[i][len(hists[i])-1]
		legend = append(legend, fmt.Sprintf("%s %s: best %s of %d trials", paint(st.glyph, st.legend, o.Color), name,
			num(h.BestSoFar), len(e.Trials)))
	}
	for _, l := range legend {
		for _, wl := range wrap([]string{l}, o.Width, "  ") {
			b.WriteString(wl + "\n")
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// bestAt is an experiment's best objective after n trials: NaN before its first counted
// trial and after its last trial, where its line ends.
func bestAt(h []analysis.HistoryPoint, n, trials int) float64 {
	if n > trials {
		return math.NaN()
	}
	v := math.NaN()
	for _, p := range h {
		if p.Number > n {
			break
		}
		v = p.BestSoFar
	}
	return v
}
