package svgplot

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// maxSeriesPoints bounds the points drawn for one trial's intermediate values. A thinned log
// can still hold thousands of values; more points than the chart has pixels across only make
// the file bigger.
const maxSeriesPoints = 160

// chartTitle joins a chart's kind and the experiment's name.
func chartTitle(kind, name string) string {
	if name == "" {
		return kind
	}
	return kind + " — " + name
}

// objectiveLabel names the objective axis: the metric and which way is better.
func objectiveLabel(e *analysis.Experiment) string {
	metric := e.Metric
	if metric == "" {
		metric = "objective"
	}
	if e.Maximize {
		return metric + " (maximize)"
	}
	return metric + " (minimize)"
}

// trialNumberScale is an x axis of trial numbers from 0 to n, ticked at whole numbers only.
func trialNumberScale(n int, p0, p1 float64) *scale {
	return intScale(0, float64(max(n, 1)), p0, p1, 8)
}

// objectiveDomain is the range of the objective axis: lo..hi, widened to the goal when the
// goal lies close enough to the results that showing it does not squash them.
func objectiveDomain(lo, hi float64, goal *float64) (float64, float64, bool) {
	if goal == nil || math.IsNaN(lo) {
		return lo, hi, false
	}
	g := *goal
	span := math.Max(hi-lo, math.Abs(hi)*0.1)
	if g < lo-span || g > hi+span {
		return lo, hi, false
	}
	return math.Min(lo, g), math.Max(hi, g), true
}

// stateClass is the CSS-style class of a trial's state, as used in class attributes.
func stateClass(s suggest.TrialState) string {
	return strings.ToLower(string(s))
}

