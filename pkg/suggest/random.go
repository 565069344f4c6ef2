package suggest

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	Register("random", newRandom, validateRandom)
}

// randomSearch draws every parameter independently from its prior. The k-th suggestion of
// an experiment uses a generator derived from (seed, k), so a rebuilt algorithm continues the
// same sequence.
type randomSearch struct {
	space *space
	seed  int64
	fixed bool
}

func readRandomSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, int64, bool) {
	r := newAlgorithmSettings(spec, path)
	seed, fixed := r.seed()
	r.unknown("random")
	return r, seed, fixed
}

func validateRandom(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _, _ := readRandomSettings(spec, path)
	return r.errs
}

func newRandom(spec *experiment.ExperimentSpec) (Algorithm, error) {
	sp, seed, fixed, err := seededSpace(spec)
	if err != nil {
		return nil, err
	}
	return &randomSearch{space: sp, seed: seed, fixed: fixed}, nil
}

// seededSpace reads the settings random and sobol share (random_state) and their space.
func seededSpace(spec *experiment.ExperimentSpec) (*space, int64, bool, error) {
	r, seed, fixed := readRandomSettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, 0, false, err
	}
	sp, err := newSpace(spec)
	return sp, seed, fixed, err
}

func (a *randomSearch) Suggest(history []Trial, n int) ([]Suggestion, error) {
	seed := resolveSeed(a.seed, a.fixed, history)
	seen := map[string]bool{}
	for _, t := range history {
		seen[assignmentKey(t.Assignments)] = true
	}
	out := make([]Suggestion, 0, n)
	for i := 0; i < n; i++ {
		k := len(history) + i
		as := randomAssignments(a.space, seed, k, seen)
		seen[assignmentKey(as)] = true
		out = append(out, Suggestion{Assignments: as, Labels: withSeed(nil, seed, a.fixed)})
	}
	return out, nil
}

// randomAssignments draws the k-th random point, redrawing a few times (deterministically)
// when a small discrete space hands back a point that was already tried.
func randomAssignments(sp *space, seed int64, k int, seen map[string]bool) []experiment.ParameterAssignment {
	var as []experiment.ParameterAssignment
	for attempt := 0; attempt < 32; attempt++ {
		r := rngFor(seed, k, uint64(1+attempt))
		as = sp.decode(uniformPoint(r, len(sp.params)))
		if !seen[assignmentKey(as)] {
			break
		}
	}
	return as
}
