package katib

import (
	"context"
	"errors"
	"fmt"
	"time"

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

	Name              string
	TrialStartTimeout time.Duration
	Cleanup           bool
	PrintFlags        *output.PrintFlags

	clients *kube.Clients
}

// NewCmdResume builds `kubectl katib resume`.
func NewCmdResume(root *cmdutil.RootOptions) *cobra.Command {
	o := &ResumeOptions{root: root, PrintFlags: output.NewPrintFlags("wide"), TrialStartTimeout: defaultTrialStartTimeout}
	cmd := &cobra.Command{
		Use:   "resume NAME",
		Short: "Continue an interrupted or detached experiment from its stored state",
		Long: `Continue an experiment from the state kept in the cluster, from this or any other machine.

Finished trials are kept, trials that are still running are adopted again (found by their
labels), and the search continues from the recorded history until the experiment succeeds or
fails. Exit codes are those of 'run'.`,
		Example: `  # Continue after Ctrl-C or --detach
  kubectl katib resume random -n ml`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: completeExperiments(root),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if err := o.PrintFlags.Validate(); err != nil {
				return exitcode.WithCode(exitcode.Usage, err)
			}
			c, err := clients(root)
			if err != nil {
				return err
			}
			o.clients = c
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().DurationVar(&o.TrialStartTimeout, "trial-start-timeout", o.TrialStartTimeout, "Fail a trial whose container has not started after this long.")
	cmd.Flags().BoolVar(&o.Cleanup, "cleanup", false, "On Ctrl-C, delete the running trials instead of leaving them for the next 'resume'.")
	o.PrintFlags.AddFlags(cmd)
	return cmd
}

// Run loads the state and drives the experiment on.
func (o *ResumeOptions) Run(ctx context.Context) error {
	s := &store.Store{Client: o.clients.Clientset, Namespace: o.clients.Namespace}
	st, err := s.Get(ctx, o.Name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("experiment %q not found in namespace %q: list experiments with 'kubectl katib get experiments -n %s'", o.Name, o.clients.Namespace, o.clients.Namespace)
	}
	if err != nil {
		return explainAPIError(err, o.clients, o.clients.Namespace)
	}
	if st.Finished() {
		fmt.Fprintf(o.root.Streams.ErrOut, "experiment %q already %s; nothing to resume\n", o.Name, st.Phase())
	}
	cfg := runner.Config{TrialStartTimeout: o.TrialStartTimeout, Cleanup: o.Cleanup}
	cfg.Client, cfg.Dynamic = o.clients.Clientset, o.clients.Dynamic
	r, err := runner.New(cfg, st)
	if err != nil {
		return err
	}
	return runExperiment(ctx, o.root, o.clients, r, o.PrintFlags)
}