// History draws the optimisation history: one mark per counted trial at its trial number and
// objective, the best-so-far line, the goal when there is one close to the results, and the
// best trial highlighted. Trials that stopped early are drawn hollow.
func History(e *analysis.Experiment) string {
	d := newDoc("history", Width, Height, chartTitle("Optimization history", e.Name))
	a := defaultArea(Width, Height)
	hist := e.History()
	if len(hist) == 0 {
		d.message("No trial has finished with an objective yet.")
		return d.String()
	}
	lo, hi := e.ObjectiveRange()
	lo, hi, showGoal := objectiveDomain(lo, hi, e.Goal)

	var best *analysis.HistoryPoint
	var plain, early []analysis.HistoryPoint
	for i, p := range hist {
		switch {
		case p.Trial.Best:
			best = &hist[i]
		case p.Trial.State == suggest.StateEarlyStopped:
			early = append(early, p)
		default:
			plain = append(plain, p)
		}
	}
	legend := []legendItem{{"objective", dotSwatch(colTrial, "none", 4)}}
	if showGoal {
		legend = append(legend, legendItem{"goal " + fmtValue(*e.Goal), lineSwatch(colGoal, 1, "6 4")})
	}
	legend = append(legend, legendItem{"best so far", lineSwatch(colBestLine, 2, "")})
	if len(early) > 0 {
		legend = append(legend, legendItem{"stopped early", dotSwatch("#fff", colEarlyStop, 3.5)})
	}
	if best != nil {
		legend = append(legend, legendItem{"best trial " + best.Trial.Name, dotSwatch(colBest, "#fff", 5)})
	}
	a.y0 += legendExtra(legend, a.x0, Width-8)

	xs := trialNumberScale(len(e.Trials), a.x0, a.x1)
	ys := linearScale(lo, hi, a.y1, a.y0, 5)
	d.xAxis(a, xs, "trial number")
	d.yAxis(a, ys, objectiveLabel(e))
	if showGoal {
		y := ys.at(*e.Goal)
		d.line(a.x0, y, a.x1, y, colGoal, `stroke-dasharray="6 4" class="goal"`)
	}

	// The best-so-far line steps at each trial that improved on the best and runs on to the
	// last trial created, since the trials after it spent effort without improving.
	d.printf(`<path class="best-so-far" d="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", bestSoFarPath(e, hist, xs, ys), colBestLine)

	d.printf(`<g class="marks" fill="%s" fill-opacity="0.75">`+"\n", colTrial)
	for _, p := range plain {
		historyMark(d, xs, ys, p, "mark trial", 3.5)
	}
	d.raw("</g>\n")
	if len(early) > 0 {
		d.printf(`<g class="marks earlystopped" fill="#fff" stroke="%s" stroke-width="1.5">`+"\n", colEarlyStop)
		for _, p := range early {
			historyMark(d, xs, ys, p, "mark trial earlystopped", 3.5)
		}
		d.raw("</g>\n")
	}
	if best != nil {
		d.printf(`<g class="marks best" fill="%s" stroke="#fff" stroke-width="1.5">`+"\n", colBest)
		historyMark(d, xs, ys, *best, "mark trial best", 6)
		d.raw("</g>\n")
	}
	d.legend(a.x0, 44, Width-8, legend)
	return d.String()
}

// bestSoFarPath is the best-so-far line as steps: flat until a trial improves on the best,
// then straight up or down to it, and on to the last trial created.
func bestSoFarPath(e *analysis.Experiment, hist []analysis.HistoryPoint, xs, ys *scale) string {
	var path strings.Builder
	for i, p := range hist {
		x, y := xs.at(float64(p.Number)), ys.at(p.BestSoFar)
		if i == 0 {
			fmt.Fprintf(&path, "M%s %s", num(x), num(y))
		} else {
			fmt.Fprintf(&path, "H%s V%s", num(x), num(y))
		}
	}
	fmt.Fprintf(&path, "H%s", num(xs.at(float64(len(e.Trials)))))
	return path.String()
}

func historyMark(d *doc, xs, ys *scale, p analysis.HistoryPoint, class string, r float64) {
	d.printf(`<circle class="%s" data-trial="%s" cx="%s" cy="%s" r="%s"><title>%s (trial %d): %s</title></circle>`+"\n",
		class, esc(p.Trial.Name), num(xs.at(float64(p.Number))), num(ys.at(p.Value)), num(r),
		esc(p.Trial.Name), p.Number, fmtValue(p.Value))
}

// Intermediate draws the objective's intermediate values: one line per trial that reported
// any, against the step they were reported at. Trials stopped early are drawn in their own
// colour and end in a cross where they were stopped; the best trial is drawn last, on top.
func Intermediate(e *analysis.Experiment) string {
	d := newDoc("intermediate", Width, Height, chartTitle("Intermediate values", e.Name))
	a := defaultArea(Width, Height)
	var reported []*analysis.Trial
	lo, hi, lastStep := math.NaN(), math.NaN(), 0
	for i := range e.Trials {
		t := &e.Trials[i]
		if len(t.Reports) == 0 {
			continue
		}
		reported = append(reported, t)
		lastStep = max(lastStep, (len(t.Reports)-1)*max(t.Stride, 1))
		for _, v := range t.Reports {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(nanTo(lo, v), v), math.Max(nanTo(hi, v), v)
			}
		}
	}
	if len(reported) == 0 {
		d.message("No trial reported intermediate values.")
		return d.String()
	}
	// Ordinary trials first, then those stopped early, then the best, so the lines that
	// matter are not buried under the rest.
	rank := func(t *analysis.Trial) int {
		switch {
		case t.Best:
			return 2
		case t.State == suggest.StateEarlyStopped:
			return 1
		}
		return 0
	}
	slices.SortStableFunc(reported, func(x, y *analysis.Trial) int { return rank(x) - rank(y) })

	legend := []legendItem{{"trial", lineSwatch(colTrial, 1.5, "")}}
	if slices.ContainsFunc(reported, func(t *analysis.Trial) bool { return rank(t) == 1 }) {
		legend = append(legend, legendItem{"stopped early", crossSwatch(colEarlyStop)})
	}
	if last := reported[len(reported)-1]; last.Best {
		legend = append(legend, legendItem{"best trial " + last.Name, lineSwatch(colBest, 2.5, "")})
	}
	a.y0 += legendExtra(legend, a.x0, Width-8)

	xs := intScale(0, float64(max(lastStep, 1)), a.x0, a.x1, 8)
	ys := linearScale(lo, hi, a.y1, a.y0, 5)
	d.xAxis(a, xs, "step")
	d.yAxis(a, ys, objectiveLabel(e))

	group := -1
	for _, t := range reported {
		r := rank(t)
		if r != group {
			if group >= 0 {
				d.raw("</g>\n")
			}
			group = r
			switch r {
			case 0:
				d.printf(`<g class="series" fill="none" stroke="%s" stroke-width="1.2" stroke-opacity="0.45">`+"\n", colTrial)
			case 1:
				d.printf(`<g class="series earlystopped" fill="none" stroke="%s" stroke-width="1.4" stroke-opacity="0.85">`+"\n", colEarlyStop)
			case 2:
				d.printf(`<g class="series best" fill="none" stroke="%s" stroke-width="2.5">`+"\n", colBest)
			}
		}
		series(d, xs, ys, t, [3]string{colTrial, colEarlyStop, colBest}[r])
	}
	d.raw("</g>\n")
	d.legend(a.x0, 44, Width-8, legend)
	return d.String()
}

// shortValue writes a value with four significant digits, for legends.
func shortValue(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func nanTo(v, def float64) float64 {
	if math.IsNaN(v) {
		return def
	}
	return v
}

// series writes one trial's intermediate values as a group holding its line and, when the
// trial was stopped early, the cross where it stopped.
func series(d *doc, xs, ys *scale, t *analysis.Trial, colour string) {
	stride := max(t.Stride, 1)
	every := (len(t.Reports) + maxSeriesPoints - 1) / maxSeriesPoints
	var pts strings.Builder
	var lastX, lastY float64
	n := 0
	for i, v := range t.Reports {
		// Thin evenly but always keep the last value: it is where the trial ended.
		if i%every != 0 && i != len(t.Reports)-1 {
			continue
		}
		x, y := xs.at(float64(i*stride)), ys.at(v)
		if math.IsNaN(y) {
			continue
		}
		if n > 0 {
			pts.WriteByte(' ')
		}
		pts.WriteString(num(x) + "," + num(y))
		lastX, lastY = x, y
		n++
	}
	class := "series trial " + stateClass(t.State)
	if t.Best {
		class += " best"
	}
	last := "none"
	if len(t.Reports) > 0 {
		last = fmtValue(t.Reports[len(t.Reports)-1])
	}
	d.printf(`<g class="%s" data-trial="%s"><title>%s: %s, %d values, last %s</title>`, class, esc(t.Name), esc(t.Name), esc(string(t.State)), len(t.Reports), last)
	switch {
	case n == 1:
		d.printf(`<circle cx="%s" cy="%s" r="2.5" fill="%s" stroke="none"/>`, num(lastX), num(lastY), colour)
	case n > 1:
		d.printf(`<polyline points="%s"/>`, pts.String())
	}
	if t.State == suggest.StateEarlyStopped && n > 0 {
		d.printf(`<path class="stop" d="%s" stroke-width="2" stroke-opacity="1"/>`, crossPath(lastX, lastY, 4))
	}
	d.raw("</g>\n")
}

// Parallel draws parallel coordinates: one vertical axis per parameter and one for the
// objective, and a line per counted trial through its values. Colour follows the objective,
// darker for better, and better trials are drawn on top; the best trial is red.
func Parallel(e *analysis.Experiment) string {
	k := len(e.Params) + 1
	w := math.Max(Width, float64(152+110*k))
	d := newDoc("parallel", w, Height, chartTitle("Parallel coordinates", e.Name))
	a := plotArea{x0: 76, y0: 72, x1: w - 76, y1: Height - 56}
	trials := e.Counted()
	if len(trials) == 0 {
		d.message("No trial has finished with an objective yet.")
		return d.String()
	}
	lo, hi := e.ObjectiveRange()
	axisX := func(i int) float64 {
		if k == 1 {
			return (a.x0 + a.x1) / 2
		}
		return a.x0 + float64(i)*(a.x1-a.x0)/float64(k-1)
	}
	spacing := (a.x1 - a.x0) / float64(max(k-1, 1))
	scales := make([]*scale, k)
	names := make([]string, k)
	for i, p := range e.Params {
		scales[i] = paramScale(p, a.y1, a.y0)
		names[i] = p.Name
		if p.Log {
			names[i] += " (log)"
		}
	}
	scales[k-1] = linearScale(lo, hi, a.y1, a.y0, 5)
	names[k-1] = objectiveLabel(e)

	// Worse first, so that better trials, which are what a reader looks for, lie on top.
	order := slices.Clone(trials)
	slices.SortStableFunc(order, func(x, y *analysis.Trial) int {
		if x.Best != y.Best {
			if x.Best {
				return 1
			}
			return -1
		}
		if e.Maximize {
			return cmp.Compare(*x.Objective, *y.Objective)
		}
		return cmp.Compare(*y.Objective, *x.Objective)
	})
	// Colour follows the rank rather than the value: a few very bad trials would otherwise
	// leave every other line the same dark shade.
	goodness := func(rank int) float64 { return float64(rank) / float64(max(len(order)-1, 1)) }

	d.raw(`<g class="lines" fill="none" stroke-width="1.2" stroke-opacity="0.7">` + "\n")
	for rank, t := range order {
		var p strings.Builder
		pen := false
		for i := range k {
			var y float64
			if i < k-1 {
				y = scales[i].pos(t.Values[i])
			} else {
				y = scales[i].pos(*t.Objective)
			}
			if math.IsNaN(y) {
				pen = false // a missing value breaks the line rather than inventing one
				continue
			}
			op := "L"
			if !pen {
				op = "M"
			}
			fmt.Fprintf(&p, "%s%s %s", op, num(axisX(i)), num(y))
			pen = true
		}
		colour, extra, class := rampColour(goodness(rank)), "", "line trial"
		if t.Best {
			colour, extra, class = colBest, ` stroke-width="2.5" stroke-opacity="1"`, "line trial best"
		}
		d.printf(`<path class="%s" data-trial="%s" d="%s" stroke="%s"%s><title>%s: %s</title></path>`+"\n",
			class, esc(t.Name), p.String(), colour, extra, esc(t.Name), fmtValue(*t.Objective))
	}
	d.raw("</g>\n")

	for i := range k {
		x, s := axisX(i), scales[i]
		d.raw(`<g class="axis">` + "\n")
		d.line(x, a.y0, x, a.y1, "#555", "")
		room := spacing*0.5 - 10
		if s.kind == band {
			room = math.Max(room, 40)
		}
		for _, t := range s.ticks {
			y := s.at(t.at)
			if math.IsNaN(y) {
				continue
			}
			d.line(x-4, y, x, y, "#555", "")
			d.text(x-7, y+4, fit(t.label, room, charW*0.85), `font-size="10.5" paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"`, "end", colText)
		}
		// The outer axes' names may only reach as far as the chart's edges.
		room = math.Min(spacing-8, 2*math.Min(x, w-x)-8)
		d.text(x, a.y1+22, fit(names[i], room, charW), `font-weight="600"`, "middle", colText)
		d.raw("</g>\n")
	}
	worse, better := shortValue(lo), shortValue(hi)
	if !e.Maximize {
		worse, better = better, worse
	}
	d.colourBar(w-24, 44, "objective rank", worse, better)
	d.legend(a.x0, 44, w-24-colourBarWidth("objective rank", worse, better)-16, []legendItem{{"best trial", lineSwatch(colBest, 2.5, "")}})
	return d.String()
}

