package suggest

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	Register("hyperband", newHyperband, validateHyperband)
}

// Labels hyperband puts on its suggestions; the history hands them back, which is all the
// state the algorithm needs.
const (
	labelBracket = "hyperband-bracket"
	labelRung    = "hyperband-rung"
)

// hyperband follows Katib's hyperband service: s_max = int(log(r_l)/log(eta)); brackets run
// one after another from s = s_max down to 0; bracket s starts n = ceil((s_max+1)·eta^s/(s+1))
// random configurations with budget int(r_l·eta^-s) in the resource parameter, and each next
// rung promotes the best ceil(ceil(n·eta^-i)/eta) of the previous rung with budget
// int(r_l·eta^(i-s)). A rung is promoted only when every trial of the rung before it finished,
// so while trials run the algorithm returns fewer suggestions (possibly none). As in Katib, the
// next bracket starts as soon as a bracket's last rung has been suggested. When the last
// bracket's last rung has been suggested it returns ErrExhausted. Assignments of the resource
// parameter are the budgets, even outside its feasible space (Katib does the same: its
// example declares num-epochs 1..1 and runs budgets 1 and 2).
type hyperband struct {
	space    *space
	seed     int64
	fixed    bool
	resource string
	rl       float64
	eta      float64
	sMax     int
	sgn      float64
}

func readHyperbandSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *hyperband) {
	r := newAlgorithmSettings(spec, path)
	h := &hyperband{eta: 3}
	h.seed, h.fixed = r.seed()
	root := field.NewPath("spec")
	if path != nil {
		root = path.Root()
	}
	name, namePath, hasName := r.lookup("resource_name")
	rlStr, rlPath, hasRl := r.lookup("r_l")
	if !hasName || !hasRl {
		r.errs = append(r.errs, field.Required(r.path, "r_l and resource_name must be set"))
	}
	if hasRl {
		v, err := strconv.ParseFloat(rlStr, 64)
		if err != nil || v <= 0 {
			r.errs = append(r.errs, field.Invalid(rlPath, rlStr, "r_l must be a positive number"))
		} else {
			h.rl = v
		}
	}
	if etaStr, etaPath, ok := r.lookup("eta"); ok {
		v, err := strconv.ParseFloat(etaStr, 64)
		if err != nil {
			r.errs = append(r.errs, field.Invalid(etaPath, etaStr, "eta must be a number"))
		} else if e := math.Trunc(v); e > 1 {
			h.eta = e
		} else if e == 1 {
			r.errs = append(r.errs, field.Invalid(etaPath, etaStr, "eta must be at least 2"))
		} // Katib replaces eta <= 0 by 3
	}
	if hasName {
		h.resource = name
		found := false
		for _, p := range spec.Parameters {
			if p.Name == name {
				found = true
				if p.ParameterType != experiment.ParameterTypeInt && p.ParameterType != experiment.ParameterTypeDouble {
					r.errs = append(r.errs, field.Invalid(namePath, name, "the resource parameter must be an int or double parameter"))
				}
			}
		}
		if !found {
			r.errs = append(r.errs, field.Invalid(namePath, name, "value of resource_name setting must be in parameters"))
		}
	}
	if h.rl > 0 {
		h.sMax = max(0, int(math.Log(h.rl)/math.Log(h.eta)))
		maxParallel := int(math.Ceil(math.Pow(h.eta, float64(h.sMax))))
		if spec.ParallelTrialCount != nil && int(*spec.ParallelTrialCount) < maxParallel {
			r.errs = append(r.errs, field.Invalid(root.Child("parallelTrialCount"), *spec.ParallelTrialCount,
				fmt.Sprintf("parallelTrialCount must be not less than %d for hyperband with r_l=%v and eta=%v", maxParallel, h.rl, h.eta)))
		}
	}
	r.unknown("hyperband")
	return r, h
}

func validateHyperband(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readHyperbandSettings(spec, path)
	return r.errs
}

