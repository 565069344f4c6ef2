package textplot

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/analysis"
)

// Glyphs shared by the charts and their legends.
const (
	glyphTrial   = '•'
	glyphBest    = '★'
	glyphStopped = 'x'
	// glyphLine stands for a braille line in legends.
	glyphLine = "⠤⠤"
	// glyphDashed stands for a dashed braille line in legends.
	glyphDashed = "⠄⠠"
)

// History draws the objective of every counted trial (dots) and the best objective so far
// (a step line) against the trial number, and marks the best trial.
func History(w io.Writer, e *analysis.Experiment, o Options) error {
	o, err := o.normalize()
	if err != nil {
		return err
	}
	if e == nil {
		return errNoExperiment
	}
	title := fmt.Sprintf("Optimisation history of %s: %s", expName(e), metricDir(e))
	hist := e.History()
	if len(hist) == 0 {
		return say(w, o, title, noObjective(e))
	}

	lo, hi := e.ObjectiveRange()
	goalShown := false
	if e.Goal != nil {
		// A goal near the objectives is worth the room it takes: the reader sees how far
		// off it is. One far away would squash the trials into a few rows.
		g, span := *e.Goal, hi-lo
		if g >= lo-span && g <= hi+span {
			lo, hi, goalShown = fmin(lo, g), fmax(hi, g), true
		}
	}
	lo, hi = padRange(lo, hi)
	yt := labelTicks(niceTicks(lo, hi, yTickCount(o.Height), false), numPrec)
	p := newPlot(o, o.Height, lo, hi, yt)
	n := len(e.Trials)
	p.setX(1, float64(n))

	// The best-so-far line steps at each improvement and runs on to the last trial, since
	// the trials after the last counted one were spent too.
	for i, h := range hist {
		end := n
		if i+1 < len(hist) {
			end = hist[i+1].Number
		}
		x0, x1, y0 := p.px(float64(h.Number)), p.px(float64(end)), p.py(h.BestSoFar)
		p.c.line(x0, y0, x1, y0, green, 1, false)
		if i+1 < len(hist) {
			p.c.line(x1, y0, x1, p.py(hist[i+1].BestSoFar), green, 1, false)
		}
	}
	if goalShown {
		y := p.py(*e.Goal)
		p.c.line(0, y, p.x.n-1, y, dim, 0, true)
	}
	var best *analysis.HistoryPoint
	for i, h := range hist {
		r, c, prio := glyphTrial, plain, int8(1)
		if h.Trial.Best {
			r, c, prio = glyphBest, highlight, 2
			best = &hist[i]
		}
		p.c.mark(p.px(float64(h.Number)), p.py(h.Value), r, c, prio)
	}

	var b strings.Builder
	line(&b, o, title)
	line(&b, o, metricDir(e))
	xt := labelTicks(niceTicks(1, float64(n), xTickCount(p.c.w), true), numPrec)
	p.write(&b, p.xticks(xt), "trial")

	legend := []string{
		paint(string(glyphTrial), plain, o.Color) + " " + metricName(e) + " of a trial",
		paint(glyphLine, green, o.Color) + " best so far",
	}
	if best != nil {
		legend = append(legend, fmt.Sprintf("%s best: %s (trial %d) %s", paint(string(glyphBest), highlight, o.Color),
			best.Trial.Name, best.Number, num(best.Value)))
	}
	switch {
	case goalShown:
		legend = append(legend, paint(glyphDashed, dim, o.Color)+" goal "+num(*e.Goal))
	case e.Goal != nil:
		legend = append(legend, "goal "+num(*e.Goal)+" (off the chart)")
	}
	if skipped := stateCounts(e.Trials, func(t *analysis.Trial) bool { return t.Counted }); skipped != "" {
		legend = append(legend, "not drawn: "+skipped)
	}
	for _, l := range wrap(legend, o.Width, "") {
		b.WriteString(l + "\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}
