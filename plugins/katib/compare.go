package katib

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/report"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdCompare) }

// CompareOptions are the flags of `kubectl katib compare`.
type CompareOptions struct {
	root   *cmdutil.RootOptions
	Names  []string
	Output string
}

// compareFormats are the -o values of compare: the human table ("" and wide), then the
// machine-readable forms.
var compareFormats = append([]string{"wide"}, report.ComparisonFormats...)

// NewCmdCompare builds `kubectl katib compare`.
func NewCmdCompare(root *cmdutil.RootOptions) *cobra.Command {
	o := &CompareOptions{root: root}
	cmd := &cobra.Command{
		Use:   "compare NAME [NAME...]",
		Short: "Compare the trials of an experiment, or several experiments side by side",
		Long: `Compare the trials of one experiment, or several experiments that optimise the same metric.

One experiment: every trial, best first, with its parameters, its metrics (the objective
first), its state and how long it took; '*' marks the best trial. With several objectives
(the kubectl-katib.io/objectives annotation) '*' marks the trials of the Pareto front, which
come first.

Several experiments: one row each, side by side: the best value, the trial that reached it
and its parameters, the counts of trials that succeeded, failed (including those that never
reported the objective), stopped early or were killed, and how long the experiment ran (from
its start to its completion, or to now while it runs). NEAR-BEST-AT (trialsToNearBest in
-o json, yaml and csv) counts the trials, in the order they were created and starting at 1,
up to and including the first one whose objective came within 1% of the experiment's best
value (1% of the best value's magnitude): how soon the search found an answer about as good
as its last. Only trials that can be the best count: succeeded or stopped early. The
experiments must share the objective's metric and direction; otherwise nothing is printed
and the exit code is 2.

The table fits the terminal's width, leaving out the least useful columns first (they are
named under it); piped, it is printed whole. Doubles show six significant digits there;
-o wide shows every parameter as recorded and, for one experiment, each trial's message.

-o json and -o yaml print a Comparison (apiVersion compare.kubectl-katib.io/v1):
  objective            {metricName, type}
  experiments[]        name, namespace, phase, parameterNames, metricNames (objective
                       first), bestTrial, bestValue, bestParameters[] {name, value},
                       trialsToNearBest, counts {total, succeeded, failed, earlyStopped,
                       killed, running}, startTime, completionTime, durationSeconds
  experiments[].trials[]  for one experiment only, best first: name, best, state,
                       parameters[] and metrics[] {name, value}, creationTime,
                       completionTime, durationSeconds; onParetoFront with several
                       objectives
  objectives[]         with several objectives: {metricName, type}, objective first
  experiments[].paretoFront[]  with several objectives, the trials no other dominates:
                       name, objectives[] {metricName, type, value}, parameters[]
Fields are only ever added to this structure, never renamed or removed.

-o csv prints a header row, then one row per trial (best first) for one experiment, or one
row per experiment for several; parameter and metric values are exact, as recorded.`,
		Example: `  # The trials of one experiment, best first
  kubectl katib compare random -n ml

  # Two searches of the same objective side by side
  kubectl katib compare random tpe -n ml

  # For a spreadsheet or a notebook
  kubectl katib compare random tpe -n ml -o csv > searches.csv`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completeExperiments(root)(cmd, nil, toComplete)
		},
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
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format. One of: ("+strings.Join(compareFormats, ", ")+").")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(compareFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete takes the names.
func (o *CompareOptions) Complete(args []string) error {
	o.Names = args
	return nil
}

// Validate checks the names and -o before anything is read.
func (o *CompareOptions) Validate() error {
	if err := validateNames(o.Names, "to compare its trials, or several experiments to compare them side by side"); err != nil {
		return err
	}
	if o.Output != "" && !slices.Contains(compareFormats, o.Output) {
		return exitcode.UsageError("unknown output format %q: allowed formats are %s", o.Output, strings.Join(compareFormats, ", "))
	}
	return nil
}

// Run reads the experiments and prints their comparison.
func (o *CompareOptions) Run(ctx context.Context) error {
	states, _, err := loadStates(ctx, o.root, o.Names, false)
	if err != nil {
		return err
	}
	now := time.Now()
	doc, err := report.Compare(states, now)
	var mismatch *report.ObjectiveMismatchError
	if errors.As(err, &mismatch) {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	if err != nil {
		return err
	}
	out := o.root.Streams.Out
	if o.Output == "" || o.Output == "wide" {
		return report.ComparisonTable(out, states, doc, o.Output == "wide", terminalWidth(out), now)
	}
	return report.WriteComparison(out, doc, o.Output)
}
