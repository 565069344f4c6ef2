package suggest

import (
	"fmt"
	"hash/crc32"
	"math"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	RegisterEarlyStopper("hyperband", newHyperbandPruner, validateHyperbandPruner)
}

// hyperbandPruner is Optuna's HyperbandPruner: floor(log_rf(max_resource/min_resource))+1
// brackets of successive halving, bracket b starting its rungs at min_resource·rf^b, so bracket 0
// prunes hardest and the last one lets trials run longest before judging them. Each trial joins
// a bracket by a hash of its name, weighted as Hyperband sizes its brackets
// (ceil(n·rf^s/(s+1)) with s = n-1-b), and competes only with the trials of its bracket.
//
// Unlike the hyperband search algorithm, which plans a fixed number of trials per bracket and
// then ends, the bracket of a trial depends on nothing but its name, so the pruner goes on for
// as many trials as the experiment runs, with whatever search algorithm suggests them.
//
// Without max_resource, Optuna fixes the brackets from the longest completed trial when it first
// prunes; here they are worked out again at every report from the longest succeeded trial, so
// that a resumed run places trials as the first run did. The two differ only when succeeded
// trials report different numbers of steps.
type hyperbandPruner struct {
	minResource, maxResource, rf int
	sgn                          float64
	metric                       string
	memory                       stepMemory
}

func readHyperbandPrunerSettings(spec *experiment.ExperimentSpec, path *field.Path) (*settingsReader, *hyperbandPruner) {
	r := newEarlyStoppingSettings(spec, path)
	h := &hyperbandPruner{}
	h.minResource = r.integer("min_resource", 1, 1)
	if r.has("max_resource") {
		h.maxResource = r.integer("max_resource", 0, 1)
		if v, p, _ := r.lookup("max_resource"); h.maxResource != 0 && h.maxResource < h.minResource {
			r.errs = append(r.errs, field.Invalid(p, v, fmt.Sprintf("max_resource must be at least min_resource (%d)", h.minResource)))
		}
	}
	h.rf = r.integer("reduction_factor", 3, 2)
	r.unknown("hyperband")
	return r, h
}

func validateHyperbandPruner(spec *experiment.ExperimentSpec, path *field.Path) field.ErrorList {
	r, _ := readHyperbandPrunerSettings(spec, path)
	return r.errs
}

func newHyperbandPruner(spec *experiment.ExperimentSpec) (EarlyStopper, error) {
	r, h := readHyperbandPrunerSettings(spec, nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	h.sgn, h.metric = sign(spec), metricName(spec)
	return h, nil
}

// brackets returns the bracket budgets for a maximum resource; none when it is below
// min_resource. The number of brackets is floor(log_rf(max/min))+1, counted in integers:
// Optuna computes the logarithm in floating point, which puts some exact powers (243 = 3^5)
// just below their logarithm and so drops a bracket.
func (h *hyperbandPruner) brackets(maxResource int) []int {
	n := 0
	for r := h.minResource; r <= maxResource; r *= h.rf {
		n++
		if r > math.MaxInt32/h.rf {
			break
		}
	}
	if n == 0 {
		return nil
	}
	budgets := make([]int, n)
	for b := range budgets {
		s := n - 1 - b
		budgets[b] = int(math.Ceil(float64(n) * math.Pow(float64(h.rf), float64(s)) / float64(s+1)))
	}
	return budgets
}

// bracketOf is the bracket a trial name falls in. The CRC-32 of the name is what Optuna hashes
// (of "<study>_<number>" there), so the split of trials among brackets is the same.
func bracketOf(name string, budgets []int) int {
	total := 0
	for _, b := range budgets {
		total += b
	}
	n := int(uint64(crc32.ChecksumIEEE([]byte(name))) % uint64(total))
	for b, size := range budgets {
		n -= size
		if n < 0 {
			return b
		}
	}
	return len(budgets) - 1
}

// maxStep is max_resource, or else the most steps a succeeded trial reported (Optuna counts
// completed trials only: a stopped trial reported fewer steps than the trainer runs).
func (h *hyperbandPruner) maxStep(history []Trial) int {
	if h.maxResource > 0 {
		return h.maxResource
	}
	most := 0
	for _, t := range history {
		if t.State == StateSucceeded {
			most = max(most, len(t.Reports))
		}
	}
	return most
}

// ShouldStop implements EarlyStopper.
func (h *hyperbandPruner) ShouldStop(trial Trial, history []Trial) (bool, string) {
	from := h.memory.since(trial.Name, len(trial.Reports))
	budgets := h.brackets(h.maxStep(history))
	if len(budgets) == 0 {
		// Without max_resource the brackets wait for a trial to succeed with at least
		// min_resource steps, as Optuna's do.
		return false, ""
	}
	b := bracketOf(trial.Name, budgets)
	var rivals []Trial
	for _, t := range history {
		if t.Name != trial.Name && bracketOf(t.Name, budgets) == b {
			rivals = append(rivals, t)
		}
	}
	sh := halving{minResource: h.minResource, rf: h.rf, rate: b, sgn: h.sgn, metric: h.metric}
	_, stop, reason := sh.judge(trial, from, rivals, " in its bracket", fmt.Sprintf("hyperband, bracket %d of %d", b, len(budgets)))
	return stop, reason
}
