// Package report renders experiments for people: the comparison of trials, experiment and
// trial listings, and the progress of a run (a live view on a terminal, one line per event
// otherwise).
package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/clipperhouse/displaywidth"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/store"
)

// metricValue is the value of a metric after its strategy, as the trial's observation
// recorded it.
func metricValue(st *store.State, t store.TrialRecord, name string) string {
	if t.Observation == nil {
		return ""
	}
	strategy := experiment.ExtractByLatest
	if o := st.Experiment.Spec.Objective; o != nil {
		for _, s := range o.MetricStrategies {
			if s.Name == name {
				strategy = s.Value
			}
		}
	}
	for _, m := range t.Observation.Metrics {
		if m.Name != name {
			continue
		}
		switch strategy {
		case experiment.ExtractByMin:
			return m.Min
		case experiment.ExtractByMax:
			return m.Max
		default:
			return m.Latest
		}
	}
	return ""
}

func metricNames(st *store.State) []string {
	o := st.Experiment.Spec.Objective
	if o == nil {
		return nil
	}
	return append([]string{o.ObjectiveMetricName}, o.AdditionalMetricNames...)
}

func paramNames(st *store.State) []string {
	var names []string
	for _, p := range st.Experiment.Spec.Parameters {
		names = append(names, p.Name)
	}
	return names
}

