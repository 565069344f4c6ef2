package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// The -o json|yaml form of a comparison. Fields are only ever added to it, never renamed or
// removed, so scripts may rely on them.
const (
	ComparisonAPIVersion = "compare.kubectl-katib.io/v1"
	ComparisonKind       = "Comparison"
)

// NearBest is how close to the best value a trial must come to count as having reached it,
// relative to the best value's magnitude.
const NearBest = 0.01

// ComparisonDoc is the comparison of one or more experiments that share an objective.
type ComparisonDoc struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Objective  ComparedObjective `json:"objective"`
	// Objectives lists every objective of multi-objective experiments, objective first.
	Objectives  []ComparedObjective  `json:"objectives,omitempty"`
	Experiments []ComparedExperiment `json:"experiments"`
}

// ComparedObjective is the objective every compared experiment has.
type ComparedObjective struct {
	MetricName string `json:"metricName"`
	Type       string `json:"type"`
}

// NameValue is a parameter's or a metric's value, in the order the experiment names them.
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ComparedExperiment is one experiment's row.
type ComparedExperiment struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Phase     string `json:"phase"`
	// ParameterNames and MetricNames give the order of every trial's parameters and
	// metrics; the objective is the first metric.
	ParameterNames []string    `json:"parameterNames"`
	MetricNames    []string    `json:"metricNames"`
	BestTrial      string      `json:"bestTrial,omitempty"`
	BestValue      *float64    `json:"bestValue,omitempty"`
	BestParameters []NameValue `json:"bestParameters,omitempty"`
	// TrialsToNearBest counts the trials, in creation order, up to and including the
	// first whose objective is within NearBest of the best value: how soon the search
	// found an answer about as good as its last.
	TrialsToNearBest *int           `json:"trialsToNearBest,omitempty"`
	Counts           ComparedCounts `json:"counts"`
	StartTime        *time.Time     `json:"startTime,omitempty"`
	CompletionTime   *time.Time     `json:"completionTime,omitempty"`
	// DurationSeconds runs from the start to the completion, or to now while it runs.
	DurationSeconds float64 `json:"durationSeconds"`
	// Trials best first, only when a single experiment is compared.
	Trials []ComparedTrial `json:"trials,omitempty"`
	// ParetoFront, for an experiment with several objectives, lists the succeeded trials
	// that no other dominates, in creation order.
	ParetoFront []FrontTrial `json:"paretoFront,omitempty"`
}

// FrontTrial is a trial of the Pareto front with its value of every objective.
type FrontTrial struct {
	Name       string           `json:"name"`
	Objectives []ObjectiveValue `json:"objectives"`
	Parameters []NameValue      `json:"parameters"`
}

// ObjectiveValue is a trial's value of one objective, after the metric's strategy.
type ObjectiveValue struct {
	MetricName string  `json:"metricName"`
	Type       string  `json:"type"`
	Value      float64 `json:"value"`
}

// ComparedCounts tallies an experiment's trials by outcome.
type ComparedCounts struct {
	Total     int `json:"total"`
	Succeeded int `json:"succeeded"`
	// Failed counts the trials that failed or never reported the objective.
	Failed       int `json:"failed"`
	EarlyStopped int `json:"earlyStopped"`
	Killed       int `json:"killed"`
	// Running counts the trials not yet ended, pending or running.
	Running int `json:"running"`
}

// ComparedTrial is one trial of a single compared experiment.
type ComparedTrial struct {
	Name string `json:"name"`
	Best bool   `json:"best"`
	// OnParetoFront marks the trials of the Pareto front of a multi-objective experiment.
	OnParetoFront   bool        `json:"onParetoFront,omitempty"`
	State           string      `json:"state"`
	Parameters      []NameValue `json:"parameters"`
	Metrics         []NameValue `json:"metrics"`
	CreationTime    *time.Time  `json:"creationTime,omitempty"`
	CompletionTime  *time.Time  `json:"completionTime,omitempty"`
	DurationSeconds *float64    `json:"durationSeconds,omitempty"`
}

