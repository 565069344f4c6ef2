package suggest

import (
	"errors"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	blasimpl "gonum.org/v1/gonum/blas/gonum"
	lapackimpl "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/optimize"
)

// The dense linear algebra (Cholesky factor, inverse, triangular solves with many right-hand
// sides) goes through gonum's BLAS and LAPACK: blocked algorithms on assembly kernels, several
// times faster than plain loops once the history has a few hundred trials, which is where a
// suggestion's cost is decided.

// gp is a Gaussian-process regression model with a Matern 5/2 kernel and one length scale per
// input dimension (ARD). Its hyperparameters (length scales, signal variance, noise) are fitted
// by maximising the log marginal likelihood with L-BFGS from a few starting points. Targets are
// standardised before fitting.
type gp struct {
	x     [][]float64
	y     []float64 // standardised
	ymean float64
	ystd  float64

	logL   []float64
	logS2  float64
	logNz  float64
	l      []float64 // Cholesky factor of the kernel matrix, row-major lower triangle
	alpha  []float64
	fitted bool
}

const sqrt5 = 2.23606797749979

// Bounds of the hyperparameters in log space; outside them the likelihood is penalised.
var (
	gpLogLBounds  = [2]float64{math.Log(0.01), math.Log(20)}
	gpLogS2Bounds = [2]float64{math.Log(0.01), math.Log(50)}
	gpLogNzBounds = [2]float64{math.Log(1e-6), math.Log(0.5)}
)

func newGP(x [][]float64, y []float64) *gp {
	g := &gp{x: x}
	g.ymean = mean(y)
	g.ystd = math.Sqrt(variance(y, g.ymean))
	if g.ystd < 1e-12 {
		g.ystd = 1
	}
	g.y = make([]float64, len(y))
	for i := range y {
		g.y[i] = (y[i] - g.ymean) / g.ystd
	}
	return g
}

func mean(y []float64) float64 {
	s := 0.0
	for _, v := range y {
		s += v
	}
	return s / float64(len(y))
}

func variance(y []float64, m float64) float64 {
	s := 0.0
	for _, v := range y {
		s += (v - m) * (v - m)
	}
	return s / float64(max(len(y), 1))
}

func (g *gp) dim() int { return len(g.x[0]) }

// unpack reads the hyperparameter vector: log length scales, log signal variance, log noise.
func (g *gp) unpack(theta []float64) {
	d := g.dim()
	g.logL = append(g.logL[:0], theta[:d]...)
	g.logS2 = theta[d]
	g.logNz = theta[d+1]
}

func (g *gp) pack() []float64 {
	return append(append([]float64(nil), g.logL...), g.logS2, g.logNz)
}

// kernel returns k(a,b)/s2 (the signal variance is applied by the caller).
func kernelUnit(a, b []float64, invL []float64) float64 {
	r2 := 0.0
	for d := range a {
		t := (a[d] - b[d]) * invL[d]
		r2 += t * t
	}
	r := math.Sqrt(r2)
	return (1 + sqrt5*r + 5.0/3.0*r2) * math.Exp(-sqrt5*r)
}

func (g *gp) invLengths() []float64 {
	inv := make([]float64, len(g.logL))
	for i, l := range g.logL {
		inv[i] = math.Exp(-l)
	}
	return inv
}

// cholesky factors the n×n row-major symmetric matrix a in place into its lower triangle
// (the strict upper triangle is left as it was), reporting whether a is positive definite.
func cholesky(a []float64, n int) bool {
	if n == 0 {
		return true
	}
	if !(lapackimpl.Implementation{}).Dpotrf(blas.Lower, n, a, n) {
		return false
	}
	for i := 0; i < n; i++ {
		if math.IsNaN(a[i*n+i]) {
			return false
		}
	}
	return true
}

