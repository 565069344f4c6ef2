package katib

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
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
}

// NewCmdDelete builds `kubectl katib delete`.
func NewCmdDelete(root *cmdutil.RootOptions) *cobra.Command {
	o := &DeleteOptions{root: root}
	cmd := &cobra.Command{
		Use:   "delete NAME [NAME...] | --all",
		Short: "Delete experiments with their trials",
		Long: `Delete experiments: their stored state and every trial workload (Jobs, Pods) they created.
Do not delete an experiment while a 'run' or 'resume' is driving it; stop that client first.`,
		Example: `  # Delete one experiment and its trials
  kubectl katib delete random -n ml

  # Delete every experiment in the namespace
  kubectl katib delete --all -n ml`,
		ValidArgsFunction: completeExperiments(root),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Names = args
			if o.All == (len(args) > 0) {
				return exitcode.UsageError("name the experiments to delete, or pass --all (not both)")
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "Delete every experiment in the namespace.")
	return cmd
}

// Run deletes the state ConfigMaps and the trials' workloads. The garbage collector would
// remove the workloads too, as they are owned by the state; deleting them here makes it
// immediate and works on clusters where that collector lags.
func (o *DeleteOptions) Run(ctx context.Context) error {
	c, err := clients(o.root)
	if err != nil {
		return err
	}
	s := &store.Store{Client: c.Clientset, Namespace: c.Namespace}
	names := o.Names
	if o.All {
		states, err := s.List(ctx)
		if err != nil {
			return explainAPIError(err, c, c.Namespace)
		}
		for _, st := range states {
			names = append(names, st.Experiment.Name)
		}
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
		sel := metav1.ListOptions{LabelSelector: trial.LabelExperiment + "=" + name}
		policy := metav1.DeletePropagationBackground
		del := metav1.DeleteOptions{PropagationPolicy: &policy}
		if err := c.Clientset.BatchV1().Jobs(c.Namespace).DeleteCollection(ctx, del, sel); err != nil {
			fmt.Fprintf(o.root.Streams.ErrOut, "warning: cannot delete the trial jobs of %q (the garbage collector will): %v\n", name, err)
		}
		if err := c.Clientset.CoreV1().Pods(c.Namespace).DeleteCollection(ctx, del, sel); err != nil {
			fmt.Fprintf(o.root.Streams.ErrOut, "warning: cannot delete the trial pods of %q (the garbage collector will): %v\n", name, err)
		}
		fmt.Fprintf(o.root.Streams.Out, "experiment %q deleted\n", name)
	}
	if failed {
		return exitcode.Silent{Code: exitcode.Failure}
	}
	return nil
}
