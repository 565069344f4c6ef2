package suggest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	RegisterEarlyStopper("patience", newPatiencePruner, validatePatiencePruner)
}

// patiencePruner is Optuna's PatientPruner on its own (no wrapped pruner): once a trial has
// reported more than patience+1 values, it is stopped when the best of its last patience+1
// values is worse than its best value before them by more than min_delta. A trial that only
// holds steady is left to run, as in Optuna; min_delta tolerates noise, so that a small dip is
// not taken for a decline.
type patiencePruner struct {
	patience int
	minDelta float64
	sgn      float64
	metric   string
}

func readPatienceSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *patiencePruner) {
	r := newEarlyStoppingSettings(spec, path)
	p := &patiencePruner{}
	if !r.has("patience") {
		r.errs = append(r.errs, field.Required(r.path, "patience must be set: how many values in a row a trial may report that are worse than its earlier best before it is stopped"))
	}
	p.patience = r.integer("patience", 0, 0)
	if v, vp, ok := r.number("min_delta"); ok {
		if v < 0 {
			s, _, _ := r.lookup("min_delta")
			r.errs = append(r.errs, field.Invalid(vp, s, "min_delta must not be negative"))
		} else {
			p.minDelta = v
		}
	}
	r.unknown("patience")
	return r, p
}

func validatePatiencePruner(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readPatienceSettings(spec, path)
	return r.errs
}

func newPatiencePruner(spec *experiment.ExperimentSpec) (EarlyStopper, error) {
	r, p := readPatienceSettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	p.sgn, p.metric = sign(spec), metricName(spec)
	return p, nil
}

// ShouldStop implements EarlyStopper.
func (p *patiencePruner) ShouldStop(trial Trial, _ []Trial) (bool, string) {
	n := len(trial.Reports)
	if n <= p.patience+1 {
		return false, ""
	}
	split := n - p.patience - 1
	before, okBefore := bestOf(trial.Reports[:split], p.sgn)
	since, okSince := bestOf(trial.Reports[split:], p.sgn)
	if !okBefore || !okSince {
		// Optuna compares NaN there, which never prunes.
		return false, ""
	}
	window := fmt.Sprintf("steps %d-%d", split+1, n)
	if split+1 == n {
		window = fmt.Sprintf("step %d", n)
	}
	// The comparisons are written as Optuna writes them, so that rounding decides alike.
	fallen := before+p.minDelta < since
	if p.sgn < 0 {
		fallen = before-p.minDelta > since
	}
	if fallen {
		tolerance := ""
		if p.minDelta > 0 {
			tolerance = fmt.Sprintf(" by more than min_delta %s", show(p.minDelta))
		}
		return true, fmt.Sprintf("%s has fallen%s from its best %s before step %d: the best of %s is %s (patience)",
			p.metric, tolerance, show(before), split+1, window, show(since))
	}
	return false, fmt.Sprintf("%s's best of %s (%s) has not fallen more than min_delta from its best before (%s) (patience)",
		p.metric, window, show(since), show(before))
}
