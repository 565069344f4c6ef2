package katib

import (
	"context"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/plot/textplot"
	"github.com/kubectl-katib/plugins/pkg/report"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdPlot) }

// plotKinds are the charts plot draws, the first being the default.
var plotKinds = []string{"history", "intermediate", "slice", "parallel"}

// PlotOptions are the flags of `kubectl katib plot`.
type PlotOptions struct {
	root   *cmdutil.RootOptions
	Names  []string
	Kind   string
	Height int
}

// NewCmdPlot builds `kubectl katib plot`.
func NewCmdPlot(root *cmdutil.RootOptions) *cobra.Command {
	o := &PlotOptions{root: root}
	cmd := &cobra.Command{
		Use:   "plot NAME [NAME...] [history|intermediate|slice|parallel]",
		Short: "Draw an experiment's results as a chart in the terminal",
		Long: `Draw a chart of an experiment's trials as text, at most 80 columns wide (narrower on a
narrower terminal), in colour on a terminal and plain when piped or when NO_COLOR is set.

  history       each trial's objective against the trial number, with the best value so
                far as a line: how fast the search improved (the default chart). With
                several experiments, their best-so-far lines on one chart.
  intermediate  the objective at each step (epoch) of every trial, early-stopped trials
                marked where they stopped: what early stopping cut and whether it was right.
  slice         the objective against each parameter's value, one panel per parameter
                (log axis for log-scaled parameters): where each parameter's good values lie.
  parallel      parallel coordinates: one axis per parameter and one for the objective,
                each trial a line across them, the best ones highlighted.

Only trials that succeeded or stopped early with an objective are drawn. For a picture, or
every chart at once, use 'kubectl katib report'.`,
		Example: `  # How the search improved
  kubectl katib plot mnist-random

  # What early stopping did
  kubectl katib plot mnist-medianstop intermediate

  # Two searches of the same objective
  kubectl katib plot random tpe history`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			names, dir := completeExperiments(root)(cmd, nil, toComplete)
			if len(args) > 0 {
				names = append(names, plotKinds...)
			}
			return names, dir
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete(args)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().IntVar(&o.Height, "height", 0, "Rows of the chart's plot area (15 when not given).")
	return cmd
}

// Complete splits the arguments into experiment names and, last, the chart's kind.
func (o *PlotOptions) Complete(args []string) {
	o.Kind = plotKinds[0]
	if n := len(args); n > 1 && slices.Contains(plotKinds, args[n-1]) {
		o.Kind, args = args[n-1], args[:n-1]
	}
	o.Names = args
}

// Validate checks the names and the chart before anything is read.
func (o *PlotOptions) Validate() error {
	if len(o.Names) == 1 && slices.Contains(plotKinds, o.Names[0]) {
		return exitcode.UsageError("name the experiment to draw before the chart: kubectl katib plot NAME %s", o.Names[0])
	}
	if err := validateNames(o.Names, "to draw"); err != nil {
		return err
	}
	if len(o.Names) > 1 && o.Kind != "history" {
		return exitcode.UsageError("several experiments can only be drawn together as a history; draw the %s chart of one experiment at a time", o.Kind)
	}
	if o.Height < 0 {
		return exitcode.UsageError("--height must be positive")
	}
	return nil
}

// Run reads the experiments and draws the chart.
func (o *PlotOptions) Run(ctx context.Context) error {
	es, _, err := loadAnalyses(ctx, o.root, o.Names, o.Kind == "intermediate")
	if err != nil {
		return err
	}
	out := o.root.Streams.Out
	opts := report.ChartOptions(terminalWidth(out), o.Height, output.Color(out))
	if len(es) > 1 {
		return textplot.Multi(out, es, opts)
	}
	return drawChart(out, o.Kind, es[0], opts)
}

func drawChart(w io.Writer, kind string, e *analysis.Experiment, opts textplot.Options) error {
	switch kind {
	case "intermediate":
		return textplot.Intermediate(w, e, opts)
	case "slice":
		return textplot.Slice(w, e, opts)
	case "parallel":
		return textplot.Parallel(w, e, opts)
	}
	return textplot.History(w, e, opts)
}
