package suggest

import (
	"math"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// The reference numbers below come from Optuna 3.1.0 (Debian's python3-optuna) with
// TPESampler's default estimator parameters (consider_prior, prior_weight 1, magic clip, no
// endpoints, default_weights):
//
//	from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
//	from optuna.samplers._tpe.sampler import default_weights
//	P = _ParzenEstimatorParameters(True, 1.0, True, False, default_weights, multivariate)
//	_ParzenEstimator({"x": np.asarray(obs)}, {"x": dist}, P).log_pdf({"x": np.asarray(xs)})
func TestParzenMatchesOptuna(t *testing.T) {
	cases := []struct {
		name  string
		param experiment.ParameterSpec
		obs   []string
		xs    []string
		want  []float64
	}{
		// IntDistribution(1, 8): values are scored by the kernels' mass over [x-0.5, x+0.5].
		{"int", integer("x", "1", "8"), []string{"2", "5", "5", "7"}, []string{"1", "3", "5", "8"},
			[]float64{-2.636966220243437, -2.1285190460040333, -1.7187069138503446, -2.4023768109716177}},
		// FloatDistribution(-5, 10): truncated Gaussians without the 1/sigma term.
		{"float", dbl("x", "-5", "10", ""), []string{"-4", "0.5", "3", "9.5"}, []string{"-5", "0", "2.5", "10"},
			[]float64{-0.861478190147462, -0.6224967173894602, -0.6320174468074139, -0.8964483632449809}},
		// CategoricalDistribution(["a", "b", "c"]): (1+v)/(1+3v) smoothing with v = 1/(n+1).
		{"categorical", categorical("x", "a", "b", "c"), []string{"a", "c", "c"}, []string{"a", "b", "c"},
			[]float64{-1.0986122886681096, -1.6582280766035324, -0.7419373447293772}},
		// FloatDistribution(0, 1, step=0.25).
		{"stepped", experiment.ParameterSpec{Name: "x", ParameterType: experiment.ParameterTypeDouble,
			FeasibleSpace: experiment.FeasibleSpace{Min: "0", Max: "1", Step: "0.25"}},
			[]string{"0.25", "0.25", "1"}, []string{"0", "0.25", "0.5", "1"},
			[]float64{-1.6637118018553319, -1.2582243384579443, -1.4561841672447402, -1.9997160806645295}},
	}
	for _, c := range cases {
		sp, err := newSpace(testSpec("tpe", nil, c.param))
		if err != nil {
			t.Fatal(err)
		}
		var obs []observation
		for i, v := range c.obs {
			u, ok := sp.encode([]experiment.ParameterAssignment{{Name: "x", Value: v}})
			if !ok {
				t.Fatalf("%s: cannot encode %s", c.name, v)
			}
			obs = append(obs, observation{index: i, u: u})
		}
		pz := newParzen(sp, obs, tpeWeights(len(obs)), 1, false)
		for k, x := range c.xs {
			u, _ := sp.encode([]experiment.ParameterAssignment{{Name: "x", Value: x}})
			if got := pz.logDensityDim(0, u[0]); math.Abs(got-c.want[k]) > 1e-9 {
				t.Errorf("%s: log density at %s = %.15g, Optuna %.15g", c.name, x, got, c.want[k])
			}
		}
	}
}

// The multivariate estimator's joint log-density (Scott's rule bandwidths, product kernels) on
// FloatDistribution(0, 1), IntDistribution(1, 8) and CategoricalDistribution(["a", "b", "c"]),
// from Optuna 3.1.0 as above with multivariate=True.
func TestMultivariateParzenMatchesOptuna(t *testing.T) {
	sp, err := newSpace(testSpec("multivariate-tpe", nil, dbl("a", "0", "1", ""), integer("n", "1", "8"), categorical("c", "a", "b", "c")))
	if err != nil {
		t.Fatal(err)
	}
	enc := func(a, n, c string) []float64 {
		u, ok := sp.encode([]experiment.ParameterAssignment{{Name: "a", Value: a}, {Name: "n", Value: n}, {Name: "c", Value: c}})
		if !ok {
			t.Fatalf("cannot encode %s %s %s", a, n, c)
		}
		return u
	}
	obs := []observation{{index: 0, u: enc("0.1", "2", "a")}, {index: 1, u: enc("0.6", "5", "c")}, {index: 2, u: enc("0.9", "8", "c")}}
	pz := newParzen(sp, obs, tpeWeights(len(obs)), 1, true)
	for _, c := range []struct {
		x    []float64
		want float64
	}{{enc("0.2", "2", "a"), -3.2862896721934227}, {enc("0.9", "7", "b"), -4.062296057557191}} {
		if got := pz.logDensity(c.x); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("log density at %v = %.15g, Optuna %.15g", c.x, got, c.want)
		}
	}
}

// Optuna's default_weights: a ramp from 1/n to 1 over the oldest n-25 trials.
func TestTPEWeightsMatchOptuna(t *testing.T) {
	w := tpeWeights(30)
	want := []float64{0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1}
	for i, v := range want {
		if math.Abs(w[i]-v) > 1e-12 {
			t.Fatalf("weights(30)[%d] = %v, want %v (all %v)", i, w[i], v, w)
		}
	}
	for _, n := range []int{0, 1, 24, 25} {
		for _, v := range tpeWeights(n) {
			if v != 1 {
				t.Fatalf("weights(%d) = %v, want all ones", n, tpeWeights(n))
			}
		}
	}
	if w := tpeWeights(26); w[0] != 1.0/26 || w[1] != 1 {
		t.Fatalf("weights(26) = %v", w)
	}
}

