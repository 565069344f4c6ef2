package export

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// Operation codes of Optuna's journal (JournalOperation in
// optuna/storages/_journal/storage.py).
const (
	opCreateStudy               = 0
	opSetStudyUserAttr          = 2
	opCreateTrial               = 4
	opSetTrialParam             = 5
	opSetTrialStateValues       = 6
	opSetTrialIntermediateValue = 7
	opSetTrialUserAttr          = 8
)

// Optuna's TrialState and StudyDirection, which the journal holds as their integer values.
const (
	optunaRunning  = 0
	optunaComplete = 1
	optunaPruned   = 2
	optunaFail     = 3

	optunaMinimize = 1
	optunaMaximize = 2
)

// WorkerID is the worker_id of every operation in an exported journal. Optuna uses worker
// ids to tell its own operations from other processes' (its ids start with a random UUID),
// so a reader takes every exported operation as another process's, as it should.
const WorkerID = "kubectl-katib-export"

// optunaTimeLayout is datetime.isoformat(timespec="microseconds") of a naive datetime, the
// form Optuna writes and reads with datetime.fromisoformat.
const optunaTimeLayout = "2006-01-02T15:04:05.000000"

// OptunaJournal writes the experiment as the journal of one Optuna study, in the JSON-lines
// format optuna.storages.JournalFileStorage reads (as of Optuna 3.1). Load it with
//
//	storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(path))
//	study = optuna.load_study(study_name="NAMESPACE/NAME", storage=storage)
//
// The journal is a whole storage: its study is study 0 and its trials are trials 0 to n-1,
// so it must be written to a file of its own, not appended to another journal.
//
// The study is named NAMESPACE/NAME (NAME when the experiment has no namespace) and is
// minimized or maximized as the objective is; its user attributes name the experiment, the
// objective and additional metrics, the goal, the algorithm and its settings, the early
// stopping algorithm, the experiment's phase, and say how each parameter whose space Optuna
// cannot state exactly was approximated (katib_distribution_notes).
//
// Trials follow in index order, numbered from 0. Each parameter becomes an Optuna
// distribution: a double a FloatDistribution (log for logUniform and logNormal, with the step
// when it has one), an int an IntDistribution, a categorical a CategoricalDistribution of its
// strings, and a discrete a CategoricalDistribution of its values as numbers (ints when all
// are integers) or as strings when some are not numbers. Optuna has no normal priors, and no
// log-scaled float with a step: such parameters keep their range and scale and the note says
// what was lost. A stepped range that does not end on a step ends at its last step, as Optuna
// would cut it. A value that cannot be put in its parameter's distribution (not a number,
// not in the list, no such parameter in the spec) is left out of the trial's params; the
// katib_parameters user attribute has every assignment as Katib stored it.
//
// The objective's observation log becomes the intermediate values, each at the first step it
// stands for. Succeeded trials are COMPLETE with the objective as their value, but a NaN or
// missing objective, which Optuna does not accept for a complete trial, makes the trial FAIL
// with katib_fail_reason saying why (infinities are accepted, as Optuna does). EarlyStopped
// trials are PRUNED with the objective as their value when there is one, as Optuna keeps a
// pruned trial's last reported value. Failed, MetricsUnavailable and Killed trials FAIL with
// no value. Pending and Running trials stay RUNNING. Every trial's user attributes hold the
// Katib trial name, index, state, reason and message, the objective, and each metric's
// latest, min and max (as "METRIC.latest" and so on: numbers when they parse as finite ones,
// else the stored string). User attributes are plain JSON: a non-finite objective is the
// string "NaN", "Infinity" or "-Infinity". Note that Optuna's best trial is chosen among
// COMPLETE trials only, while Katib's may be an early-stopped one.
//
// Times are written in UTC without an offset (Optuna keeps naive datetimes). Optuna requires
// a start time of every trial and a completion time of every finished one: a trial without
// one borrows its other times or the experiment's, and katib_start_time or
// katib_completion_time "unknown" says so.
func OptunaJournal(w io.Writer, st *store.State) error {
	if st == nil || st.Experiment == nil {
		return errors.New("export: no experiment")
	}
	spec := &st.Experiment.Spec
	direction := optunaMinimize
	if o := spec.Objective; o == nil {
		return errors.New("export: the experiment has no objective")
	} else if o.Type == experiment.ObjectiveTypeMaximize {
		direction = optunaMaximize
	} else if o.Type != experiment.ObjectiveTypeMinimize {
		return fmt.Errorf("export: objective type %q is neither %s nor %s", o.Type,
			experiment.ObjectiveTypeMinimize, experiment.ObjectiveTypeMaximize)
	}
	// Every distribution is made before anything is written, so that a space Optuna cannot
	// load is reported instead of leaving half a journal.
	dists := map[string]*distribution{}
	var notes jobj
	for i, p := range spec.Parameters {
		d, err := newDistribution(p)
		if err != nil {
			return fmt.Errorf("export: spec.parameters[%d] %q: %w", i, p.Name, err)
		}
		if _, dup := dists[p.Name]; !dup {
			dists[p.Name] = d
		}
		if d.note != "" {
			notes = append(notes, jfield{p.Name, jstr(d.note)})
		}
	}

	j := &journal{w: bufio.NewWriter(w)}
	j.op(opCreateStudy, jobj{
		{"study_name", jstr(studyName(st.Experiment))},
		{"directions", jarr{jint(direction)}},
	})
	for _, attr := range studyAttrs(st, notes) {
		j.op(opSetStudyUserAttr, jobj{{"study_id", jint(0)}, {"user_attr", jobj{attr}}})
	}
	trials := trialsByIndex(st)
	metrics := metricNames(st, trials)
	for id, t := range trials {
		j.trial(st, id, t, dists, metrics)
	}
	if j.err != nil {
		return j.err
	}
	return j.w.Flush()
}