// Slice draws the objective against one parameter: one mark per counted trial that has a
// value for it, coloured by trial number (darker is later) so the search's drift shows.
// Categorical parameters spread their marks a little across each choice's band so that
// trials with the same value remain countable.
func Slice(e *analysis.Experiment, paramIndex int) string {
	if paramIndex < 0 || paramIndex >= len(e.Params) {
		d := newDoc("slice", Width, Height, chartTitle("Slice", e.Name))
		d.message("The experiment has no parameter number " + strconv.Itoa(paramIndex) + ".")
		return d.String()
	}
	p := e.Params[paramIndex]
	d := newDoc("slice", Width, Height, chartTitle("Slice: "+p.Name, e.Name))
	a := defaultArea(Width, Height)
	type point struct {
		t      *analysis.Trial
		number int
	}
	var pts []point
	for i := range e.Trials {
		t := &e.Trials[i]
		if t.Counted && !math.IsNaN(t.Values[paramIndex]) && !(p.Log && t.Values[paramIndex] <= 0) {
			pts = append(pts, point{t, i + 1})
		}
	}
	if len(pts) == 0 {
		d.message("No finished trial has a value for " + p.Name + ".")
		return d.String()
	}
	n := len(e.Trials)
	var best *point
	for i := range pts {
		if pts[i].t.Best {
			best = &pts[i]
		}
	}
	var legend []legendItem
	if best != nil {
		legend = append(legend, legendItem{"best trial " + best.t.Name, dotSwatch(colBest, "#fff", 5)})
	}
	barRight, barLo, barHi := Width-24.0, "1", strconv.Itoa(n)
	legendRight := barRight - colourBarWidth("trial", barLo, barHi) - 16
	a.y0 += legendExtra(legend, a.x0, legendRight)

	lo, hi := e.ObjectiveRange()
	xs := paramScale(p, a.x0, a.x1)
	ys := linearScale(lo, hi, a.y1, a.y0, 5)
	xTitle := p.Name
	if p.Log && xs.kind == logScale {
		xTitle += " (log scale)"
	}
	d.xAxis(a, xs, xTitle)
	d.yAxis(a, ys, objectiveLabel(e))

	d.raw(`<g class="marks" stroke="#fff" stroke-width="0.8">` + "\n")
	for _, pt := range pts {
		if pt.t.Best {
			continue
		}
		sliceMark(d, xs, ys, p, paramIndex, pt.t, "mark trial", rampColour(float64(pt.number-1)/float64(max(n-1, 1))), 4)
	}
	d.raw("</g>\n")
	if best != nil {
		d.raw(`<g class="marks best" stroke="#fff" stroke-width="1.5">` + "\n")
		sliceMark(d, xs, ys, p, paramIndex, best.t, "mark trial best", colBest, 6)
		d.raw("</g>\n")
	}
	d.legend(a.x0, 44, legendRight, legend)
	d.colourBar(barRight, 44, "trial", barLo, barHi)
	return d.String()
}

