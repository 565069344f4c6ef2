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
//
// acq_func gp_hedge is skopt's portfolio: every ask proposes one point per acquisition (EI,
// LCB, PI) and picks one of them at random with probability softmax(eta·gains); see
// hedgeGains for how the gains are recomputed from the history instead of being carried
// between calls.
type bayesOpt struct {
	space    *space
	seed     int64
	fixed    bool
	nInitial int
	acq      string
	eta      float64
	sgn      float64
	feat     *featureMap

	mu        sync.Mutex
	cache     map[uint64][]float64   // fitted hyperparameters by the observations they saw
	proposals map[uint64][][]float64 // gp_hedge: each acquisition's proposal by the history before the ask
}

// hedgeAcqs are gp_hedge's acquisitions, in skopt's order.
var hedgeAcqs = []string{"ei", "lcb", "pi"}

func readBOSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *bayesOpt) {
	r := newAlgorithmSettings(spec, path)
	a := &bayesOpt{}
	a.seed, a.fixed = r.seed()
	a.nInitial = r.integer("n_initial_points", 10, 1)
	a.acq = r.str("acq_func", "ei", "ei", "EI", "pi", "PI", "lcb", "LCB", "gp_hedge")
	// skopt reads eta from acq_func_kwargs; here it is a setting of its own. It only matters
	// to gp_hedge, and is accepted with any acq_func as skopt ignores it there too.
	a.eta = r.float("eta", 1, 0, math.MaxFloat64, false)
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
	var gains []float64
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
				model = a.posterior(history, obs, seed)
				if a.acq == "gp_hedge" {
					// From the model of the finished trials alone: the liars below would
					// flatter proposals near the running ones.
					gains = a.hedgeGains(history, model, seed)
				}
				a.addLiars(model, history, obs)
			}
			var u []float64
			if a.acq == "gp_hedge" {
				props := a.maximise(model, rngFor(seed, k, 13), obs, seen, hedgeAcqs)
				if i == 0 && settled(history) {
					// A later ask's gains replay this one; it would compute the same.
					a.storeProposals(prefixHashes(history)[k], props)
				}
				u = hedgePick(props, gains, a.eta, rngFor(seed, k, 15).Float64())
			} else {
				u = a.maximise(model, rngFor(seed, k, 13), obs, seen, []string{a.acq})[0]
			}
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
// at every trial early on, then every s trials where s is m/10 rounded down to a power of
// two (2 from 26 trials, 4 from 40, 8 from 80, 16 from 160, 32 from 320 ...), so a fit, whose
// cost grows with the cube of the points it sees, comes about every tenth to twentieth trial
// of a long study. Between refits the model keeps the last hyperparameters and is conditioned
// on every observation.
func refitAt(m int) bool {
	if m <= 25 {
		return true
	}
	s := 1
	for s*2 <= m/10 {
		s *= 2
	}
	return m%s == 0
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
	xs, ys := a.data(fitSubset(obs))
	th = newGP(xs, ys).fit(starts, rngFor(seed, m, 14), restarts, iterations)
	a.mu.Lock()
	if a.cache == nil {
		a.cache = map[uint64][]float64{}
	}
	a.cache[key] = th
	a.mu.Unlock()
	return th
}

// maxFitPoints caps the observations the hyperparameters are fitted on. A fit costs O(n³) per
// likelihood evaluation, tens of evaluations each, so on a 500-trial history it took seconds;
// the hyperparameters (length scales, signal and noise level) are well determined by a few
// hundred points, while the posterior that the acquisition reads still conditions on every one.
const maxFitPoints = 200

