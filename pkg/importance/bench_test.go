package importance

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// benchExperiment is a typical training experiment: six parameters of every kind, with an
// objective driven mostly by the learning rate and the optimizer, plus noise.
func benchExperiment(n int, seed uint64) ([]Param, []Trial) {
	params := []Param{
		{Name: "lr", Kind: Double, Low: 1e-4, High: 1e-1, Log: true},
		{Name: "momentum", Kind: Double, Low: 0.5, High: 0.99},
		{Name: "layers", Kind: Int, Low: 1, High: 8},
		{Name: "optimizer", Kind: Categorical, Choices: []string{"sgd", "adam", "rmsprop"}},
		{Name: "batch", Kind: Discrete, Low: 16, High: 128},
		{Name: "dropout", Kind: Double, Low: 0, High: 0.5},
	}
	batches := []float64{16, 32, 64, 128}
	rng := rand.New(rand.NewPCG(seed, 1))
	trials := make([]Trial, n)
	for i := range trials {
		lr := math.Exp(math.Log(1e-4) + (math.Log(1e-1)-math.Log(1e-4))*rng.Float64())
		mom := 0.5 + 0.49*rng.Float64()
		layers := float64(1 + rng.IntN(8))
		opt := float64(rng.IntN(3))
		batch := batches[rng.IntN(len(batches))]
		drop := 0.5 * rng.Float64()
		y := -math.Pow(math.Log10(lr)+2.5, 2) + []float64{0, 0.8, 0.5}[int(opt)] +
			0.3*mom + 0.05*layers - 0.002*batch + 0.2*drop*layers/8 + 0.05*rng.NormFloat64()
		trials[i] = Trial{Values: []float64{lr, mom, layers, opt, batch, drop}, Objective: y}
	}
	return params, trials
}

func BenchmarkFanova1000(b *testing.B) {
	params, trials := benchExperiment(1000, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fanova(params, trials, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFanova1000Timing reports how long 1,000 trials of six parameters take with the default
// 64 trees. It does not assert a limit, since machines differ; BenchmarkFanova1000 measures
// the same more precisely.
func TestFanova1000Timing(t *testing.T) {
	params, trials := benchExperiment(1000, 1)
	start := time.Now()
	res, err := Fanova(params, trials, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1000 trials, 6 parameters, 64 trees: %v", time.Since(start))
	t.Logf("importances: %v", res)
	if res[0].Name != "lr" {
		t.Errorf("lr should dominate, got %v", res)
	}
}
