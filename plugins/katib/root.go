// Package katib is the command tree of kubectl-katib.
package katib

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

// subcommands are added by each command's file in init, so commands live in files of their
// own and the root never changes when one is added.
var subcommands []func(*cmdutil.RootOptions) *cobra.Command

// NewCmdKatib builds `kubectl katib` and its subcommands.
func NewCmdKatib(streams genericiooptions.IOStreams) *cobra.Command {
	cmd, opts := cmdutil.NewRoot("katib",
		"Run Katib hyperparameter-tuning experiments client-side, on any cluster",
		`Run Katib v1beta1 Experiments without the Katib operator.

kubectl katib reads an unchanged Katib Experiment YAML, picks hyperparameters with Katib's
search algorithms, creates each trial as a Job or Pod in your namespace, reads the metrics the
trial prints to its log, and compares the trials. The experiment's state is kept in a ConfigMap
in the same namespace, so a run can be resumed from any machine.`,
		`  # Check an experiment file without a cluster
  kubectl katib validate -f experiment.yaml

  # Run it in namespace ml
  kubectl katib run -f experiment.yaml -n ml`,
		streams)
	for _, newCmd := range subcommands {
		cmd.AddCommand(newCmd(opts))
	}
	return cmd
}
