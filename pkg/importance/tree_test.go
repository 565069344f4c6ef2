package importance

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func fitOne(t *testing.T, cols [][]float64, y []float64, p treeParams) *tree {
	t.Helper()
	data := presort(cols, y)
	weight := make([]float64, len(y))
	for i := range weight {
		weight[i] = 1
	}
	return newTreeBuilder(data, p).fit(weight, rand.New(rand.NewPCG(1, 2)))
}

var cart = treeParams{maxDepth: 64, minSplit: 2, minLeaf: 1}

// A step in one feature is found with a single split at the midpoint between the two samples
// around the step, ignoring the irrelevant feature, and reproduces the step exactly.
func TestTreeFitsStepFunction(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 200
	x0, x1, y := make([]float64, n), make([]float64, n), make([]float64, n)
	below, above := math.Inf(-1), math.Inf(1)
	for i := range n {
		x0[i], x1[i] = rng.Float64(), rng.Float64()
		if x0[i] > 0.4 {
			y[i] = 3
			above = math.Min(above, x0[i])
		} else {
			y[i] = -1
			below = math.Max(below, x0[i])
		}
	}
	tr := fitOne(t, [][]float64{x1, x0}, y, cart)
	if len(tr.feature) != 3 {
		t.Fatalf("tree has %d nodes, want 3 (one split)", len(tr.feature))
	}
	if tr.feature[0] != 1 {
		t.Fatalf("root splits on column %d, want 1", tr.feature[0])
	}
	if want := below/2 + above/2; tr.threshold[0] != want {
		t.Fatalf("threshold %v, want %v", tr.threshold[0], want)
	}
	for _, x := range []float64{0, 0.1, below, above, 0.9, 1} {
		want := -1.0
		if x > 0.4 {
			want = 3
		}
		if got := tr.predict([]float64{0.5, x}); got != want {
			t.Errorf("predict(x=%v) = %v, want %v", x, got, want)
		}
	}
}

// Grown without limits on distinct points, a tree interpolates its training data.
func TestTreeInterpolatesTrainingData(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 300
	cols := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
	y := make([]float64, n)
	for i := range n {
		for c := range cols {
			cols[c][i] = rng.Float64()
		}
		y[i] = math.Sin(6*cols[0][i]) + cols[1][i]*cols[2][i] + rng.NormFloat64()
	}
	tr := fitOne(t, cols, y, cart)
	for i := range n {
		x := []float64{cols[0][i], cols[1][i], cols[2][i]}
		if got := tr.predict(x); got != y[i] {
			t.Fatalf("sample %d: predict = %v, want %v", i, got, y[i])
		}
	}
}

// Bootstrap weights act as repeated samples: the leaf values are weighted means.
func TestTreeWeightedLeafMeans(t *testing.T) {
	cols := [][]float64{{0, 0.1, 0.9, 1}}
	y := []float64{1, 2, 10, 20}
	data := presort(cols, y)
	b := newTreeBuilder(data, treeParams{maxDepth: 1, minSplit: 2, minLeaf: 1})
	tr := b.fit([]float64{3, 1, 0, 2}, rand.New(rand.NewPCG(1, 1)))
	if got, want := tr.predict([]float64{0}), (3*1+1*2)/4.0; got != want {
		t.Errorf("left leaf = %v, want %v", got, want)
	}
	// The out-of-bag sample at 0.9 takes no part, so the threshold lies between 0.1 and 1.
	if got, want := tr.threshold[0], 0.55; got != want {
		t.Errorf("threshold = %v, want %v", got, want)
	}
	if got := tr.predict([]float64{1}); got != 20 {
		t.Errorf("right leaf = %v, want 20", got)
	}
}

func TestTreeMaxDepth(t *testing.T) {
	cols := [][]float64{{0, 1, 2, 3, 4, 5, 6, 7}}
	y := []float64{0, 1, 2, 3, 4, 5, 6, 7}
	for depth, wantLeaves := range map[int]int{0: 1, 1: 2, 2: 4, 3: 8, 10: 8} {
		tr := fitOne(t, cols, y, treeParams{maxDepth: depth, minSplit: 2, minLeaf: 1})
		leaves := 0
		for _, f := range tr.feature {
			if f < 0 {
				leaves++
			}
		}
		if leaves != wantLeaves {
			t.Errorf("max depth %d: %d leaves, want %d", depth, leaves, wantLeaves)
		}
	}
}

// Values closer than featureThreshold cannot be split apart, as in scikit-learn.
func TestTreeNearlyEqualValuesAreNotSplit(t *testing.T) {
	tr := fitOne(t, [][]float64{{1, 1 + 1e-9}}, []float64{0, 1}, cart)
	if len(tr.feature) != 1 {
		t.Fatalf("tree has %d nodes, want a single leaf", len(tr.feature))
	}
}

func TestBootstrapDrawsNSamples(t *testing.T) {
	w := make([]float64, 50)
	bootstrap(rand.New(rand.NewPCG(1, 1)), len(w), w)
	sum, zeros := 0.0, 0
	for _, v := range w {
		sum += v
		if v == 0 {
			zeros++
		}
	}
	if sum != 50 {
		t.Fatalf("weights sum to %v, want 50", sum)
	}
	if zeros == 0 {
		t.Fatalf("no sample was left out of the bag, which is vanishingly unlikely")
	}
}

// The same seed gives the same result however many goroutines fit the trees; another seed gives
// another forest.
func TestFanovaDeterministic(t *testing.T) {
	params, trials := benchExperiment(300, 7)
	run := func(seed uint64, procs int) []Result {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		res, err := Fanova(params, trials, Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run(1, 1), run(1, 2), run(1, 4)
	for i := range a {
		if a[i] != b[i] || a[i] != c[i] {
			t.Fatalf("seed 1 differs with GOMAXPROCS: %v / %v / %v", a, b, c)
		}
	}
	d := run(2, 2)
	same := true
	for i := range a {
		same = same && a[i] == d[i]
	}
	if same {
		t.Fatalf("seeds 1 and 2 gave identical results %v", a)
	}
}
