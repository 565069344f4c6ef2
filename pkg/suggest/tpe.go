package suggest

import (
	"math"
	"math/rand/v2"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	Register("tpe", newTPE(false), validateTPE)
	Register("multivariate-tpe", newTPE(true), validateTPE)
}

// tpeSearch is the tree-structured Parzen estimator (Bergstra et al. 2011) in the style of
// Optuna's TPESampler, with Katib's setting names. It is our own implementation rather than
// goptuna's because goptuna v0.9.0's TPE draws part of every sample from Go's global math/rand,
// which cannot be seeded, so the same random_state would give different suggestions (and a
// resumed experiment would not continue the same search). Every draw here comes from a
// generator derived from (random_state, trial index).
//
// The good trials (the best gamma fraction, at most 25) and the others each define a Parzen
// density over the unit cube (truncated Gaussian kernels for numeric parameters, smoothed
// indicator kernels for categorical ones, plus the prior, which is uniform in the unit cube and
// so is the parameter's own distribution). Candidates drawn from the good density are scored by
// log l(x) - log g(x). The univariate variant ("tpe") does this per parameter; the
// multivariate one ("multivariate-tpe") uses joint kernels, which captures interactions.
type tpeSearch struct {
	space        *space
	seed         int64
	fixed        bool
	multivariate bool
	nStartup     int
	nCandidates  int
	gamma        float64
	priorWeight  float64
	sgn          float64
}

func readTPESettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *tpeSearch) {
	r := newAlgorithmSettings(spec, path)
	a := &tpeSearch{}
	a.seed, a.fixed = r.seed()
	a.nStartup = r.integer("n_startup_trials", 10, 0)
	a.nCandidates = r.integer("n_ei_candidates", 24, 1)
	a.gamma = r.float("gamma", 0.1, 0, 1, true)
	a.priorWeight = r.float("prior_weight", 1.0, 0, 1e6, true)
	r.unknown("tpe")
	return r, a
}

func validateTPE(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readTPESettings(spec, path)
	return r.errs
}

func newTPE(multivariate bool) Factory {
	return func(spec *experiment.ExperimentSpec) (Algorithm, error) {
		r, a := readTPESettings(spec, nil)
		if err := r.err(); err != nil {
			return nil, err
		}
		sp, err := newSpace(spec)
		if err != nil {
			return nil, err
		}
		a.space, a.multivariate, a.sgn = sp, multivariate, sign(spec)
		return a, nil
	}
}

func (a *tpeSearch) Suggest(history []Trial, n int) ([]Suggestion, error) {
	seed := resolveSeed(a.seed, a.fixed, history)
	seen := map[string]bool{}
	for _, t := range history {
		seen[assignmentKey(t.Assignments)] = true
	}
	obs := a.space.observations(history, a.sgn)
	var out []Suggestion
	for i := 0; i < n; i++ {
		k := len(history) + i
		var as []experiment.ParameterAssignment
		if len(obs) >= max(a.nStartup, 2) {
			as = a.space.decode(a.sample(obs, rngFor(seed, k, 21), seen))
		}
		if as == nil || seen[assignmentKey(as)] {
			as = randomAssignments(a.space, seed, k, seen)
		}
		seen[assignmentKey(as)] = true
		out = append(out, Suggestion{Assignments: as, Labels: withSeed(nil, seed, a.fixed)})
	}
	return out, nil
}

// split returns the good and the bad observations, and the weights of the bad ones (older
// trials weigh less once there are more than 25, as in Optuna).
func (a *tpeSearch) split(obs []observation) (below, above []observation, wAbove []float64) {
	sorted := append([]observation(nil), obs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].loss < sorted[j].loss })
	nBelow := min(int(math.Ceil(a.gamma*float64(len(obs)))), 25)
	nBelow = max(1, min(nBelow, len(obs)-1))
	below, above = sorted[:nBelow], sorted[nBelow:]
	// Order the bad group by age for the ramp.
	sort.SliceStable(above, func(i, j int) bool { return above[i].index < above[j].index })
	wAbove = make([]float64, len(above))
	m := len(above)
	for i := range wAbove {
		if m <= 25 || i >= m-25 {
			wAbove[i] = 1
		} else {
			wAbove[i] = 1.0/float64(m) + (1-1.0/float64(m))*float64(i)/float64(m-25)
		}
	}
	return below, above, wAbove
}

