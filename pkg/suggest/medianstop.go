package suggest

import (
	"fmt"
	"math"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	RegisterEarlyStopper("medianstop", newMedianStop, validateMedianStop)
}

// medianStop is Katib's median stopping rule: a running trial is stopped when its best
// objective value so far is worse than the median of the completed trials' values at the same
// step (the mean of their reports up to that step, as in Katib and Google Vizier), once at
// least min_trials_required trials have completed and the trial has reported start_step
// values.
//
// Difference from Katib: Katib computes the median once, when the trial is created, turns it
// into an early-stopping rule, and its metrics collector compares the trial's values against
// that fixed rule when the trial reaches start_step. Here the rule is re-evaluated at every
// report from start_step on, against the completed trials' values at that same step, so a
// trial that falls behind later is stopped too, and the comparison uses what is known now.
type medianStop struct {
	minTrials int
	startStep int
	sgn       float64
}

func readMedianStopSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *medianStop) {
	r := newEarlyStoppingSettings(spec, path)
	m := &medianStop{}
	m.minTrials = r.integer("min_trials_required", 3, 1)
	m.startStep = r.integer("start_step", 4, 1)
	r.unknown("medianstop")
	return r, m
}

func validateMedianStop(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readMedianStopSettings(spec, path)
	return r.errs
}

func newMedianStop(spec *experiment.ExperimentSpec) (EarlyStopper, error) {
	r, m := readMedianStopSettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	m.sgn = sign(spec)
	return m, nil
}

// ShouldStop implements EarlyStopper. Reports are the objective metric's values in order,
// one per step; history is every trial of the experiment.
func (m *medianStop) ShouldStop(trial Trial, history []Trial) (bool, string) {
	step := len(trial.Reports)
	if step < m.startStep {
		return false, ""
	}
	// Completed trials are the succeeded ones, as in Katib (early-stopped trials would pull
	// the median towards the bad ones).
	var means []float64
	for _, t := range history {
		if t.Name == trial.Name || t.State != StateSucceeded {
			continue
		}
		if len(t.Reports) == 0 {
			continue
		}
		// A completed trial that reported fewer steps counts with all it reported.
		upto := min(step, len(t.Reports))
		s := 0.0
		for _, v := range t.Reports[:upto] {
			s += v
		}
		means = append(means, s/float64(upto))
	}
	if len(means) < m.minTrials {
		return false, ""
	}
	sort.Float64s(means)
	var median float64
	if len(means)%2 == 1 {
		median = means[len(means)/2]
	} else {
		median = (means[len(means)/2-1] + means[len(means)/2]) / 2
	}
	// The trial's best value so far, in the objective's direction.
	best := math.Inf(1)
	for _, v := range trial.Reports {
		best = math.Min(best, m.sgn*v)
	}
	if best > m.sgn*median {
		word := "above"
		if m.sgn < 0 {
			word = "below"
		}
		return true, fmt.Sprintf("best value %.6g after %d steps is %s the median %.6g of %d completed trials at that step (medianstop)",
			m.sgn*best, step, word, median, len(means))
	}
	return false, ""
}