// ObjectiveMismatchError names two experiments whose best values mean different things.
type ObjectiveMismatchError struct {
	First, Other       string
	FirstObj, OtherObj string
}

func (e *ObjectiveMismatchError) Error() string {
	return fmt.Sprintf("experiments %q (%s) and %q (%s) do not share an objective: compare only experiments that optimise the same metric in the same direction",
		e.First, e.FirstObj, e.Other, e.OtherObj)
}

func objectiveOf(st *store.State) string {
	o := st.Experiment.Spec.Objective
	if o == nil {
		return "no objective"
	}
	if st.MultiObjective() {
		var parts []string
		for _, obj := range st.Objectives() {
			parts = append(parts, string(obj.Type)+" "+obj.MetricName)
		}
		return strings.Join(parts, ", ")
	}
	return string(o.Type) + " " + o.ObjectiveMetricName
}

// Compare builds the comparison of the given experiments, which must share the objective's
// metric and direction. One experiment also gets its trials, best first.
func Compare(states []*store.State, now time.Time) (*ComparisonDoc, error) {
	if len(states) == 0 {
		return nil, fmt.Errorf("no experiment to compare")
	}
	first := states[0]
	for _, st := range states[1:] {
		if objectiveOf(st) != objectiveOf(first) || st.Experiment.Spec.Objective == nil {
			return nil, &ObjectiveMismatchError{First: first.Experiment.Name, FirstObj: objectiveOf(first), Other: st.Experiment.Name, OtherObj: objectiveOf(st)}
		}
	}
	doc := &ComparisonDoc{APIVersion: ComparisonAPIVersion, Kind: ComparisonKind}
	if o := first.Experiment.Spec.Objective; o != nil {
		doc.Objective = ComparedObjective{MetricName: o.ObjectiveMetricName, Type: string(o.Type)}
	}
	if first.MultiObjective() {
		for _, obj := range first.Objectives() {
			doc.Objectives = append(doc.Objectives, ComparedObjective{MetricName: obj.MetricName, Type: string(obj.Type)})
		}
	}
	for _, st := range states {
		e := comparedExperiment(st, now)
		if len(states) == 1 {
			e.Trials = comparedTrials(st, now)
		}
		doc.Experiments = append(doc.Experiments, e)
	}
	return doc, nil
}

func comparedExperiment(st *store.State, now time.Time) ComparedExperiment {
	c := st.Counts()
	e := ComparedExperiment{
		Name: st.Experiment.Name, Namespace: st.Experiment.Namespace, Phase: string(st.Phase()),
		ParameterNames: orNone(paramNames(st)), MetricNames: orNone(metricNames(st)),
		Counts: ComparedCounts{Total: c.Total, Succeeded: c.Succeeded, Failed: c.FailedLike(), EarlyStopped: c.EarlyStopped,
			Killed: c.Killed, Running: c.Active()},
	}
	if best := st.Best(); best != nil {
		v := *best.Objective
		e.BestTrial, e.BestValue = best.Name, &v
		for _, p := range e.ParameterNames {
			e.BestParameters = append(e.BestParameters, NameValue{p, assignment(*best, p)})
		}
		e.TrialsToNearBest = trialsToNearBest(st, v)
	}
	objs := st.Objectives()
	for _, t := range st.ParetoFront() {
		ft := FrontTrial{Name: t.Name, Parameters: []NameValue{}}
		for i, o := range objs {
			ft.Objectives = append(ft.Objectives, ObjectiveValue{MetricName: o.MetricName, Type: string(o.Type), Value: t.Objectives[i]})
		}
		for _, p := range e.ParameterNames {
			ft.Parameters = append(ft.Parameters, NameValue{p, assignment(*t, p)})
		}
		e.ParetoFront = append(e.ParetoFront, ft)
	}
	start := st.Status.StartTime
	if start == nil && !st.Experiment.CreationTimestamp.IsZero() {
		start = &st.Experiment.CreationTimestamp
	}
	if start != nil {
		e.StartTime = utc(start.Time)
		end := now
		if st.Status.CompletionTime != nil {
			end = st.Status.CompletionTime.Time
			e.CompletionTime = utc(end)
		}
		e.DurationSeconds = end.Sub(start.Time).Seconds()
	}
	return e
}

