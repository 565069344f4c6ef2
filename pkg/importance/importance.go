// Package importance estimates how much of an experiment's objective variation each
// parameter accounts for, with the functional ANOVA (fANOVA) of a random forest fitted to the
// finished trials. It follows Optuna's default FanovaImportanceEvaluator (Optuna 3.1) closely
// enough that both rank the parameters of the same trials the same way:
//
//   - the forest is a bootstrap-aggregated set of CART regression trees (64 trees, max depth 64,
//     min samples split 2, min samples leaf 1, every feature considered at every split), as
//     scikit-learn's RandomForestRegressor builds them;
//   - categorical parameters are one-hot encoded, one feature per choice, each on [0, 1];
//   - numeric parameters are measured on their raw axis between their bounds, log-scaled ones
//     included (Optuna builds its search space with transform_log=False for importances);
//   - for each tree, a parameter's importance is the variance of the tree's prediction
//     marginalised over every other parameter, as a fraction of the tree's total variance, both
//     weighted by the volume of the search space; the fractions are averaged over the trees and
//     normalised to sum to one.
//
// The forest's random number generator differs from scikit-learn's, so the numbers are not
// bit-identical to Optuna's, but they estimate the same quantities.
package importance

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Kind is the type of a parameter's values.
type Kind int

const (
	// Double is a real-valued parameter between Low and High.
	Double Kind = iota
	// Int is an integer-valued parameter between Low and High.
	Int
	// Discrete is a parameter restricted to a list of numbers; it is measured as a number
	// between the smallest (Low) and largest (High) of them, like Optuna's stepped floats.
	Discrete
	// Categorical is a parameter taking one of Choices, with no order between them.
	Categorical
)

func (k Kind) String() string {
	switch k {
	case Double:
		return "double"
	case Int:
		return "int"
	case Discrete:
		return "discrete"
	case Categorical:
		return "categorical"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Param describes one parameter of the search space.
type Param struct {
	Name string
	Kind Kind
	// Low and High bound a numeric parameter (inclusive). They are part of the model, not just
	// validation: the variance is measured over the whole box they span.
	Low, High float64
	// Log marks a numeric parameter sampled on a logarithmic scale. It only changes the result
	// when Options.LogScale is set.
	Log bool
	// Choices are a categorical parameter's values.
	Choices []string
}

// Trial is one finished trial. Values are in the order of the parameters: numeric parameters as
// their value, categorical ones as the index of the value in Choices.
type Trial struct {
	Values    []float64
	Objective float64
}

// Result is one parameter's importance.
type Result struct {
	Name       string
	Importance float64
}

// Options tune the forest. The zero value gives Optuna's defaults with seed 0.
type Options struct {
	// Trees is the number of trees in the forest (default 64).
	Trees int
	// MaxDepth limits the depth of each tree (default 64).
	MaxDepth int
	// Seed makes the forest, and so the result, reproducible.
	Seed uint64
	// LogScale measures log-scaled parameters on a logarithmic axis, so that each decade of
	// the range weighs the same. Optuna measures them on their raw axis, where the upper
	// decade dominates; that is the default so that both agree.
	LogScale bool
}

const (
	defaultTrees    = 64
	defaultMaxDepth = 64
)

var (
	// ErrNoParameters is returned when there is no parameter to rank.
	ErrNoParameters = errors.New("importance: no parameters")
	// ErrTooFewTrials is returned for fewer than two finished trials with a finite objective.
	ErrTooFewTrials = errors.New("importance: at least 2 trials with a finite objective are needed")
	// ErrConstantObjective is returned when every trial has the same objective value: there
	// is no variation for any parameter to explain.
	ErrConstantObjective = errors.New("importance: undefined because every trial scored the same objective value")
	// ErrNoVariance is returned when the objective varies but the fitted forest attributes none
	// of it to any single parameter, e.g. when trials with identical parameters scored
	// differently, or the objective depends only on an interaction of parameters.
	ErrNoVariance = errors.New("importance: undefined because no single parameter explains any of the objective's variation")
)

// Fanova returns each parameter's share of the objective's variance, highest first, summing to
// one. Parameters with a single possible value (Low == High, or one choice) get 0. Trials whose
// objective is NaN or infinite are ignored, as Optuna ignores them.
func Fanova(params []Param, trials []Trial, opt Options) ([]Result, error) {
	if len(params) == 0 {
		return nil, ErrNoParameters
	}
	if opt.Trees <= 0 {
		opt.Trees = defaultTrees
	}
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = defaultMaxDepth
	}
	if err := validateParams(params); err != nil {
		return nil, err
	}
	kept := make([]Trial, 0, len(trials))
	for i, t := range trials {
		if len(t.Values) != len(params) {
			return nil, fmt.Errorf("importance: trial %d has %d values for %d parameters", i, len(t.Values), len(params))
		}
		if math.IsNaN(t.Objective) || math.IsInf(t.Objective, 0) {
			continue
		}
		for j, p := range params {
			if err := checkValue(p, t.Values[j]); err != nil {
				return nil, fmt.Errorf("importance: trial %d: %w", i, err)
			}
		}
		kept = append(kept, t)
	}
	if len(kept) < 2 {
		return nil, ErrTooFewTrials
	}
	constant := true
	for _, t := range kept[1:] {
		if t.Objective != kept[0].Objective {
			constant = false
			break
		}
	}
	if constant {
		return nil, ErrConstantObjective
	}

	// Parameters with a single value cannot vary, so they take no column in the model; Optuna
	// drops them the same way and reports them as 0.
	var varying []int
	for i, p := range params {
		if !isSingle(p) {
			varying = append(varying, i)
		}
	}
	importances := make([]float64, len(params))
	switch len(varying) {
	case 0:
		return nil, fmt.Errorf("%w: every parameter has a single possible value", ErrNoVariance)
	case 1:
		// The only varying parameter takes all the variance any forest could explain.
		importances[varying[0]] = 1
	default:
		enc := encode(params, varying, kept, opt.LogScale)
		shares, err := fanova(enc, opt)
		if err != nil {
			return nil, err
		}
		for k, i := range varying {
			importances[i] = shares[k]
		}
	}

	out := make([]Result, len(params))
	for i, p := range params {
		out[i] = Result{Name: p.Name, Importance: importances[i]}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Importance > out[b].Importance })
	return out, nil
}

