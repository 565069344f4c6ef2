package katib

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/kube"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

// loadStates reads the named experiments from the current namespace, with every trial's
// intermediate values when reports is set (charts of intermediate values need them).
func loadStates(ctx context.Context, root *cmdutil.RootOptions, names []string, reports bool) ([]*store.State, *kube.Clients, error) {
	c, err := clients(root)
	if err != nil {
		return nil, nil, err
	}
	s := newStore(c, "")
	var states []*store.State
	for _, name := range names {
		st, err := s.Get(ctx, name, store.LoadOptions{Reports: reports})
		if errors.Is(err, store.ErrNotFound) {
			return nil, c, fmt.Errorf("experiment %q not found in namespace %q: 'kubectl katib get experiments -n %s' lists the experiments there", name, c.Namespace, c.Namespace)
		}
		if err != nil {
			return nil, c, explainAPIError(err, c, c.Namespace)
		}
		states = append(states, st)
	}
	return states, c, nil
}

// loadAnalyses reads the named experiments as analysis.Experiments.
func loadAnalyses(ctx context.Context, root *cmdutil.RootOptions, names []string, reports bool) ([]*analysis.Experiment, []*store.State, error) {
	states, _, err := loadStates(ctx, root, names, reports)
	if err != nil {
		return nil, nil, err
	}
	var out []*analysis.Experiment
	for _, st := range states {
		out = append(out, analysis.FromState(st))
	}
	return out, states, nil
}

// validateNames rejects a missing or repeated experiment name.
func validateNames(names []string, what string) error {
	if len(names) == 0 {
		return exitcode.UsageError("name the experiment %s; 'kubectl katib get experiments' lists them", what)
	}
	for i, name := range names {
		if slices.Contains(names[:i], name) {
			return exitcode.UsageError("experiment %q is named twice: name each experiment once", name)
		}
	}
	return nil
}
