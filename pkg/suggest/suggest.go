// Package suggest is the ask/tell boundary between the experiment engine and the search
// algorithms. An algorithm sees the whole trial history on every call and returns new
// assignments. Whatever an algorithm keeps between calls is only a cache of what it can
// compute again from that history (bayesianoptimization memoises its fitted model), so an
// algorithm rebuilt from the history stored in the cluster continues the same search after
// a resume.
//
// Algorithms, by Katib's names: random, grid, sobol (scrambled), tpe, multivariate-tpe,
// cmaes, bayesianoptimization, hyperband; early stopping: Katib's medianstop, and Optuna's
// pruners asha, percentile, hyperband, threshold and patience. Randomness comes only
// from generators derived from random_state and the trial's position in the history (a clock
// seed recorded in the trials' labels when random_state is absent), so two runs with the same
// random_state and observations suggest the same points, and so does a rebuilt algorithm.
//
// Every algorithm searches the unit cube whose coordinates are the parameters' prior CDFs
// (see space.go), so the uniform, logUniform, normal and logNormal distributions are honoured
// by all of them except grid, which enumerates steps as Katib's grid does. Int, discrete and
// categorical parameters work with every algorithm.
package suggest

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// TrialState is where a trial stands, as far as algorithms care.
type TrialState string

const (
	StatePending            TrialState = "Pending"
	StateRunning            TrialState = "Running"
	StateSucceeded          TrialState = "Succeeded"
	StateFailed             TrialState = "Failed"
	StateKilled             TrialState = "Killed"
	StateEarlyStopped       TrialState = "EarlyStopped"
	StateMetricsUnavailable TrialState = "MetricsUnavailable"
)

// Finished reports whether the trial will not change any more.
func (s TrialState) Finished() bool {
	return s != StatePending && s != StateRunning && s != ""
}

// Trial is one trial of the history, oldest first.
type Trial struct {
	Name        string
	Assignments []experiment.ParameterAssignment
	// Labels are what the algorithm attached to the suggestion (e.g. a hyperband bracket).
	Labels map[string]string
	State  TrialState
	// Objective is the trial's objective value after the metric strategy, nil when unknown.
	Objective *float64
	// Objectives are the values of every objective of a multi-objective experiment, in the
	// order the experiment lists them (Objectives[0] is Objective); nil when any is unknown
	// or the experiment has a single objective.
	Objectives []float64
	// Reports are the objective metric's values in the order the trial printed them
	// (one per step), for early stopping and multi-fidelity algorithms.
	Reports []float64
}

// Suggestion is one new trial to run.
type Suggestion struct {
	Assignments []experiment.ParameterAssignment
	// Labels are stored with the trial and handed back in later histories.
	Labels map[string]string
}

// Algorithm proposes trials.
type Algorithm interface {
	// Suggest returns at most n new suggestions given every trial so far, including pending
	// and running ones. Fewer than n (even none) means the algorithm has nothing more to
	// propose until some running trial finishes; ErrExhausted means it never will.
	Suggest(history []Trial, n int) ([]Suggestion, error)
}

// ErrExhausted is returned by algorithms whose search space is used up (grid).
var ErrExhausted = fmt.Errorf("the search space is exhausted")

// Factory builds an algorithm for a defaulted, validated experiment spec.
type Factory func(spec *experiment.ExperimentSpec) (Algorithm, error)

