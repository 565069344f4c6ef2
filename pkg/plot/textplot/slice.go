package textplot

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/analysis"
)

// Slice draws one small scatter per parameter, stacked: the objective of every counted
// trial against that parameter's value, on a log axis for log-scaled parameters and in
// one column per choice for categorical ones. All panels share the objective's axis, so
// their heights compare.
func Slice(w io.Writer, e *analysis.Experiment, o Options) error {
	o, err := o.normalize()
	if err != nil {
		return err
	}
	if e == nil {
		return errNoExperiment
	}
	title := fmt.Sprintf("Slice of %s: %s against each parameter", expName(e), metricDir(e))
	counted := e.Counted()
	switch {
	case len(e.Params) == 0:
		return say(w, o, title, "the experiment has no parameters")
	case len(counted) == 0:
		return say(w, o, title, noObjective(e))
	}

	// A panel per parameter at the full height would scroll several screens; half of it
	// still separates good values from bad ones.
	h := min(max(o.Height/2, minHeight), o.Height)
	lo, hi := padRange(e.ObjectiveRange())
	yt := labelTicks(niceTicks(lo, hi, yTickCount(h), false), numPrec)

	var b strings.Builder
	line(&b, o, title)
	for i, prm := range e.Params {
		b.WriteByte('\n')
		p := newPlot(o, h, lo, hi, yt)
		var xt []xtick
		missing := 0
		if prm.Kind == analysis.Categorical {
			xt = categorical(p, prm, i, counted, &missing)
		} else {
			xt = numeric(p, prm, i, counted, &missing)
		}
		for _, t := range counted {
			if t.Best && placed(prm, t.Values[i]) {
				p.c.mark(slicePx(p, prm, t, i), p.py(*t.Objective), glyphBest, highlight, 2)
			}
		}
		head := metricName(e) + " against " + prm.Name
		switch {
		case prm.Kind == analysis.Categorical:
			head += " (categorical)"
		case prm.Log:
			head += " (log scale)"
		}
		if missing > 0 {
			head += fmt.Sprintf(", %d trials without a value", missing)
		}
		line(&b, o, head)
		p.write(&b, xt, "")
	}
	legend := []string{
		paint("⠁", plain, o.Color) + " a trial",
	}
	for _, t := range counted {
		if t.Best {
			legend = append(legend, fmt.Sprintf("%s best: %s %s", paint(string(glyphBest), highlight, o.Color), t.Name, num(*t.Objective)))
		}
	}
	for _, l := range wrap(legend, o.Width, "") {
		b.WriteString(l + "\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// numeric places a numeric parameter's trials on a linear or log axis over its bounds.
func numeric(p *plot, prm analysis.Param, i int, counted []*analysis.Trial, missing *int) []xtick {
	lo, hi := paramRange(prm, i, counted)
	p.setX(lo, hi)
	for _, t := range counted {
		if !placed(prm, t.Values[i]) {
			*missing++
			continue
		}
		p.c.dot(p.px(prm.Scale(t.Values[i])), p.py(*t.Objective), plain, 1)
	}
	n := xTickCount(p.c.w)
	var ts []tick
	switch {
	case prm.Log:
		// Ticks at whole powers of ten when the axis spans at least two of them.
		vs := niceTicks(lo, hi, n, math.Ceil(lo) < math.Floor(hi))
		ts = labelTicks(vs, func(v float64, prec int) string { return numPrec(math.Pow(10, v), prec) })
	default:
		ts = labelTicks(niceTicks(lo, hi, n, prm.Integer), numPrec)
	}
	return p.xticks(ts)
}

// categorical gives each choice a band of columns, in the spec's order, and spreads a
// band's trials across it (by trial index, so the spread is the same every time) so that
// trials with the same choice and close objectives do not hide each other.
func categorical(p *plot, prm analysis.Param, i int, counted []*analysis.Trial, missing *int) []xtick {
	for _, t := range counted {
		if !placed(prm, t.Values[i]) {
			*missing++
			continue
		}
		p.c.dot(slicePx(p, prm, t, i), p.py(*t.Objective), plain, 1)
	}
	band := bandCells(p, prm)
	out := make([]xtick, len(prm.Choices))
	for j, c := range prm.Choices {
		out[j] = xtick{col: j*band + band/2, label: fit(c, max(band-1, 1))}
	}
	return out
}

// placed reports whether a value has a place on the parameter's axis: not NaN, positive on
// a log axis, one of the choices of a categorical parameter.
func placed(prm analysis.Param, v float64) bool {
	if prm.Kind == analysis.Categorical {
		return !math.IsNaN(v) && v >= 0 && int(v) < len(prm.Choices)
	}
	return !math.IsNaN(prm.Scale(v))
}

// slicePx is the x pixel of a trial's value in a slice panel.
func slicePx(p *plot, prm analysis.Param, t *analysis.Trial, i int) int {
	if prm.Kind != analysis.Categorical {
		return p.px(prm.Scale(t.Values[i]))
	}
	band := bandCells(p, prm)
	centre := 2*(int(t.Values[i])*band+band/2) + 1
	spread := max(2*band/3, 1)
	return centre + (t.Index*7)%(2*spread+1) - spread
}

// paramRange is a numeric parameter's axis, log10 for log parameters: its bounds, or the
// trials' values when a bound did not parse (or a log axis would reach zero).
func paramRange(prm analysis.Param, i int, counted []*analysis.Trial) (float64, float64) {
	lo, hi := prm.Scale(prm.Min), prm.Scale(prm.Max)
	if math.IsNaN(lo) || math.IsNaN(hi) {
		lo, hi = math.NaN(), math.NaN()
		for _, t := range counted {
			if v := prm.Scale(t.Values[i]); !math.IsNaN(v) {
				lo, hi = fmin(lo, v), fmax(hi, v)
			}
		}
		if math.IsNaN(lo) {
			lo, hi = 0, 1
		}
	}
	return padRange(lo, hi)
}

// bandCells is how many columns each choice of a categorical parameter gets.
func bandCells(p *plot, prm analysis.Param) int { return max(p.c.w/max(len(prm.Choices), 1), 1) }

func fmin(a, b float64) float64 {
	if math.IsNaN(a) || b < a {
		return b
	}
	return a
}

func fmax(a, b float64) float64 {
	if math.IsNaN(a) || b > a {
		return b
	}
	return a
}