// parzen is a mixture over the unit cube: one component per observation plus the prior.
type parzen struct {
	space   *space
	centers [][]float64 // per component, per dimension (categorical: the index)
	sigmas  [][]float64 // per component, per dimension (numeric only)
	weights []float64   // normalised; the last component is the prior
	// logZ is each numeric kernel's log normaliser (Gaussian constant and truncation mass).
	logZ [][]float64
}

func (pz *parzen) normalise() {
	pz.logZ = make([][]float64, len(pz.centers))
	for i := range pz.centers {
		pz.logZ[i] = make([]float64, len(pz.space.params))
		for j := range pz.space.params {
			mu, s := pz.centers[i][j], pz.sigmas[i][j]
			mass := phi((1-mu)/s) - phi((0-mu)/s)
			pz.logZ[i][j] = math.Log(s*math.Sqrt(2*math.Pi)) + math.Log(math.Max(mass, 1e-300))
		}
	}
}

func isCategorical(p *param) bool { return p.ptype == experiment.ParameterTypeCategorical }

// newParzen builds the estimator. Univariate bandwidths follow Optuna: the larger gap to a
// neighbouring centre, clipped to [1/min(100, n+1), 1]. Multivariate bandwidths follow
// Optuna's multivariate rule 0.2·n^(-1/(d+4)), clipped the same way.
func newParzen(sp *space, obs []observation, w []float64, priorWeight float64, multivariate bool) *parzen {
	n, d := len(obs), len(sp.params)
	pz := &parzen{space: sp}
	total := priorWeight
	for _, v := range w {
		total += v
	}
	for i := range obs {
		pz.centers = append(pz.centers, obs[i].u)
		pz.weights = append(pz.weights, w[i]/total)
	}
	prior := make([]float64, d)
	for j := range prior {
		prior[j] = 0.5
	}
	pz.centers = append(pz.centers, prior)
	pz.weights = append(pz.weights, priorWeight/total)
	minSigma := 1.0 / math.Min(100, float64(n+1))
	pz.sigmas = make([][]float64, n+1)
	for i := range pz.sigmas {
		pz.sigmas[i] = make([]float64, d)
	}
	for j := 0; j < d; j++ {
		for i := range pz.sigmas {
			pz.sigmas[i][j] = 1 // the prior's bandwidth: the whole range
		}
		if isCategorical(&sp.params[j]) {
			continue
		}
		if multivariate {
			s := 0.2 * math.Pow(float64(max(n, 1)), -1.0/float64(d+4))
			s = math.Min(math.Max(s, minSigma), 1)
			for i := 0; i < n; i++ {
				pz.sigmas[i][j] = s
			}
			continue
		}
		// Univariate: neighbour gaps among the sorted centres including the prior's 0.5.
		idx := make([]int, n+1)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(x, y int) bool { return pz.centers[idx[x]][j] < pz.centers[idx[y]][j] })
		for r, i := range idx {
			if i == n {
				continue
			}
			left := pz.centers[i][j] - 0
			if r > 0 {
				left = pz.centers[i][j] - pz.centers[idx[r-1]][j]
			}
			right := 1 - pz.centers[i][j]
			if r < n {
				right = pz.centers[idx[r+1]][j] - pz.centers[i][j]
			}
			pz.sigmas[i][j] = math.Min(math.Max(math.Max(left, right), minSigma), 1)
		}
	}
	pz.normalise()
	return pz
}

// catKernel is the probability a component centred on category c gives to category x.
func catKernel(k int, c, x float64, isPrior bool) float64 {
	if isPrior || k == 1 {
		return 1 / float64(k)
	}
	if int(c*float64(k)) == int(x*float64(k)) || math.Abs(c-x) < 1e-12 {
		return 0.5 + 0.5/float64(k)
	}
	return 0.5 / float64(k)
}