func assignment(t store.TrialRecord, name string) string {
	for _, a := range t.Assignments {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// paramValue shows a parameter's value to people. Sampled doubles carry every digit of a
// float64 (0.002690406023929013), more than a reader compares and more than a table row
// has room for, so a double with more than six significant digits shows six (0.00269041);
// one written with fewer shows as written ("0.10" stays "0.10"). Every human view (tables,
// event lines, the live view) uses this, so one trial reads the same everywhere; -o wide,
// the best trial's YAML and the stored records keep the exact value.
func paramValue(st *store.State, name, value string) string {
	if st == nil || st.Experiment == nil || paramType(st, name) != experiment.ParameterTypeDouble {
		return value
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return value
	}
	six := strconv.FormatFloat(f, 'g', 6, 64)
	if g, err := strconv.ParseFloat(six, 64); err == nil && g == f {
		return value
	}
	return six
}

func paramType(st *store.State, name string) experiment.ParameterType {
	for _, p := range st.Experiment.Spec.Parameters {
		if p.Name == name {
			return p.ParameterType
		}
	}
	return ""
}

// shownParam is paramValue, or the exact value for -o wide.
func shownParam(st *store.State, name, value string, wide bool) string {
	if wide {
		return value
	}
	return paramValue(st, name, value)
}

// Duration of a trial, from creation to completion (or to now while it runs).
func trialDuration(t store.TrialRecord, now time.Time) string {
	if t.CreationTime == nil {
		return ""
	}
	end := now
	if t.CompletionTime != nil {
		end = t.CompletionTime.Time
	}
	return duration.HumanDuration(end.Sub(t.CreationTime.Time))
}

// Comparison writes every trial best first, parameters as columns, the objective and the
// additional metrics, state and duration; the best trial is marked with '*'.
//
// width is the terminal's, 0 for no limit. A row that wraps no longer reads as one trial,
// so a table wider than the terminal gives up its least useful parts first: the message
// (cut, then left out), the duration, the additional metrics, then the parameters' values
// are cut to ten cells (last parameter first), then the state goes, then the parameters,
// last first. The mark, the trial name and the objective always stay: without them the
// table says nothing. Lines under the table name what was left out.
func Comparison(w io.Writer, st *store.State, wide bool, width int, now time.Time) error {
	params, metrics := paramNames(st), metricNames(st)
	headers := []string{"", "trial", "state"}
	headers = append(headers, params...)
	headers = append(headers, metrics...)
	headers = append(headers, "duration")
	if wide {
		headers = append(headers, "message")
	}
	tb := output.NewTable(headers...)
	best := st.Best()
	for _, t := range st.Ranked() {
		mark := ""
		if best != nil && t.Name == best.Name {
			mark = "*"
		}
		row := []string{mark, t.Name, string(t.State)}
		for _, p := range params {
			row = append(row, shownParam(st, p, assignment(t, p), wide))
		}
		for _, m := range metrics {
			row = append(row, metricValue(st, t, m))
		}
		row = append(row, trialDuration(t, now))
		if wide {
			row = append(row, firstLine(t.Message))
		}
		tb.Append(row...)
	}
	const stateCol, firstParam = 2, 3
	firstMetric := firstParam + len(params)
	durationCol := firstMetric + len(metrics)
	var steps []output.Narrowing
	if wide {
		steps = append(steps, output.Cut(durationCol+1, 20), output.Drop(durationCol+1))
	}
	steps = append(steps, output.Drop(durationCol))
	// The objective (the first metric) is what the table ranks by: it stays.
	for c := durationCol - 1; c > firstMetric; c-- {
		steps = append(steps, output.Drop(c))
	}
	for c := firstMetric - 1; c >= firstParam; c-- {
		steps = append(steps, output.Cut(c, 10))
	}
	steps = append(steps, output.Drop(stateCol))
	for c := firstMetric - 1; c >= firstParam; c-- {
		steps = append(steps, output.Drop(c))
	}
	dropped := tb.Fit(width, steps)
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

// leftOut names the columns a table left out to fit width, in lines no wider than width
// (as far as a single name allows).
func leftOut(headers []string, width int) []string {
	if len(headers) == 0 {
		return nil
	}
	var lines []string
	line := fmt.Sprintf("not shown to fit %d columns:", width)
	for i, h := range headers {
		word := " " + strings.ToUpper(h)
		if i < len(headers)-1 {
			word += ","
		}
		if displaywidth.String(line)+displaywidth.String(word) > width && strings.TrimSpace(line) != "" {
			lines = append(lines, line)
			line = " "
		}
		line += word
	}
	return append(lines, line)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Best writes the best trial and its parameters as YAML, ready to paste into a config.
func Best(w io.Writer, st *store.State) {
	best := st.Best()
	if best == nil {
		fmt.Fprintln(w, "No trial produced the objective metric.")
		return
	}
	obj := st.Experiment.Spec.Objective.ObjectiveMetricName
	fmt.Fprintf(w, "Best trial %s: %s=%s\n", best.Name, obj, metricValue(st, *best, obj))
	for _, a := range best.Assignments {
		fmt.Fprintf(w, "  %s: %s\n", a.Name, strconv.Quote(a.Value))
	}
}

// Experiments writes one row per experiment, like `kubectl get`.
func Experiments(w io.Writer, states []*store.State, wide bool, now time.Time) error {
	return experiments(w, states, wide, false, now)
}

// ExperimentsAllNamespaces is Experiments with the namespace first, as `kubectl get -A`
// shows it.
func ExperimentsAllNamespaces(w io.Writer, states []*store.State, wide bool, now time.Time) error {
	return experiments(w, states, wide, true, now)
}

func experiments(w io.Writer, states []*store.State, wide, namespaces bool, now time.Time) error {
	headers := []string{"name", "status", "succeeded", "trials", "running", "failed", "best", "age"}
	if namespaces {
		headers = append([]string{"namespace"}, headers...)
	}
	if wide {
		headers = append(headers, "algorithm", "objective", "best-trial", "message")
	}
	tb := output.NewTable(headers...)
	for _, st := range states {
		c := st.Counts()
		best := st.Best()
		bestValue, bestName := "", ""
		objective := ""
		if o := st.Experiment.Spec.Objective; o != nil {
			objective = string(o.Type) + " " + o.ObjectiveMetricName
			if best != nil {
				bestValue = metricValue(st, *best, o.ObjectiveMetricName)
				bestName = best.Name
			}
		}
		max := "?"
		if m := st.Experiment.Spec.MaxTrialCount; m != nil {
			max = strconv.Itoa(int(*m))
		}
		var row []string
		if namespaces {
			row = append(row, st.Experiment.Namespace)
		}
		row = append(row, st.Experiment.Name, string(st.Phase()), strconv.Itoa(c.Succeeded), fmt.Sprintf("%d/%s", c.Total, max),
			strconv.Itoa(c.Active()), strconv.Itoa(c.FailedLike()), bestValue, age(st.Experiment.CreationTimestamp.Time, now))
		if wide {
			algo := ""
			if a := st.Experiment.Spec.Algorithm; a != nil {
				algo = a.AlgorithmName
			}
			msg := ""
			if n := len(st.Status.Conditions); n > 0 {
				msg = st.Status.Conditions[n-1].Message
			}
			row = append(row, algo, objective, bestName, msg)
		}
		tb.Append(row...)
	}
	return tb.Render(w)
}

// Trials writes one row per trial in creation order.
func Trials(w io.Writer, st *store.State, wide bool, now time.Time) error {
	params, metrics := paramNames(st), metricNames(st)
	headers := append([]string{"name", "state"}, params...)
	headers = append(headers, metrics...)
	headers = append(headers, "duration")
	if wide {
		headers = append(headers, "reason", "message")
	}
	tb := output.NewTable(headers...)
	trials := append([]store.TrialRecord(nil), st.Trials...)
	sort.SliceStable(trials, func(i, j int) bool {
		a, b := trials[i].CreationTime, trials[j].CreationTime
		return a != nil && b != nil && a.Before(b)
	})
	for _, t := range trials {
		row := []string{t.Name, string(t.State)}
		for _, p := range params {
			row = append(row, shownParam(st, p, assignment(t, p), wide))
		}
		for _, m := range metrics {
			row = append(row, metricValue(st, t, m))
		}
		row = append(row, trialDuration(t, now))
		if wide {
			row = append(row, t.Reason, firstLine(t.Message))
		}
		tb.Append(row...)
	}
	return tb.Render(w)
}

func age(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}
