package katib

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/report"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdImportance) }

// ImportanceOptions are the flags of `kubectl katib importance`.
type ImportanceOptions struct {
	root       *cmdutil.RootOptions
	Name       string
	Seed       uint64
	PrintFlags *output.PrintFlags
}

// NewCmdImportance builds `kubectl katib importance`.
func NewCmdImportance(root *cmdutil.RootOptions) *cobra.Command {
	o := &ImportanceOptions{root: root, PrintFlags: output.NewPrintFlags()}
	cmd := &cobra.Command{
		Use:   "importance NAME",
		Short: "Rank the parameters of an experiment by how much of the objective they explain",
		Long: `Rank an experiment's parameters by their importance: the share of the objective's
variation across trials that each parameter accounts for on its own, from 0 to 100%.

The estimate is a functional analysis of variance (fANOVA) of a random forest of 64
regression trees fitted to the trials that succeeded or stopped early: for each parameter,
how much the forest's prediction varies when only that parameter changes, as a share of all
its variation. It is the method Optuna's plots of parameter importance use by default and
gives the same ranking on the same trials. Categorical parameters count as one choice among
several; numeric ones (log-scaled included) are measured between their bounds. The forest is
seeded (--seed), so the same trials always give the same numbers.

Importance needs at least two finished trials with different objective values; with few
trials the numbers are rough. A parameter that matters only together with another one
(an interaction) may rank lower than it deserves, as its joint effect is not shared out.

-o json and yaml print a ParameterImportance (apiVersion importance.kubectl-katib.io/v1):
experiment, namespace, metric, method, trees, seed, trials (how many were used) and
parameters[] {name, importance}, highest first, summing to 1. jsonpath and go-template
work on the same document.`,
		Example: `  # Which parameters matter for mnist-random's objective
  kubectl katib importance mnist-random

  # The most important parameter's name, for a script
  kubectl katib importance mnist-random -o jsonpath='{.parameters[0].name}'`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: completeExperiments(root),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if err := o.PrintFlags.Validate(); err != nil {
				return exitcode.WithCode(exitcode.Usage, err)
			}
			return o.Run(cmd.Context())
		},
	}
	o.PrintFlags.AddFlags(cmd)
	cmd.Flags().Uint64Var(&o.Seed, "seed", 0, "Seed of the random forest; another seed gives slightly different numbers, a sense of their precision.")
	return cmd
}

// Run reads the experiment and prints its parameters' importance.
func (o *ImportanceOptions) Run(ctx context.Context) error {
	es, _, err := loadAnalyses(ctx, o.root, []string{o.Name}, false)
	if err != nil {
		return err
	}
	doc, err := analysis.Importance(es[0], o.Seed)
	if errors.Is(err, analysis.ErrImportanceUndefined) {
		return exitcode.WithCode(exitcode.Failure, err)
	}
	if err != nil {
		return err
	}
	out := o.root.Streams.Out
	if o.PrintFlags.IsHuman() {
		return report.ImportanceBars(out, doc, terminalWidth(out), output.Color(out))
	}
	obj, err := output.Document(doc, doc.Experiment)
	if err != nil {
		return err
	}
	return o.PrintFlags.PrintObjects(out, obj)
}