// logDensityDim is the univariate log-density of dimension j at x.
func (pz *parzen) logDensityDim(j int, x float64) float64 {
	p := &pz.space.params[j]
	prior := len(pz.centers) - 1
	acc := math.Inf(-1)
	for i := range pz.centers {
		var l float64
		if isCategorical(p) {
			l = math.Log(catKernel(len(p.list), pz.centers[i][j], x, i == prior))
		} else {
			z := (x - pz.centers[i][j]) / pz.sigmas[i][j]
			l = -0.5*z*z - pz.logZ[i][j]
		}
		acc = logAddExp(acc, math.Log(pz.weights[i])+l)
	}
	return acc
}

// logDensity is the joint log-density with product kernels.
func (pz *parzen) logDensity(x []float64) float64 {
	prior := len(pz.centers) - 1
	acc := math.Inf(-1)
	for i := range pz.centers {
		l := math.Log(pz.weights[i])
		for j := range x {
			p := &pz.space.params[j]
			if isCategorical(p) {
				l += math.Log(catKernel(len(p.list), pz.centers[i][j], x[j], i == prior))
			} else {
				z := (x[j] - pz.centers[i][j]) / pz.sigmas[i][j]
				l += -0.5*z*z - pz.logZ[i][j]
			}
		}
		acc = logAddExp(acc, l)
	}
	return acc
}

func logAddExp(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a > b {
		return a + math.Log1p(math.Exp(b-a))
	}
	return b + math.Log1p(math.Exp(a-b))
}

// pick draws a component index by weight.
func (pz *parzen) pick(r *rand.Rand) int {
	u := r.Float64()
	for i, w := range pz.weights {
		u -= w
		if u <= 0 {
			return i
		}
	}
	return len(pz.weights) - 1
}

// drawDim draws dimension j from component i.
func (pz *parzen) drawDim(r *rand.Rand, i, j int) float64 {
	p := &pz.space.params[j]
	prior := len(pz.centers) - 1
	if isCategorical(p) {
		k := len(p.list)
		if i == prior || r.Float64() >= 0.5 {
			return (float64(r.IntN(k)) + 0.5) / float64(k)
		}
		return pz.centers[i][j]
	}
	mu, s := pz.centers[i][j], pz.sigmas[i][j]
	a, b := phi((0-mu)/s), phi((1-mu)/s)
	u := a + r.Float64()*(b-a)
	return clamp01(mu + s*phiInv(math.Min(math.Max(u, 1e-12), 1-1e-12)))
}

// sample returns the best of n_ei_candidates candidates by log l(x) - log g(x).
func (a *tpeSearch) sample(obs []observation, r *rand.Rand, seen map[string]bool) []float64 {
	below, above, wAbove := a.split(obs)
	wBelow := make([]float64, len(below))
	for i := range wBelow {
		wBelow[i] = 1
	}
	l := newParzen(a.space, below, wBelow, a.priorWeight, a.multivariate)
	g := newParzen(a.space, above, wAbove, a.priorWeight, a.multivariate)
	d := len(a.space.params)
	if a.multivariate {
		var best []float64
		bestScore := math.Inf(-1)
		for c := 0; c < a.nCandidates; c++ {
			i := l.pick(r)
			x := make([]float64, d)
			for j := range x {
				x[j] = l.drawDim(r, i, j)
			}
			s := l.logDensity(x) - g.logDensity(x)
			if s > bestScore && !seen[assignmentKey(a.space.decode(x))] {
				best, bestScore = x, s
			}
		}
		return best
	}
	x := make([]float64, d)
	for j := 0; j < d; j++ {
		bestScore := math.Inf(-1)
		for c := 0; c < a.nCandidates; c++ {
			v := l.drawDim(r, l.pick(r), j)
			if s := l.logDensityDim(j, v) - g.logDensityDim(j, v); s > bestScore {
				x[j], bestScore = v, s
			}
		}
	}
	return x
}
