// Package htmlreport writes one or more experiments' results as a single HTML file that
// needs nothing else: styles, charts (inline SVG) and the small script that sorts tables are
// all inside it, and it loads nothing from the network, so it can be mailed, archived or
// opened on a machine without access to the cluster or the internet.
package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/plot/svgplot"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// ExperimentSummary is what the cluster says about an experiment as a whole, beyond its
// trials' results.
type ExperimentSummary struct {
	// Phase is the experiment's current condition (Created, Running, Succeeded, ...).
	Phase string
	// Message is that condition's message.
	Message string
	// Started and Completed are zero when not known, or not yet reached.
	Started, Completed time.Time
	// Trial counts as the experiment's status reports them.
	Succeeded, Failed, EarlyStopped, Killed, Running int
}

// Input is everything a report shows. The slices after Experiments are parallel to it; any
// of them may be shorter (or nil), and what is missing for an experiment is left out of its
// section or, for the counts, taken from its trials.
type Input struct {
	Experiments []*analysis.Experiment
	// SpecYAML is each experiment's spec as YAML.
	SpecYAML []string
	Status   []ExperimentSummary
	// Importance is each experiment's parameter importance, most important first; nil when
	// it was not computed, in which case ImportanceNote says why.
	Importance     [][]svgplot.Bar
	ImportanceNote []string
	// GeneratedAt and Version are shown in the report's header; zero and empty leave them
	// out.
	GeneratedAt time.Time
	Version     string
}

var (
	//go:embed report.tmpl
	pageTemplate string
	//go:embed report.css
	pageStyle string
	//go:embed sort.js
	pageScript string

	tmpl = template.Must(template.New("report").Parse(pageTemplate))
)

// Write writes the report as one HTML document.
func Write(w io.Writer, in Input) error {
	for i, e := range in.Experiments {
		if e == nil {
			return fmt.Errorf("experiment %d is missing", i+1)
		}
	}
	p := page{
		Style:   template.CSS(pageStyle),
		Script:  template.JS(pageScript),
		Version: in.Version,
	}
	if !in.GeneratedAt.IsZero() {
		p.Generated = formatTime(in.GeneratedAt)
	}
	switch len(in.Experiments) {
	case 0:
		p.Title = "Katib report"
	case 1:
		p.Title = "Katib report: " + in.Experiments[0].Name
	default:
		p.Title = "Katib report: " + strconv.Itoa(len(in.Experiments)) + " experiments"
	}
	for i, e := range in.Experiments {
		p.Experiments = append(p.Experiments, experimentView(i, e, in))
	}
	if len(in.Experiments) > 1 {
		c := &comparison{Chart: newFigure(svgplot.MultiHistory(in.Experiments))}
		for _, v := range p.Experiments {
			c.Rows = append(c.Rows, v.summary)
		}
		p.Compare = c
	}
	return tmpl.Execute(w, p)
}

// page is what the template renders.
type page struct {
	Title, Generated, Version string
	Style                     template.CSS
	Script                    template.JS
	Compare                   *comparison
	Experiments               []*expView
}

type comparison struct {
	Chart figure
	Rows  []summaryRow
}

// figure is a chart and the widest it should be shown. Charts are drawn at their own size in
// pixels; shown a little larger they read comfortably on a wide page, but much larger their
// text grows out of proportion with the page's.
type figure struct {
	SVG      template.HTML
	MaxWidth int
}

const figureScale = 1.2

var svgWidth = regexp.MustCompile(`^<svg [^>]*?width="([0-9.]+)"`)

func newFigure(svg string) figure {
	f := figure{SVG: template.HTML(svg), MaxWidth: int(svgplot.Width * figureScale)}
	if m := svgWidth.FindStringSubmatch(svg); m != nil {
		if w, err := strconv.ParseFloat(m[1], 64); err == nil {
			f.MaxWidth = int(math.Round(w * figureScale))
		}
	}
	return f
}

// summaryRow is an experiment's line in the comparison table. Fields ending in Sort hold the
// exact number a column sorts by.
type summaryRow struct {
	Anchor, Name, Namespace, Algorithm, Objective, Phase string
	Trials, Succeeded, Failed                            int
	BestTrial, BestValue, BestSort                       string
}

type expView struct {
	Anchor, Name, Namespace, Algorithm, EarlyStopping string
	Objective, Phase, Message                         string
	Started, Completed, Duration                      string
	Counts                                            []count
	Best                                              *bestView
	Spec                                              string
	Columns                                           []column
	Rows                                              []row
	History, Parallel                                 figure
	Intermediate, Importance                          *figure
	Slices                                            []figure
	ImportanceNote                                    string

	summary summaryRow
}

type count struct {
	Label, Class string
	N            int
}

type bestView struct {
	Name, Objective string
	Params          []nameValue
}

type nameValue struct{ Name, Value string }

// column is a header of the trial table; Numeric columns sort as numbers.
type column struct {
	Label   string
	Numeric bool
}

type row struct {
	Number               int
	Name, State, StateCl string
	Best                 bool
	Cells                []cell
}

// cell is a table cell: the text shown, and the value it sorts by when that differs (a
// number written in full, or empty for a missing value so it sorts last).
type cell struct {
	Text, Sort string
	HasSort    bool
}

