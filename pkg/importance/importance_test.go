package importance

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

func twoParams() []Param {
	return []Param{
		{Name: "a", Kind: Double, Low: 0, High: 1},
		{Name: "b", Kind: Int, Low: 0, High: 4},
	}
}

func TestFanovaErrors(t *testing.T) {
	ok := []Trial{{Values: []float64{0.1, 1}, Objective: 1}, {Values: []float64{0.9, 3}, Objective: 2}}
	cases := []struct {
		name   string
		params []Param
		trials []Trial
		want   error
		substr string
	}{
		{name: "no parameters", trials: ok, want: ErrNoParameters},
		{name: "no trials", params: twoParams(), want: ErrTooFewTrials},
		{name: "one trial", params: twoParams(), trials: ok[:1], want: ErrTooFewTrials},
		{name: "one finite trial", params: twoParams(), trials: append([]Trial{{Values: []float64{0.5, 2}, Objective: math.NaN()}}, ok[:1]...), want: ErrTooFewTrials},
		{name: "same objective", params: twoParams(), trials: []Trial{{Values: []float64{0.1, 1}, Objective: 5}, {Values: []float64{0.9, 3}, Objective: 5}}, want: ErrConstantObjective},
		{name: "identical configurations", params: twoParams(), trials: []Trial{{Values: []float64{0.1, 1}, Objective: 1}, {Values: []float64{0.1, 1}, Objective: 2}}, want: ErrNoVariance},
		{name: "all single-valued", params: []Param{{Name: "a", Kind: Double, Low: 1, High: 1}, {Name: "c", Kind: Categorical, Choices: []string{"x"}}}, trials: []Trial{{Values: []float64{1, 0}, Objective: 1}, {Values: []float64{1, 0}, Objective: 2}}, want: ErrNoVariance},
		{name: "value count", params: twoParams(), trials: []Trial{{Values: []float64{0.1}, Objective: 1}, ok[1]}, substr: "trial 0 has 1 values for 2 parameters"},
		{name: "out of bounds", params: twoParams(), trials: []Trial{ok[0], {Values: []float64{1.5, 3}, Objective: 2}}, substr: "outside its bounds"},
		{name: "bad choice", params: []Param{{Name: "c", Kind: Categorical, Choices: []string{"x", "y"}}, {Name: "a", Kind: Double, High: 1}}, trials: []Trial{{Values: []float64{2, 0}, Objective: 1}, {Values: []float64{0, 0}, Objective: 2}}, substr: "not an index"},
		{name: "log low bound", params: []Param{{Name: "lr", Kind: Double, Low: 0, High: 1, Log: true}}, trials: ok, substr: "positive low bound"},
		{name: "inverted bounds", params: []Param{{Name: "a", Kind: Double, Low: 2, High: 1}}, trials: ok, substr: "above high"},
		{name: "duplicate name", params: []Param{{Name: "a", High: 1}, {Name: "a", High: 1}}, trials: ok, substr: "listed twice"},
		{name: "no choices", params: []Param{{Name: "c", Kind: Categorical}}, trials: ok, substr: "no choices"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Fanova(tc.params, tc.trials, Options{})
			if err == nil {
				t.Fatalf("no error, got %v", res)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
			if tc.substr != "" && !strings.Contains(err.Error(), tc.substr) {
				t.Fatalf("error %q does not mention %q", err, tc.substr)
			}
		})
	}
	if !strings.Contains(ErrConstantObjective.Error(), "every trial scored the same") {
		t.Errorf("constant-objective error %q does not say why", ErrConstantObjective)
	}
}

func TestFanovaSingleParameter(t *testing.T) {
	params := []Param{{Name: "x", Kind: Double, Low: 0, High: 1}}
	trials := []Trial{{Values: []float64{0.2}, Objective: 1}, {Values: []float64{0.7}, Objective: 3}}
	res, err := Fanova(params, trials, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0] != (Result{Name: "x", Importance: 1}) {
		t.Fatalf("got %v, want x: 1", res)
	}
}

