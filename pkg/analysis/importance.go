package analysis

import (
	"errors"
	"fmt"
	"math"

	"github.com/kubectl-katib/plugins/pkg/importance"
)

// The -o json|yaml form of parameter importance. Fields are only ever added.
const (
	ImportanceAPIVersion = "importance.kubectl-katib.io/v1"
	ImportanceKind       = "ParameterImportance"
)

// ImportanceDoc is each parameter's share of the objective's variance.
type ImportanceDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Experiment string `json:"experiment"`
	Namespace  string `json:"namespace"`
	Metric     string `json:"metric"`
	// Method names the estimator: fANOVA over a random forest of Trees trees.
	Method string `json:"method"`
	Trees  int    `json:"trees"`
	Seed   uint64 `json:"seed"`
	// Trials is how many trials the forest was fitted to: those that can be the best
	// (succeeded or stopped early) with a value for every parameter.
	Trials     int                   `json:"trials"`
	Parameters []ParameterImportance `json:"parameters"`
}

// ParameterImportance is one parameter's share, highest first; the shares sum to 1.
type ParameterImportance struct {
	Name       string  `json:"name"`
	Importance float64 `json:"importance"`
}

// ErrImportanceUndefined wraps the reasons importance cannot be estimated (too few trials,
// every trial scoring the same), which are facts about the experiment, not failures.
var ErrImportanceUndefined = errors.New("parameter importance is undefined")

// Importance estimates each parameter's importance for the objective with fANOVA, seeded so
// the same trials always give the same answer.
func Importance(e *Experiment, seed uint64) (*ImportanceDoc, error) {
	params := make([]importance.Param, len(e.Params))
	for i, p := range e.Params {
		ip := importance.Param{Name: p.Name, Low: p.Min, High: p.Max, Log: p.Log}
		switch {
		case p.Kind == Categorical:
			ip.Kind, ip.Choices = importance.Categorical, p.Choices
		case p.Type == "discrete":
			ip.Kind = importance.Discrete
		case p.Integer:
			ip.Kind = importance.Int
		default:
			ip.Kind = importance.Double
		}
		params[i] = ip
	}
	var trials []importance.Trial
	for _, t := range e.Counted() {
		if math.IsNaN(*t.Objective) || math.IsInf(*t.Objective, 0) || hasNaN(t.Values) {
			continue
		}
		trials = append(trials, importance.Trial{Values: t.Values, Objective: *t.Objective})
	}
	opt := importance.Options{Seed: seed}
	res, err := importance.Fanova(params, trials, opt)
	if err != nil {
		reason := ""
		switch {
		case errors.Is(err, importance.ErrTooFewTrials):
			reason = fmt.Sprintf("it needs at least 2 finished trials with a value of %s, and there are %d", e.Metric, len(trials))
		case errors.Is(err, importance.ErrConstantObjective):
			reason = fmt.Sprintf("all %d finished trials scored the same %s", len(trials), e.Metric)
		case errors.Is(err, importance.ErrNoVariance):
			reason = fmt.Sprintf("no single parameter explains any of the variation of %s over %d trials", e.Metric, len(trials))
		case errors.Is(err, importance.ErrNoParameters):
			reason = "the experiment has no parameters"
		default:
			return nil, err
		}
		return nil, fmt.Errorf("%w for %s: %s", ErrImportanceUndefined, e.Name, reason)
	}
	doc := &ImportanceDoc{APIVersion: ImportanceAPIVersion, Kind: ImportanceKind, Experiment: e.Name, Namespace: e.Namespace,
		Metric: e.Metric, Method: "fANOVA (random forest)", Trees: 64, Seed: seed, Trials: len(trials)}
	for _, r := range res {
		doc.Parameters = append(doc.Parameters, ParameterImportance{Name: r.Name, Importance: r.Importance})
	}
	return doc, nil
}

func hasNaN(vs []float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}
