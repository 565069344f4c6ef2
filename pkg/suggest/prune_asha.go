package suggest

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	RegisterEarlyStopper("asha", newASHA, validateASHA)
}

// ashaPruner is asynchronous successive halving (Li et al., "A System for Massively Parallel
// Hyperparameter Tuning") with Optuna's SuccessiveHalvingPruner rules (see halving): rungs at
// steps min_resource·reduction_factor^(min_early_stopping_rate+k), and at each rung a trial goes
// on only within the top 1/reduction_factor of the trials that reached it.
//
// Unlike Optuna, min_resource has no "auto" value: a client-side run knows its trainer's steps,
// and a fixed first rung keeps decisions the same when an experiment is resumed.
type ashaPruner struct {
	halving
	memory stepMemory
}

func readASHASettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *ashaPruner) {
	r := newEarlyStoppingSettings(spec, path)
	a := &ashaPruner{}
	a.minResource = r.integer("min_resource", 1, 1)
	a.rf = r.integer("reduction_factor", 3, 2)
	a.rate = r.integer("min_early_stopping_rate", 0, 0)
	r.unknown("asha")
	return r, a
}

func validateASHA(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readASHASettings(spec, path)
	return r.errs
}

func newASHA(spec *experiment.ExperimentSpec) (EarlyStopper, error) {
	r, a := readASHASettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	a.sgn, a.metric = sign(spec), metricName(spec)
	return a, nil
}

// ShouldStop implements EarlyStopper.
func (a *ashaPruner) ShouldStop(trial Trial, history []Trial) (bool, string) {
	from := a.memory.since(trial.Name, len(trial.Reports))
	_, stop, reason := a.judge(trial, from, history, "", "asha")
	return stop, reason
}
