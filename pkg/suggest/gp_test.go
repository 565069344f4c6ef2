package suggest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/optimize"
)

// The gradient of the log marginal likelihood is derived by hand; central differences check
// it at random length scales, signal variances and noise levels (seeded, so the same points
// every run), with and without the bound penalty active.
func TestGPGradientMatchesFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, tc := range []struct {
		n, d int
	}{{3, 1}, {8, 2}, {15, 3}, {25, 5}} {
		x := make([][]float64, tc.n)
		y := make([]float64, tc.n)
		for i := range x {
			x[i] = make([]float64, tc.d)
			for k := range x[i] {
				x[i][k] = r.Float64()
			}
			y[i] = math.Sin(3*x[i][0]) + 0.1*r.NormFloat64()
		}
		g := newGP(x, y)
		for trial := 0; trial < 5; trial++ {
			theta := make([]float64, tc.d+2)
			for k := 0; k < tc.d; k++ {
				// Some length scales fall outside the bounds, where the penalty adds to the gradient.
				theta[k] = math.Log(0.005) + r.Float64()*(math.Log(30)-math.Log(0.005))
			}
			theta[tc.d] = math.Log(0.1) + r.Float64()*(math.Log(10)-math.Log(0.1))
			theta[tc.d+1] = math.Log(1e-5) + r.Float64()*(math.Log(0.1)-math.Log(1e-5))
			t.Run(fmt.Sprintf("n=%d d=%d #%d", tc.n, tc.d, trial), func(t *testing.T) {
				grad := make([]float64, len(theta))
				g.negLML(theta, grad)
				const h = 1e-5
				worst := 0.0
				for k := range theta {
					plus := append([]float64(nil), theta...)
					minus := append([]float64(nil), theta...)
					plus[k] += h
					minus[k] -= h
					fd := (g.negLML(plus, nil) - g.negLML(minus, nil)) / (2 * h)
					// Relative to the gradient's size, so tiny components are not judged alone.
					rel := math.Abs(grad[k]-fd) / math.Max(math.Abs(fd), 1)
					worst = math.Max(worst, rel)
					if rel > 1e-6 {
						t.Errorf("d/dθ[%d] at θ=%.4g: analytic %.10g, finite difference %.10g (relative error %.2g)", k, theta, grad[k], fd, rel)
					}
				}
				t.Logf("worst relative error %.2g", worst)
			})
		}
	}
}

func TestFitOutcome(t *testing.T) {
	start := []float64{1, 2, 3}
	moved := []float64{0.5, 1.5, 2.5}
	result := func(f float64, x []float64) *optimize.Result {
		return &optimize.Result{Location: optimize.Location{X: x, F: f}}
	}
	for _, tc := range []struct {
		name   string
		res    *optimize.Result
		err    error
		startF float64
		wantX  []float64
		wantF  float64
	}{
		{"converged", result(-4, moved), nil, 7, moved, -4},
		{"line search failed: best iterate stands", result(-3, moved), optimize.ErrLinesearcherFailure, 7, moved, -3},
		{"no progress: best iterate stands", result(-3, moved), fmt.Errorf("lbfgs: %w", optimize.ErrNoProgress), 7, moved, -3},
		{"non-descent direction: best iterate stands", result(-3, moved), optimize.ErrNonDescentDirection, 7, moved, -3},
		{"refused before evaluating", nil, optimize.ErrZeroDimensional, 7, start, 7},
		{"unknown error: start stands", result(-3, moved), errors.New("optimize: termination ended in failure"), 7, start, 7},
		{"stalled before any iterate", result(math.Inf(1), []float64{0, 0, 0}), optimize.ErrLinesearcherFailure, 7, start, 7},
		{"NaN result", result(math.NaN(), moved), nil, 7, start, 7},
		{"NaN start ranks last", nil, optimize.ErrZeroDimensional, math.NaN(), start, math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, f := fitOutcome(start, tc.res, tc.err, func() float64 { return tc.startF })
			if fmt.Sprint(x) != fmt.Sprint(tc.wantX) || f != tc.wantF {
				t.Errorf("got %v, %v; want %v, %v", x, f, tc.wantX, tc.wantF)
			}
		})
	}
}