func studyName(e *experiment.Experiment) string {
	if e.Namespace == "" {
		return e.Name
	}
	return e.Namespace + "/" + e.Name
}

func studyAttrs(st *store.State, notes jobj) jobj {
	e := st.Experiment
	attrs := jobj{{"katib_experiment", jstr(e.Name)}}
	if e.Namespace != "" {
		attrs = append(attrs, jfield{"katib_namespace", jstr(e.Namespace)})
	}
	o := e.Spec.Objective
	attrs = append(attrs,
		jfield{"katib_objective_type", jstr(o.Type)},
		jfield{"katib_objective_metric", jstr(o.ObjectiveMetricName)})
	if len(o.AdditionalMetricNames) > 0 {
		names := jarr{}
		for _, m := range o.AdditionalMetricNames {
			names = append(names, jstr(m))
		}
		attrs = append(attrs, jfield{"katib_additional_metrics", names})
	}
	if o.Goal != nil {
		attrs = append(attrs, jfield{"katib_goal", attrFloat(*o.Goal)})
	}
	if a := e.Spec.Algorithm; a != nil && a.AlgorithmName != "" {
		attrs = append(attrs, jfield{"katib_algorithm", jstr(a.AlgorithmName)})
		if len(a.AlgorithmSettings) > 0 {
			settings := jobj{}
			for _, s := range a.AlgorithmSettings {
				settings = append(settings, jfield{s.Name, jstr(s.Value)})
			}
			attrs = append(attrs, jfield{"katib_algorithm_settings", settings})
		}
	}
	if es := e.Spec.EarlyStopping; es != nil && es.AlgorithmName != "" {
		attrs = append(attrs, jfield{"katib_early_stopping", jstr(es.AlgorithmName)})
	}
	attrs = append(attrs, jfield{"katib_phase", jstr(st.Phase())})
	if len(notes) > 0 {
		attrs = append(attrs, jfield{"katib_distribution_notes", notes})
	}
	return attrs
}

// journal writes operations, keeping the first error.
type journal struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func (j *journal) op(code int, fields jobj) {
	if j.err != nil {
		return
	}
	line := append(jobj{{"op_code", jint(code)}, {"worker_id", jstr(WorkerID)}}, fields...)
	j.buf = append(line.appendTo(j.buf[:0]), '\n')
	_, j.err = j.w.Write(j.buf)
}

