package katib

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/experiment/validation"
	"github.com/kubectl-katib/plugins/pkg/kube"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdRun) }

// maxExperimentName keeps trial names (NAME-xxxxxxxx) within the 63 characters a Job's
// name may have.
const maxExperimentName = 54

// RunOptions are the flags of `kubectl katib run`.
type RunOptions struct {
	root *cmdutil.RootOptions

	Filename   string
	Name       string
	Parallel   int32
	MaxTrials  int32
	Detach     bool
	PrintFlags *output.PrintFlags
	runFlags

	clients *kube.Clients
	exp     *experiment.Experiment
}

// NewCmdRun builds `kubectl katib run`.
func NewCmdRun(root *cmdutil.RootOptions) *cobra.Command {
	o := &RunOptions{root: root, PrintFlags: output.NewPrintFlags("wide")}
	cmd := &cobra.Command{
		Use:   "run -f FILE",
		Short: "Run a Katib Experiment client-side until it succeeds or fails",
		Long: `Run a Katib v1beta1 Experiment from its YAML file, without the Katib operator.

The experiment is validated and defaulted like Katib's webhook would, then stored in a ConfigMap
named katib-experiment-NAME in the experiment's namespace. Trials are created as the template's
Job or Pod, with the labels katib.kubeflow.org/experiment and katib.kubeflow.org/trial, owned by
that ConfigMap. Metrics are read from the primary container's log as the trial runs; each
trial is recorded in a ConfigMap of its own when it ends.

Katib's File and TensorFlowEvent collectors work too: each trial Pod gets a small collector
container (--collector-image) as a native sidecar, which needs Kubernetes 1.29 or newer. It
shares the metrics file's directory with the primary container through an emptyDir (or the
volume already mounted there), prints what the trainer writes, and is stopped by the kubelet
when the trainer ends, after printing what was left of the file.

If the API server cannot be reached, the run waits and retries (log streams are reopened where
they broke, so no metric is lost or counted twice); past --outage-timeout it exits with code 1
and 'resume' continues.

Several objectives: list them in the annotation kubectl-katib.io/objectives, e.g.
"accuracy:maximize,train_seconds:minimize", spec.objective's first and every one collected
(objectiveMetricName or additionalMetricNames), and use algorithm nsga2 (or random, sobol or
grid). Each trial then records a value per objective (each metric's strategy; latest for the
added ones unless metricStrategies says otherwise), a trial missing any of them counts as
MetricsUnavailable, spec.objective.goal is ignored, and the run ends with the Pareto front:
the succeeded trials no other beats on every objective.

The namespace is -n when given, else the file's metadata.namespace, else the kubeconfig's.
Ctrl-C saves the state and exits with code 130: running trials are adopted by 'resume'
(or deleted with --cleanup). Exit codes: 0 the experiment succeeded, 1 it failed, 2 the file or
flags are invalid (nothing is created), 130 interrupted.`,
		Example: `  # Run an experiment in namespace ml
  kubectl katib run -f random.yaml -n ml

  # Try a smaller budget under another name
  kubectl katib run -f random.yaml --name random-small --max-trials 4 --parallel 2

  # Start it and return; follow later with resume
  kubectl katib run -f random.yaml --detach

  # Print the finished experiment as Katib's Experiment object
  kubectl katib run -f random.yaml -o yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd.Context()); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Filename, "filename", "f", "", "The Katib Experiment YAML or JSON file to run ('-' reads standard input).")
	cmd.Flags().StringVar(&o.Name, "name", "", "Run the experiment under this name instead of its metadata.name.")
	cmd.Flags().Int32Var(&o.Parallel, "parallel", 0, "Override spec.parallelTrialCount.")
	cmd.Flags().Int32Var(&o.MaxTrials, "max-trials", 0, "Override spec.maxTrialCount.")
	cmd.Flags().BoolVar(&o.Detach, "detach", false, "Return once the experiment is stored and its first trials are created.")
	o.runFlags.add(cmd, "'resume'")
	o.PrintFlags.AddFlags(cmd)
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd
}

// Complete reads the file, applies the overrides and resolves the namespace.
func (o *RunOptions) Complete(ctx context.Context) error {
	if o.Filename == "" {
		return exitcode.UsageError("-f FILE is required: the Katib Experiment to run")
	}
	exp, err := experiment.Load(o.Filename)
	if err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	if o.Name != "" {
		exp.Name = o.Name
	}
	if o.Parallel != 0 {
		exp.Spec.ParallelTrialCount = &o.Parallel
	}
	if o.MaxTrials != 0 {
		exp.Spec.MaxTrialCount = &o.MaxTrials
	}
	c, err := clients(o.root)
	if err != nil {
		return err
	}
	o.clients = c
	switch {
	case c.ExplicitNamespace:
		exp.Namespace = c.Namespace
	case exp.Namespace == "":
		exp.Namespace = c.Namespace
	}
	if exp.Spec.TrialTemplate != nil && exp.Spec.TrialTemplate.TrialSpec == nil && exp.Spec.TrialTemplate.ConfigMap != nil {
		if err := experiment.ResolveTrialTemplate(ctx, exp, getConfigMapData(c)); err != nil {
			return exitcode.WithCode(exitcode.Usage, err)
		}
	}
	experiment.SetDefaults(exp)
	o.exp = exp
	return nil
}

// Validate applies Katib's rules; every problem is reported at once with its field path.
func (o *RunOptions) Validate() error {
	if err := o.PrintFlags.Validate(); err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	if err := o.runFlags.validate(); err != nil {
		return err
	}
	if o.exp.Name == "" {
		return exitcode.UsageError("%s: metadata.name is missing: set it in the file or pass --name", o.Filename)
	}
	if len(o.exp.Name) > maxExperimentName {
		return exitcode.UsageError("metadata.name: %q is %d characters long; at most %d fit, so that trial names (NAME-xxxxxxxx) stay within 63", o.exp.Name, len(o.exp.Name), maxExperimentName)
	}
	if err := validation.ValidateAll(o.exp); err != nil {
		return exitcode.WithCode(exitcode.Usage, fmt.Errorf("%s: %w", o.Filename, err))
	}
	return nil
}

// Run checks the trial template with the API server, stores the experiment and drives it.
func (o *RunOptions) Run(ctx context.Context) error {
	cfg := o.runFlags.config(o.clients, o.exp.Namespace)
	cfg.Detach = o.Detach
	r, err := runner.New(cfg, &store.State{Experiment: o.exp})
	if err != nil {
		return exitcode.WithCode(exitcode.Usage, fmt.Errorf("%s: %w", o.Filename, err))
	}
	if err := r.DryRun(ctx); err != nil {
		var tmpl *runner.TemplateError
		if errors.As(err, &tmpl) {
			return exitcode.WithCode(exitcode.Usage, fmt.Errorf("%s: %w; nothing was created", o.Filename, err))
		}
		var forbidden *runner.ForbiddenKindError
		if errors.As(err, &forbidden) {
			return fmt.Errorf("%w; nothing was created", err)
		}
		return explainAPIError(err, o.clients, o.exp.Namespace)
	}
	if err := r.Create(ctx); err != nil {
		return explainRunError(err, o.clients, o.exp.Namespace)
	}
	return runExperiment(ctx, o.root, o.clients, r, o.PrintFlags)
}
