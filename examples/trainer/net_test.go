package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lossOf recomputes the mean loss of batch without touching gradients.
func lossOf(n *network, batch []sample) float64 {
	ws := newWorkspace(n)
	var l float64
	for _, s := range batch {
		l += crossEntropy(n.forward(s, ws), s.label)
	}
	return l / float64(len(batch))
}

// randomBatch makes inputs with a few exact zeros, so the sparse first-layer path is exercised.
func randomBatch(rng *rand.Rand, n, dim, classes int) []sample {
	var out []sample
	for range n {
		x := make([]float32, dim)
		for i := range x {
			if rng.IntN(3) > 0 {
				x[i] = float32(rng.Float64()*2 - 1)
			}
		}
		out = append(out, newSample(x, rng.IntN(classes)))
	}
	return out
}

// TestGradientsMatchFiniteDifferences compares backprop with central differences for every
// weight of a small softmax model and a small MLP.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, sizes := range [][]int{{5, 3}, {6, 4, 3}, {4, 7, 5, 3}} {
		rng := rand.New(rand.NewPCG(7, 7))
		n := newNetwork(sizes, rng)
		for _, p := range n.params() {
			for i := range p {
				// Non-zero biases keep ReLU units away from their kink, where differences lie.
				p[i] += float32(rng.Float64()*0.2 - 0.1)
			}
		}
		batch := randomBatch(rng, 4, sizes[0], sizes[len(sizes)-1])
		ws := newWorkspace(n)
		for _, s := range batch {
			n.forward(s, ws)
			n.backward(s, ws)
		}
		for k, p := range n.params() {
			for i := range p {
				const h = 1e-2
				orig := p[i]
				p[i] = orig + h
				up := lossOf(n, batch)
				p[i] = orig - h
				down := lossOf(n, batch)
				p[i] = orig
				numeric := (up - down) / (2 * h)
				analytic := float64(ws.grads[k][i]) / float64(len(batch))
				if math.Abs(numeric-analytic) > 2e-3+2e-2*math.Abs(numeric) {
					t.Errorf("sizes %v param %d[%d]: backprop %.6f, finite difference %.6f", sizes, k, i, analytic, numeric)
				}
			}
		}
	}
}

// blobs returns points around one centre per class: easy enough that any working optimiser
// separates them within a few epochs.
func blobs(rng *rand.Rand, n int) []sample {
	centres := [][]float32{{2, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 2, 2}}
	var out []sample
	for i := range n {
		c := i % len(centres)
		x := make([]float32, 4)
		for j := range x {
			x[j] = centres[c][j] + float32(rng.NormFloat64()*0.3)
		}
		out = append(out, newSample(x, c))
	}
	return out
}

func TestOptimisersLearnSeparableData(t *testing.T) {
	cases := []struct {
		name   string
		sizes  []int
		newOpt func(*network) optimizer
	}{
		{"softmax sgd", []int{4, 3}, func(n *network) optimizer { return newSGD(n.params(), 0.1, 0.9) }},
		{"softmax sgd no momentum", []int{4, 3}, func(n *network) optimizer { return newSGD(n.params(), 0.5, 0) }},
		{"mlp sgd", []int{4, 8, 3}, func(n *network) optimizer { return newSGD(n.params(), 0.1, 0.9) }},
		{"mlp adam", []int{4, 8, 3}, func(n *network) optimizer { return newAdam(n.params(), 0.01, 0.9) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			data := blobs(rng, 300)
			n := newNetwork(tc.sizes, rng)
			opt, ws := tc.newOpt(n), newWorkspace(n)
			acc0, loss0 := n.evaluate(data, ws)
			for range 20 {
				for lo := 0; lo < len(data); lo += 10 {
					n.trainBatch(data[lo:lo+10], ws, opt)
				}
			}
			acc, loss := n.evaluate(data, ws)
			if acc < 0.95 || loss >= loss0 {
				t.Fatalf("accuracy %.3f -> %.3f, loss %.3f -> %.3f; want accuracy >= 0.95 and a lower loss", acc0, acc, loss0, loss)
			}
		})
	}
}

func TestSGDStepIsHeavyBall(t *testing.T) {
	p := [][]float32{{1}}
	o := newSGD(p, 0.5, 0.5)
	o.step(p, [][]float32{{2}}) // v = -1, p = 0
	o.step(p, [][]float32{{2}}) // v = 0.5*-1 - 1 = -1.5, p = -1.5
	if p[0][0] != -1.5 {
		t.Fatalf("after two steps p = %v, want -1.5", p[0][0])
	}
}

func TestAdamFirstStepHasLearningRateSize(t *testing.T) {
	// With bias correction Adam's first step is lr * sign(g), whatever the gradient's scale.
	for _, g := range []float32{1e-3, 1, 1e3, -5} {
		p := [][]float32{{0}}
		newAdam(p, 0.1, 0.9).step(p, [][]float32{{g}})
		want := -0.1 * float64(g) / math.Abs(float64(g))
		if math.Abs(float64(p[0][0])-want) > 1e-4 {
			t.Errorf("gradient %v: first step moved to %v, want %v", g, p[0][0], want)
		}
	}
}

func TestSoftmaxAndLossAreStable(t *testing.T) {
	z := []float32{1000, 1000, -1000}
	softmaxInPlace(z)
	if math.Abs(float64(z[0])-0.5) > 1e-6 || z[2] != 0 {
		t.Fatalf("softmax of large logits = %v", z)
	}
	if l := crossEntropy(z, 2); math.IsInf(l, 0) || l < 27 {
		t.Fatalf("loss of an impossible label = %v, want large and finite", l)
	}
}

func TestNewSampleKeepsOnlyNonZeros(t *testing.T) {
	s := newSample([]float32{0, 0.5, 0, 1}, 3)
	if len(s.idx) != 2 || s.idx[0] != 1 || s.idx[1] != 3 || s.val[0] != 0.5 || s.val[1] != 1 || s.label != 3 {
		t.Fatalf("newSample = %+v", s)
	}
}
