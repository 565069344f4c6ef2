package textplot

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// fixture builds a tuning experiment like the MNIST examples: accuracy (maximize) over a
// log-scaled learning rate, an int number of layers and a categorical optimizer. Its trials
// are drawn from a seeded generator, so the charts of it never change between runs: a
// few fail, a few stop early with fewer reports, one is still running, and one thinned its
// long log (Stride 2).
func fixture(name string, seed uint64, n int) *analysis.Experiment {
	e := &analysis.Experiment{
		Name: name, Namespace: "kubeflow", Metric: "accuracy", Maximize: true,
		Algorithm: "tpe", EarlyStopping: "medianstop",
		Params: []analysis.Param{
			{Name: "lr", Type: experiment.ParameterTypeDouble, Kind: analysis.Numeric, Log: true, Min: 1e-4, Max: 1e-1},
			{Name: "layers", Type: experiment.ParameterTypeInt, Kind: analysis.Numeric, Integer: true, Min: 1, Max: 8},
			{Name: "optimizer", Type: experiment.ParameterTypeCategorical, Kind: analysis.Categorical, Choices: []string{"sgd", "adam", "rmsprop"}},
		},
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	for i := range n {
		suffix := make([]byte, 8)
		for j := range suffix {
			suffix[j] = alphabet[rng.IntN(len(alphabet))]
		}
		lr := math.Pow(10, -4+3*rng.Float64())
		layers := 1 + rng.IntN(8)
		opt := rng.IntN(3)
		final := 0.965 - 0.07*math.Pow(math.Log10(lr)+2.2, 2) - 0.012*math.Abs(float64(layers-4)) +
			[]float64{-0.02, 0.012, 0.004}[opt] + 0.01*rng.NormFloat64()
		final = math.Min(math.Max(final, 0.12), 0.995)

		t := analysis.Trial{
			Name: name + "-" + string(suffix), Index: i, State: suggest.StateSucceeded, Stride: 1,
			Values: []float64{lr, float64(layers), float64(opt)},
			Raw:    []string{strconv.FormatFloat(lr, 'g', 6, 64), strconv.Itoa(layers), e.Params[2].Choices[opt]},
		}
		epochs := 10
		switch {
		case i == 5 || i == 17:
			t.State, epochs = suggest.StateFailed, 1+i%2
		case i == n-1:
			t.State, epochs = suggest.StateRunning, 3
		case i%6 == 2 && i > 6:
			t.State, epochs = suggest.StateEarlyStopped, 2+i%4
		case i == 3:
			// A long log thinned to every other step.
			t.Stride, epochs = 2, 10
		}
		for s := range epochs {
			step := float64(s * t.Stride)
			r := final*(1-0.7*math.Exp(-0.5*step)) + 0.006*rng.NormFloat64()
			t.Reports = append(t.Reports, math.Round(r*1e4)/1e4)
		}
		if t.State == suggest.StateSucceeded || t.State == suggest.StateEarlyStopped {
			obj := t.Reports[len(t.Reports)-1]
			t.Objective = &obj
			t.Counted = true
		}
		e.Trials = append(e.Trials, t)
	}
	markBest(e)
	return e
}

// minimized is the fixture read as a loss to minimize.
func minimized(name string, seed uint64, n int) *analysis.Experiment {
	e := fixture(name, seed, n)
	e.Metric, e.Maximize = "loss", false
	for i := range e.Trials {
		t := &e.Trials[i]
		for j := range t.Reports {
			t.Reports[j] = math.Round((1-t.Reports[j])*1e4) / 1e4
		}
		if t.Objective != nil {
			v := t.Reports[len(t.Reports)-1]
			t.Objective = &v
		}
	}
	markBest(e)
	return e
}

func markBest(e *analysis.Experiment) {
	best := -1
	for i := range e.Trials {
		t := &e.Trials[i]
		t.Best = false
		if t.Counted && (best < 0 || e.Better(*t.Objective, *e.Trials[best].Objective)) {
			best = i
		}
	}
	if best >= 0 {
		e.Trials[best].Best = true
	}
}

func nan() float64 { return math.NaN() }