func sliceMark(d *doc, xs, ys *scale, p analysis.Param, pi int, t *analysis.Trial, class, fill string, r float64) {
	x := xs.pos(t.Values[pi])
	if xs.kind == band {
		// The golden ratio spreads consecutive trials evenly across the band, the same way
		// every time.
		frac := math.Mod(float64(t.Index)*0.6180339887, 1) - 0.5
		x += frac * xs.bandWidth() * 0.5
	}
	d.printf(`<circle class="%s" data-trial="%s" cx="%s" cy="%s" r="%s" fill="%s"><title>%s: %s = %s, objective %s</title></circle>`+"\n",
		class, esc(t.Name), num(x), num(ys.pos(*t.Objective)), num(r), fill,
		esc(t.Name), esc(p.Name), esc(t.Raw[pi]), fmtValue(*t.Objective))
}

// Bar is one parameter's share of the objective's variance, as parameter importance gives it.
type Bar struct {
	Name string
	// Share is between 0 and 1; the shares of one experiment add up to about 1.
	Share float64
}

// Importance draws horizontal bars, one per parameter, in the order given (callers pass them
// most important first). The chart's height grows with the number of bars.
func Importance(bars []Bar) string {
	const rowH, top, bottom = 26.0, 48.0, 44.0
	h := top + float64(max(len(bars), 1))*rowH + bottom
	d := newDoc("importance", Width, h, "Parameter importance")
	if len(bars) == 0 {
		d.message("No importance to show.")
		return d.String()
	}
	labelW := 0.0
	for _, b := range bars {
		labelW = math.Max(labelW, float64(len([]rune(b.Name)))*charW)
	}
	labelW = math.Min(math.Max(labelW, 60), 200)
	a := plotArea{x0: 24 + labelW, y0: top, x1: Width - 72, y1: h - bottom}
	maxShare := 0.0
	for _, b := range bars {
		maxShare = math.Max(maxShare, clampShare(b.Share))
	}
	xs := linearScale(0, math.Max(maxShare, 0.01), a.x0, a.x1, 5)
	if len(xs.ticks) > 1 {
		dec := decimals((xs.ticks[1].at - xs.ticks[0].at) * 100)
		for i := range xs.ticks {
			xs.ticks[i].label = strconv.FormatFloat(xs.ticks[i].at*100, 'f', dec, 64) + "%"
		}
	}
	d.xAxis(a, xs, "share of the objective's variance")
	d.printf(`<g class="bars" fill="%s">`+"\n", colTrial)
	for i, b := range bars {
		y := a.y0 + float64(i)*rowH
		s := clampShare(b.Share)
		x1 := xs.at(s)
		d.printf(`<rect class="bar" data-param="%s" x="%s" y="%s" width="%s" height="%s"><title>%s: %s%%</title></rect>`+"\n",
			esc(b.Name), num(a.x0), num(y+5), num(math.Max(x1-a.x0, 0.5)), num(rowH-10), esc(b.Name), strconv.FormatFloat(s*100, 'f', 1, 64))
		d.text(a.x0-8, y+rowH/2+4, fit(b.Name, labelW, charW), "", "end", colText)
		d.text(x1+6, y+rowH/2+4, strconv.FormatFloat(s*100, 'f', 1, 64)+"%", `font-size="11"`, "start", colMuted)
	}
	d.raw("</g>\n")
	return d.String()
}

