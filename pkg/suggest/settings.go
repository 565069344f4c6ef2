package suggest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// Validators receive the path of spec.algorithm (or spec.earlyStopping) and report errors at
// spec.algorithm.algorithmSettings[i].value, or at spec.algorithm.algorithmSettings for a
// setting that is missing.

// settingsReader parses name/value settings and collects field errors as it goes.
type settingsReader struct {
	names  []string
	values []string
	used   map[string]bool
	path   *field.Path
	errs   field.ErrorList
}

func newAlgorithmSettings(spec *experiment.ExperimentSpec, path *field.Path) *settingsReader {
	if path == nil {
		path = field.NewPath("spec", "algorithm")
	}
	r := &settingsReader{used: map[string]bool{}, path: path.Child("algorithmSettings")}
	if spec.Algorithm != nil {
		for _, s := range spec.Algorithm.AlgorithmSettings {
			r.names = append(r.names, s.Name)
			r.values = append(r.values, s.Value)
		}
	}
	return r
}

func newEarlyStoppingSettings(spec *experiment.ExperimentSpec, path *field.Path) *settingsReader {
	if path == nil {
		path = field.NewPath("spec", "earlyStopping")
	}
	r := &settingsReader{used: map[string]bool{}, path: path.Child("algorithmSettings")}
	if spec.EarlyStopping != nil {
		for _, s := range spec.EarlyStopping.AlgorithmSettings {
			r.names = append(r.names, s.Name)
			r.values = append(r.values, s.Value)
		}
	}
	return r
}

// lookup returns the last setting of that name (a later entry overrides an earlier one).
func (r *settingsReader) lookup(name string) (string, *field.Path, bool) {
	r.used[name] = true
	for i := len(r.names) - 1; i >= 0; i-- {
		if r.names[i] == name {
			return strings.TrimSpace(r.values[i]), r.path.Index(i).Child("value"), true
		}
	}
	return "", nil, false
}

func (r *settingsReader) str(name, def string, allowed ...string) string {
	v, p, ok := r.lookup(name)
	if !ok {
		return def
	}
	if len(allowed) > 0 {
		for _, a := range allowed {
			if v == a {
				return v
			}
		}
		r.errs = append(r.errs, field.NotSupported(p, v, allowed))
		return def
	}
	return v
}

// integer parses an integer setting that must be at least lo.
func (r *settingsReader) integer(name string, def, lo int) int {
	v, p, ok := r.lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		// Katib's Python services accept "3.0" through int(float(v)).
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != float64(int(f)) {
			r.errs = append(r.errs, field.Invalid(p, v, name+" must be an integer"))
			return def
		}
		n = int(f)
	}
	if n < lo {
		r.errs = append(r.errs, field.Invalid(p, v, fmt.Sprintf("%s must be at least %d", name, lo)))
		return def
	}
	return n
}

// float parses a number in (lo, hi]; use open to exclude lo.
func (r *settingsReader) float(name string, def, lo, hi float64, openLo bool) float64 {
	v, p, ok := r.lookup(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.errs = append(r.errs, field.Invalid(p, v, name+" must be a number"))
		return def
	}
	if (openLo && f <= lo) || (!openLo && f < lo) || f > hi {
		bracket := "["
		if openLo {
			bracket = "("
		}
		r.errs = append(r.errs, field.Invalid(p, v, fmt.Sprintf("%s must be in %s%v, %v]", name, bracket, lo, hi)))
		return def
	}
	return f
}

// seed reads random_state; without it the seed comes from the clock.
func (r *settingsReader) seed() (int64, bool) {
	v, p, ok := r.lookup("random_state")
	if !ok {
		return time.Now().UnixNano(), false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		r.errs = append(r.errs, field.Invalid(p, v, "random_state must be a non-negative integer"))
		return 0, false
	}
	return n, true
}

// unknown reports every setting the algorithm does not read, as Katib's services reject them.
func (r *settingsReader) unknown(algorithm string) {
	known := make([]string, 0, len(r.used))
	for k := range r.used {
		known = append(known, k)
	}
	sort.Strings(known)
	for i, n := range r.names {
		if !r.used[n] {
			r.errs = append(r.errs, field.NotSupported(r.path.Index(i).Child("name"), n, known))
		}
	}
}

func (r *settingsReader) err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return r.errs.ToAggregate()
}

func sortStrings(s []string) { sort.Strings(s) }

// seedLabel carries a clock-derived seed through the trial labels, so an experiment without
// random_state still continues the same sequence after a resume.
const seedLabel = "suggest-seed"

// resolveSeed returns the seed for this call: random_state when set, else the seed recorded
// on the earliest trial that carries one, else the clock seed chosen at construction.
func resolveSeed(seed int64, fixed bool, history []Trial) int64 {
	if fixed {
		return seed
	}
	for _, t := range history {
		if v, ok := t.Labels[seedLabel]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return seed
}

// withSeed adds the seed label to suggestions of an algorithm seeded by the clock.
func withSeed(labels map[string]string, seed int64, fixed bool) map[string]string {
	if fixed {
		return labels
	}
	if labels == nil {
		labels = map[string]string{}
	}
	labels[seedLabel] = strconv.FormatInt(seed, 10)
	return labels
}
