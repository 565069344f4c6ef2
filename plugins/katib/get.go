package katib

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/report"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdGet) }

// GetOptions are the flags of `kubectl katib get`.
type GetOptions struct {
	root       *cmdutil.RootOptions
	PrintFlags *output.PrintFlags
	Kind       string
	Names      []string
}

var kindAliases = map[string]string{
	"experiments": "experiments", "experiment": "experiments", "exp": "experiments", "exps": "experiments",
	"trials": "trials", "trial": "trials",
}

// NewCmdGet builds `kubectl katib get`.
func NewCmdGet(root *cmdutil.RootOptions) *cobra.Command {
	o := &GetOptions{root: root, PrintFlags: output.NewPrintFlags("wide")}
	cmd := &cobra.Command{
		Use:   "get experiments [NAME...] | get trials EXPERIMENT",
		Short: "List experiments, or the trials of one experiment",
		Long: `List the experiments stored in a namespace, or the trials of one experiment.

-o json and -o yaml print Katib's own Experiment and Trial objects (kubeflow.org/v1beta1), with
their status: conditions, currentOptimalTrial, trial counts, and each trial's
parameterAssignments and observation metrics (min, max, latest). Several objects print as a
List, as kubectl does.`,
		Example: `  # All experiments in the namespace
  kubectl katib get experiments -n ml

  # One experiment as Katib's Experiment object
  kubectl katib get experiment random -o yaml

  # The best trial's name
  kubectl katib get experiment random -o jsonpath='{.status.currentOptimalTrial.bestTrialName}'

  # Every trial of an experiment, with its parameters and metrics
  kubectl katib get trials random -o wide`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"experiments", "trials"}, cobra.ShellCompDirectiveNoFileComp
			}
			return completeExperiments(root)(cmd, args[1:], toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.PrintFlags.AddFlags(cmd)
	return cmd
}

// Complete checks the kind and names.
func (o *GetOptions) Complete(args []string) error {
	if len(args) == 0 {
		return exitcode.UsageError("say what to get: 'experiments [NAME...]' or 'trials EXPERIMENT'")
	}
	kind, ok := kindAliases[args[0]]
	if !ok {
		return exitcode.UsageError("unknown kind %q: use 'experiments' or 'trials'", args[0])
	}
	o.Kind, o.Names = kind, args[1:]
	if kind == "trials" && len(o.Names) != 1 {
		return exitcode.UsageError("'get trials' needs exactly one experiment name")
	}
	if err := o.PrintFlags.Validate(); err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	return nil
}

// Run reads the state and prints it.
func (o *GetOptions) Run(ctx context.Context) error {
	c, err := clients(o.root)
	if err != nil {
		return err
	}
	s := newStore(c, "")
	var states []*store.State
	if len(o.Names) == 0 {
		states, err = s.List(ctx)
		if err != nil {
			return explainAPIError(err, c, c.Namespace)
		}
	} else {
		for _, name := range o.Names {
			st, err := s.Get(ctx, name, store.LoadOptions{})
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("experiment %q not found in namespace %q", name, c.Namespace)
			}
			if err != nil {
				return explainAPIError(err, c, c.Namespace)
			}
			states = append(states, st)
		}
	}
	out, wide, now := o.root.Streams.Out, o.PrintFlags.Format() == "wide", time.Now()
	if o.Kind == "trials" {
		st := states[0]
		if o.PrintFlags.IsHuman() {
			return report.Trials(out, st, wide, now)
		}
		var objs []runtime.Object
		for _, t := range st.KatibTrials() {
			objs = append(objs, t)
		}
		return o.PrintFlags.PrintList(out, objs...)
	}
	if o.PrintFlags.IsHuman() {
		if len(states) == 0 {
			fmt.Fprintf(o.root.Streams.ErrOut, "No experiments found in %s namespace.\n", c.Namespace)
			return nil
		}
		return report.Experiments(out, states, wide, now)
	}
	var objs []runtime.Object
	for _, st := range states {
		objs = append(objs, st.KatibExperiment())
	}
	if len(o.Names) == 1 {
		return o.PrintFlags.PrintObjects(out, objs...)
	}
	return o.PrintFlags.PrintList(out, objs...)
}

// completeExperiments completes experiment names from the namespace's stored states.
func completeExperiments(root *cmdutil.RootOptions) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := clients(root)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		names, err := (&store.Store{Client: c.Clientset, Namespace: c.Namespace}).ListNames(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