// trial writes the operations Optuna itself would have written for the trial: its creation,
// its parameters, its reports and attributes while it is running, and its end.
func (j *journal) trial(st *store.State, id int, t *store.TrialRecord, dists map[string]*distribution, metrics []string) {
	tid := jint(id)
	finished := t.State.Finished()
	start, startKnown := firstTime(t.StartTime, t.CreationTime), true
	var complete *metav1.Time
	completeKnown := true
	if finished {
		if complete = firstTime(t.CompletionTime); complete == nil {
			completeKnown = false
			complete = latestTime(t.StartTime, t.CreationTime)
		}
	}
	// Optuna requires a start of every trial that is not waiting and an end of every finished
	// one (a study copied elsewhere is checked for them). A time the record lacks is borrowed
	// from the trial's other times, else from the experiment's, and marked as unknown.
	if start == nil {
		startKnown = false
		start = firstTime(complete, st.Status.StartTime, &st.Experiment.CreationTimestamp, st.Status.CompletionTime)
		if start == nil {
			start = &metav1.Time{}
		}
	}
	if finished && complete == nil {
		if complete = firstTime(st.Status.CompletionTime); complete == nil {
			complete = start
		}
	}
	j.op(opCreateTrial, jobj{{"study_id", jint(0)}, {"datetime_start", optunaTime(start)}})

	var left jarr
	written := map[string]bool{}
	for _, p := range st.Experiment.Spec.Parameters {
		value, ok := assignment(t, p.Name)
		if !ok || written[p.Name] {
			continue
		}
		written[p.Name] = true
		internal, ok := dists[p.Name].internal(value)
		if !ok {
			left = append(left, jstr(p.Name))
			continue
		}
		j.op(opSetTrialParam, jobj{
			{"trial_id", tid},
			{"param_name", jstr(p.Name)},
			{"param_value_internal", internal},
			{"distribution", jstr(dists[p.Name].json)},
		})
	}
	for _, a := range t.Assignments {
		if dists[a.Name] == nil {
			left = append(left, jstr(a.Name))
		}
	}

	stride := max(t.ReportStride, 1)
	for i, v := range t.Reports {
		j.op(opSetTrialIntermediateValue, jobj{
			{"trial_id", tid},
			{"step", jint(i * stride)},
			{"intermediate_value", jfloat(v)},
		})
	}

	state, values, failReason := optunaOutcome(t)
	attrs := jobj{
		{"katib_trial", jstr(t.Name)},
		{"katib_index", jint(t.Index)},
		{"katib_state", jstr(t.State)},
	}
	if t.Reason != "" {
		attrs = append(attrs, jfield{"katib_reason", jstr(t.Reason)})
	}
	if t.Message != "" {
		attrs = append(attrs, jfield{"katib_message", jstr(t.Message)})
	}
	if failReason != "" {
		attrs = append(attrs, jfield{"katib_fail_reason", jstr(failReason)})
	}
	assigned := jobj{}
	for _, a := range t.Assignments {
		assigned = append(assigned, jfield{a.Name, jstr(a.Value)})
	}
	attrs = append(attrs, jfield{"katib_parameters", assigned})
	if len(left) > 0 {
		attrs = append(attrs, jfield{"katib_parameters_not_exported", left})
	}
	if t.Objective != nil {
		attrs = append(attrs, jfield{"katib_objective", attrFloat(*t.Objective)})
	}
	for _, name := range metrics {
		m, ok := metric(t, name)
		if !ok {
			continue
		}
		for _, kv := range [...]struct{ suffix, value string }{{"latest", m.Latest}, {"min", m.Min}, {"max", m.Max}} {
			if kv.value != "" {
				attrs = append(attrs, jfield{name + "." + kv.suffix, metricValue(kv.value)})
			}
		}
	}
	if !startKnown {
		attrs = append(attrs, jfield{"katib_start_time", jstr("unknown")})
	}
	if !completeKnown {
		attrs = append(attrs, jfield{"katib_completion_time", jstr("unknown")})
	}
	for _, attr := range attrs {
		j.op(opSetTrialUserAttr, jobj{{"trial_id", tid}, {"user_attr", jobj{attr}}})
	}

	if state != optunaRunning {
		j.op(opSetTrialStateValues, jobj{
			{"trial_id", tid},
			{"state", jint(state)},
			{"values", values},
			{"datetime_complete", optunaTime(complete)},
		})
	}
}

// optunaOutcome is the Optuna state and values of a trial, and why a trial Katib calls
// succeeded is not COMPLETE in Optuna.
func optunaOutcome(t *store.TrialRecord) (state int, values jv, failReason string) {
	switch t.State {
	case suggest.StateSucceeded:
		switch {
		case t.Objective == nil:
			return optunaFail, jnull{}, "the trial succeeded without an objective value"
		case math.IsNaN(*t.Objective):
			return optunaFail, jnull{}, "the objective value is NaN, which Optuna does not accept for a complete trial"
		}
		return optunaComplete, jarr{jfloat(*t.Objective)}, ""
	case suggest.StateEarlyStopped:
		if t.Objective == nil || math.IsNaN(*t.Objective) {
			return optunaPruned, jnull{}, ""
		}
		return optunaPruned, jarr{jfloat(*t.Objective)}, ""
	}
	if !t.State.Finished() {
		return optunaRunning, jnull{}, ""
	}
	return optunaFail, jnull{}, ""
}