func clampShare(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return math.Min(v, 1)
}

// MultiHistory draws several experiments' optimisation histories on one chart: each
// experiment's trials as small marks and its best-so-far line, in its own colour. Marks carry
// data-experiment as well as data-trial, since trial names need not differ between
// experiments.
func MultiHistory(es []*analysis.Experiment) string {
	lo, hi, n := math.NaN(), math.NaN(), 0
	yTitle := ""
	var legend []legendItem
	for i, e := range es {
		l, h := e.ObjectiveRange()
		if !math.IsNaN(l) {
			lo, hi = math.Min(nanTo(lo, l), l), math.Max(nanTo(hi, h), h)
		}
		n = max(n, len(e.Trials))
		// The axis is named after the metric when every experiment optimises the same one.
		switch {
		case i == 0:
			yTitle = e.Metric
		case yTitle != e.Metric:
			yTitle = ""
		}
		label := e.Name + " (min)"
		if e.Maximize {
			label = e.Name + " (max)"
		}
		legend = append(legend, legendItem{label, lineSwatch(palette[i%len(palette)], 2, "")})
	}
	if yTitle == "" {
		yTitle = "objective"
	}
	// A long list of experiments makes the chart taller rather than the plot flatter.
	extra := legendExtra(legend, marginLeft, Width-8)
	h := Height + extra
	d := newDoc("multi-history", Width, h, "Optimization history of each experiment")
	a := defaultArea(Width, h)
	a.y0 += extra
	if math.IsNaN(lo) {
		d.message("No trial has finished with an objective yet.")
		return d.String()
	}
	xs := trialNumberScale(n, a.x0, a.x1)
	ys := linearScale(lo, hi, a.y1, a.y0, 5)
	d.xAxis(a, xs, "trial number")
	d.yAxis(a, ys, yTitle)

	for i, e := range es {
		hist := e.History()
		if len(hist) == 0 {
			continue
		}
		colour := palette[i%len(palette)]
		d.printf(`<g class="experiment" data-experiment="%s">`+"\n", esc(e.Name))
		d.printf(`<g class="marks" fill="%s" fill-opacity="0.35">`+"\n", colour)
		for _, p := range hist {
			d.printf(`<circle class="mark trial" data-experiment="%s" data-trial="%s" cx="%s" cy="%s" r="2.5"><title>%s / %s (trial %d): %s</title></circle>`+"\n",
				esc(e.Name), esc(p.Trial.Name), num(xs.at(float64(p.Number))), num(ys.at(p.Value)),
				esc(e.Name), esc(p.Trial.Name), p.Number, fmtValue(p.Value))
		}
		d.raw("</g>\n")
		d.printf(`<path class="best-so-far" d="%s" fill="none" stroke="%s" stroke-width="2.2"/>`+"\n", bestSoFarPath(e, hist, xs, ys), colour)
		d.raw("</g>\n")
	}
	d.legend(a.x0, 44, Width-8, legend)
	return d.String()
}
