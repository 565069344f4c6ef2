package suggest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	RegisterMultiObjective("nsga2", newNSGA2, validateNSGA2)
}

// GenerationLabel records on each nsga2 trial the generation it was bred for. Like Optuna's
// generation attribute it is fixed when the trial is suggested, so the populations can be
// rebuilt from the stored history alone.
const GenerationLabel = "nsga2-generation"

// nsga2 is NSGA-II (Deb et al. 2002) as Optuna 3.1's NSGAIISampler runs it, with its setting
// names:
//
//   - Trials of generation 0 are drawn from the prior (as random does). A trial suggested
//     while generation g is the newest with population_size succeeded trials belongs to
//     generation g+1; trials that fail or are still running when a generation fills do not
//     count in it, so under parallel trials a generation may end up with more than
//     population_size members, as in Optuna.
//   - The parents of generation g+1 are the elite of generation g's succeeded trials and the
//     parents of g: ranked by non-dominated sorting, the last front that fits cut by crowding
//     distance, population_size in all.
//   - A child is, with probability crossover_prob, the uniform crossover of two parents
//     picked by binary tournaments on dominance (each parameter from the second parent with
//     probability swapping_prob), else a copy of one parent picked at random; then each
//     parameter is drawn again from its prior with probability mutation_prob (default
//     1/number of parameters that can take more than one value).
//
// One difference: a child identical to a trial already in the history is bred again (up to
// 32 times, then drawn from the prior), since here every trial costs a training run; Optuna
// would run it again.
//
// Nothing is kept between calls: every suggestion is computed from the history, with a
// generator derived from (seed, trial index), so a rebuilt algorithm (after a resume)
// suggests what the first one would have.
type nsga2 struct {
	space         *space
	seed          int64
	fixed         bool
	popSize       int
	mutationProb  float64 // negative: 1/len(params)
	crossoverProb float64
	swappingProb  float64
	objectives    []experiment.Objective
}

func readNSGA2Settings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *nsga2) {
	r := newAlgorithmSettings(spec, path)
	a := &nsga2{mutationProb: -1}
	// Optuna calls the seed "seed"; Katib's other algorithms call it random_state. Both work.
	if v, p, ok := r.lookup("seed"); ok {
		if _, _, both := r.lookup("random_state"); both {
			r.errs = append(r.errs, field.Invalid(p, v, "give the seed once: seed and random_state mean the same"))
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			r.errs = append(r.errs, field.Invalid(p, v, "seed must be a non-negative integer"))
		}
		a.seed, a.fixed = n, true
	} else {
		a.seed, a.fixed = r.seed()
	}
	a.popSize = r.integer("population_size", 50, 2)
	if _, _, ok := r.lookup("mutation_prob"); ok {
		a.mutationProb = r.float("mutation_prob", -1, 0, 1, false)
	}
	a.crossoverProb = r.float("crossover_prob", 0.9, 0, 1, false)
	a.swappingProb = r.float("swapping_prob", 0.5, 0, 1, false)
	r.unknown("nsga2")
	return r, a
}

func validateNSGA2(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readNSGA2Settings(spec, path)
	return r.errs
}

func newNSGA2(spec *experiment.ExperimentSpec, objectives []experiment.Objective) (Algorithm, error) {
	r, a := readNSGA2Settings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	if len(objectives) == 0 {
		return nil, fmt.Errorf("nsga2 needs an objective")
	}
	sp, err := newSpace(spec)
	if err != nil {
		return nil, err
	}
	a.space, a.objectives = sp, objectives
	return a, nil
}

// member is a succeeded trial of a generation.
type member struct {
	index  int // position in the history
	losses []float64
}

// losses are a trial's objective values as losses, false when any is missing.
func (a *nsga2) losses(t Trial) ([]float64, bool) {
	if len(a.objectives) == 1 {
		if t.Objective == nil {
			return nil, false
		}
		return Losses([]float64{*t.Objective}, a.objectives)
	}
	return Losses(t.Objectives, a.objectives)
}

// parents rebuilds the newest parent population from the history: the newest generation
// that has filled, and the population it produced.
func (a *nsga2) parents(history []Trial) (int, []member) {
	byGen := map[int][]member{}
	for i, t := range history {
		g, err := strconv.Atoi(t.Labels[GenerationLabel])
		if err != nil || t.State != StateSucceeded {
			continue
		}
		if l, ok := a.losses(t); ok {
			byGen[g] = append(byGen[g], member{index: i, losses: l})
		}
	}
	gen := -1
	var pop []member
	for len(byGen[gen+1]) >= a.popSize {
		gen++
		pop = a.elite(append(append([]member(nil), byGen[gen]...), pop...))
	}
	return gen, pop
}