// solveL solves L x = b in place (L lower, row-major).
func solveL(l []float64, n int, b []float64) {
	for i := 0; i < n; i++ {
		s := b[i]
		row := l[i*n : i*n+i]
		for k, v := range row {
			s -= v * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

// solveLT solves Lᵀ x = b in place.
func solveLT(l []float64, n int, b []float64) {
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

// negLML returns minus the log marginal likelihood and its gradient for theta.
func (g *gp) negLML(theta, grad []float64) float64 {
	g.unpack(theta)
	n, d := len(g.x), g.dim()
	invL := g.invLengths()
	s2 := math.Exp(g.logS2)
	nz := math.Exp(g.logNz)
	K := make([]float64, n*n)
	var common []float64 // dk/dlog(l_k) = common * ((xi_k - xj_k)/l_k)^2
	if grad != nil {
		common = make([]float64, n*n)
	}
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			r2 := 0.0
			xi, xj := g.x[i], g.x[j]
			for k := 0; k < d; k++ {
				t := (xi[k] - xj[k]) * invL[k]
				r2 += t * t
			}
			r := math.Sqrt(r2)
			e := math.Exp(-sqrt5 * r)
			v := s2 * (1 + sqrt5*r + 5.0/3.0*r2) * e
			if common != nil {
				common[i*n+j] = 5.0 / 3.0 * s2 * (1 + sqrt5*r) * e
			}
			if i == j {
				v += nz + 1e-9
			}
			K[i*n+j] = v
			K[j*n+i] = v
		}
	}
	kf := append([]float64(nil), K...)
	if !cholesky(K, n) {
		for i := range grad {
			grad[i] = 0
		}
		return 1e10
	}
	alpha := append([]float64(nil), g.y...)
	solveL(K, n, alpha)
	logdet := 0.0
	for i := 0; i < n; i++ {
		logdet += 2 * math.Log(K[i*n+i])
	}
	quad := 0.0
	for _, v := range alpha {
		quad += v * v
	}
	solveLT(K, n, alpha)
	nll := 0.5*quad + 0.5*logdet + 0.5*float64(n)*math.Log(2*math.Pi)
	pen := 0.0
	penalise := func(v float64, b [2]float64, gi int) {
		if v < b[0] {
			pen += 10 * (b[0] - v) * (b[0] - v)
			if grad != nil {
				grad[gi] += -20 * (b[0] - v)
			}
		} else if v > b[1] {
			pen += 10 * (v - b[1]) * (v - b[1])
			if grad != nil {
				grad[gi] += 20 * (v - b[1])
			}
		}
	}
	if grad != nil {
		// K⁻¹ from its Cholesky factor; only the lower triangle (j ≤ i) is read below.
		kinv := append([]float64(nil), K...)
		if !(lapackimpl.Implementation{}).Dpotri(blas.Lower, n, kinv, n) {
			for i := range grad {
				grad[i] = 0
			}
			return 1e10
		}
		for i := range grad {
			grad[i] = 0
		}
		// dNLL/dθ = -0.5 tr((ααᵀ - K⁻¹) dK/dθ)
		for i := 0; i < n; i++ {
			xi := g.x[i]
			for j := 0; j <= i; j++ {
				w := alpha[i]*alpha[j] - kinv[i*n+j]
				if i != j {
					w *= 2 // the symmetric pair (j,i)
				}
				xj := g.x[j]
				c := -0.5 * w * common[i*n+j]
				for k := 0; k < d; k++ {
					t := (xi[k] - xj[k]) * invL[k]
					grad[k] += c * t * t
				}
				kv := kf[i*n+j]
				if i == j {
					kv -= nz + 1e-9
					grad[d+1] -= 0.5 * w * nz
				}
				grad[d] -= 0.5 * w * kv
			}
		}
	}
	for k := 0; k < d; k++ {
		penalise(theta[k], gpLogLBounds, k)
	}
	penalise(theta[d], gpLogS2Bounds, d)
	penalise(theta[d+1], gpLogNzBounds, d+1)
	return nll + pen
}

// defaultTheta is the first starting point of every fit: medium length scales, unit signal
// variance (targets are standardised), little noise.
func defaultTheta(d int) []float64 {
	th := make([]float64, d+2)
	for i := 0; i < d; i++ {
		th[i] = math.Log(0.3 * math.Sqrt(float64(d)))
	}
	th[d], th[d+1] = 0, math.Log(1e-4)
	return th
}

// fit maximises the marginal likelihood from the given starts plus `restarts` random ones
// and returns the best hyperparameters.
func (g *gp) fit(starts [][]float64, r *rand.Rand, restarts, iterations int) []float64 {
	d := g.dim()
	for s := 0; s < restarts; s++ {
		th := make([]float64, d+2)
		for i := 0; i < d; i++ {
			th[i] = math.Log(0.05) + r.Float64()*(math.Log(3)-math.Log(0.05))
		}
		th[d] = math.Log(0.3) + r.Float64()*(math.Log(3)-math.Log(0.3))
		th[d+1] = math.Log(1e-6) + r.Float64()*(math.Log(1e-2)-math.Log(1e-6))
		starts = append(starts, th)
	}
	best, bestF := starts[0], math.Inf(1)
	for _, th := range starts {
		p := optimize.Problem{
			Func: func(x []float64) float64 { return g.negLML(x, nil) },
			Grad: func(grad, x []float64) { g.negLML(x, grad) },
		}
		res, err := optimize.Minimize(p, th, &optimize.Settings{MajorIterations: iterations, GradientThreshold: 1e-3}, &optimize.LBFGS{})
		x, f := fitOutcome(th, res, err, func() float64 { return g.negLML(th, nil) })
		if f < bestF {
			best, bestF = x, f
		}
	}
	g.setTheta(best)
	return g.pack()
}

// fitOutcome is what one L-BFGS run from th contributes to a fit: a point and its negative
// log marginal likelihood. A suggestion has no use for an error here (any hyperparameters
// inside the bounds give a usable model, only a less sharp one), so a failed run falls back
// to its start rather than failing the suggestion.
//
// The errors L-BFGS ends with in practice are line searches that cannot make progress, which
// the bound penalty and the flat value of an unfactorisable kernel provoke near the edges.
// The result then holds the best iterate accepted before the stall, never worse than th, so
// that point stands. Any other error (the problem refused, a limit not asked for) leaves no
// result to trust, and so does a non-finite value: the start stands, judged by its own value.
func fitOutcome(th []float64, res *optimize.Result, err error, startF func() float64) ([]float64, float64) {
	stalled := errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress) ||
		errors.Is(err, optimize.ErrNonDescentDirection) || errors.Is(err, optimize.ErrLinesearcherBound)
	if (err == nil || stalled) && res != nil && finite(res.F) && len(res.X) == len(th) {
		return res.X, res.F
	}
	if f := startF(); finite(f) {
		return th, f
	}
	// Ranked after every finite outcome, yet still a point setTheta can clamp into bounds.
	return th, math.Inf(1)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// setTheta fixes the hyperparameters and factorises the kernel matrix for prediction.
func (g *gp) setTheta(theta []float64) {
	d := g.dim()
	th := append([]float64(nil), theta...)
	for k := 0; k < d; k++ {
		th[k] = math.Min(math.Max(th[k], gpLogLBounds[0]), gpLogLBounds[1])
	}
	th[d] = math.Min(math.Max(th[d], gpLogS2Bounds[0]), gpLogS2Bounds[1])
	th[d+1] = math.Min(math.Max(th[d+1], gpLogNzBounds[0]), gpLogNzBounds[1])
	g.unpack(th)
	g.factor()
}

func (g *gp) factor() {
	n := len(g.x)
	invL := g.invLengths()
	s2 := math.Exp(g.logS2)
	nz := math.Exp(g.logNz)
	jitter := 1e-9
	for attempt := 0; attempt < 8; attempt++ {
		K := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j <= i; j++ {
				v := s2 * kernelUnit(g.x[i], g.x[j], invL)
				if i == j {
					v += nz + jitter
				}
				K[i*n+j], K[j*n+i] = v, v
			}
		}
		if cholesky(K, n) {
			g.l = K
			break
		}
		jitter *= 100
	}
	g.alpha = append(g.alpha[:0], g.y...)
	solveL(g.l, n, g.alpha)
	solveLT(g.l, n, g.alpha)
	g.fitted = true
}

// addPoint appends an observation (standardised with the existing scaling) and refactors,
// keeping the hyperparameters: used for the constant liar in batch suggestions.
func (g *gp) addPoint(x []float64, y float64) {
	g.x = append(g.x, x)
	g.y = append(g.y, (y-g.ymean)/g.ystd)
	g.factor()
}

// predictBlock is how many points predict solves for at once: the n×block cross-kernel
// stays in cache while the triangular solve sweeps it n times.
const predictBlock = 128

// predict returns the standardised posterior mean and standard deviation at each point. The
// variance needs L⁻¹k for every point; solving for a block of points at once runs the solve
// as row updates over the whole block instead of one dot product per point and row.
func (g *gp) predict(xs [][]float64) (mu, sd []float64) {
	n, m := len(g.x), len(xs)
	invL := g.invLengths()
	s2 := math.Exp(g.logS2)
	mu = make([]float64, m)
	sd = make([]float64, m)
	kb := make([]float64, n*min(predictBlock, m))
	for j0 := 0; j0 < m; j0 += predictBlock {
		mb := min(predictBlock, m-j0)
		blockMu, v := mu[j0:j0+mb], sd[j0:j0+mb]
		// Row i of kb holds k(x_i, ·) for the block's points.
		for i := 0; i < n; i++ {
			row, xi, ai := kb[i*mb:(i+1)*mb], g.x[i], g.alpha[i]
			for c := range row {
				row[c] = s2 * kernelUnit(xi, xs[j0+c], invL)
				blockMu[c] += row[c] * ai
			}
		}
		blasimpl.Implementation{}.Dtrsm(blas.Left, blas.Lower, blas.NoTrans, blas.NonUnit, n, mb, 1, g.l, n, kb[:n*mb], mb)
		for i := 0; i < n; i++ {
			for c, t := range kb[i*mb : (i+1)*mb] {
				v[c] += t * t
			}
		}
		for c := range v {
			v[c] = math.Sqrt(math.Max(s2-v[c], 1e-12))
		}
	}
	return mu, sd
}