// Parameters that cannot vary are reported with 0, after the others, which still sum to 1;
// trials with a non-finite objective are ignored.
func TestFanovaSingleValuedAndNonFinite(t *testing.T) {
	params := []Param{
		{Name: "fixed", Kind: Double, Low: 2, High: 2},
		{Name: "x", Kind: Double, Low: 0, High: 1},
		{Name: "one", Kind: Categorical, Choices: []string{"only"}},
		{Name: "z", Kind: Int, Low: 0, High: 9},
	}
	rng := rand.New(rand.NewPCG(9, 9))
	var trials []Trial
	for range 100 {
		x, z := rng.Float64(), float64(rng.IntN(10))
		trials = append(trials, Trial{Values: []float64{2, x, 0, z}, Objective: 5*x + 0.1*z})
	}
	trials = append(trials, Trial{Values: []float64{2, 0.5, 0, 3}, Objective: math.Inf(1)})
	res, err := Fanova(params, trials, Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{res[0].Name, res[1].Name, res[2].Name, res[3].Name}
	if names[0] != "x" || names[1] != "z" || res[2].Importance != 0 || res[3].Importance != 0 {
		t.Fatalf("got %v, want x, z, then the fixed parameters at 0", res)
	}
	if s := res[0].Importance + res[1].Importance; math.Abs(s-1) > 1e-12 {
		t.Fatalf("importances sum to %v", s)
	}
}

// On a log-scaled learning rate, the default raw axis follows Optuna and gives the range's
// upper decade most of the weight; LogScale weighs every decade the same, which here makes the
// learning rate the most important parameter instead of the second.
func TestFanovaLogScale(t *testing.T) {
	params := []Param{
		{Name: "lr", Kind: Double, Low: 1e-4, High: 1, Log: true},
		{Name: "x", Kind: Double, Low: 0, High: 1},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	var trials []Trial
	for range 300 {
		lr := math.Exp(math.Log(1e-4) * rng.Float64())
		x := rng.Float64()
		trials = append(trials, Trial{Values: []float64{lr, x}, Objective: math.Log(lr) + 6*x})
	}
	raw, err := Fanova(params, trials, Options{})
	if err != nil {
		t.Fatal(err)
	}
	logged, err := Fanova(params, trials, Options{LogScale: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("raw axis %v, log axis %v", raw, logged)
	if raw[0].Name != "x" || logged[0].Name != "lr" {
		t.Fatalf("raw axis ranks %v, log axis %v; want x first, then lr first", raw, logged)
	}
}

// referenceMarginalVariance follows Optuna's _FanovaTree.get_marginal_variance literally: it
// evaluates the marginal at the midpoint of every cell of the grid the tree's thresholds cut
// the parameter's columns into, by walking the tree, and takes the size-weighted variance.
func referenceMarginalVariance(tr *tree, bounds [][2]float64, features []int) float64 {
	nNodes, nCols := len(tr.feature), len(bounds)
	card := func(sp [][2]float64) float64 {
		v := 1.0
		for _, b := range sp {
			v *= b[1] - b[0]
		}
		return v
	}
	clone := func(sp [][2]float64) [][2]float64 { return append([][2]float64(nil), sp...) }

	// Node statistics: volume-weighted mean value and volume.
	stats := make([][2]float64, nNodes)
	var pre func(n int32, sp [][2]float64)
	pre = func(n int32, sp [][2]float64) {
		f := tr.feature[n]
		if f < 0 {
			stats[n] = [2]float64{tr.value[n], card(sp)}
			return
		}
		l, r := clone(sp), clone(sp)
		l[f][1], r[f][0] = tr.threshold[n], tr.threshold[n]
		pre(tr.left[n], l)
		pre(tr.right[n], r)
		a, b := stats[tr.left[n]], stats[tr.right[n]]
		stats[n] = [2]float64{(a[0]*a[1] + b[0]*b[1]) / (a[1] + b[1]), a[1] + b[1]}
	}
	pre(0, clone(bounds))

	active := make([][]bool, nNodes)
	var act func(n int32) []bool
	act = func(n int32) []bool {
		a := make([]bool, nCols)
		if f := tr.feature[n]; f >= 0 {
			a[f] = true
			for _, c := range [2]int32{tr.left[n], tr.right[n]} {
				for i, v := range act(c) {
					a[i] = a[i] || v
				}
			}
		}
		active[n] = a
		return a
	}
	act(0)

	var mids, sizes [][]float64
	for _, c := range features {
		vals := []float64{bounds[c][0], bounds[c][1]}
		seen := map[float64]bool{}
		for n, f := range tr.feature {
			if int(f) == c && !seen[tr.threshold[n]] {
				seen[tr.threshold[n]] = true
				vals = append(vals, tr.threshold[n])
			}
		}
		sort.Float64s(vals[2:])
		vals = append([]float64{vals[0]}, append(vals[2:], vals[1])...)
		var m, s []float64
		for i := 1; i < len(vals); i++ {
			m = append(m, (vals[i]+vals[i-1])/2)
			s = append(s, vals[i]-vals[i-1])
		}
		mids, sizes = append(mids, m), append(sizes, s)
	}

	isActive := make([]bool, nCols)
	for _, c := range features {
		isActive[c] = true
	}
	sample := make([]float64, nCols)
	var values, weights []float64
	idx := make([]int, len(features))
	for {
		w := 1.0
		for j, c := range features {
			sample[c] = mids[j][idx[j]]
			w *= sizes[j][idx[j]]
		}
		sp := clone(bounds)
		for c := range sp {
			if !isActive[c] {
				sp[c] = [2]float64{0, 1}
			}
		}
		var num, den float64
		var visit func(n int32, sp [][2]float64)
		visit = func(n int32, sp [][2]float64) {
			f := tr.feature[n]
			if f >= 0 {
				if isActive[f] {
					nsp := clone(sp)
					if sample[f] <= tr.threshold[n] {
						nsp[f][1] = tr.threshold[n]
						visit(tr.left[n], nsp)
					} else {
						nsp[f][0] = tr.threshold[n]
						visit(tr.right[n], nsp)
					}
					return
				}
				sub := false
				for _, c := range features {
					sub = sub || active[n][c]
				}
				if sub {
					visit(tr.left[n], sp)
					visit(tr.right[n], sp)
					return
				}
			}
			wt := stats[n][1] / card(sp)
			num += stats[n][0] * wt
			den += wt
		}
		visit(0, sp)
		values = append(values, num/den)
		weights = append(weights, w*den)

		j := 0
		for ; j < len(idx); j++ {
			idx[j]++
			if idx[j] < len(mids[j]) {
				break
			}
			idx[j] = 0
		}
		if j == len(idx) {
			break
		}
	}
	var ws, mean float64
	for i := range values {
		ws += weights[i]
		mean += weights[i] * values[i]
	}
	mean /= ws
	var v float64
	for i := range values {
		v += weights[i] * (values[i] - mean) * (values[i] - mean)
	}
	return v / ws
}

// The leaf-box decomposition gives the same marginal variances as Optuna's midpoint walk, for
// numeric parameters and for one-hot encoded categoricals.
func TestDecompositionMatchesMidpointWalk(t *testing.T) {
	params := []Param{
		{Name: "a", Kind: Double, Low: -1, High: 2},
		{Name: "c", Kind: Categorical, Choices: []string{"p", "q", "r"}},
		{Name: "n", Kind: Int, Low: 1, High: 6},
		{Name: "lr", Kind: Double, Low: 1e-3, High: 1, Log: true},
	}
	rng := rand.New(rand.NewPCG(21, 22))
	var trials []Trial
	for range 120 {
		a, c, n := -1+3*rng.Float64(), float64(rng.IntN(3)), float64(1+rng.IntN(6))
		lr := math.Exp(math.Log(1e-3) * rng.Float64())
		y := a*a + []float64{0, 2, -1}[int(c)]*a + 0.3*n + math.Log(lr) + rng.NormFloat64()*0.2
		trials = append(trials, Trial{Values: []float64{a, c, n, lr}, Objective: y})
	}
	for _, logScale := range []bool{false, true} {
		enc := encode(params, []int{0, 1, 2, 3}, trials, logScale)
		data := presort(enc.cols, enc.y)
		b := newTreeBuilder(data, cart)
		d := newDecomposer(enc)
		weight := make([]float64, len(trials))
		for ti := range 5 {
			rng := treeRNG(7, ti)
			bootstrap(rng, len(trials), weight)
			tr := b.fit(weight, rng)
			fr, ok := d.fractions(tr)
			if !ok {
				t.Fatal("tree without variance")
			}
			var total float64
			{
				// Total variance by the same midpoint walk over every column at once.
				all := make([]int, len(enc.cols))
				for c := range all {
					all[c] = c
				}
				total = referenceMarginalVariance(tr, enc.bounds, all)
			}
			for k, cols := range enc.paramCols {
				want := referenceMarginalVariance(tr, enc.bounds, cols) / total
				if math.Abs(fr[k]-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("log %v tree %d param %s: fraction %v, midpoint walk %v", logScale, ti, params[k].Name, fr[k], want)
				}
			}
		}
	}
}
