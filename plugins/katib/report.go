package katib

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/buildinfo"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/htmlreport"
	"github.com/kubectl-katib/plugins/pkg/plot/svgplot"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdReport) }

// svgPlots are the charts --format svg writes.
var svgPlots = []string{"history", "intermediate", "slice", "parallel", "importance"}

// ReportOptions are the flags of `kubectl katib report`.
type ReportOptions struct {
	root   *cmdutil.RootOptions
	Names  []string
	File   string
	Format string
	Plot   string
	Param  string
}

// NewCmdReport builds `kubectl katib report`.
func NewCmdReport(root *cmdutil.RootOptions) *cobra.Command {
	o := &ReportOptions{root: root}
	cmd := &cobra.Command{
		Use:   "report NAME [NAME...]",
		Short: "Write an experiment's results as one self-contained HTML page, or one chart as SVG",
		Long: `Write a report of one or more experiments as a single HTML file that needs nothing else:
its styles, charts (SVG) and the few lines of script that sort its tables are inside it, and
it loads nothing from the network, so it can be mailed, archived or opened anywhere.

For each experiment: its objective, algorithm, phase and best trial; the spec as YAML; every
trial in a table that sorts by any column; the optimization history (each trial's objective
and the best so far); the objective at each step of every trial, early-stopped trials
marked; parallel coordinates of the parameters and the objective; one slice chart per
parameter; and the parameters' importance (fANOVA, as 'kubectl katib importance'). With
several experiments, the report starts with their histories on one chart and a summary.

The HTML goes to standard output unless --file is given. --format svg writes a single chart
instead (--plot, and --param for a slice), for a slide or a document.`,
		Example: `  # Everything about an experiment, in a browser
  kubectl katib report mnist-random > report.html

  # Two searches of the same objective compared
  kubectl katib report random tpe --file searches.html

  # One chart as a picture
  kubectl katib report mnist-random --format svg --plot history > history.svg
  kubectl katib report mnist-random --format svg --plot slice --param lr > lr.svg`,
		ValidArgsFunction: completeExperiments(root),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Names = args
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.File, "file", "", "Write to this file instead of standard output (it is replaced).")
	cmd.Flags().StringVar(&o.Format, "format", "html", "What to write: html (the whole report) or svg (one chart, see --plot).")
	cmd.Flags().StringVar(&o.Plot, "plot", "", "With --format svg, the chart: "+strings.Join(svgPlots, ", ")+".")
	cmd.Flags().StringVar(&o.Param, "param", "", "With --plot slice, the parameter to draw (the first one when not given).")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"html", "svg"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("plot", cobra.FixedCompletions(svgPlots, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks the flags before anything is read.
func (o *ReportOptions) Validate() error {
	if err := validateNames(o.Names, "to report on"); err != nil {
		return err
	}
	switch o.Format {
	case "html":
		if o.Plot != "" || o.Param != "" {
			return exitcode.UsageError("--plot and --param choose a single chart: add --format svg, or leave them out for the whole report")
		}
	case "svg":
		if o.Plot == "" {
			return exitcode.UsageError("--format svg writes one chart: choose it with --plot %s", strings.Join(svgPlots, "|"))
		}
		if !slices.Contains(svgPlots, o.Plot) {
			return exitcode.UsageError("unknown --plot %q: use %s", o.Plot, strings.Join(svgPlots, ", "))
		}
		if len(o.Names) > 1 && o.Plot != "history" {
			return exitcode.UsageError("several experiments can only be drawn together as a history; draw the %s chart of one experiment at a time", o.Plot)
		}
		if o.Param != "" && o.Plot != "slice" {
			return exitcode.UsageError("--param chooses the parameter of a slice chart: add --plot slice")
		}
	default:
		return exitcode.UsageError("unknown --format %q: use html or svg", o.Format)
	}
	return nil
}

// Run reads the experiments with their intermediate values and writes the report or chart.
func (o *ReportOptions) Run(ctx context.Context) error {
	needReports := o.Format == "html" || o.Plot == "intermediate"
	states, _, err := loadStates(ctx, o.root, o.Names, needReports)
	if err != nil {
		return err
	}
	var es []*analysis.Experiment
	for _, st := range states {
		es = append(es, analysis.FromState(st))
	}
	if o.Format == "svg" {
		svg, err := o.chart(es)
		if err != nil {
			return err
		}
		return writeOut(o.root.Streams.Out, o.File, func(w io.Writer) error {
			_, err := io.WriteString(w, svg)
			return err
		})
	}
	in, err := reportInput(states, es, time.Now())
	if err != nil {
		return err
	}
	return writeOut(o.root.Streams.Out, o.File, func(w io.Writer) error { return htmlreport.Write(w, in) })
}

func (o *ReportOptions) chart(es []*analysis.Experiment) (string, error) {
	if len(es) > 1 {
		return svgplot.MultiHistory(es), nil
	}
	e := es[0]
	switch o.Plot {
	case "intermediate":
		return svgplot.Intermediate(e), nil
	case "parallel":
		return svgplot.Parallel(e), nil
	case "importance":
		bars, err := importanceBars(e)
		if err != nil {
			return "", exitcode.WithCode(exitcode.Failure, err)
		}
		return svgplot.Importance(bars), nil
	case "slice":
		if len(e.Params) == 0 {
			return "", exitcode.WithCode(exitcode.Failure, fmt.Errorf("experiment %s has no parameters to draw", e.Name))
		}
		i := 0
		if o.Param != "" {
			i = slices.IndexFunc(e.Params, func(p analysis.Param) bool { return p.Name == o.Param })
			if i < 0 {
				var names []string
				for _, p := range e.Params {
					names = append(names, p.Name)
				}
				return "", exitcode.UsageError("experiment %s has no parameter %q: its parameters are %s", e.Name, o.Param, strings.Join(names, ", "))
			}
		}
		return svgplot.Slice(e, i), nil
	}
	return svgplot.History(e), nil
}

func importanceBars(e *analysis.Experiment) ([]svgplot.Bar, error) {
	doc, err := analysis.Importance(e, 0)
	if err != nil {
		return nil, err
	}
	var bars []svgplot.Bar
	for _, p := range doc.Parameters {
		bars = append(bars, svgplot.Bar{Name: p.Name, Share: p.Importance})
	}
	return bars, nil
}

// reportInput gathers what the report shows of each experiment.
func reportInput(states []*store.State, es []*analysis.Experiment, now time.Time) (htmlreport.Input, error) {
	in := htmlreport.Input{Experiments: es, GeneratedAt: now, Version: buildinfo.Version}
	for i, st := range states {
		spec, err := yaml.Marshal(specDocument(st))
		if err != nil {
			return in, err
		}
		in.SpecYAML = append(in.SpecYAML, string(spec))
		c := st.Counts()
		sum := htmlreport.ExperimentSummary{Phase: string(st.Phase()), Succeeded: c.Succeeded, Failed: c.FailedLike(),
			EarlyStopped: c.EarlyStopped, Killed: c.Killed, Running: c.Active()}
		if n := len(st.Status.Conditions); n > 0 {
			sum.Message = st.Status.Conditions[n-1].Message
		}
		if t := st.Status.StartTime; t != nil {
			sum.Started = t.Time
		}
		if t := st.Status.CompletionTime; t != nil {
			sum.Completed = t.Time
		}
		in.Status = append(in.Status, sum)
		bars, err := importanceBars(es[i])
		note := ""
		if err != nil {
			if !errors.Is(err, analysis.ErrImportanceUndefined) {
				return in, err
			}
			bars, note = nil, err.Error()
		}
		in.Importance = append(in.Importance, bars)
		in.ImportanceNote = append(in.ImportanceNote, note)
	}
	return in, nil
}

// specDocument is the experiment as its author wrote it: apiVersion, kind, name, namespace
// and spec, without the bookkeeping the cluster added.
func specDocument(st *store.State) *experiment.Experiment {
	return &experiment.Experiment{
		TypeMeta:   metav1.TypeMeta{APIVersion: experiment.APIVersion, Kind: experiment.KindExp},
		ObjectMeta: metav1.ObjectMeta{Name: st.Experiment.Name, Namespace: st.Experiment.Namespace, Labels: st.Experiment.Labels},
		Spec:       st.Experiment.Spec,
	}
}
