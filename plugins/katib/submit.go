package katib

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/experiment/validation"
	"github.com/kubectl-katib/plugins/pkg/kube"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/submit"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdSubmit) }

// SubmitOptions are the flags of `kubectl katib submit`.
type SubmitOptions struct {
	root       *cmdutil.RootOptions
	Filename   string
	Name       string
	DryRun     bool
	PrintFlags *output.PrintFlags

	clients *kube.Clients
	exp     *experiment.Experiment
}

// NewCmdSubmit builds `kubectl katib submit`.
func NewCmdSubmit(root *cmdutil.RootOptions) *cobra.Command {
	o := &SubmitOptions{root: root, PrintFlags: output.NewPrintFlags()}
	cmd := &cobra.Command{
		Use:   "submit -f FILE",
		Short: "Hand an experiment to a cluster that runs Katib's operator",
		Long: `Create the experiment as a kubeflow.org/v1beta1 Experiment object, for clusters where
Katib's operator is installed and runs it. The file gets the same checks as 'run' first, so
mistakes are reported with their field paths before anything reaches the cluster. On a
cluster without Katib, use 'kubectl katib run' instead.`,
		Example: `  # Submit to a cluster running Katib
  kubectl katib submit -f random.yaml -n kubeflow

  # Let the API server (and Katib's webhook) check it without creating it
  kubectl katib submit -f random.yaml --dry-run`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Filename, "filename", "f", "", "The Katib Experiment YAML or JSON file ('-' reads standard input).")
	cmd.Flags().StringVar(&o.Name, "name", "", "Submit under this name instead of its metadata.name.")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "Have the API server check the experiment without creating it.")
	o.PrintFlags.AddFlags(cmd)
	return cmd
}

// Complete reads and checks the file.
func (o *SubmitOptions) Complete() error {
	if o.Filename == "" {
		return exitcode.UsageError("-f FILE is required: the Katib Experiment to submit")
	}
	if err := o.PrintFlags.Validate(); err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	exp, err := experiment.LoadFrom(o.Filename, o.root.Streams.In)
	if err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	if o.Name != "" {
		exp.Name = o.Name
	}
	c, err := clients(o.root)
	if err != nil {
		return err
	}
	if c.ExplicitNamespace || exp.Namespace == "" {
		exp.Namespace = c.Namespace
	}
	// Validate a defaulted copy, as Katib's webhook will; submit the file as written.
	checked := exp.DeepCopyObject().(*experiment.Experiment)
	experiment.SetDefaults(checked)
	if err := validation.ValidateAll(checked); err != nil {
		if inv, ok := validation.AsInvalid(err); !ok || !onlyClientSideLimits(inv) {
			return exitcode.WithCode(exitcode.Usage, fmt.Errorf("%s: %w", o.Filename, err))
		}
	}
	o.clients, o.exp = c, exp
	return nil
}

// onlyClientSideLimits is true when every problem is something Katib's operator can do
// that a client-side run cannot (a File collector, PBT, ...): those are fine to submit.
func onlyClientSideLimits(inv *validation.InvalidError) bool {
	for _, e := range inv.Errs {
		if e.Type != field.ErrorTypeNotSupported || !clientSideLimits[e.Field] {
			return false
		}
	}
	return len(inv.Errs) > 0
}

// clientSideLimits are the fields where a valid Katib value may still not run client-side.
var clientSideLimits = map[string]bool{
	"spec.algorithm.algorithmName":                    true,
	"spec.earlyStopping.algorithmName":                true,
	"spec.metricsCollectorSpec.collector.kind":        true,
	"spec.trialTemplate.trialSpec.kind":               true,
	"spec.trialTemplate.trialSpec.apiVersion":         true,
	"spec.metricsCollectorSpec.source.fileSystemPath": true,
}

// Run creates the Experiment object.
func (o *SubmitOptions) Run(ctx context.Context) error {
	served, err := submit.Served(o.clients.Clientset.Discovery())
	if err != nil {
		return explainAPIError(err, o.clients, o.exp.Namespace)
	}
	if !served {
		return &submit.NotServedError{Context: o.clients.Context}
	}
	obj, err := submit.Submit(ctx, o.clients.Dynamic, o.exp, o.DryRun)
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("experiment %q already exists in namespace %q", o.exp.Name, o.exp.Namespace)
	}
	if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
		return exitcode.WithCode(exitcode.Usage, fmt.Errorf("%s: the cluster refuses the experiment: %w", o.Filename, err))
	}
	if err != nil {
		return explainAPIError(err, o.clients, o.exp.Namespace)
	}
	if !o.PrintFlags.IsHuman() {
		return o.PrintFlags.PrintObjects(o.root.Streams.Out, obj)
	}
	suffix := "created"
	if o.DryRun {
		suffix = "created (server dry run)"
	}
	_, err = fmt.Fprintf(o.root.Streams.Out, "experiment.kubeflow.org/%s %s in namespace %s\n", obj.GetName(), suffix, obj.GetNamespace())
	return err
}