// elite keeps popSize members: whole fronts while they fit, then the most isolated members
// (largest crowding distance) of the front that does not.
func (a *nsga2) elite(candidates []member) []member {
	// Ties are broken by age, so the same history always gives the same parents.
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].index < candidates[j].index })
	points := make([][]float64, len(candidates))
	for i, m := range candidates {
		points[i] = m.losses
	}
	var out []member
	for _, front := range NonDominatedSort(points) {
		if len(out)+len(front) < a.popSize {
			for _, i := range front {
				out = append(out, candidates[i])
			}
			continue
		}
		dist := CrowdingDistance(points, front)
		sort.SliceStable(front, func(x, y int) bool { return dist[front[x]] > dist[front[y]] })
		for _, i := range front[:a.popSize-len(out)] {
			out = append(out, candidates[i])
		}
		break
	}
	return out
}

func (a *nsga2) Suggest(history []Trial, n int) ([]Suggestion, error) {
	seed := resolveSeed(a.seed, a.fixed, history)
	seen := map[string]bool{}
	for _, t := range history {
		seen[assignmentKey(t.Assignments)] = true
	}
	gen, pop := a.parents(history)
	labels := func() map[string]string {
		return withSeed(map[string]string{GenerationLabel: strconv.Itoa(gen + 1)}, seed, a.fixed)
	}
	out := make([]Suggestion, 0, n)
	for i := 0; i < n; i++ {
		k := len(history) + i
		var as []experiment.ParameterAssignment
		if gen >= 0 {
			for attempt := 0; attempt < 32; attempt++ {
				as = a.child(history, pop, rngFor(seed, k, uint64(41+attempt)))
				if !seen[assignmentKey(as)] {
					break
				}
			}
		}
		if as == nil || seen[assignmentKey(as)] {
			as = randomAssignments(a.space, seed, k, seen)
		}
		seen[assignmentKey(as)] = true
		out = append(out, Suggestion{Assignments: as, Labels: labels()})
	}
	return out, nil
}

// child breeds one suggestion from the parent population.
func (a *nsga2) child(history []Trial, pop []member, r *rand.Rand) []experiment.ParameterAssignment {
	var values []string
	if r.Float64() < a.crossoverProb {
		p0 := a.tournament(pop, r)
		rest := make([]member, 0, len(pop)-1)
		for _, m := range pop {
			if m.index != p0.index {
				rest = append(rest, m)
			}
		}
		p1 := a.tournament(rest, r)
		v0, v1 := a.valuesOf(history[p0.index]), a.valuesOf(history[p1.index])
		values = make([]string, len(a.space.params))
		for j := range values {
			values[j] = v0[j]
			if r.Float64() >= a.swappingProb {
				values[j] = v1[j]
			}
		}
	} else {
		values = a.valuesOf(history[pop[r.IntN(len(pop))].index])
	}
	prob := a.mutationProb
	if prob < 0 {
		// Optuna counts only the parameters that can take more than one value.
		varying := 0
		for j := range a.space.params {
			if p := &a.space.params[j]; (p.kind == kindList && len(p.list) > 1) || (p.kind != kindList && p.max > p.min) {
				varying++
			}
		}
		prob = 1 / math.Max(1, float64(varying))
	}
	out := make([]experiment.ParameterAssignment, len(a.space.params))
	for j := range a.space.params {
		p := &a.space.params[j]
		mutate := r.Float64() < prob
		v := values[j]
		if mutate || v == "" {
			v = p.format(p.value(r.Float64()))
		}
		out[j] = experiment.ParameterAssignment{Name: p.name, Value: v}
	}
	return out
}

// tournament is Optuna's binary tournament: of two members picked at random, the one that
// dominates the other, else the first.
func (a *nsga2) tournament(pop []member, r *rand.Rand) member {
	c0, c1 := pop[r.IntN(len(pop))], pop[r.IntN(len(pop))]
	if Dominates(c1.losses, c0.losses) {
		return c1
	}
	return c0
}

// valuesOf returns a trial's assignment of every parameter in spec order ("" for one it
// lacks, which is then drawn from the prior); parents pass their values on verbatim, so a
// child never drifts from them by rounding.
func (a *nsga2) valuesOf(t Trial) []string {
	out := make([]string, len(a.space.params))
	for j, p := range a.space.params {
		for _, as := range t.Assignments {
			if as.Name == p.name {
				out[j] = as.Value
				break
			}
		}
	}
	return out
}