func validateParams(params []Param) error {
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		if seen[p.Name] {
			return fmt.Errorf("importance: parameter %q is listed twice", p.Name)
		}
		seen[p.Name] = true
		switch p.Kind {
		case Double, Int, Discrete:
			if math.IsNaN(p.Low) || math.IsNaN(p.High) || math.IsInf(p.Low, 0) || math.IsInf(p.High, 0) {
				return fmt.Errorf("importance: parameter %q has non-finite bounds [%v, %v]", p.Name, p.Low, p.High)
			}
			if p.Low > p.High {
				return fmt.Errorf("importance: parameter %q has low %v above high %v", p.Name, p.Low, p.High)
			}
			if p.Log && p.Low <= 0 {
				return fmt.Errorf("importance: log-scaled parameter %q needs a positive low bound, got %v", p.Name, p.Low)
			}
		case Categorical:
			if len(p.Choices) == 0 {
				return fmt.Errorf("importance: categorical parameter %q has no choices", p.Name)
			}
		default:
			return fmt.Errorf("importance: parameter %q has unknown kind %v", p.Name, p.Kind)
		}
	}
	return nil
}

func checkValue(p Param, v float64) error {
	if p.Kind == Categorical {
		if v != math.Trunc(v) || v < 0 || int(v) >= len(p.Choices) {
			return fmt.Errorf("categorical parameter %q has value %v, not an index into its %d choices", p.Name, v, len(p.Choices))
		}
		return nil
	}
	// Values outside the bounds would give the leaves of the forest negative volumes.
	if !(v >= p.Low && v <= p.High) {
		return fmt.Errorf("parameter %q has value %v outside its bounds [%v, %v]", p.Name, v, p.Low, p.High)
	}
	return nil
}

func isSingle(p Param) bool {
	if p.Kind == Categorical {
		return len(p.Choices) == 1
	}
	return p.Low == p.High
}

// encoded is the design matrix the forest is fitted to: one column per numeric parameter and
// one 0/1 column per categorical choice, each with the interval the variance is measured over.
type encoded struct {
	cols      [][]float64  // cols[c][i] is trial i's value in column c
	bounds    [][2]float64 // bounds[c] is column c's [low, high]
	paramCols [][]int      // paramCols[k] are the columns of the k-th varying parameter
	y         []float64
}

func encode(params []Param, varying []int, trials []Trial, logScale bool) *encoded {
	n := len(trials)
	enc := &encoded{y: make([]float64, n)}
	for i, t := range trials {
		enc.y[i] = t.Objective
	}
	for _, pi := range varying {
		p := params[pi]
		if p.Kind == Categorical {
			var cols []int
			for choice := range p.Choices {
				col := make([]float64, n)
				for i, t := range trials {
					if int(t.Values[pi]) == choice {
						col[i] = 1
					}
				}
				cols = append(cols, len(enc.cols))
				enc.cols = append(enc.cols, col)
				enc.bounds = append(enc.bounds, [2]float64{0, 1})
			}
			enc.paramCols = append(enc.paramCols, cols)
			continue
		}
		tr := func(v float64) float64 { return v }
		if logScale && p.Log {
			tr = math.Log
		}
		col := make([]float64, n)
		for i, t := range trials {
			col[i] = tr(t.Values[pi])
		}
		enc.paramCols = append(enc.paramCols, []int{len(enc.cols)})
		enc.cols = append(enc.cols, col)
		enc.bounds = append(enc.bounds, [2]float64{tr(p.Low), tr(p.High)})
	}
	return enc
}