// SettingsValidator checks an algorithm's settings against the spec; path is the path of
// spec.algorithm (spec.earlyStopping for early stoppers) and errors carry field paths under its
// algorithmSettings, or elsewhere in the spec (spec.parameters[i], spec.maxTrialCount,
// spec.parallelTrialCount) when a setting's rule concerns them.
type SettingsValidator func(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList

// MultiObjectiveFactory builds an algorithm that searches for the Pareto front of the given
// objectives (the spec's objective first).
type MultiObjectiveFactory func(spec *experiment.ExperimentSpec, objectives []experiment.Objective) (Algorithm, error)

type registration struct {
	factory  Factory
	validate SettingsValidator
	// multi builds the algorithm when it handles several objectives itself.
	multi MultiObjectiveFactory
}

// ignoresObjectives are the algorithms whose suggestions never depend on the trials'
// values, so they run a multi-objective experiment as they run any other.
var ignoresObjectives = map[string]bool{"random": true, "sobol": true, "grid": true}

var registry = map[string]registration{}

// Register makes an algorithm available under Katib's name. validate may be nil.
func Register(name string, factory Factory, validate SettingsValidator) {
	registry[name] = registration{factory: factory, validate: validate}
}

// RegisterMultiObjective makes an algorithm that optimises several objectives available
// under name; with a single objective it gets the spec's objective alone.
func RegisterMultiObjective(name string, factory MultiObjectiveFactory, validate SettingsValidator) {
	registry[name] = registration{
		factory: func(spec *experiment.ExperimentSpec) (Algorithm, error) {
			return factory(spec, specObjective(spec))
		},
		validate: validate, multi: factory,
	}
}

func specObjective(spec *experiment.ExperimentSpec) []experiment.Objective {
	if spec.Objective == nil {
		return nil
	}
	return []experiment.Objective{{MetricName: spec.Objective.ObjectiveMetricName, Type: spec.Objective.Type}}
}

// HandlesObjectives reports whether the named algorithm can run an experiment with several
// objectives: it searches for their Pareto front (nsga2) or ignores the values (random, sobol,
// grid).
func HandlesObjectives(name string) bool {
	r, ok := registry[name]
	return ok && (r.multi != nil || ignoresObjectives[name])
}

// MultiObjectiveNames lists the algorithms HandlesObjectives accepts, sorted.
func MultiObjectiveNames() []string {
	var names []string
	for _, n := range Names() {
		if HandlesObjectives(n) {
			names = append(names, n)
		}
	}
	return names
}

// Names lists the algorithms that run client-side, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Known reports whether name is implemented.
func Known(name string) bool { _, ok := registry[name]; return ok }

// New builds the algorithm the spec names.
func New(spec *experiment.ExperimentSpec) (Algorithm, error) {
	if spec.Algorithm == nil {
		return nil, fmt.Errorf("spec.algorithm is missing")
	}
	r, ok := registry[spec.Algorithm.AlgorithmName]
	if !ok {
		return nil, fmt.Errorf("algorithm %q is not available client-side (available: %v)", spec.Algorithm.AlgorithmName, Names())
	}
	return r.factory(spec)
}

// NewForObjectives builds the algorithm the spec names for an experiment with the given
// objectives (experiment.Objectives). An algorithm that optimises one objective gets the
// spec's; one that HandlesObjectives gets them all.
func NewForObjectives(spec *experiment.ExperimentSpec, objectives []experiment.Objective) (Algorithm, error) {
	if len(objectives) < 2 {
		return New(spec)
	}
	if spec.Algorithm == nil {
		return nil, fmt.Errorf("spec.algorithm is missing")
	}
	name := spec.Algorithm.AlgorithmName
	r, ok := registry[name]
	switch {
	case ok && r.multi != nil:
		return r.multi(spec, objectives)
	case ok && ignoresObjectives[name]:
		return r.factory(spec)
	}
	return nil, fmt.Errorf("algorithm %q optimises a single objective; with %d objectives use one of %v", name, len(objectives), MultiObjectiveNames())
}

// ValidateSettings runs the named algorithm's settings validation.
func ValidateSettings(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	if spec.Algorithm == nil {
		return nil
	}
	r, ok := registry[spec.Algorithm.AlgorithmName]
	if !ok || r.validate == nil {
		return nil
	}
	return r.validate(spec, path)
}

// EarlyStopper decides whether a running trial should stop.
type EarlyStopper interface {
	// ShouldStop is asked each time the running trial reports its objective metric.
	// It returns true and a human-readable reason when the trial should be stopped.
	ShouldStop(trial Trial, history []Trial) (bool, string)
}

type stopperRegistration struct {
	factory  func(spec *experiment.ExperimentSpec) (EarlyStopper, error)
	validate SettingsValidator
}

var stoppers = map[string]stopperRegistration{}

// RegisterEarlyStopper makes an early-stopping algorithm available under Katib's name.
func RegisterEarlyStopper(name string, factory func(spec *experiment.ExperimentSpec) (EarlyStopper, error), validate SettingsValidator) {
	stoppers[name] = stopperRegistration{factory: factory, validate: validate}
}

// EarlyStopperNames lists the early-stopping algorithms that run client-side, sorted.
func EarlyStopperNames() []string {
	names := make([]string, 0, len(stoppers))
	for n := range stoppers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// KnownEarlyStopper reports whether the early-stopping algorithm is implemented.
func KnownEarlyStopper(name string) bool { _, ok := stoppers[name]; return ok }

// NewEarlyStopper builds the spec's early stopper, or nil when the spec asks for none.
func NewEarlyStopper(spec *experiment.ExperimentSpec) (EarlyStopper, error) {
	if spec.EarlyStopping == nil || spec.EarlyStopping.AlgorithmName == "" {
		return nil, nil
	}
	r, ok := stoppers[spec.EarlyStopping.AlgorithmName]
	if !ok {
		return nil, fmt.Errorf("early stopping algorithm %q is not available client-side", spec.EarlyStopping.AlgorithmName)
	}
	return r.factory(spec)
}

// ValidateEarlyStoppingSettings runs the named early stopper's settings validation.
func ValidateEarlyStoppingSettings(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	if spec.EarlyStopping == nil {
		return nil
	}
	r, ok := stoppers[spec.EarlyStopping.AlgorithmName]
	if !ok || r.validate == nil {
		return nil
	}
	return r.validate(spec, path)
}
