package suggest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	Register("grid", newGrid, validateGrid)
}

// gridSearch walks every combination of the parameters' levels in a fixed order (the first
// parameter varies slowest), skipping combinations already in the history in any state, so
// running trials are never suggested twice and a resume continues where the walk stopped.
// Levels follow Katib: ints from min to max by step (default 1), doubles from min by their
// required step up to max, categorical and discrete lists as listed. Distributions do not
// apply to a grid.
type gridSearch struct {
	space  *space
	levels []int
	total  int
}

// maxGrid caps the grid size we enumerate; Katib would also refuse to materialise more.
const maxGrid = 1 << 40

func gridErrors(spec *experiment.ExperimentSpec, path *field.Path) (field.ErrorList, int) {
	r := newAlgorithmSettings(spec, path)
	r.unknown("grid")
	errs := r.errs
	root := field.NewPath("spec")
	if path != nil {
		root = path.Root()
	}
	total := 1
	for i, ps := range spec.Parameters {
		pp := root.Child("parameters").Index(i)
		if ps.ParameterType == experiment.ParameterTypeDouble && ps.FeasibleSpace.Step == "" {
			errs = append(errs, field.Required(pp.Child("feasibleSpace", "step"),
				fmt.Sprintf("the grid algorithm needs a step for double parameter %q", ps.Name)))
			continue
		}
		p, err := parseParam(ps)
		if err != nil {
			errs = append(errs, field.Invalid(pp, ps.Name, err.Error()))
			continue
		}
		if total < maxGrid {
			total *= p.levels()
		}
	}
	if len(errs) == 0 && spec.MaxTrialCount != nil && int(*spec.MaxTrialCount) > total {
		errs = append(errs, field.Invalid(root.Child("maxTrialCount"), *spec.MaxTrialCount,
			fmt.Sprintf("maxTrialCount cannot exceed the %d combinations of the grid", total)))
	}
	return errs, total
}

func validateGrid(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	errs, _ := gridErrors(spec, path)
	return errs
}

func newGrid(spec *experiment.ExperimentSpec) (Algorithm, error) {
	if errs, _ := gridErrors(spec, nil); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	sp, err := newSpace(spec)
	if err != nil {
		return nil, err
	}
	g := &gridSearch{space: sp, total: 1}
	for i := range sp.params {
		l := sp.params[i].levels()
		g.levels = append(g.levels, l)
		if g.total < maxGrid {
			g.total *= l
		}
	}
	if g.total >= maxGrid {
		return nil, fmt.Errorf("the grid has more than %d combinations", maxGrid)
	}
	return g, nil
}

func (g *gridSearch) point(idx int) []experiment.ParameterAssignment {
	out := make([]experiment.ParameterAssignment, len(g.levels))
	for i := len(g.levels) - 1; i >= 0; i-- {
		k := idx % g.levels[i]
		idx /= g.levels[i]
		p := &g.space.params[i]
		var v float64
		if p.kind == kindList {
			v = float64(k)
		} else {
			v = p.levelValue(k)
		}
		out[i] = experiment.ParameterAssignment{Name: p.name, Value: p.format(v)}
	}
	return out
}

func (g *gridSearch) Suggest(history []Trial, n int) ([]Suggestion, error) {
	seen := make(map[string]bool, len(history))
	for _, t := range history {
		seen[assignmentKey(t.Assignments)] = true
	}
	var out []Suggestion
	for idx := 0; idx < g.total && len(out) < n; idx++ {
		as := g.point(idx)
		if key := assignmentKey(as); !seen[key] {
			seen[key] = true
			out = append(out, Suggestion{Assignments: as})
		}
	}
	if len(out) == 0 && n > 0 {
		return nil, ErrExhausted
	}
	return out, nil
}
