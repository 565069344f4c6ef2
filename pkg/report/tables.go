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
	"github.com/kubectl-katib/plugins/pkg/metrics"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/store"
)

// metricValue is the value of a metric after its strategy (store.State.MetricValue).
func metricValue(st *store.State, t store.TrialRecord, name string) string {
	return st.MetricValue(t, name)
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
// additional metrics, state and duration; the best trial is marked with '*'. With several
// objectives the trials of the Pareto front are marked and come first instead.
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
	front := frontSet(st)
	for _, t := range rankedForShow(st, front) {
		mark := ""
		if (front == nil && best != nil && t.Name == best.Name) || front[t.Name] {
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

// frontSet names the trials of the Pareto front; nil for a single objective.
func frontSet(st *store.State) map[string]bool {
	if !st.MultiObjective() {
		return nil
	}
	set := map[string]bool{}
	for _, t := range st.ParetoFront() {
		set[t.Name] = true
	}
	return set
}

// rankedForShow is Ranked, with the Pareto front's trials moved first when there is one.
func rankedForShow(st *store.State, front map[string]bool) []store.TrialRecord {
	ranked := st.Ranked()
	if front == nil {
		return ranked
	}
	out := make([]store.TrialRecord, 0, len(ranked))
	for _, on := range []bool{true, false} {
		for _, t := range ranked {
			if front[t.Name] == on {
				out = append(out, t)
			}
		}
	}
	return out
}

// describeObjectives writes the objectives as people say them: "accuracy (maximize),
// train_seconds (minimize)".
func describeObjectives(objs []experiment.Objective) string {
	parts := make([]string, len(objs))
	for i, o := range objs {
		parts[i] = fmt.Sprintf("%s (%s)", o.MetricName, o.Type)
	}
	return strings.Join(parts, ", ")
}

// ParetoFront writes the trials of a multi-objective experiment's Pareto front: every
// objective's value, then the parameters, best first on the first objective.
func ParetoFront(w io.Writer, st *store.State, wide bool) error {
	objs := st.Objectives()
	front := st.ParetoFront()
	if len(front) == 0 {
		_, err := fmt.Fprintf(w, "No trial reported every objective (%s), so there is no Pareto front yet.\n", describeObjectives(objs))
		return err
	}
	sort.SliceStable(front, func(i, j int) bool {
		a, b := front[i].Objectives[0], front[j].Objectives[0]
		if objs[0].Type == experiment.ObjectiveTypeMaximize {
			return a > b
		}
		return a < b
	})
	plural := "s are"
	if len(front) == 1 {
		plural = " is"
	}
	if _, err := fmt.Fprintf(w, "Pareto front: %d trial%s dominated by no other on %s\n", len(front), plural, describeObjectives(objs)); err != nil {
		return err
	}
	params := paramNames(st)
	headers := []string{"trial"}
	for _, o := range objs {
		headers = append(headers, o.MetricName)
	}
	tb := output.NewTable(append(headers, params...)...)
	for _, t := range front {
		row := []string{t.Name}
		for _, v := range t.Objectives {
			row = append(row, metrics.FormatValue(v))
		}
		for _, p := range params {
			row = append(row, shownParam(st, p, assignment(*t, p), wide))
		}
		tb.Append(row...)
	}
	return tb.Render(w)
}

// Best writes the best trial and its parameters as YAML, ready to paste into a config. An
// experiment with several objectives has no single best trial: its Pareto front is written
// instead.
func Best(w io.Writer, st *store.State) {
	if st.MultiObjective() {
		_ = ParetoFront(w, st, false)
		return
	}
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
		if st.MultiObjective() {
			// No single trial is the best: the column says how many make up the front.
			var parts []string
			for _, o := range st.Objectives() {
				parts = append(parts, string(o.Type)+" "+o.MetricName)
			}
			objective = strings.Join(parts, ", ")
			names := st.FrontNames()
			bestValue, bestName = "", strings.Join(names, ",")
			if len(names) > 0 {
				bestValue = fmt.Sprintf("front of %d", len(names))
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

// Trials writes one row per trial in creation order. With several objectives a FRONT
// column marks the trials of the Pareto front with '*'.
func Trials(w io.Writer, st *store.State, wide bool, now time.Time) error {
	params, metrics := paramNames(st), metricNames(st)
	front := frontSet(st)
	headers := []string{"name", "state"}
	if front != nil {
		headers = append(headers, "front")
	}
	headers = append(headers, params...)
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
		if front != nil {
			mark := ""
			if front[t.Name] {
				mark = "*"
			}
			row = append(row, mark)
		}
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
