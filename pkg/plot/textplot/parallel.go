package textplot

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/analysis"
)

// minAxisGap is the fewest columns between two parallel axes: room for a label like
// "0.0001" or "rmsprop" under each, and for the lines between them to show a slope.
const minAxisGap = 9

// maxTop is the most trials the parallel chart highlights: more would hide what the best
// ones have in common.
const maxTop = 5

// pAxis is one vertical axis of the parallel chart: where a trial's value sits on it, as a
// fraction of its height, and the labels at its ends.
type pAxis struct {
	name     string
	col      int
	pos      func(t *analysis.Trial) float64 // 0 bottom … 1 top; NaN when the trial has no value
	top, bot string
}

// Parallel draws parallel coordinates: a vertical axis per parameter and one for the
// objective, each counted trial a line across them. The best trials are drawn with a
// glyph of their own (and in colour with Color). When the width cannot fit every axis, the
// parameters past those that fit are left out and the chart says which.
func Parallel(w io.Writer, e *analysis.Experiment, o Options) error {
	o, err := o.normalize()
	if err != nil {
		return err
	}
	if e == nil {
		return errNoExperiment
	}
	title := fmt.Sprintf("Parallel coordinates of %s: %s", expName(e), metricDir(e))
	counted := e.Counted()
	switch {
	case len(e.Params) == 0:
		return say(w, o, title, "the experiment has no parameters")
	case len(counted) == 0:
		return say(w, o, title, noObjective(e))
	}

	half := (minAxisGap - 1) / 2 // the first and last axes' labels need room on their outer side
	fits := (o.Width-1-2*half)/minAxisGap + 1
	params := e.Params[:min(len(e.Params), max(fits-1, 1))]
	var axes []pAxis
	for i, prm := range params {
		axes = append(axes, paramAxis(prm, i, counted))
	}
	lo, hi := padRange(e.ObjectiveRange())
	axes = append(axes, pAxis{name: metricName(e), top: num(hi), bot: num(lo),
		pos: func(t *analysis.Trial) float64 { return (*t.Objective - lo) / (hi - lo) }})
	gap := float64(o.Width-1-2*half) / float64(len(axes)-1)
	for j := range axes {
		axes[j].col = half + int(math.Round(float64(j)*gap))
	}

	top := slices.Clone(counted)
	slices.SortStableFunc(top, func(a, b *analysis.Trial) int {
		switch {
		case e.Better(*a.Objective, *b.Objective):
			return -1
		case e.Better(*b.Objective, *a.Objective):
			return 1
		}
		return cmp.Compare(a.Index, b.Index)
	})
	top = top[:min(max(1, int(math.Round(float64(len(top))/10))), maxTop)]

	c := newCanvas(o.Width, o.Height)
	ph := 4 * o.Height
	py := func(u float64) int { return int(math.Round((1 - u) * float64(ph-1))) }
	others := plain
	if o.Color {
		others = dim
	}
	for _, t := range counted {
		if slices.Contains(top, t) {
			continue
		}
		for j := 0; j+1 < len(axes); j++ {
			u0, u1 := axes[j].pos(t), axes[j+1].pos(t)
			if math.IsNaN(u0) || math.IsNaN(u1) {
				continue
			}
			c.line(2*axes[j].col, py(u0), 2*axes[j+1].col, py(u1), others, 0, false)
		}
	}
	for j := range axes {
		for r := range o.Height {
			c.markCell(axes[j].col, r, '│', plain, 0)
		}
	}
	// The best trials are drawn last, as a glyph every other column along their line, so
	// they read as a separate kind of line even without colour.
	for _, t := range slices.Backward(top) {
		for j := 0; j+1 < len(axes); j++ {
			u0, u1 := axes[j].pos(t), axes[j+1].pos(t)
			if math.IsNaN(u0) || math.IsNaN(u1) {
				continue
			}
			c0, c1 := axes[j].col, axes[j+1].col
			for cx := c0; cx <= c1; cx++ {
				if cx != c0 && cx != c1 && (cx-c0)%2 != 0 {
					continue
				}
				f := float64(cx-c0) / float64(c1-c0)
				c.mark(2*cx, py(u0+(u1-u0)*f), glyphTrial, highlight, 1)
			}
		}
	}

	var b strings.Builder
	line(&b, o, title)
	b.WriteString(axisLabels(o.Width, axes, func(a pAxis) string { return a.top }, gap))
	for r := range o.Height {
		b.WriteString(c.row(r, o.Color))
		b.WriteByte('\n')
	}
	b.WriteString(axisLabels(o.Width, axes, func(a pAxis) string { return a.bot }, gap))
	b.WriteString(axisLabels(o.Width, axes, func(a pAxis) string { return a.name }, gap))

	cmpWord := "≥"
	if !e.Maximize {
		cmpWord = "≤"
	}
	legend := []string{
		fmt.Sprintf("%s best %d of %d trials (%s %s %s)", paint(string(glyphTrial), highlight, o.Color), len(top), len(counted),
			metricName(e), cmpWord, num(*top[len(top)-1].Objective)),
		paint(glyphLine, others, o.Color) + " other trials",
	}
	for _, prm := range params {
		switch {
		case prm.Kind == analysis.Categorical && len(prm.Choices) > 2:
			legend = append(legend, prm.Name+" bottom to top: "+strings.Join(prm.Choices, ", "))
		case prm.Log:
			legend = append(legend, prm.Name+" on a log scale")
		}
	}
	if left := len(e.Params) - len(params); left > 0 {
		names := make([]string, 0, left)
		for _, prm := range e.Params[len(params):] {
			names = append(names, prm.Name)
		}
		legend = append(legend, fmt.Sprintf("%d of %d parameters left out to fit %d columns: %s",
			left, len(e.Params), o.Width, strings.Join(names, ", ")))
	}
	for _, l := range wrap(legend, o.Width, "") {
		b.WriteString(l + "\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// paramAxis places a parameter's values on its axis: over its bounds (log10 of them for
// log parameters), or its choices evenly spaced from the first at the bottom.
func paramAxis(prm analysis.Param, i int, counted []*analysis.Trial) pAxis {
	a := pAxis{name: prm.Name}
	if prm.Kind == analysis.Categorical {
		n := len(prm.Choices)
		if n > 0 {
			a.bot, a.top = prm.Choices[0], prm.Choices[n-1]
		}
		a.pos = func(t *analysis.Trial) float64 {
			v := t.Values[i]
			switch {
			case !placed(prm, v):
				return math.NaN()
			case n == 1:
				return 0.5
			}
			return v / float64(n-1)
		}
		return a
	}
	lo, hi := paramRange(prm, i, counted)
	unscale := func(v float64) float64 { return v }
	if prm.Log {
		unscale = func(v float64) float64 { return math.Pow(10, v) }
	}
	a.bot, a.top = num(unscale(lo)), num(unscale(hi))
	a.pos = func(t *analysis.Trial) float64 { return (prm.Scale(t.Values[i]) - lo) / (hi - lo) }
	return a
}

// axisLabels writes one line of labels centred on the axes, each cut to the room between
// axes.
func axisLabels(width int, axes []pAxis, label func(pAxis) string, gap float64) string {
	var b strings.Builder
	cur := 0
	room := max(int(gap)-1, 1)
	for _, a := range axes {
		l := fit(label(a), room)
		lw := dw.String(l)
		start := min(max(a.col-lw/2, 0), width-lw)
		if cur > 0 && start <= cur {
			continue
		}
		b.WriteString(strings.Repeat(" ", start-cur))
		b.WriteString(l)
		cur = start + lw
	}
	b.WriteByte('\n')
	return b.String()
}
