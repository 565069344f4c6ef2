package textplot

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// manyTrials is the number of curves past which, with colour, ordinary trials are greyed
// so that the best and the early-stopped ones stand out; fewer curves each keep a colour
// of their own to be told apart.
const manyTrials = 8

// listedStopped is how many early-stopped trials the legend names before it only counts.
const listedStopped = 8

var palette = []color{cyan, blue, magenta, green}

// Intermediate draws one line per trial of the objective's intermediate values against the
// step they were reported at. Early-stopped trials are dashed, end in an x and are listed
// in the legend; the best trial's reports are marked and its last one starred.
func Intermediate(w io.Writer, e *analysis.Experiment, o Options) error {
	o, err := o.normalize()
	if err != nil {
		return err
	}
	if e == nil {
		return errNoExperiment
	}
	title := fmt.Sprintf("Intermediate values of %s: %s", expName(e), metricDir(e))

	var drawn []*analysis.Trial
	lo, hi, last := math.NaN(), math.NaN(), 0
	for i := range e.Trials {
		t := &e.Trials[i]
		finite := false
		for j, r := range t.Reports {
			if math.IsNaN(r) || math.IsInf(r, 0) {
				continue
			}
			finite = true
			if math.IsNaN(lo) || r < lo {
				lo = r
			}
			if math.IsNaN(hi) || r > hi {
				hi = r
			}
			last = max(last, j*stride(t))
		}
		if finite {
			drawn = append(drawn, t)
		}
	}
	if len(drawn) == 0 {
		return say(w, o, title, "no trial has reported intermediate "+metricName(e)+" values yet")
	}

	lo, hi = padRange(lo, hi)
	yt := labelTicks(niceTicks(lo, hi, yTickCount(o.Height), false), numPrec)
	p := newPlot(o, o.Height, lo, hi, yt)
	p.setX(0, float64(last))

	// Drawn in three passes so that the curves the legend points at lie on top.
	var stopped []*analysis.Trial
	var best *analysis.Trial
	ordinary := dim
	if len(drawn) <= manyTrials {
		ordinary = palette[0]
	}
	k := 0
	for _, t := range drawn {
		if t.State == suggest.StateEarlyStopped {
			stopped = append(stopped, t)
		}
		switch {
		case t.Best:
			best = t
		case t.State == suggest.StateEarlyStopped:
			// Drawn in the second pass.
		default:
			c := ordinary
			if len(drawn) <= manyTrials {
				c = palette[k%len(palette)]
			}
			k++
			curve(p, t, c, 0, false)
		}
	}
	for _, t := range stopped {
		if t.Best {
			continue
		}
		x, y := curve(p, t, red, 1, true)
		p.c.mark(x, y, glyphStopped, red, 1)
	}
	if best != nil {
		x, y := curve(p, best, highlight, 2, best.State == suggest.StateEarlyStopped)
		for j, r := range best.Reports {
			if !math.IsNaN(r) && !math.IsInf(r, 0) {
				p.c.mark(p.px(float64(j*stride(best))), p.py(r), glyphTrial, highlight, 2)
			}
		}
		p.c.mark(x, y, glyphBest, highlight, 3)
	}

	var b strings.Builder
	line(&b, o, title)
	line(&b, o, metricDir(e))
	xt := labelTicks(niceTicks(0, float64(last), xTickCount(p.c.w), true), numPrec)
	p.write(&b, p.xticks(xt), "step")

	legend := []string{fmt.Sprintf("%s %d trials with values", paint(glyphLine, ordinary, o.Color), len(drawn))}
	if best != nil {
		obj := ""
		if best.Objective != nil {
			obj = " " + num(*best.Objective)
		}
		legend = append(legend, fmt.Sprintf("%s best: %s%s", paint(string(glyphTrial)+string(glyphBest), highlight, o.Color), best.Name, obj))
	}
	if skipped := stateCounts(e.Trials, func(t *analysis.Trial) bool { return len(t.Reports) > 0 }); skipped != "" {
		legend = append(legend, "no values yet: "+skipped)
	}
	for _, l := range wrap(legend, o.Width, "") {
		b.WriteString(l + "\n")
	}
	if len(stopped) > 0 {
		items := []string{fmt.Sprintf("%s%s early-stopped (%d):", paint(glyphDashed, red, o.Color), paint(string(glyphStopped), red, o.Color), len(stopped))}
		for i, t := range stopped {
			if i == listedStopped {
				items = append(items, fmt.Sprintf("and %d more", len(stopped)-listedStopped))
				break
			}
			items = append(items, fmt.Sprintf("%s at step %d", t.Name, lastStep(t)))
		}
		for _, l := range wrap(items, o.Width, "  ") {
			b.WriteString(l + "\n")
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func stride(t *analysis.Trial) int { return max(t.Stride, 1) }

// lastStep is the step of a trial's last finite report.
func lastStep(t *analysis.Trial) int {
	for j := len(t.Reports) - 1; j >= 0; j-- {
		if r := t.Reports[j]; !math.IsNaN(r) && !math.IsInf(r, 0) {
			return j * stride(t)
		}
	}
	return 0
}

// curve draws a trial's reports as a polyline (a lone report as a dot) and returns the
// pixel of its last point. A report that is not a number breaks the line.
func curve(p *plot, t *analysis.Trial, c color, prio int8, dashed bool) (int, int) {
	px, py, have := 0, 0, false
	for j, r := range t.Reports {
		if math.IsNaN(r) || math.IsInf(r, 0) {
			have = false
			continue
		}
		x, y := p.px(float64(j*stride(t))), p.py(r)
		if have {
			p.c.line(px, py, x, y, c, prio, dashed)
		} else {
			p.c.dot(x, y, c, prio)
		}
		px, py, have = x, y, true
	}
	return px, py
}