// trialsToNearBest is the position, counting from 1 in creation order, of the first trial
// that could be the best (Best's rule) and comes within NearBest of best.
func trialsToNearBest(st *store.State, best float64) *int {
	trials := append([]store.TrialRecord(nil), st.Trials...)
	slices.SortStableFunc(trials, func(a, b store.TrialRecord) int { return a.Index - b.Index })
	for i, t := range trials {
		if t.Objective == nil || (t.State != suggest.StateSucceeded && t.State != suggest.StateEarlyStopped) {
			continue
		}
		// The slack keeps a value exactly 1% away (1.01 against 1) inside despite rounding.
		if math.Abs(*t.Objective-best) <= NearBest*math.Abs(best)*(1+1e-9) {
			n := i + 1
			return &n
		}
	}
	return nil
}

func comparedTrials(st *store.State, now time.Time) []ComparedTrial {
	params, metrics := paramNames(st), metricNames(st)
	best := st.Best()
	front := frontSet(st)
	var out []ComparedTrial
	for _, t := range rankedForShow(st, front) {
		row := ComparedTrial{Name: t.Name, Best: best != nil && t.Name == best.Name, OnParetoFront: front[t.Name], State: string(t.State),
			Parameters: []NameValue{}, Metrics: []NameValue{}}
		for _, p := range params {
			row.Parameters = append(row.Parameters, NameValue{p, assignment(t, p)})
		}
		for _, m := range metrics {
			row.Metrics = append(row.Metrics, NameValue{m, metricValue(st, t, m)})
		}
		if t.CreationTime != nil {
			row.CreationTime = utc(t.CreationTime.Time)
			end := now
			if t.CompletionTime != nil {
				end = t.CompletionTime.Time
				row.CompletionTime = utc(end)
			}
			d := end.Sub(t.CreationTime.Time).Seconds()
			row.DurationSeconds = &d
		}
		out = append(out, row)
	}
	return out
}

func utc(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// compactParams writes parameters as name=value pairs, doubles shortened for reading unless
// exact.
func compactParams(st *store.State, params []NameValue, exact bool) string {
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.Name + "=" + shownParam(st, p.Name, p.Value, exact)
	}
	return strings.Join(parts, " ")
}

