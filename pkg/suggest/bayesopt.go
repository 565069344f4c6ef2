package suggest

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	Register("bayesianoptimization", newBayesOpt, validateBayesOpt)
}

// bayesOpt is Gaussian-process Bayesian optimisation (Katib runs scikit-optimize for this
// name; these are its settings). The first n_initial_points trials form a Latin hypercube;
// after that a GP (Matern 5/2, ARD, hyperparameters by marginal likelihood) is fitted to every
// finished trial and the next point maximises the acquisition function over random candidates,
// perturbations of the best trials, and a local hill climb from the best candidates. Running
// trials enter the model with the best value seen so far (skopt's "cl_min" constant liar), so
// parallel suggestions spread out. Everything is recomputed from the history with generators
// derived from (random_state, trial index), so a rebuilt algorithm suggests the same points.
type bayesOpt struct {
	space    *space
	seed     int64
	fixed    bool
	nInitial int
	acq      string
	sgn      float64
	feat     *featureMap

	mu    sync.Mutex
	cache map[uint64][]float64 // fitted hyperparameters by the observations they saw
}

func readBOSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *bayesOpt) {
	r := newAlgorithmSettings(spec, path)
	a := &bayesOpt{}
	a.seed, a.fixed = r.seed()
	a.nInitial = r.integer("n_initial_points", 10, 1)
	a.acq = r.str("acq_func", "ei", "ei", "EI", "pi", "PI", "lcb", "LCB", "gp_hedge")
	if a.acq == "gp_hedge" {
		// skopt's default chooses among EI, PI and LCB by their accumulated gains, which is
		// state kept between calls; we do not emulate it and say so instead of substituting.
		_, p, _ := r.lookup("acq_func")
		r.errs = append(r.errs, field.NotSupported(p, "gp_hedge", []string{"ei", "pi", "lcb"}))
	}
	if v := r.str("base_estimator", "GP"); v != "GP" && v != "gp" {
		_, p, _ := r.lookup("base_estimator")
		r.errs = append(r.errs, field.NotSupported(p, v, []string{"GP"}))
	}
	// acq_optimizer is accepted for compatibility: candidates plus local search is always used.
	r.str("acq_optimizer", "auto", "auto", "sampling", "lbfgs")
	r.unknown("bayesianoptimization")
	return r, a
}

func validateBayesOpt(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readBOSettings(spec, path)
	return r.errs
}

func newBayesOpt(spec *experiment.ExperimentSpec) (Algorithm, error) {
	r, a := readBOSettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	sp, err := newSpace(spec)
	if err != nil {
		return nil, err
	}
	switch a.acq {
	case "EI":
		a.acq = "ei"
	case "PI":
		a.acq = "pi"
	case "LCB":
		a.acq = "lcb"
	}
	a.space, a.sgn, a.feat = sp, sign(spec), newFeatureMap(sp)
	return a, nil
}

// featureMap turns unit-cube points into GP inputs: numeric parameters keep their (rounded)
// unit coordinate, categorical parameters become one-hot blocks so no order is implied.
type featureMap struct {
	space *space
	width int
}

func newFeatureMap(sp *space) *featureMap {
	f := &featureMap{space: sp}
	for i := range sp.params {
		p := &sp.params[i]
		if p.ptype == experiment.ParameterTypeCategorical {
			f.width += len(p.list)
		} else {
			f.width++
		}
	}
	return f
}

// snap rounds a unit point to what it will decode to, so equal assignments get equal points.
func (f *featureMap) snap(u []float64) []float64 {
	out := make([]float64, len(u))
	for i := range u {
		p := &f.space.params[i]
		if p.kind == kindDouble && p.step == 0 {
			out[i] = clamp01(u[i])
		} else {
			out[i] = p.unit(p.value(u[i]))
		}
	}
	return out
}

func (f *featureMap) features(u []float64) []float64 {
	out := make([]float64, 0, f.width)
	for i := range u {
		p := &f.space.params[i]
		if p.ptype == experiment.ParameterTypeCategorical {
			k := int(p.value(u[i]))
			for j := range p.list {
				if j == k {
					out = append(out, 1)
				} else {
					out = append(out, 0)
				}
			}
		} else {
			out = append(out, u[i])
		}
	}
	return out
}