// metricValue is a stored metric value as a number when it is a finite one, so that Optuna's
// data frames can compute with it, and as the stored string otherwise (Katib's
// "unavailable", "nan"): user attributes stay plain JSON, which tools that pass them on to a
// browser, such as optuna-dashboard, need.
func metricValue(s string) jv {
	if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		return jfloat(v)
	}
	return jstr(s)
}

// attrFloat is a number for a user attribute: as itself when finite, and otherwise as the
// string Python's float() reads back ("NaN", "Infinity", "-Infinity"), for the reason given
// at metricValue.
func attrFloat(v float64) jv {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return jstr(pyFloat(v))
	}
	return jfloat(v)
}

func firstTime(ts ...*metav1.Time) *metav1.Time {
	for _, t := range ts {
		if t != nil && !t.IsZero() {
			return t
		}
	}
	return nil
}

func latestTime(ts ...*metav1.Time) *metav1.Time {
	var latest *metav1.Time
	for _, t := range ts {
		if t != nil && !t.IsZero() && (latest == nil || t.After(latest.Time)) {
			latest = t
		}
	}
	return latest
}

func optunaTime(t *metav1.Time) jv {
	if t == nil {
		return jnull{}
	}
	return jstr(t.UTC().Format(optunaTimeLayout))
}

// distribution is one parameter's Optuna distribution.
type distribution struct {
	// json is what optuna.distributions.distribution_to_json makes of it, the form
	// SET_TRIAL_PARAM carries.
	json string
	// note says what of Katib's space the distribution does not express.
	note string
	// internal is Optuna's internal representation of a Katib value (the float itself, or
	// the index of a choice), false when the value is not in the distribution's domain.
	internal func(value string) (jv, bool)
}

// maxExactInt bounds int parameters: Optuna's internal representation is a float, exact only
// up to 2^53.
const maxExactInt = 1 << 53

func newDistribution(p experiment.ParameterSpec) (*distribution, error) {
	fs := p.FeasibleSpace
	prior := fs.Distribution
	if prior == "" {
		prior = experiment.DistributionUniform
	}
	switch prior {
	case experiment.DistributionUniform, experiment.DistributionLogUniform,
		experiment.DistributionNormal, experiment.DistributionLogNormal:
	default:
		return nil, fmt.Errorf("unknown distribution %q", prior)
	}
	logScale := prior == experiment.DistributionLogUniform || prior == experiment.DistributionLogNormal
	var notes []string
	if prior == experiment.DistributionNormal || prior == experiment.DistributionLogNormal {
		notes = append(notes, fmt.Sprintf("Katib samples it from a %s prior, which Optuna cannot express; the range and scale are kept", prior))
	}

	switch p.ParameterType {
	case experiment.ParameterTypeDouble:
		low, high, step, err := numericSpace(fs)
		if err != nil {
			return nil, err
		}
		if logScale && low <= 0 {
			return nil, fmt.Errorf("a %s distribution needs min > 0", prior)
		}
		if logScale && step > 0 {
			notes = append(notes, "Optuna has no log-scaled float with a step; the step is dropped")
			step = 0
		}
		stepJSON := jv(jnull{})
		if step > 0 {
			high = stepHigh(low, high, step)
			stepJSON = jfloat(step)
		}
		return &distribution{
			json: distributionJSON("FloatDistribution", jobj{
				{"step", stepJSON}, {"low", jfloat(low)}, {"high", jfloat(high)}, {"log", jbool(logScale)},
			}),
			note: strings.Join(notes, "; "),
			internal: func(value string) (jv, bool) {
				v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, false
				}
				return jfloat(v), true
			},
		}, nil

	case experiment.ParameterTypeInt:
		lowF, highF, stepF, err := numericSpace(fs)
		if err != nil {
			return nil, err
		}
		// As Katib does: the range shrinks to the integers within it, and the step, 1 by
		// default, rounds to an integer of at least 1.
		lowF, highF = math.Ceil(lowF), math.Floor(highF)
		if lowF > highF {
			return nil, fmt.Errorf("no integer between min %s and max %s", fs.Min, fs.Max)
		}
		if math.Abs(lowF) > maxExactInt || math.Abs(highF) > maxExactInt {
			return nil, fmt.Errorf("the range [%s, %s] is beyond the integers a float64 holds exactly", fs.Min, fs.Max)
		}
		step := int64(1)
		if stepF > 0 {
			step = max(1, int64(math.Min(math.Round(stepF), maxExactInt)))
		}
		if logScale && lowF < 1 {
			return nil, fmt.Errorf("a %s distribution needs min > 0", prior)
		}
		if logScale && step != 1 {
			notes = append(notes, "Optuna's log-scaled ints have step 1; the log scale is dropped to keep the step")
			logScale = false
		}
		low, high := int64(lowF), int64(highF)
		high = low + (high-low)/step*step
		return &distribution{
			json: distributionJSON("IntDistribution", jobj{
				{"log", jbool(logScale)}, {"step", jint(step)}, {"low", jint(low)}, {"high", jint(high)},
			}),
			note: strings.Join(notes, "; "),
			internal: func(value string) (jv, bool) {
				v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if err != nil || v != math.Trunc(v) || math.Abs(v) > maxExactInt {
					return nil, false
				}
				return jfloat(v), true
			},
		}, nil

	case experiment.ParameterTypeCategorical, experiment.ParameterTypeDiscrete:
		if len(fs.List) == 0 {
			return nil, errors.New("the list is empty")
		}
		choices, numbers := listChoices(fs.List, p.ParameterType == experiment.ParameterTypeDiscrete)
		list := fs.List
		return &distribution{
			json: distributionJSON("CategoricalDistribution", jobj{{"choices", choices}}),
			internal: func(value string) (jv, bool) {
				for i, s := range list {
					if s == value {
						return jint(i), true
					}
				}
				// A discrete value may be written differently from the list's ("1.0" for "1").
				if numbers != nil {
					if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
						for i, n := range numbers {
							if n == v {
								return jint(i), true
							}
						}
					}
				}
				return nil, false
			},
		}, nil
	}
	return nil, fmt.Errorf("unknown parameter type %q", p.ParameterType)
}

