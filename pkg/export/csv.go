package export

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/store"
)

// CSV writes the experiment's trials as RFC 4180 CSV: a header row, then one row per trial
// in index order, with the columns
//
//	name,index,state,<parameter>...,<metric>...,objective,creationTime,startTime,completionTime,durationSeconds
//
// The parameter columns are the spec's parameters in spec order (then any other parameter a
// trial was assigned) and hold the assigned values as Katib stored them. The metric columns
// are the objective metric, the additional metrics and then any other metric a trial
// reported, each holding the metric's value after its strategy (min, max or latest, as
// compare and get trials show it); every metric's min, max and latest are in the Optuna export. objective is the trial's objective value after the metric strategy, the
// value trials are ranked by, as the shortest decimal that reads back as the same float64
// (NaN, +Inf and -Inf when not finite). Times are RFC 3339 in UTC. durationSeconds runs from
// the start (the creation when the trial never started) to the completion. An empty cell is
// a value the trial does not have. Columns are named after the parameters and metrics as
// they are, so a reader that needs to tell them apart should go by position.
func CSV(w io.Writer, st *store.State) error {
	if st == nil || st.Experiment == nil {
		return errors.New("export: no experiment")
	}
	trials := trialsByIndex(st)
	params := parameterNames(st, trials)
	metrics := metricNames(st, trials)

	cw := csv.NewWriter(w)
	header := []string{"name", "index", "state"}
	header = append(header, params...)
	header = append(header, metrics...)
	header = append(header, "objective", "creationTime", "startTime", "completionTime", "durationSeconds")
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, 0, len(header))
	for _, t := range trials {
		row = append(row[:0], t.Name, strconv.Itoa(t.Index), string(t.State))
		for _, p := range params {
			v, _ := assignment(t, p)
			row = append(row, v)
		}
		for _, name := range metrics {
			row = append(row, st.MetricValue(*t, name))
		}
		objective := ""
		if t.Objective != nil {
			objective = strconv.FormatFloat(*t.Objective, 'g', -1, 64)
		}
		row = append(row, objective, csvTime(t.CreationTime), csvTime(t.StartTime), csvTime(t.CompletionTime), duration(t))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvTime(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// duration is how long the trial took, in seconds; empty until it completes.
func duration(t *store.TrialRecord) string {
	from := t.StartTime
	if from == nil || from.IsZero() {
		from = t.CreationTime
	}
	if t.CompletionTime == nil || t.CompletionTime.IsZero() || from == nil || from.IsZero() {
		return ""
	}
	return strconv.FormatFloat(t.CompletionTime.Sub(from.Time).Seconds(), 'f', -1, 64)
}
