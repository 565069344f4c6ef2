package validation

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// Result is the outcome of checking one experiment file without a cluster.
type Result struct {
	Source string
	// Experiment is the defaulted experiment; nil when the file could not be read.
	Experiment *experiment.Experiment
	// LoadErr is why the file could not be read or decoded.
	LoadErr error
	Errs    field.ErrorList
	Notes   []string
}

// Valid reports whether the experiment can run.
func (r *Result) Valid() bool { return r.LoadErr == nil && len(r.Errs) == 0 }

// Problems are the result's errors, one line each, prefixed by the file name.
func (r *Result) Problems() []string {
	var out []string
	var le *experiment.LoadError
	switch {
	case errors.As(r.LoadErr, &le):
		for _, p := range le.Problems {
			out = append(out, le.Source+": "+p)
		}
	case r.LoadErr != nil:
		out = append(out, r.LoadErr.Error())
	}
	for _, e := range r.Errs {
		out = append(out, r.Source+": "+e.Error())
	}
	return out
}

// Check loads, defaults and validates one file offline; "-" reads stdin.
func Check(path string, stdin io.Reader) *Result {
	r := &Result{Source: path}
	if path == "-" {
		r.Source = "<stdin>"
	}
	e, err := experiment.LoadFrom(path, stdin)
	if err != nil {
		r.LoadErr = err
		return r
	}
	experiment.SetDefaults(e)
	r.Experiment = e
	r.Errs = Validate(e)
	r.Notes = Notes(e)
	return r
}

// Summary describes a valid experiment in a few words: "algorithm random, 12 trials, 3 in
// parallel".
func Summary(e *experiment.Experiment) string {
	s := e.Spec
	algorithm := "none"
	if s.Algorithm != nil {
		algorithm = s.Algorithm.AlgorithmName
	}
	trials := "no trial limit"
	if s.MaxTrialCount != nil {
		trials = plural(int(*s.MaxTrialCount), "trial")
	}
	parallel := ""
	if s.ParallelTrialCount != nil {
		parallel = fmt.Sprintf(", %d in parallel", *s.ParallelTrialCount)
	}
	return fmt.Sprintf("algorithm %s, %s%s", algorithm, trials, parallel)
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// ExpandPaths turns the -f arguments into files: a directory stands for the *.yaml and
// *.yml files in it (and in its subdirectories when recursive), sorted; "-" and files are
// kept as given.
func ExpandPaths(paths []string, recursive bool) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && !recursive {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(found) == 0 {
			hint := ""
			if !recursive {
				hint = " (pass -R to look in its subdirectories)"
			}
			return nil, fmt.Errorf("%s: the directory holds no *.yaml or *.yml file%s", p, hint)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