func newHyperband(spec *experiment.ExperimentSpec) (Algorithm, error) {
	r, h := readHyperbandSettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	sp, err := newSpace(spec)
	if err != nil {
		return nil, err
	}
	h.space, h.sgn = sp, sign(spec)
	return h, nil
}

// bracketSize is n for bracket s.
func (h *hyperband) bracketSize(s int) int {
	return int(math.Ceil(float64(h.sMax+1) * math.Pow(h.eta, float64(s)) / float64(s+1)))
}

// rungSize is how many trials rung i of bracket s holds.
func (h *hyperband) rungSize(s, i int) int {
	n := h.bracketSize(s)
	if i == 0 {
		return n
	}
	ni := math.Ceil(float64(n) * math.Pow(h.eta, -float64(i-1)))
	return int(math.Ceil(ni / h.eta))
}

// budget is the resource value of rung i of bracket s.
func (h *hyperband) budget(s, i int) int {
	r := h.rl * math.Pow(h.eta, -float64(s))
	return int(r * math.Pow(h.eta, float64(i)))
}

func (h *hyperband) withResource(as []experiment.ParameterAssignment, s, i int) []experiment.ParameterAssignment {
	out := make([]experiment.ParameterAssignment, len(as))
	for j, a := range as {
		if a.Name == h.resource {
			a.Value = strconv.Itoa(h.budget(s, i))
		}
		out[j] = a
	}
	return out
}

func (h *hyperband) labels(seed int64, s, i int) map[string]string {
	return withSeed(map[string]string{labelBracket: strconv.Itoa(s), labelRung: strconv.Itoa(i)}, seed, h.fixed)
}

func (h *hyperband) Suggest(history []Trial, n int) ([]Suggestion, error) {
	seed := resolveSeed(h.seed, h.fixed, history)
	rung := map[[2]int][]Trial{}
	for _, t := range history {
		s, err1 := strconv.Atoi(t.Labels[labelBracket])
		i, err2 := strconv.Atoi(t.Labels[labelRung])
		if err1 == nil && err2 == nil {
			rung[[2]int{s, i}] = append(rung[[2]int{s, i}], t)
		}
	}
	seen := map[string]bool{}
	for _, t := range history {
		seen[assignmentKey(t.Assignments)] = true
	}
	var out []Suggestion
	k := len(history)
	for s := h.sMax; s >= 0; s-- {
		for i := 0; i <= s; i++ {
			have := rung[[2]int{s, i}]
			want := h.rungSize(s, i)
			if len(have) >= want {
				continue // this rung is fully suggested
			}
			if i == 0 {
				for j := len(have); j < want && len(out) < n; j++ {
					as := h.withResource(randomAssignments(h.space, seed, k, seen), s, 0)
					seen[assignmentKey(as)] = true
					k++
					out = append(out, Suggestion{Assignments: as, Labels: h.labels(seed, s, 0)})
				}
				return out, nil
			}
			prev := rung[[2]int{s, i - 1}]
			for _, t := range prev {
				if !t.State.Finished() {
					return out, nil // promotion waits for the whole previous rung
				}
			}
			top := h.best(prev)
			for j := len(have); j < want && j < len(top) && len(out) < n; j++ {
				out = append(out, Suggestion{Assignments: h.withResource(top[j].Assignments, s, i), Labels: h.labels(seed, s, i)})
			}
			return out, nil
		}
	}
	if len(out) == 0 && n > 0 {
		return nil, ErrExhausted
	}
	return out, nil
}

// best orders a rung's trials best first; trials without an objective come last, ties keep
// the order of the history.
func (h *hyperband) best(ts []Trial) []Trial {
	sorted := append([]Trial(nil), ts...)
	loss := func(t Trial) float64 {
		if t.Objective == nil || math.IsNaN(*t.Objective) || (t.State != StateSucceeded && t.State != StateEarlyStopped) {
			return math.Inf(1)
		}
		return h.sgn * *t.Objective
	}
	sort.SliceStable(sorted, func(a, b int) bool { return loss(sorted[a]) < loss(sorted[b]) })
	return sorted
}
