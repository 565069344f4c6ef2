package katib

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/kube"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdResume) }

// ResumeOptions are the flags of `kubectl katib resume`.
type ResumeOptions struct {
	root *cmdutil.RootOptions

	Name       string
	PrintFlags *output.PrintFlags
	runFlags

	clients *kube.Clients
}

// NewCmdResume builds `kubectl katib resume`.
func NewCmdResume(root *cmdutil.RootOptions) *cobra.Command {
	o := &ResumeOptions{root: root, PrintFlags: output.NewPrintFlags("wide")}
	cmd := &cobra.Command{
		Use:   "resume NAME",
		Short: "Continue an interrupted or detached experiment from its stored state",
		Long: `Continue an experiment from the state kept in the cluster, from this or any other machine.

Finished trials are kept, trials that are still running are adopted again (found by their
labels, their logs read again from the start), and the search continues from the recorded
history until the experiment succeeds or fails. State written by earlier releases is
rewritten in the current layout first. Exit codes are those of 'run'.`,
		Example: `  # Continue after Ctrl-C, --detach, a crash or a long API server outage
  kubectl katib resume random -n ml`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
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
	o.runFlags.add(cmd, "the next 'resume'")
	o.PrintFlags.AddFlags(cmd)
	return cmd
}

// Complete takes the name and builds the clients.
func (o *ResumeOptions) Complete(args []string) error {
	o.Name = args[0]
	c, err := clients(o.root)
	if err != nil {
		return err
	}
	o.clients = c
	return nil
}

// Validate checks the flags.
func (o *ResumeOptions) Validate() error {
	if err := o.PrintFlags.Validate(); err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	return o.runFlags.validate()
}

// Run loads the state and drives the experiment on.
func (o *ResumeOptions) Run(ctx context.Context) error {
	s := newStore(o.clients, "")
	// Only early stopping needs the finished trials' observation logs: the rest is read
	// without them, which matters for experiments of thousands of long trials.
	head, err := s.Get(ctx, o.Name, store.LoadOptions{})
	if err == nil && runner.NeedsReports(&head.Experiment.Spec) {
		head, err = s.Get(ctx, o.Name, store.LoadOptions{Reports: true})
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("experiment %q not found in namespace %q: list experiments with 'kubectl katib get experiments -n %s'", o.Name, o.clients.Namespace, o.clients.Namespace)
	}
	if err != nil {
		return explainAPIError(err, o.clients, o.clients.Namespace)
	}
	if head.Finished() {
		fmt.Fprintf(o.root.Streams.ErrOut, "experiment %q already %s; nothing to resume\n", o.Name, head.Phase())
	}
	r, err := runner.New(o.runFlags.config(o.clients, ""), head)
	if err != nil {
		return err
	}
	return runExperiment(ctx, o.root, o.clients, r, o.PrintFlags)
}