// Early-stopped trials rank after every finished one, the later stopped first, as Optuna ranks
// pruned trials by (-step, value) after complete ones: with 30 observations the good group has
// 3, so the finished trial with loss 5 is good and the stopped ones with losses 0 and 1 are not
// until there are too few finished trials.
func TestTPESplitRanksEarlyStoppedLast(t *testing.T) {
	a := &tpeSearch{gamma: 0.1}
	var history []Trial
	var obs []observation
	for i := 0; i < 30; i++ {
		loss := float64(10 + i)
		tr := Trial{State: StateSucceeded}
		switch i {
		case 3:
			loss = 0
			tr = Trial{State: StateEarlyStopped, Reports: []float64{3, 2, 0}}
		case 4:
			loss = 1
			tr = Trial{State: StateEarlyStopped, Reports: []float64{4, 3, 2, 1, 1}}
		case 5, 6:
			loss = float64(i)
		}
		history = append(history, tr)
		obs = append(obs, observation{index: i, loss: loss})
	}
	indices := func(s []observation) []int {
		var out []int
		for _, o := range s {
			out = append(out, o.index)
		}
		return out
	}
	below, _ := a.split(obs, tpeStages(history))
	if got := indices(below); len(got) != 3 || got[0] != 0 || got[1] != 5 || got[2] != 6 {
		t.Fatalf("good group %v, want [0 5 6]", got)
	}
	// Without the stages the stopped trials' losses win.
	below, _ = a.split(obs, nil)
	if got := indices(below); len(got) != 3 || got[0] != 3 || got[1] != 4 || got[2] != 5 {
		t.Fatalf("good group without stages %v, want [3 4 5]", got)
	}
	// Two finished trials only: the third good one is the stopped trial with more reports.
	few := []observation{obs[3], obs[4], obs[5], obs[6]}
	a.gamma = 0.75
	below, _ = a.split(few, tpeStages(history))
	if got := indices(below); len(got) != 3 || got[0] != 4 || got[1] != 5 || got[2] != 6 {
		t.Fatalf("good group of few %v, want [4 5 6]", got)
	}
}

// The good trials' weights on fixed splits: by improvement over the best finished bad trial,
// summing to their number, and Optuna's ones whenever the improvements cannot be compared.
func TestTPEGoodWeights(t *testing.T) {
	obs := func(pairs ...float64) []observation { // index, loss, index, loss, ...
		var out []observation
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, observation{index: int(pairs[i]), loss: pairs[i+1]})
		}
		return out
	}
	stopped := map[int]float64{7: -2}
	cases := []struct {
		name         string
		uniform      bool
		below, above []observation
		stage        map[int]float64
		want         []float64
	}{
		{"improvements 3, 2, 1", false, obs(0, 1, 1, 2, 2, 3), obs(3, 4, 4, 9), nil, []float64{1.5, 1, 0.5}},
		{"weighting uniform", true, obs(0, 1, 1, 2, 2, 3), obs(3, 4), nil, []float64{1, 1, 1}},
		{"the worst good trial at the split", false, obs(0, 1, 1, 4), obs(3, 4), nil, []float64{2, 0}},
		{"a stopped bad trial does not set the bar", false, obs(0, 1, 1, 2), obs(7, 0.5, 3, 3), stopped, []float64{4.0 / 3, 2.0 / 3}},
		{"a stopped good trial", false, obs(7, 1, 1, 2), obs(3, 3), stopped, []float64{1, 1}},
		{"no bad trial", false, obs(0, 1, 1, 2), nil, nil, []float64{1, 1}},
		{"only stopped bad trials", false, obs(0, 1, 1, 2), obs(7, 3), stopped, []float64{1, 1}},
		{"no improvement at all", false, obs(0, 2, 1, 2), obs(3, 2), nil, []float64{1, 1}},
	}
	for _, c := range cases {
		a := &tpeSearch{eiWeights: !c.uniform}
		got := a.goodWeights(c.below, c.above, c.stage)
		if len(got) != len(c.want) {
			t.Fatalf("%s: weights %v, want %v", c.name, got, c.want)
		}
		sum := 0.0
		for i := range got {
			sum += got[i]
			if math.Abs(got[i]-c.want[i]) > 1e-9 || got[i] <= 0 {
				t.Errorf("%s: weights %v, want %v (every one above 0)", c.name, got, c.want)
				break
			}
		}
		if math.Abs(sum-float64(len(got))) > 1e-9 {
			t.Errorf("%s: weights sum to %v, want %d", c.name, sum, len(got))
		}
	}
}

// weighting is a setting of both TPEs, checked with its field path like every other one.
func TestTPEWeightingSetting(t *testing.T) {
	for _, name := range []string{"tpe", "multivariate-tpe"} {
		spec := testSpec(name, map[string]string{"weighting": "uniform"}, dbl("x", "0", "1", ""))
		if _, err := New(spec); err != nil {
			t.Fatalf("%s weighting uniform: %v", name, err)
		}
		spec.Algorithm.AlgorithmSettings[0].Value = "linear"
		_, err := New(spec)
		want := `spec.algorithm.algorithmSettings[0].value: Unsupported value: "linear": supported values: "ei", "uniform"`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s weighting linear: %v, want %s", name, err, want)
		}
	}
}