func experimentView(i int, e *analysis.Experiment, in Input) *expView {
	v := &expView{
		Anchor:        "experiment-" + strconv.Itoa(i+1),
		Name:          e.Name,
		Namespace:     e.Namespace,
		Algorithm:     e.Algorithm,
		EarlyStopping: e.EarlyStopping,
		Objective:     objectiveText(e),
	}
	st := trialCounts(e)
	if i < len(in.Status) {
		st = in.Status[i]
	}
	v.Phase, v.Message = st.Phase, st.Message
	if !st.Started.IsZero() {
		v.Started = formatTime(st.Started)
	}
	if !st.Completed.IsZero() {
		v.Completed = formatTime(st.Completed)
	}
	switch {
	case !st.Started.IsZero() && !st.Completed.IsZero():
		v.Duration = duration.HumanDuration(st.Completed.Sub(st.Started))
	case !st.Started.IsZero() && !in.GeneratedAt.IsZero():
		v.Duration = duration.HumanDuration(in.GeneratedAt.Sub(st.Started)) + " so far"
	}
	v.Counts = []count{
		{"trials", "total", len(e.Trials)},
		{"succeeded", "succeeded", st.Succeeded},
		{"failed", "failed", st.Failed},
		{"stopped early", "earlystopped", st.EarlyStopped},
		{"killed", "killed", st.Killed},
		{"running", "running", st.Running},
	}
	if i < len(in.SpecYAML) {
		v.Spec = in.SpecYAML[i]
	}

	v.Columns = append(v.Columns, column{"#", true}, column{"Trial", false}, column{"State", false})
	for _, p := range e.Params {
		v.Columns = append(v.Columns, column{p.Name, p.Kind == analysis.Numeric})
	}
	metric := e.Metric
	if metric == "" {
		metric = "objective"
	}
	v.Columns = append(v.Columns, column{metric, true})
	for n, t := range e.Trials {
		r := row{Number: n + 1, Name: t.Name, State: stateText(t.State), StateCl: stateClass(t.State), Best: t.Best}
		for j, p := range e.Params {
			c := cell{Text: t.Raw[j]}
			if p.Kind == analysis.Numeric {
				c.HasSort, c.Sort = true, sortNumber(t.Values[j])
			}
			r.Cells = append(r.Cells, c)
		}
		oc := cell{Text: "", HasSort: true}
		if t.Objective != nil {
			oc.Text, oc.Sort = formatValue(*t.Objective), sortNumber(*t.Objective)
		}
		r.Cells = append(r.Cells, oc)
		v.Rows = append(v.Rows, r)
		if t.Best {
			b := &bestView{Name: t.Name}
			if t.Objective != nil {
				b.Objective = formatValue(*t.Objective)
			}
			for j, p := range e.Params {
				b.Params = append(b.Params, nameValue{p.Name, t.Raw[j]})
			}
			v.Best = b
		}
	}

	v.History = newFigure(svgplot.History(e))
	for _, t := range e.Trials {
		if len(t.Reports) > 0 {
			f := newFigure(svgplot.Intermediate(e))
			v.Intermediate = &f
			break
		}
	}
	v.Parallel = newFigure(svgplot.Parallel(e))
	for j := range e.Params {
		v.Slices = append(v.Slices, newFigure(svgplot.Slice(e, j)))
	}
	if i < len(in.Importance) && in.Importance[i] != nil {
		f := newFigure(svgplot.Importance(in.Importance[i]))
		v.Importance = &f
	}
	if i < len(in.ImportanceNote) {
		v.ImportanceNote = in.ImportanceNote[i]
	}

	v.summary = summaryRow{
		Anchor: v.Anchor, Name: e.Name, Namespace: e.Namespace, Algorithm: e.Algorithm,
		Objective: v.Objective, Phase: st.Phase, Trials: len(e.Trials),
		Succeeded: st.Succeeded, Failed: st.Failed,
	}
	if v.Best != nil {
		v.summary.BestTrial, v.summary.BestValue = v.Best.Name, v.Best.Objective
		for _, t := range e.Trials {
			if t.Best && t.Objective != nil {
				v.summary.BestSort = sortNumber(*t.Objective)
			}
		}
	}
	return v
}

// trialCounts counts trials by state, for when the experiment's own status was not given.
func trialCounts(e *analysis.Experiment) ExperimentSummary {
	var s ExperimentSummary
	for _, t := range e.Trials {
		switch t.State {
		case suggest.StateSucceeded:
			s.Succeeded++
		case suggest.StateFailed, suggest.StateMetricsUnavailable:
			s.Failed++
		case suggest.StateEarlyStopped:
			s.EarlyStopped++
		case suggest.StateKilled:
			s.Killed++
		case suggest.StateRunning:
			s.Running++
		}
	}
	return s
}

func objectiveText(e *analysis.Experiment) string {
	metric := e.Metric
	if metric == "" {
		metric = "objective"
	}
	s := "minimize " + metric
	if e.Maximize {
		s = "maximize " + metric
	}
	if e.Goal != nil {
		s += ", goal " + formatValue(*e.Goal)
	}
	return s
}

func stateText(s suggest.TrialState) string {
	switch s {
	case suggest.StateEarlyStopped:
		return "EarlyStopped"
	case suggest.StateMetricsUnavailable:
		return "MetricsUnavailable"
	case "":
		return "Unknown"
	}
	return string(s)
}

func stateClass(s suggest.TrialState) string {
	switch s {
	case suggest.StateSucceeded:
		return "succeeded"
	case suggest.StateFailed, suggest.StateMetricsUnavailable:
		return "failed"
	case suggest.StateEarlyStopped:
		return "earlystopped"
	case suggest.StateKilled:
		return "killed"
	case suggest.StateRunning:
		return "running"
	}
	return "other"
}

// formatValue writes an objective for reading: six significant digits.
func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// sortNumber writes a number in full for sorting; a missing value is empty, and sorts last.
func sortNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
