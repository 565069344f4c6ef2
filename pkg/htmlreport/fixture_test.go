package htmlreport

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/plot/svgplot"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// fixture is an experiment of n trials over four parameters (log-scaled, linear, int and
// categorical), each succeeded trial reporting `reports` intermediate values. Every state
// that the report treats differently appears: failed trials without an objective, trials
// stopped early with shorter logs, a killed trial and a running one.
func fixture(name string, n, reports int, seed uint64) *analysis.Experiment {
	e := &analysis.Experiment{
		Name: name, Namespace: "team-a", Metric: "accuracy", Maximize: true,
		Algorithm: "tpe", EarlyStopping: "medianstop", Goal: ptr(0.99),
		Params: []analysis.Param{
			{Name: "lr", Type: experiment.ParameterTypeDouble, Kind: analysis.Numeric, Log: true, Min: 1e-4, Max: 1e-1},
			{Name: "momentum", Type: experiment.ParameterTypeDouble, Kind: analysis.Numeric, Min: 0.5, Max: 0.99},
			{Name: "num_layers", Type: experiment.ParameterTypeInt, Kind: analysis.Numeric, Integer: true, Min: 1, Max: 8},
			{Name: "optimizer", Type: experiment.ParameterTypeCategorical, Kind: analysis.Categorical, Choices: []string{"sgd", "adam", "rmsprop"}},
		},
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	best := -1
	for i := range n {
		lr := math.Pow(10, -4+3*rng.Float64())
		mom := 0.5 + 0.49*rng.Float64()
		layers := 1 + rng.IntN(8)
		opt := rng.IntN(3)
		final := 0.97 - 0.08*math.Pow(math.Log10(lr)+2.5, 2) + 0.01*float64(opt) + 0.02*mom - 0.002*float64(layers) + 0.01*rng.NormFloat64()
		state, steps := suggest.StateSucceeded, reports
		switch {
		case i%23 == 5:
			state, steps = suggest.StateFailed, 0
		case i%7 == 3:
			state, steps = suggest.StateEarlyStopped, max(reports/4, 1)+i%5
		case i == n-2 && n > 4:
			state, steps = suggest.StateKilled, reports/2
		case i == n-1 && n > 4:
			state, steps = suggest.StateRunning, reports/3
		}
		t := analysis.Trial{
			Name: fmt.Sprintf("%s-%s", name, suffix(i)), Index: i, State: state, Stride: 1,
			Values: []float64{lr, mom, float64(layers), float64(opt)},
			Raw: []string{strconv.FormatFloat(lr, 'g', 6, 64), strconv.FormatFloat(mom, 'g', 6, 64),
				strconv.Itoa(layers), e.Params[3].Choices[opt]},
		}
		for s := range steps {
			t.Reports = append(t.Reports, final*(1-math.Exp(-float64(s+1)*4/float64(reports)))+0.004*rng.NormFloat64())
		}
		if state == suggest.StateSucceeded || state == suggest.StateEarlyStopped || state == suggest.StateKilled {
			v := final
			if len(t.Reports) > 0 {
				v = t.Reports[len(t.Reports)-1]
			}
			t.Objective = &v
			t.Counted = state != suggest.StateKilled
		}
		if t.Counted && (best < 0 || *t.Objective > *e.Trials[best].Objective) {
			best = i
		}
		e.Trials = append(e.Trials, t)
	}
	if best >= 0 {
		e.Trials[best].Best = true
	}
	return e
}

// suffix is a Katib-like random trial suffix, derived from the trial's number.
func suffix(i int) string {
	const letters = "bcdfghjklmnpqrstvwxz"
	x := uint32(i)*2654435761 + 12345
	var b strings.Builder
	for range 8 {
		b.WriteByte(letters[x%uint32(len(letters))])
		x /= uint32(len(letters))
		x ^= x << 7
	}
	return b.String()
}

func ptr(v float64) *float64 { return &v }

func specYAML(name string) string {
	return `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: ` + name + `
  namespace: team-a
spec:
  objective:
    type: maximize
    goal: 0.99
    objectiveMetricName: accuracy
  algorithm:
    algorithmName: tpe
  earlyStopping:
    algorithmName: medianstop
  parallelTrialCount: 3
  maxTrialCount: 500
  maxFailedTrialCount: 50
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace: {min: "0.0001", max: "0.1", distribution: logUniform}
    - name: momentum
      parameterType: double
      feasibleSpace: {min: "0.5", max: "0.99"}
    - name: num_layers
      parameterType: int
      feasibleSpace: {min: "1", max: "8"}
    - name: optimizer
      parameterType: categorical
      feasibleSpace: {list: [sgd, adam, rmsprop]}
`
}

// input is a report of the given experiments with every optional part filled in.
func input(es ...*analysis.Experiment) Input {
	in := Input{Experiments: es, GeneratedAt: time.Date(2025, 3, 4, 12, 30, 0, 0, time.UTC), Version: "v0.9.0"}
	for i, e := range es {
		in.SpecYAML = append(in.SpecYAML, specYAML(e.Name))
		s := trialCounts(e)
		s.Phase, s.Message = "Succeeded", "Experiment has succeeded because max trial count has reached"
		s.Started = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
		s.Completed = s.Started.Add(time.Duration(len(e.Trials)) * 40 * time.Second)
		in.Status = append(in.Status, s)
		if i%2 == 0 {
			in.Importance = append(in.Importance, []svgplot.Bar{{Name: "lr", Share: 0.62}, {Name: "optimizer", Share: 0.21}, {Name: "momentum", Share: 0.11}, {Name: "num_layers", Share: 0.06}})
			in.ImportanceNote = append(in.ImportanceNote, fmt.Sprintf("fANOVA over %d trials.", len(e.Counted())))
		} else {
			in.Importance = append(in.Importance, nil)
			in.ImportanceNote = append(in.ImportanceNote, "Too few finished trials to estimate importance.")
		}
	}
	return in
}
