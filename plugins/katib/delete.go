package katib

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/kube"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/trial"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdDelete) }

// DeleteOptions are the flags of `kubectl katib delete`.
type DeleteOptions struct {
	root  *cmdutil.RootOptions
	Names []string
	All   bool

	clients *kube.Clients
}

// NewCmdDelete builds `kubectl katib delete`.
func NewCmdDelete(root *cmdutil.RootOptions) *cobra.Command {
	o := &DeleteOptions{root: root}
	cmd := &cobra.Command{
		Use:   "delete NAME [NAME...] | --all",
		Short: "Delete experiments with their trials",
		Long: `Delete experiments: their stored state, every trial's record and every trial workload
(Jobs, Pods) they created. Do not delete an experiment while a 'run' or 'resume' is driving
it; stop that client first.`,
		Example: `  # Delete one experiment and its trials
  kubectl katib delete random -n ml

  # Delete every experiment in the namespace
  kubectl katib delete --all -n ml`,
		ValidArgsFunction: completeExperiments(root),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "Delete every experiment in the namespace.")
	return cmd
}

// Complete takes the names.
func (o *DeleteOptions) Complete(args []string) error {
	o.Names = args
	return nil
}

// Validate checks that names or --all were given, not both; then builds the clients.
func (o *DeleteOptions) Validate() error {
	if o.All == (len(o.Names) > 0) {
		return exitcode.UsageError("name the experiments to delete, or pass --all (not both)")
	}
	c, err := clients(o.root)
	if err != nil {
		return err
	}
	o.clients = c
	return nil
}

// Run deletes the state ConfigMaps, the trial records and the trials' workloads. The
// garbage collector would remove records and workloads too, as they are owned by the state;
// deleting them here makes it immediate and works on clusters where that collector lags.
func (o *DeleteOptions) Run(ctx context.Context) error {
	c := o.clients
	s := newStore(c, "")
	names := o.Names
	if o.All {
		all, err := s.ListNames(ctx)
		if err != nil {
			return explainAPIError(err, c, c.Namespace)
		}
		names = all
	}
	var failed bool
	for _, name := range names {
		err := s.Delete(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(o.root.Streams.ErrOut, "error: experiment %q not found in namespace %q\n", name, c.Namespace)
			failed = true
			continue
		}
		if err != nil {
			return explainAPIError(err, c, c.Namespace)
		}
		warn := func(what string, err error) {
			fmt.Fprintf(o.root.Streams.ErrOut, "warning: cannot delete the %s of %q (the garbage collector will): %v\n", what, name, err)
		}
		if err := s.DeleteTrials(ctx, name); err != nil {
			warn("trial records", err)
		}
		sel := metav1.ListOptions{LabelSelector: trial.LabelExperiment + "=" + name}
		policy := metav1.DeletePropagationBackground
		del := metav1.DeleteOptions{PropagationPolicy: &policy}
		if err := c.Clientset.BatchV1().Jobs(c.Namespace).DeleteCollection(ctx, del, sel); err != nil {
			warn("trial jobs", err)
		}
		if err := c.Clientset.CoreV1().Pods(c.Namespace).DeleteCollection(ctx, del, sel); err != nil {
			warn("trial pods", err)
		}
		fmt.Fprintf(o.root.Streams.Out, "experiment %q deleted\n", name)
	}
	if failed {
		return exitcode.Silent{Code: exitcode.Failure}
	}
	return nil
}
