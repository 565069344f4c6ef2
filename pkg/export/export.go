// Package export writes an experiment's trials in formats other tools read: CSV for
// spreadsheets and data frames, and an Optuna journal so that Optuna's analysis,
// visualisation and dashboard work on a Katib experiment as on one of Optuna's own studies.
package export

import (
	"slices"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
)

// trialsByIndex is the state's trials in index order, the order they were asked for, which
// both formats promise whatever order the state was read in.
func trialsByIndex(st *store.State) []*store.TrialRecord {
	out := make([]*store.TrialRecord, len(st.Trials))
	for i := range st.Trials {
		out[i] = &st.Trials[i]
	}
	slices.SortStableFunc(out, func(a, b *store.TrialRecord) int { return a.Index - b.Index })
	return out
}

// parameterNames is the spec's parameters in spec order, then any parameter a trial was
// assigned that the spec does not name, in the order first met, so that no assignment is
// left out of an export.
func parameterNames(st *store.State, trials []*store.TrialRecord) []string {
	var names []string
	for _, p := range st.Experiment.Spec.Parameters {
		names = appendNew(names, p.Name)
	}
	for _, t := range trials {
		for _, a := range t.Assignments {
			names = appendNew(names, a.Name)
		}
	}
	return names
}

// metricNames is the objective metric, the additional metrics in spec order, then any other
// metric a trial reported, in the order first met.
func metricNames(st *store.State, trials []*store.TrialRecord) []string {
	var names []string
	if o := st.Experiment.Spec.Objective; o != nil {
		names = appendNew(names, o.ObjectiveMetricName)
		for _, m := range o.AdditionalMetricNames {
			names = appendNew(names, m)
		}
	}
	for _, t := range trials {
		if t.Observation == nil {
			continue
		}
		for _, m := range t.Observation.Metrics {
			names = appendNew(names, m.Name)
		}
	}
	return names
}

func appendNew(names []string, name string) []string {
	if name == "" || slices.Contains(names, name) {
		return names
	}
	return append(names, name)
}

// assignment is the value the trial was given for the named parameter.
func assignment(t *store.TrialRecord, name string) (string, bool) {
	for _, a := range t.Assignments {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// metric is what the trial observed of the named metric.
func metric(t *store.TrialRecord, name string) (experiment.Metric, bool) {
	if t.Observation != nil {
		for _, m := range t.Observation.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return experiment.Metric{}, false
}
