package svgplot

import (
	"math"
	"strconv"

	"github.com/kubectl-katib/plugins/pkg/analysis"
)

// scaleKind says how values are placed along an axis.
type scaleKind int

const (
	linear scaleKind = iota
	logScale
	band
)

// tick is one labelled position on an axis, in the axis's own units (log10 of the value on a
// log axis, the choice's index on a band axis).
type tick struct {
	at    float64
	label string
}

// scale maps values onto a pixel range. Domains are widened to round numbers so that the
// first and last ticks sit on the ends of the axis, which is what makes a chart easy to read.
type scale struct {
	kind    scaleKind
	lo, hi  float64 // domain, in axis units
	p0, p1  float64 // pixels for lo and hi
	ticks   []tick
	choices []string
}

// pos is where value v (not yet on a log scale) lands, NaN when it has no place on the
// axis (a missing value, or a non-positive one on a log axis).
func (s *scale) pos(v float64) float64 {
	u := v
	if s.kind == logScale {
		if v <= 0 {
			return math.NaN()
		}
		u = math.Log10(v)
	}
	return s.at(u)
}

// at maps axis units to pixels.
func (s *scale) at(u float64) float64 {
	if math.IsNaN(u) || math.IsInf(u, 0) {
		return math.NaN()
	}
	if s.hi == s.lo {
		return (s.p0 + s.p1) / 2
	}
	return s.p0 + (u-s.lo)/(s.hi-s.lo)*(s.p1-s.p0)
}

// bandWidth is the room one choice has on a band axis.
func (s *scale) bandWidth() float64 {
	if n := len(s.choices); n > 0 {
		return math.Abs(s.p1-s.p0) / float64(n)
	}
	return math.Abs(s.p1 - s.p0)
}

// linearScale covers [lo, hi] with about `want` ticks at round steps.
func linearScale(lo, hi, p0, p1 float64, want int) *scale {
	lo, hi = padDomain(lo, hi)
	return stepScale(lo, hi, p0, p1, niceStep((hi-lo)/float64(max(want, 2)), false))
}

// intScale is linearScale for whole numbers (trial numbers, steps, int parameters): its
// ticks fall on whole numbers only.
func intScale(lo, hi, p0, p1 float64, want int) *scale {
	lo, hi = padDomain(lo, hi)
	if hi-lo < 1 {
		lo, hi = math.Floor(lo), math.Ceil(hi)
		if lo == hi {
			hi++
		}
	}
	return stepScale(lo, hi, p0, p1, max(niceStep((hi-lo)/float64(max(want, 2)), true), 1))
}

func stepScale(lo, hi, p0, p1, step float64) *scale {
	lo = math.Floor(lo/step+1e-9) * step
	hi = math.Ceil(hi/step-1e-9) * step
	s := &scale{kind: linear, lo: lo, hi: hi, p0: p0, p1: p1}
	dec := decimals(step)
	for i := 0; ; i++ {
		v := lo + float64(i)*step
		if v > hi+step*1e-6 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0 // avoid "-0"
		}
		s.ticks = append(s.ticks, tick{at: v, label: formatTick(v, step, dec)})
	}
	return s
}

// padDomain gives an empty or single-valued domain some width, and a missing one a default,
// so a chart with one point still has an axis.
func padDomain(lo, hi float64) (float64, float64) {
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return 0, 1
	case lo > hi:
		lo, hi = hi, lo
	}
	if lo == hi {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		return lo - d, hi + d
	}
	return lo, hi
}

// niceStep rounds a raw step up to 1, 2, 2.5 or 5 times a power of ten; without 2.5 when
// the steps must stay whole numbers.
func niceStep(raw float64, whole bool) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	ms := []float64{1, 2, 2.5, 5, 10}
	if whole {
		ms = []float64{1, 2, 5, 10}
	}
	for _, m := range ms {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// decimals is how many digits after the point a tick step needs.
func decimals(step float64) int {
	for d := 0; d <= 12; d++ {
		x := step * math.Pow(10, float64(d))
		if math.Abs(x-math.Round(x)) < 1e-6*x {
			return d
		}
	}
	return 12
}

// formatTick writes a tick value with the digits its step needs; very large or very small
// magnitudes use exponent notation so labels stay short.
func formatTick(v, step float64, dec int) string {
	if step >= 1e6 || step < 1e-4 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// logScaleOf covers [lo, hi] (positive values) in whole decades, labelling each decade, and
// 2 and 5 in between when there are few decades to label.
func logScaleOf(lo, hi, p0, p1 float64) *scale {
	if !(lo > 0) || !(hi > 0) || math.IsInf(hi, 0) {
		return linearScale(lo, hi, p0, p1, 5)
	}
	a, b := math.Floor(math.Log10(lo)+1e-9), math.Ceil(math.Log10(hi)-1e-9)
	if b <= a {
		b = a + 1
	}
	s := &scale{kind: logScale, lo: a, hi: b, p0: p0, p1: p1}
	decades := int(b - a)
	for d := int(a); d <= int(b); d++ {
		base := math.Pow(10, float64(d))
		s.ticks = append(s.ticks, tick{at: float64(d), label: formatDecade(base)})
		if decades <= 2 && d < int(b) {
			for _, m := range []float64{2, 5} {
				s.ticks = append(s.ticks, tick{at: float64(d) + math.Log10(m), label: formatDecade(m * base)})
			}
		}
	}
	return s
}

func formatDecade(v float64) string {
	if v >= 1e-4 && v < 1e6 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 1, 64)
}

// bandScale places n choices at the centres of n equal bands.
func bandScale(choices []string, p0, p1 float64) *scale {
	n := len(choices)
	s := &scale{kind: band, lo: -0.5, hi: float64(n) - 0.5, p0: p0, p1: p1, choices: choices}
	if n == 0 {
		s.lo, s.hi = 0, 1
	}
	for i, c := range choices {
		s.ticks = append(s.ticks, tick{at: float64(i), label: c})
	}
	return s
}

// paramScale is the axis of a search-space parameter: its choices for a categorical one, a
// log axis for a log-searched one, otherwise a number line over its feasible space.
func paramScale(p analysis.Param, p0, p1 float64) *scale {
	switch {
	case p.Kind == analysis.Categorical:
		return bandScale(p.Choices, p0, p1)
	case p.Log && p.Min > 0:
		return logScaleOf(p.Min, p.Max, p0, p1)
	}
	if p.Integer {
		return intScale(p.Min, p.Max, p0, p1, 5)
	}
	return linearScale(p.Min, p.Max, p0, p1, 5)
}
