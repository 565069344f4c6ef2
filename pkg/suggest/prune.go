package suggest

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// What the pruners (asha, percentile, hyperband, threshold, patience) share: reading their
// settings, naming the objective in their reasons, and successive halving, which asha runs on
// all trials and hyperband on the trials of one bracket.
//
// A step is a position in Trial.Reports counted from 1: the value a trainer prints after its
// first epoch is step 1. Settings that name steps (min_resource, start_step, ...) count the
// same way, so start_step 4 first judges a trial on its fourth report, as Katib does.

// number reads a setting that must be a finite number; set is false when it is absent or wrong.
func (r *settingsReader) number(name string) (v float64, p *field.Path, set bool) {
	s, p, ok := r.lookup(name)
	if !ok {
		return 0, nil, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		r.errs = append(r.errs, field.Invalid(p, s, name+" must be a number"))
		return 0, p, false
	}
	return v, p, true
}

// has reports whether a setting is given, so that an optional setting without a default can
// tell "absent" from any value.
func (r *settingsReader) has(name string) bool {
	_, _, ok := r.lookup(name)
	return ok
}

// metricName is how reasons name the objective.
func metricName(spec *experiment.ExperimentSpec) string {
	if spec.Objective != nil && spec.Objective.ObjectiveMetricName != "" {
		return spec.Objective.ObjectiveMetricName
	}
	return "the objective"
}

// show prints a value in a reason: short enough to read, exact for what trainers print.
func show(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// worse is the word for a value on the losing side of a bound in the objective's direction.
func worse(sgn float64) string {
	if sgn < 0 {
		return "below"
	}
	return "above"
}

// bestOf is the best non-NaN value in the objective's direction; ok is false when there is none.
func bestOf(values []float64, sgn float64) (best float64, ok bool) {
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		if !ok || sgn*v < sgn*best {
			best, ok = v, true
		}
	}
	return best, ok
}

// stepMemory remembers the step each trial was last asked about, so that a trial whose reports
// arrived several at a time (more than one objective value on a log line) is still judged at
// every rung it went past. The runner asks at every report, so a new run that starts without
// it loses nothing: the next question judges the rung at exactly that step, if any.
type stepMemory struct {
	mu   sync.Mutex
	seen map[string]int
}

// since returns the last step the trial was asked about before this one, and records step.
func (m *stepMemory) since(name string, step int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]int{}
	}
	prev, ok := m.seen[name]
	m.seen[name] = step
	if !ok || prev >= step {
		// Unknown, or the name was reused by a trial asked for again: only this step is new.
		return step - 1
	}
	return prev
}

// countTrials counts trials in a reason.
func countTrials(n int) string {
	if n == 1 {
		return "1 trial"
	}
	return strconv.Itoa(n) + " trials"
}

// fractionWord names the share of trials a rung keeps.
func fractionWord(rf int) string {
	switch rf {
	case 2:
		return "half"
	case 3:
		return "third"
	case 4:
		return "quarter"
	}
	return "1/" + strconv.Itoa(rf)
}

// halving is asynchronous successive halving as Optuna's SuccessiveHalvingPruner runs it. Rung
// k is at step minResource·rf^(rate+k). When a trial reaches a rung, its value there is compared
// with the values every other trial had at that step, whatever became of it since (running,
// finished, stopped, failed), and it goes on only if it is among the best
// len(values)/rf of them, its own value included; while fewer than rf trials reached the rung it
// must be the best of them. A trial is judged once per rung, when it reaches it, against the
// trials that reached the rung before it: a trial judged early with few rivals is not judged
// again when more arrive, exactly as in Optuna, so the first trials get through more easily.
type halving struct {
	minResource, rf, rate int
	sgn                   float64
	metric                string
}

// rungStep is the step of rung k, or 0 when it is beyond any step a trial can report.
func (h *halving) rungStep(k int) int {
	s := h.minResource
	for i := 0; i < h.rate+k; i++ {
		if s > math.MaxInt32/h.rf {
			return 0
		}
		s *= h.rf
	}
	return s
}

// judge decides for trial, at every rung past step from, against rivals (the trials it
// competes with; itself is skipped). It returns whether a rung was judged at all; stop and
// reason are about the last one. where names the group of rivals in reasons ("" for all).
func (h *halving) judge(trial Trial, from int, rivals []Trial, where, algorithm string) (judged, stop bool, reason string) {
	step := len(trial.Reports)
	for k := 0; ; k++ {
		at := h.rungStep(k)
		if at == 0 || at > step {
			return judged, false, reason
		}
		if at <= from {
			continue
		}
		judged = true
		value := trial.Reports[at-1]
		if math.IsNaN(value) {
			return true, true, fmt.Sprintf("%s is NaN at step %d (%s)", h.metric, at, algorithm)
		}
		// Rivals' NaN values are left out, as Optuna never records a NaN at a rung.
		values := []float64{value}
		for _, t := range rivals {
			if t.Name == trial.Name || len(t.Reports) < at || math.IsNaN(t.Reports[at-1]) {
				continue
			}
			values = append(values, t.Reports[at-1])
		}
		keep := len(values) / h.rf
		idx := max(keep, 1) - 1
		sort.Slice(values, func(i, j int) bool { return h.sgn*values[i] < h.sgn*values[j] })
		bar := values[idx]
		n := len(values)
		if h.sgn*value > h.sgn*bar {
			if keep == 0 {
				return true, true, fmt.Sprintf("%s %s at step %d is %s %s, the best of %s%s at that rung; until %d trials reach a rung only the best goes on (%s)",
					h.metric, show(value), at, worse(h.sgn), show(bar), countTrials(n), where, h.rf, algorithm)
			}
			return true, true, fmt.Sprintf("%s %s at step %d is %s the top %s (%s) of %s%s at that rung (%s)",
				h.metric, show(value), at, worse(h.sgn), fractionWord(h.rf), show(bar), countTrials(n), where, algorithm)
		}
		if keep == 0 {
			reason = fmt.Sprintf("%s %s at step %d is the best of %s%s at that rung (%s)", h.metric, show(value), at, countTrials(n), where, algorithm)
		} else {
			reason = fmt.Sprintf("%s %s at step %d is within the top %s (%s) of %s%s at that rung (%s)",
				h.metric, show(value), at, fractionWord(h.rf), show(bar), countTrials(n), where, algorithm)
		}
	}
}
