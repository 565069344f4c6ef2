// Package analysis turns an experiment's stored state into the plain numbers every view of
// its results is drawn from: the terminal charts, the HTML report, parameter importance and
// the exports. Reading the state once, in one place, keeps them telling the same story: the
// same trials count, the same best trial, the same scale for every parameter.
package analysis

import (
	"math"
	"slices"
	"strconv"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// ParamKind is how a parameter's values are placed on an axis.
type ParamKind int

const (
	// Numeric parameters (double, int, and discrete lists of numbers) sit on a number line.
	Numeric ParamKind = iota
	// Categorical parameters (and discrete lists that are not all numbers) sit at evenly
	// spaced positions, one per choice, in the order the spec lists them.
	Categorical
)

// Param is one search-space parameter as the charts need it.
type Param struct {
	Name string
	Type experiment.ParameterType
	Kind ParamKind
	// Integer is true for int parameters (ticks and importance treat them as whole numbers).
	Integer bool
	// Log is true when the parameter was searched on a log scale (logUniform, logNormal):
	// its axis and its importance use log10 of the value.
	Log bool
	// Min and Max bound a numeric parameter: the feasible space when it parses, widened to
	// every value a trial actually had.
	Min, Max float64
	// Choices are a categorical parameter's values; a trial's value is an index into them.
	Choices []string
}

// Trial is one trial's numbers.
type Trial struct {
	Name  string
	Index int
	State suggest.TrialState
	// Objective is the objective after the metric strategy; nil when the trial has none.
	Objective *float64
	// Values holds one number per Param: the value itself for numeric parameters, the index
	// into Choices for categorical ones; NaN when the trial has no (or an unparsable) value.
	Values []float64
	// Raw holds the values as the trial was given them, one per Param.
	Raw []string
	// Reports are the objective's intermediate values; Reports[i] was printed at step
	// i*Stride (Stride is 1 unless a very long log was thinned).
	Reports []float64
	Stride  int
	// Best marks the experiment's best trial.
	Best bool
	// Counted is true when the trial can be the best (it succeeded or stopped early with an
	// objective): only these take part in the best-so-far line and in importance.
	Counted bool
}

// Experiment is an experiment's results, trials in creation order.
type Experiment struct {
	Name, Namespace string
	Metric          string
	Maximize        bool
	Goal            *float64
	Algorithm       string
	EarlyStopping   string
	Params          []Param
	Trials          []Trial
}

// FromState reads the experiment's results. Reports appear only when the state was read with
// them (store.ReadOptions.Reports).
func FromState(st *store.State) *Experiment {
	spec := &st.Experiment.Spec
	e := &Experiment{Name: st.Experiment.Name, Namespace: st.Experiment.Namespace, Maximize: st.Maximize()}
	if o := spec.Objective; o != nil {
		e.Metric, e.Goal = o.ObjectiveMetricName, o.Goal
	}
	if spec.Algorithm != nil {
		e.Algorithm = spec.Algorithm.AlgorithmName
	}
	if spec.EarlyStopping != nil {
		e.EarlyStopping = spec.EarlyStopping.AlgorithmName
	}
	for _, ps := range spec.Parameters {
		e.Params = append(e.Params, paramOf(ps))
	}
	best := st.Best()
	trials := slices.Clone(st.Trials)
	slices.SortStableFunc(trials, func(a, b store.TrialRecord) int { return a.Index - b.Index })
	for _, tr := range trials {
		t := Trial{Name: tr.Name, Index: tr.Index, State: tr.State, Objective: tr.Objective,
			Reports: tr.Reports, Stride: max(tr.ReportStride, 1),
			Best:    best != nil && best.Name == tr.Name,
			Counted: tr.Objective != nil && (tr.State == suggest.StateSucceeded || tr.State == suggest.StateEarlyStopped)}
		for i := range e.Params {
			raw := assigned(tr, e.Params[i].Name)
			t.Raw = append(t.Raw, raw)
			t.Values = append(t.Values, e.Params[i].place(raw))
		}
		e.Trials = append(e.Trials, t)
	}
	// Widen numeric bounds to the values seen, so a trial run before the space was
	// narrowed (or a bound that did not parse) still lands on the axis.
	for i := range e.Params {
		p := &e.Params[i]
		if p.Kind != Numeric {
			continue
		}
		for _, t := range e.Trials {
			if v := t.Values[i]; !math.IsNaN(v) {
				if math.IsNaN(p.Min) || v < p.Min {
					p.Min = v
				}
				if math.IsNaN(p.Max) || v > p.Max {
					p.Max = v
				}
			}
		}
	}
	return e
}

func assigned(tr store.TrialRecord, name string) string {
	for _, a := range tr.Assignments {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

func paramOf(ps experiment.ParameterSpec) Param {
	p := Param{Name: ps.Name, Type: ps.ParameterType, Min: math.NaN(), Max: math.NaN()}
	fs := ps.FeasibleSpace
	switch ps.ParameterType {
	case experiment.ParameterTypeCategorical:
		p.Kind, p.Choices = Categorical, slices.Clone(fs.List)
		return p
	case experiment.ParameterTypeDiscrete:
		for _, s := range fs.List {
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				p.Kind, p.Choices = Categorical, slices.Clone(fs.List)
				return p
			}
		}
		for _, s := range fs.List {
			v, _ := strconv.ParseFloat(s, 64)
			p.Min, p.Max = fmin(p.Min, v), fmax(p.Max, v)
		}
		return p
	}
	p.Integer = ps.ParameterType == experiment.ParameterTypeInt
	p.Log = fs.Distribution == experiment.DistributionLogUniform || fs.Distribution == experiment.DistributionLogNormal
	if v, err := strconv.ParseFloat(fs.Min, 64); err == nil {
		p.Min = v
	}
	if v, err := strconv.ParseFloat(fs.Max, 64); err == nil {
		p.Max = v
	}
	return p
}

// place is the number a raw value sits at on the parameter's axis (before any log scale).
func (p Param) place(raw string) float64 {
	if p.Kind == Categorical {
		if i := slices.Index(p.Choices, raw); i >= 0 {
			return float64(i)
		}
		return math.NaN()
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// Scale maps a parameter's value to where it sits on a linear axis: log10 for log-scaled
// parameters (which must be positive; others give NaN), the value itself otherwise.
func (p Param) Scale(v float64) float64 {
	if p.Log {
		if v <= 0 {
			return math.NaN()
		}
		return math.Log10(v)
	}
	return v
}

func fmin(a, b float64) float64 {
	if math.IsNaN(a) || b < a {
		return b
	}
	return a
}

func fmax(a, b float64) float64 {
	if math.IsNaN(a) || b > a {
		return b
	}
	return a
}

// Better reports whether a beats b in the experiment's direction.
func (e *Experiment) Better(a, b float64) bool {
	if e.Maximize {
		return a > b
	}
	return a < b
}

// HistoryPoint is one trial on the optimisation history: its own objective and the best
// objective of the counted trials up to and including it.
type HistoryPoint struct {
	// Number counts trials from 1 in creation order (trials without an objective are
	// counted too, so the axis is the number of trials spent).
	Number    int
	Trial     *Trial
	Value     float64
	BestSoFar float64
}

// History is the optimisation history: one point per counted trial, in creation order.
func (e *Experiment) History() []HistoryPoint {
	var out []HistoryPoint
	best := math.NaN()
	for i := range e.Trials {
		t := &e.Trials[i]
		if !t.Counted {
			continue
		}
		v := *t.Objective
		if math.IsNaN(best) || e.Better(v, best) {
			best = v
		}
		out = append(out, HistoryPoint{Number: i + 1, Trial: t, Value: v, BestSoFar: best})
	}
	return out
}

// Counted returns the trials that can be the best, in creation order.
func (e *Experiment) Counted() []*Trial {
	var out []*Trial
	for i := range e.Trials {
		if e.Trials[i].Counted {
			out = append(out, &e.Trials[i])
		}
	}
	return out
}

// ObjectiveRange is the smallest and largest objective of the counted trials (NaN, NaN when
// there are none).
func (e *Experiment) ObjectiveRange() (lo, hi float64) {
	lo, hi = math.NaN(), math.NaN()
	for _, t := range e.Counted() {
		lo, hi = fmin(lo, *t.Objective), fmax(hi, *t.Objective)
	}
	return lo, hi
}