// latinHypercube returns the k-th point of an n-point Latin hypercube fixed by the seed.
func latinHypercube(seed int64, n, k, d int) []float64 {
	u := make([]float64, d)
	for j := 0; j < d; j++ {
		perm := rngFor(seed, j, 11).Perm(n)
		jitter := rngFor(seed, k*64+j, 12).Float64()
		u[j] = (float64(perm[k]) + jitter) / float64(n)
	}
	return u
}

func (a *bayesOpt) Suggest(history []Trial, n int) ([]Suggestion, error) {
	seed := resolveSeed(a.seed, a.fixed, history)
	d := len(a.space.params)
	seen := map[string]bool{}
	for _, t := range history {
		seen[assignmentKey(t.Assignments)] = true
	}
	obs := a.space.observations(history, a.sgn)
	var out []Suggestion
	var model *gp
	for i := 0; i < n; i++ {
		k := len(history) + i
		var as []experiment.ParameterAssignment
		if k < a.nInitial || len(obs) < 2 {
			if k < a.nInitial {
				as = a.space.decode(latinHypercube(seed, a.nInitial, k, d))
			}
			if as == nil || seen[assignmentKey(as)] {
				as = randomAssignments(a.space, seed, k, seen)
			}
		} else {
			if model == nil {
				model = a.model(history, obs, seed)
			}
			u := a.maximise(model, rngFor(seed, k, 13), obs, seen)
			if u == nil {
				as = randomAssignments(a.space, seed, k, seen)
			} else {
				as = a.space.decode(u)
				// The constant liar: the point joins the model at the best value seen.
				model.addPoint(a.feat.features(a.feat.snap(u)), minLoss(obs))
			}
		}
		seen[assignmentKey(as)] = true
		out = append(out, Suggestion{Assignments: as, Labels: withSeed(nil, seed, a.fixed)})
	}
	return out, nil
}

func minLoss(obs []observation) float64 {
	m := math.Inf(1)
	for _, o := range obs {
		m = math.Min(m, o.loss)
	}
	return m
}

// refitAt says whether the GP hyperparameters are refitted when the history has m trials:
// at every trial early on, then at a spacing that grows with the history, which keeps a
// 200-trial study fast. Between refits the model keeps the last hyperparameters and is
// conditioned on every observation.
func refitAt(m int) bool {
	if m <= 25 {
		return true
	}
	return m%max(1, m/10) == 0
}

func lastRefit(m int) int {
	for ; m > 0 && !refitAt(m); m-- {
	}
	return m
}

// hyper returns the hyperparameters fitted on the first m trials of the history. Each fit
// starts from the previous refit's result (plus the default, plus random starts while the
// history is short); results are cached by the observations they were fitted on, so a
// rebuilt algorithm recomputes exactly the same chain.
func (a *bayesOpt) hyper(history []Trial, m int, seed int64) []float64 {
	obs := a.space.observations(history[:m], a.sgn)
	if len(obs) < 2 {
		return defaultTheta(a.feat.width)
	}
	h := fnv.New64a()
	for _, o := range obs {
		fmt.Fprintf(h, "%d:%x", o.index, math.Float64bits(o.loss))
		for _, u := range o.u {
			fmt.Fprintf(h, ",%x", math.Float64bits(u))
		}
		h.Write([]byte{';'})
	}
	key := h.Sum64()
	a.mu.Lock()
	th, ok := a.cache[key]
	a.mu.Unlock()
	if ok {
		return th
	}
	starts := [][]float64{defaultTheta(a.feat.width)}
	if prev := lastRefit(m - 1); prev > 0 {
		starts = append([][]float64{a.hyper(history, prev, seed)}, starts...)
	}
	// Random restarts while the history is short and the likelihood surface still moves a
	// lot; later the previous optimum is a good start and a few iterations suffice.
	restarts, iterations := 0, 30
	if len(obs) <= 30 {
		restarts, iterations = 2, 50
	}
	xs, ys := a.data(obs)
	th = newGP(xs, ys).fit(starts, rngFor(seed, m, 14), restarts, iterations)
	a.mu.Lock()
	if a.cache == nil {
		a.cache = map[uint64][]float64{}
	}
	a.cache[key] = th
	a.mu.Unlock()
	return th
}