func formatValue(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func formatSeconds(s float64) string {
	return duration.HumanDuration(time.Duration(s * float64(time.Second)))
}

// ComparisonTable writes a comparison for people. One experiment is drawn as Comparison
// draws it; several get one row each, side by side. width is the terminal's, 0 for no
// limit: the columns that matter least give way first (the counts of trials that did not
// succeed, the duration, then the best parameters are cut and the best trial's name
// left out); the name and the best value always stay.
func ComparisonTable(w io.Writer, states []*store.State, doc *ComparisonDoc, wide bool, width int, now time.Time) error {
	if len(states) == 1 {
		return Comparison(w, states[0], wide, width, now)
	}
	tb := output.NewTable("name", "status", "best", "best-trial", "best-parameters", "near-best-at",
		"trials", "succeeded", "failed", "early-stopped", "killed", "duration")
	for i, e := range doc.Experiments {
		near := ""
		if e.TrialsToNearBest != nil {
			near = strconv.Itoa(*e.TrialsToNearBest)
		}
		dur := ""
		if e.StartTime != nil {
			dur = formatSeconds(e.DurationSeconds)
		}
		tb.Append(e.Name, e.Phase, formatValue(e.BestValue), e.BestTrial, compactParams(states[i], e.BestParameters, wide), near,
			strconv.Itoa(e.Counts.Total), strconv.Itoa(e.Counts.Succeeded), strconv.Itoa(e.Counts.Failed), strconv.Itoa(e.Counts.EarlyStopped),
			strconv.Itoa(e.Counts.Killed), dur)
	}
	const status, bestTrial, bestParams, nearBest, failed, earlyStopped, killed, dur = 1, 3, 4, 5, 8, 9, 10, 11
	dropped := tb.Fit(width, []output.Narrowing{
		output.Drop(killed), output.Drop(earlyStopped), output.Drop(dur), output.Cut(bestParams, 20),
		output.Drop(status), output.Drop(failed), output.Cut(bestParams, 10), output.Drop(bestTrial),
		output.Drop(nearBest), output.Drop(bestParams),
	})
	if err := tb.Render(w); err != nil {
		return err
	}
	for _, line := range leftOut(dropped, width) {
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// ComparisonCSV writes the comparison as RFC 4180 CSV with a header row: one row per trial,
// best first, for a single experiment; one row per experiment for several. Values are
// exact, as stored.
func ComparisonCSV(w io.Writer, doc *ComparisonDoc) error {
	cw := csv.NewWriter(w)
	if len(doc.Experiments) == 1 {
		e := doc.Experiments[0]
		header := append([]string{"trial", "best", "state"}, e.ParameterNames...)
		header = append(header, e.MetricNames...)
		header = append(header, "creationTime", "completionTime", "durationSeconds")
		if err := cw.Write(header); err != nil {
			return err
		}
		for _, t := range e.Trials {
			row := []string{t.Name, strconv.FormatBool(t.Best), t.State}
			for _, p := range t.Parameters {
				row = append(row, p.Value)
			}
			for _, m := range t.Metrics {
				row = append(row, m.Value)
			}
			row = append(row, csvTime(t.CreationTime), csvTime(t.CompletionTime), formatValue(t.DurationSeconds))
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	} else {
		if err := cw.Write([]string{"experiment", "namespace", "phase", "bestValue", "bestTrial", "bestParameters", "trialsToNearBest",
			"trials", "succeeded", "failed", "earlyStopped", "killed", "running", "startTime", "completionTime", "durationSeconds"}); err != nil {
			return err
		}
		for _, e := range doc.Experiments {
			near := ""
			if e.TrialsToNearBest != nil {
				near = strconv.Itoa(*e.TrialsToNearBest)
			}
			params := make([]string, len(e.BestParameters))
			for i, p := range e.BestParameters {
				params[i] = p.Name + "=" + p.Value
			}
			row := []string{e.Name, e.Namespace, e.Phase, formatValue(e.BestValue), e.BestTrial, strings.Join(params, ","), near,
				strconv.Itoa(e.Counts.Total), strconv.Itoa(e.Counts.Succeeded), strconv.Itoa(e.Counts.Failed), strconv.Itoa(e.Counts.EarlyStopped),
				strconv.Itoa(e.Counts.Killed), strconv.Itoa(e.Counts.Running), csvTime(e.StartTime), csvTime(e.CompletionTime),
				formatValue(&e.DurationSeconds)}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

// ComparisonFormats are the machine-readable forms WriteComparison knows.
var ComparisonFormats = []string{"json", "yaml", "csv"}

// WriteComparison writes the comparison as json (indented as kubectl indents), yaml or csv.
func WriteComparison(w io.Writer, doc *ComparisonDoc, format string) error {
	switch format {
	case "csv":
		return ComparisonCSV(w, doc)
	case "json":
		data, err := json.MarshalIndent(doc, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	case "yaml":
		data, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	return fmt.Errorf("unknown comparison format %q: use one of %s", format, strings.Join(ComparisonFormats, ", "))
}