// fitSubset returns at most maxFitPoints observations for the hyperparameter fit: all of them
// while there are few enough, else the best half (where the search now works, so the length
// scales fit the function there) and the most recent of the others (the regions the search
// explored last), in history order.
func fitSubset(obs []observation) []observation {
	if len(obs) <= maxFitPoints {
		return obs
	}
	order := make([]int, len(obs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return obs[order[i]].loss < obs[order[j]].loss })
	keep := make([]bool, len(obs))
	for _, i := range order[:maxFitPoints/2] {
		keep[i] = true
	}
	for i, left := len(obs)-1, maxFitPoints-maxFitPoints/2; i >= 0 && left > 0; i-- {
		if !keep[i] {
			keep[i] = true
			left--
		}
	}
	out := make([]observation, 0, maxFitPoints)
	for i, o := range obs {
		if keep[i] {
			out = append(out, o)
		}
	}
	return out
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

// posterior is the GP conditioned on the finished trials, with the hyperparameters of the
// last refit.
func (a *bayesOpt) posterior(history []Trial, obs []observation, seed int64) *gp {
	theta := a.hyper(history, lastRefit(len(history)), seed)
	xs, ys := a.data(obs)
	g := newGP(xs, ys)
	g.setTheta(theta)
	return g
}

// addLiars adds the unfinished trials at the best value seen (the constant liar).
func (a *bayesOpt) addLiars(g *gp, history []Trial, obs []observation) {
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
}

// acquisition scores points (higher is better) from the standardised posterior mean and
// standard deviation.
func acquisition(kind string, mu, sd []float64, best float64) []float64 {
	out := make([]float64, len(mu))
	for i := range mu {
		switch kind {
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

// maximise searches each acquisition of acqs over the unit cube and returns, for each, the
// best point whose assignments were not tried yet (nil when there is none). The acquisitions
// share one pool of candidates (random points and perturbations of the best trials) and its
// posterior, which is most of the cost, and each refines its own top few by a hill climb.
func (a *bayesOpt) maximise(g *gp, r *rand.Rand, obs []observation, seen map[string]bool, acqs []string) [][]float64 {
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
	predict := func(us [][]float64) ([]float64, []float64) {
		xs := make([][]float64, len(us))
		for i, u := range us {
			xs[i] = a.feat.features(a.feat.snap(u))
		}
		return g.predict(xs)
	}
	poolMu, poolSd := predict(cands)
	out := make([][]float64, len(acqs))
	for ai, kind := range acqs {
		score := func(us [][]float64) []float64 {
			mu, sd := predict(us)
			return acquisition(kind, mu, sd, best)
		}
		sc := acquisition(kind, poolMu, poolSd, best)
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
				out[ai] = c.u
				break
			}
		}
	}
	return out
}

// hedgeWindow is how many earlier asks gp_hedge's gains are summed over.
const hedgeWindow = 10

// hedgeGains returns gp_hedge's gain of each acquisition for the next ask. skopt keeps the
// gains between asks, subtracting after every observation the new model's predicted mean at
// each acquisition's last proposal, so an acquisition whose proposals the model expects to be
// good gains weight. Here nothing is kept: the gains are recomputed from the history by this
// rule, which makes them the same for a rebuilt algorithm after a resume.
//
//   - The asks replayed are the last hedgeWindow model-based ones (from n_initial_points on)
//     whose earlier trials have all finished. Their proposals are what Suggest computes from
//     the history before them with that ask's generator, so in a sequential study they are
//     exactly the points that ask chose among. Asks made while earlier trials still ran are
//     replayed once those finish, from the history as it is then.
//   - Each acquisition's gain is minus the sum of the current posterior mean (standardised:
//     in units of the objective's standard deviation) at its replayed proposals. skopt sums
//     raw means over every ask, each from the model of that moment; the current model has
//     seen more, standardising makes eta independent of the objective's units, and the
//     window keeps the choice adaptive and the replay bounded.
//
// A replay costs one posterior and one acquisition search, so proposals are cached by the
// history they came from: a study that runs in one process computes each ask's proposals
// once, and a rebuilt algorithm recomputes at most hedgeWindow of them.
func (a *bayesOpt) hedgeGains(history []Trial, g *gp, seed int64) []float64 {
	gains := make([]float64, len(hedgeAcqs))
	hashes := prefixHashes(history)
	var pts [][]float64
	used := 0
	for j := len(history) - 1; j >= a.nInitial && used < hedgeWindow; j-- {
		if !settled(history[:j]) {
			continue
		}
		props := a.replay(history[:j], hashes[j], seed)
		if props == nil {
			continue
		}
		used++
		for _, u := range props {
			pts = append(pts, a.feat.features(a.feat.snap(u)))
		}
	}
	if len(pts) == 0 {
		return gains
	}
	mu, _ := g.predict(pts)
	for i, m := range mu {
		gains[i%len(hedgeAcqs)] -= m
	}
	return gains
}

// replay returns the proposals of the ask made after prefix (every trial of which finished),
// or nil when that ask was not model-based or an acquisition had nothing new to propose.
func (a *bayesOpt) replay(prefix []Trial, key uint64, seed int64) [][]float64 {
	a.mu.Lock()
	props, ok := a.proposals[key]
	a.mu.Unlock()
	if ok {
		return props
	}
	obs := a.space.observations(prefix, a.sgn)
	if len(obs) >= 2 {
		seen := map[string]bool{}
		for _, t := range prefix {
			seen[assignmentKey(t.Assignments)] = true
		}
		g := a.posterior(prefix, obs, seed)
		props = a.maximise(g, rngFor(seed, len(prefix), 13), obs, seen, hedgeAcqs)
		for _, u := range props {
			if u == nil {
				props = nil
				break
			}
		}
	}
	a.storeProposals(key, props)
	return props
}

// maxStoredProposals bounds the proposal cache; a full cache is emptied, since only the last
// hedgeWindow asks are ever looked up again.
const maxStoredProposals = 4096

func (a *bayesOpt) storeProposals(key uint64, props [][]float64) {
	for _, u := range props {
		if u == nil {
			props = nil // as replay records it, so both agree on what the cache holds
			break
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.proposals == nil || len(a.proposals) >= maxStoredProposals {
		a.proposals = map[uint64][][]float64{}
	}
	a.proposals[key] = props
}

// settled reports whether every trial of the history has finished.
func settled(history []Trial) bool {
	for _, t := range history {
		if !t.State.Finished() {
			return false
		}
	}
	return true
}

// prefixHashes returns, for every j from 0 to len(history), a hash of history[:j]: what a
// replayed ask depends on (assignments, states, objective values, in order).
func prefixHashes(history []Trial) []uint64 {
	out := make([]uint64, len(history)+1)
	h := fnv.New64a()
	out[0] = h.Sum64()
	for i, t := range history {
		fmt.Fprintf(h, "%s|%s|", assignmentKey(t.Assignments), t.State)
		if t.Objective != nil {
			fmt.Fprintf(h, "%x", math.Float64bits(*t.Objective))
		}
		h.Write([]byte{';'})
		out[i+1] = h.Sum64()
	}
	return out
}

// hedgePick chooses one of the proposals with probability softmax(eta·gains), by the uniform
// draw r. An acquisition without a proposal is not chosen; nil when none has one.
func hedgePick(props [][]float64, gains []float64, eta, r float64) []float64 {
	w := hedgeProbabilities(props, gains, eta)
	for i, p := range w {
		if r < p {
			return props[i]
		}
		r -= p
	}
	for i := len(props) - 1; i >= 0; i-- {
		if props[i] != nil && w[i] > 0 {
			return props[i] // r fell in the rounding error above the last weight
		}
	}
	return nil
}

func hedgeProbabilities(props [][]float64, gains []float64, eta float64) []float64 {
	top := math.Inf(-1)
	for i, g := range gains {
		if props[i] != nil {
			top = math.Max(top, g)
		}
	}
	w := make([]float64, len(gains))
	sum := 0.0
	for i, g := range gains {
		if props[i] != nil {
			w[i] = math.Exp(eta * (g - top)) // shifted by the largest, as skopt does, so no overflow
			sum += w[i]
		}
	}
	for i := range w {
		if sum > 0 {
			w[i] /= sum
		}
	}
	return w
}