func (a *bayesOpt) data(obs []observation) ([][]float64, []float64) {
	xs := make([][]float64, 0, len(obs))
	ys := make([]float64, 0, len(obs))
	for _, o := range obs {
		xs = append(xs, a.feat.features(a.feat.snap(o.u)))
		ys = append(ys, o.loss)
	}
	return xs, ys
}

// model conditions the GP on the finished trials and adds the unfinished ones as liars.
func (a *bayesOpt) model(history []Trial, obs []observation, seed int64) *gp {
	theta := a.hyper(history, lastRefit(len(history)), seed)
	xs, ys := a.data(obs)
	g := newGP(xs, ys)
	g.setTheta(theta)
	best := minLoss(obs)
	for _, t := range history {
		if t.State.Finished() {
			continue
		}
		if u, ok := a.space.encode(t.Assignments); ok {
			x := a.feat.features(a.feat.snap(u))
			g.addPoint(x, best)
		}
	}
	return g
}

// acquisition scores points (higher is better) from the standardised posterior.
func (a *bayesOpt) acquisition(g *gp, xs [][]float64, best float64) []float64 {
	mu, sd := g.predict(xs)
	out := make([]float64, len(xs))
	for i := range xs {
		switch a.acq {
		case "pi":
			out[i] = phi((best - mu[i] - 0.01) / sd[i])
		case "lcb":
			out[i] = -(mu[i] - 1.96*sd[i])
		default:
			z := (best - mu[i]) / sd[i]
			out[i] = sd[i] * (z*phi(z) + math.Exp(-0.5*z*z)/math.Sqrt(2*math.Pi))
		}
	}
	return out
}

type candidate struct {
	u     []float64
	score float64
}

// maximise searches the acquisition over the unit cube and returns the best point whose
// assignments were not tried yet, or nil.
func (a *bayesOpt) maximise(g *gp, r *rand.Rand, obs []observation, seen map[string]bool) []float64 {
	d := len(a.space.params)
	best := math.Inf(1)
	for _, y := range g.y {
		best = math.Min(best, y)
	}
	var cands [][]float64
	for i := 0; i < 400+60*d; i++ {
		cands = append(cands, uniformPoint(r, d))
	}
	// Perturbations of the best trials: EI's maximum is usually near them.
	sorted := append([]observation(nil), obs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].loss < sorted[j].loss })
	for t := 0; t < min(5, len(sorted)); t++ {
		for _, scale := range []float64{0.1, 0.02, 0.004} {
			for i := 0; i < 12; i++ {
				u := make([]float64, d)
				for j := range u {
					u[j] = clamp01(sorted[t].u[j] + scale*r.NormFloat64())
				}
				cands = append(cands, u)
			}
		}
	}
	score := func(us [][]float64) []float64 {
		xs := make([][]float64, len(us))
		for i, u := range us {
			xs[i] = a.feat.features(a.feat.snap(u))
		}
		return a.acquisition(g, xs, best)
	}
	sc := score(cands)
	all := make([]candidate, len(cands))
	for i := range cands {
		all[i] = candidate{cands[i], sc[i]}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].score > all[j].score })
	// Local refinement: a stochastic hill climb with a shrinking step from the top few.
	top := all[:min(3, len(all))]
	for ti := range top {
		c := top[ti]
		step := 0.05
		for it := 0; it < 8; it++ {
			trial := make([][]float64, 6)
			for m := range trial {
				u := make([]float64, d)
				for j := range u {
					u[j] = clamp01(c.u[j] + step*r.NormFloat64())
				}
				trial[m] = u
			}
			ts := score(trial)
			improved := false
			for m := range trial {
				if ts[m] > c.score {
					c = candidate{trial[m], ts[m]}
					improved = true
				}
			}
			if !improved {
				step /= 2
			}
		}
		all = append(all, c)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].score > all[j].score })
	for _, c := range all {
		if !seen[assignmentKey(a.space.decode(c.u))] {
			return c.u
		}
	}
	return nil
}
