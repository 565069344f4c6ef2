package suggest

import (
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	RegisterEarlyStopper("threshold", newThresholdPruner, validateThresholdPruner)
}

// thresholdPruner is Optuna's ThresholdPruner: from start_step on, a trial is stopped as soon
// as its latest value is below lower, above upper, or NaN. The bounds are in the metric's own
// units whatever the objective's direction, so that a diverging loss or an accuracy stuck at
// chance can be caught without reference to other trials.
type thresholdPruner struct {
	lower, upper float64
	startStep    int
	metric       string
}

func readThresholdSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *thresholdPruner) {
	r := newEarlyStoppingSettings(spec, path)
	t := &thresholdPruner{lower: math.Inf(-1), upper: math.Inf(1)}
	lo, _, hasLo := r.number("lower")
	hi, hiPath, hasHi := r.number("upper")
	if hasLo {
		t.lower = lo
	}
	if hasHi {
		t.upper = hi
	}
	if !r.has("lower") && !r.has("upper") {
		r.errs = append(r.errs, field.Required(r.path, "set lower, upper or both: a trial is stopped when its value goes below lower or above upper"))
	}
	if hasLo && hasHi && lo > hi {
		v, _, _ := r.lookup("upper")
		r.errs = append(r.errs, field.Invalid(hiPath, v, fmt.Sprintf("upper must not be less than lower (%s)", show(lo))))
	}
	t.startStep = r.integer("start_step", 1, 1)
	r.unknown("threshold")
	return r, t
}

func validateThresholdPruner(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readThresholdSettings(spec, path)
	return r.errs
}

func newThresholdPruner(spec *experiment.ExperimentSpec) (EarlyStopper, error) {
	r, t := readThresholdSettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	t.metric = metricName(spec)
	return t, nil
}

// ShouldStop implements EarlyStopper.
func (t *thresholdPruner) ShouldStop(trial Trial, _ []Trial) (bool, string) {
	step := len(trial.Reports)
	if step < t.startStep {
		return false, ""
	}
	v := trial.Reports[step-1]
	switch {
	case math.IsNaN(v):
		return true, fmt.Sprintf("%s is NaN at step %d (threshold)", t.metric, step)
	case v < t.lower:
		return true, fmt.Sprintf("%s %s at step %d is below the lower bound %s (threshold)", t.metric, show(v), step, show(t.lower))
	case v > t.upper:
		return true, fmt.Sprintf("%s %s at step %d is above the upper bound %s (threshold)", t.metric, show(v), step, show(t.upper))
	}
	return false, fmt.Sprintf("%s %s at step %d is within the bounds (threshold)", t.metric, show(v), step)
}
