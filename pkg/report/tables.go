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

// short shows a long decimal with six significant digits, so that a table of sampled
// doubles fits a terminal; -o wide and the best trial's parameters show the exact values.
func short(v string, wide bool) string {
	if wide || len(v) <= 8 {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
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
func Comparison(w io.Writer, st *store.State, wide bool, now time.Time) error {
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
			row = append(row, short(assignment(t, p), wide))
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
	return tb.Render(w)
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
	headers := []string{"name", "status", "succeeded", "trials", "running", "failed", "best", "age"}
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
		row := []string{st.Experiment.Name, string(st.Phase()), strconv.Itoa(c.Succeeded), fmt.Sprintf("%d/%s", c.Total, max),
			strconv.Itoa(c.Active()), strconv.Itoa(c.FailedLike()), bestValue, age(st.Experiment.CreationTimestamp.Time, now)}
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
			row = append(row, short(assignment(t, p), wide))
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
