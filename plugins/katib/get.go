package katib

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/kube"
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
	// AllNamespaces lists the experiments of every namespace, as kubectl's -A does.
	AllNamespaces bool
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
List, as kubectl does.

-A (--all-namespaces) lists the experiments of every namespace, with a NAMESPACE column first;
it takes no names, as in kubectl.

An experiment with several objectives (the kubectl-katib.io/objectives annotation) has no
single best trial: BEST says how many trials make up its Pareto front, 'get experiment NAME'
prints the front's trials with every objective under the table, 'get trials' marks them in a
FRONT column, and -o json|yaml lists them in status.paretoFront.`,
		Example: `  # All experiments in the namespace
  kubectl katib get experiments -n ml

  # The experiments of every namespace you may read
  kubectl katib get experiments -A

  # One experiment as Katib's Experiment object
  kubectl katib get experiment random -o yaml

  # The best trial's name
  kubectl katib get experiment random -o jsonpath='{.status.currentOptimalTrial.bestTrialName}'

  # Every trial of an experiment, with its parameters and metrics
  kubectl katib get trials random -o wide

  # The Pareto front of a multi-objective experiment
  kubectl katib get experiment nsga2 -o jsonpath='{.status.paretoFront}'`,
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
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "List the experiments of every namespace; -n is ignored.")
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
	if o.AllNamespaces && (kind == "trials" || len(o.Names) > 0) {
		return exitcode.UsageError("-A lists every experiment of every namespace and takes no name: drop -A and pass -n NAMESPACE to get named experiments or trials")
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
	if o.AllNamespaces {
		states, err = listAllNamespaces(ctx, c)
		if err != nil {
			return explainAPIError(err, c, "")
		}
	} else if len(o.Names) == 0 {
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
			if err := report.Trials(out, st, wide, now); err != nil || !output.IsTerminal(out) {
				return err
			}
			return report.HistoryChart(out, st, terminalWidth(out), output.Color(out))
		}
		var objs []runtime.Object
		for _, t := range st.KatibTrials() {
			objs = append(objs, t)
		}
		return o.PrintFlags.PrintList(out, objs...)
	}
	if o.PrintFlags.IsHuman() {
		if len(states) == 0 && o.AllNamespaces {
			fmt.Fprintln(o.root.Streams.ErrOut, "No experiments found.")
			return nil
		}
		if len(states) == 0 {
			fmt.Fprintf(o.root.Streams.ErrOut, "No experiments found in %s namespace.\n", c.Namespace)
			return nil
		}
		if o.AllNamespaces {
			return report.ExperimentsAllNamespaces(out, states, wide, now)
		}
		if err := report.Experiments(out, states, wide, now); err != nil {
			return err
		}
		// Named experiments with several objectives show their front, which stands in for
		// the best trial a table cell can hold.
		if len(o.Names) > 0 {
			for _, st := range states {
				if !st.MultiObjective() {
					continue
				}
				fmt.Fprintf(out, "\n%s: ", st.Experiment.Name)
				if err := report.ParetoFront(out, st, wide); err != nil {
					return err
				}
			}
		}
		return nil
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

// listAllNamespaces reads the experiments of every namespace, ordered by namespace then
// name. One cluster-wide list finds the namespaces that hold any; each is then read as
// 'get experiments -n' reads it, so both show the same trials.
func listAllNamespaces(ctx context.Context, c *kube.Clients) ([]*store.State, error) {
	list, err := c.Clientset.CoreV1().ConfigMaps(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: store.LabelStateObject + "=true"})
	if err != nil {
		return nil, err
	}
	var namespaces []string
	for _, cm := range list.Items {
		if !slices.Contains(namespaces, cm.Namespace) {
			namespaces = append(namespaces, cm.Namespace)
		}
	}
	slices.Sort(namespaces)
	var out []*store.State
	for _, ns := range namespaces {
		states, err := newStore(c, ns).List(ctx)
		if err != nil {
			return nil, fmt.Errorf("namespace %s: %w", ns, err)
		}
		out = append(out, states...)
	}
	return out, nil
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
