package suggest

import (
	"fmt"
	"math"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	RegisterEarlyStopper("percentile", newPercentilePruner, validatePercentilePruner)
}

// percentilePruner is Optuna's PercentilePruner: from start_step on, a running trial is stopped
// when its best value so far is worse than the given percentile, counted from the best end, of
// the values the succeeded trials reported at the same step. percentile 25 keeps trials in the
// best quarter; 50 is a median rule.
//
// It differs from medianstop the way Optuna's rule differs from Katib's: the succeeded trials
// are compared by their value at that step, not by the mean of their values up to it, and a
// succeeded trial that never reached the step does not count. min_trials_required is both of
// Optuna's minimums: that many trials must have succeeded (n_startup_trials) and that many of
// them must have reached the step (n_min_trials).
type percentilePruner struct {
	percentile float64
	startStep  int
	minTrials  int
	sgn        float64
	metric     string
}

func readPercentileSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *percentilePruner) {
	r := newEarlyStoppingSettings(spec, path)
	p := &percentilePruner{percentile: 25}
	if v, vp, ok := r.number("percentile"); ok {
		if v <= 0 || v >= 100 {
			s, _, _ := r.lookup("percentile")
			r.errs = append(r.errs, field.Invalid(vp, s, "percentile must be greater than 0 and less than 100"))
		} else {
			p.percentile = v
		}
	}
	p.startStep = r.integer("start_step", 4, 1)
	p.minTrials = r.integer("min_trials_required", 3, 1)
	r.unknown("percentile")
	return r, p
}

func validatePercentilePruner(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readPercentileSettings(spec, path)
	return r.errs
}

func newPercentilePruner(spec *experiment.ExperimentSpec) (EarlyStopper, error) {
	r, p := readPercentileSettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	p.sgn, p.metric = sign(spec), metricName(spec)
	return p, nil
}

// percentileOf interpolates linearly between the closest ranks of sorted values, with numpy's
// arithmetic step for step so that a value on the bar is judged as Optuna judges it.
func percentileOf(sorted []float64, q float64) float64 {
	pos := float64(len(sorted)-1) * (q / 100)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	a, b, t := sorted[lo], sorted[hi], pos-float64(lo)
	// The conversions keep the products rounded, as numpy's are, where Go could fuse them.
	if t >= 0.5 {
		return b - float64((b-a)*(1-t))
	}
	return a + float64((b-a)*t)
}

// ShouldStop implements EarlyStopper.
func (p *percentilePruner) ShouldStop(trial Trial, history []Trial) (bool, string) {
	step := len(trial.Reports)
	if step < p.startStep {
		return false, ""
	}
	// Optuna counts a NaN toward the trials required but leaves it out of the percentile.
	succeeded, counted := 0, 0
	var values []float64
	for _, t := range history {
		if t.Name == trial.Name || t.State != StateSucceeded {
			continue
		}
		succeeded++
		if len(t.Reports) < step {
			continue
		}
		counted++
		if v := t.Reports[step-1]; !math.IsNaN(v) {
			values = append(values, v)
		}
	}
	if succeeded < p.minTrials {
		return false, ""
	}
	best, ok := bestOf(trial.Reports, p.sgn)
	if !ok {
		return true, fmt.Sprintf("%s has been NaN at each of the %d steps so far (percentile)", p.metric, step)
	}
	if counted < p.minTrials || len(values) == 0 {
		return false, ""
	}
	sort.Float64s(values)
	q := p.percentile
	if p.sgn < 0 {
		q = 100 - q
	}
	bar := percentileOf(values, q)
	if p.sgn*best > p.sgn*bar {
		return true, fmt.Sprintf("best %s %s after %d steps is %s %s, percentile %s of the %s that succeeded at that step, so not in their best %s%% (percentile)",
			p.metric, show(best), step, worse(p.sgn), show(bar), show(q), countTrials(len(values)), show(p.percentile))
	}
	return false, fmt.Sprintf("best %s %s after %d steps is in the best %s%% of the %s that succeeded (percentile %s at that step: %s) (percentile)",
		p.metric, show(best), step, show(p.percentile), countTrials(len(values)), show(q), show(bar))
}