func distributionJSON(name string, attributes jobj) string {
	return encode(jobj{{"name", jstr(name)}, {"attributes", attributes}})
}

// numericSpace parses min, max and step (0 when there is none).
func numericSpace(fs experiment.FeasibleSpace) (low, high, step float64, err error) {
	parse := func(what, s string) (float64, error) {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%s %q is not a number", what, s)
		}
		return v, nil
	}
	if low, err = parse("min", fs.Min); err != nil {
		return
	}
	if high, err = parse("max", fs.Max); err != nil {
		return
	}
	if low > high {
		err = fmt.Errorf("max %s is below min %s", fs.Max, fs.Min)
		return
	}
	if fs.Step != "" {
		if step, err = parse("step", fs.Step); err != nil {
			return
		}
		if step <= 0 {
			err = fmt.Errorf("step %q is not positive", fs.Step)
		}
	}
	return
}

// stepHigh is the last step of [low, high]: what FloatDistribution makes of a high that is
// not on a step, computed as Optuna does, in decimal on the floats' shortest representations,
// so that loading the journal finds nothing to adjust.
func stepHigh(low, high, step float64) float64 {
	dec := func(f float64) *big.Rat {
		r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
		return r
	}
	l, s := dec(low), dec(step)
	q := new(big.Rat).Quo(new(big.Rat).Sub(dec(high), l), s)
	if q.IsInt() {
		return high
	}
	k := new(big.Int).Quo(q.Num(), q.Denom()) // q > 0, so this is the floor
	last, _ := new(big.Rat).Add(new(big.Rat).Mul(new(big.Rat).SetInt(k), s), l).Float64()
	return last
}

// listChoices is a categorical or discrete list as Optuna choices. A discrete list of numbers
// becomes numbers (numbers is then their values, for matching), ints when every entry is an
// integer so that the trial's params are ints too.
func listChoices(list []string, discrete bool) (choices jarr, numbers []float64) {
	if discrete {
		allInts := true
		for _, s := range list {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				numbers = nil
				break
			}
			numbers = append(numbers, v)
			if _, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil || math.Abs(v) > maxExactInt {
				allInts = false
			}
		}
		if len(numbers) == len(list) {
			for _, v := range numbers {
				if allInts {
					choices = append(choices, jint(int64(v)))
				} else {
					choices = append(choices, jfloat(v))
				}
			}
			return choices, numbers
		}
		numbers = nil
	}
	for _, s := range list {
		choices = append(choices, jstr(s))
	}
	return choices, nil
}
