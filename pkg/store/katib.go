package store

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

// Counts tallies trials by state.
type Counts struct {
	Total, Pending, Running, Succeeded, Failed, Killed, EarlyStopped, MetricsUnavailable int
}

// Active is the number of trials still pending or running.
func (c Counts) Active() int { return c.Pending + c.Running }

// Finished is the number of trials that ended, whatever the outcome.
func (c Counts) Finished() int { return c.Total - c.Active() }

// FailedLike counts the trials that count against maxFailedTrialCount: failures and trials
// whose objective metric never appeared.
func (c Counts) FailedLike() int { return c.Failed + c.MetricsUnavailable }

// Counts tallies the state's trials.
func (s *State) Counts() Counts {
	var c Counts
	for _, t := range s.Trials {
		c.Total++
		switch t.State {
		case suggest.StatePending:
			c.Pending++
		case suggest.StateRunning:
			c.Running++
		case suggest.StateSucceeded:
			c.Succeeded++
		case suggest.StateFailed:
			c.Failed++
		case suggest.StateKilled:
			c.Killed++
		case suggest.StateEarlyStopped:
			c.EarlyStopped++
		case suggest.StateMetricsUnavailable:
			c.MetricsUnavailable++
		}
	}
	return c
}

// Maximize reports the objective's direction.
func (s *State) Maximize() bool {
	o := s.Experiment.Spec.Objective
	return o != nil && o.Type == experiment.ObjectiveTypeMaximize
}

// Better reports whether objective a beats b in the experiment's direction.
func (s *State) Better(a, b float64) bool {
	if s.Maximize() {
		return a > b
	}
	return a < b
}

// Best is the best trial with an objective value among those that completed (succeeded
// or stopped early), or nil.
func (s *State) Best() *TrialRecord {
	var best *TrialRecord
	for i := range s.Trials {
		t := &s.Trials[i]
		if t.Objective == nil || (t.State != suggest.StateSucceeded && t.State != suggest.StateEarlyStopped) {
			continue
		}
		if best == nil || s.Better(*t.Objective, *best.Objective) {
			best = t
		}
	}
	return best
}

// Ranked returns the trials best first: those that can be the best trial (see Best) in
// the experiment's direction, then the others with an objective (killed while running),
// then the rest in creation order.
func (s *State) Ranked() []TrialRecord {
	out := append([]TrialRecord(nil), s.Trials...)
	rank := func(t TrialRecord) int {
		switch {
		case t.Objective != nil && (t.State == suggest.StateSucceeded || t.State == suggest.StateEarlyStopped):
			return 0
		case t.Objective != nil:
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj || ri == 2 {
			return ri < rj
		}
		return s.Better(*out[i].Objective, *out[j].Objective)
	})
	return out
}

// Phase is the experiment's latest true terminal-or-running condition type.
func (s *State) Phase() experiment.ExperimentConditionType {
	for i := len(s.Status.Conditions) - 1; i >= 0; i-- {
		if c := s.Status.Conditions[i]; c.Status == corev1.ConditionTrue {
			return c.Type
		}
	}
	return experiment.ExperimentCreated
}

// Finished reports whether the experiment Succeeded or Failed.
func (s *State) Finished() bool {
	p := s.Phase()
	return p == experiment.ExperimentSucceeded || p == experiment.ExperimentFailed
}

// SetCondition records a condition the way Katib does: the new one is True, earlier
// Running/Restarting conditions turn False, and a repeated type is updated in place.
func (s *State) SetCondition(t experiment.ExperimentConditionType, reason, message string, now metav1.Time) {
	for i := range s.Status.Conditions {
		c := &s.Status.Conditions[i]
		if c.Type == t {
			if c.Status != corev1.ConditionTrue {
				c.LastTransitionTime = now
			}
			c.Status, c.Reason, c.Message, c.LastUpdateTime = corev1.ConditionTrue, reason, message, now
			s.demoteOthers(t, now)
			return
		}
	}
	s.demoteOthers(t, now)
	s.Status.Conditions = append(s.Status.Conditions, experiment.ExperimentCondition{
		Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: message, LastUpdateTime: now, LastTransitionTime: now,
	})
}

func (s *State) demoteOthers(t experiment.ExperimentConditionType, now metav1.Time) {
	for i := range s.Status.Conditions {
		c := &s.Status.Conditions[i]
		if c.Type == t || c.Type == experiment.ExperimentCreated || c.Status != corev1.ConditionTrue {
			continue
		}
		if c.Type == experiment.ExperimentRunning || c.Type == experiment.ExperimentRestarting ||
			c.Type == experiment.ExperimentSucceeded || c.Type == experiment.ExperimentFailed {
			c.Status, c.LastTransitionTime, c.LastUpdateTime = corev1.ConditionFalse, now, now
		}
	}
}

// KatibExperiment renders the state as Katib's Experiment object, status included, so
// scripts written against Katib read it unchanged.
func (s *State) KatibExperiment() *experiment.Experiment {
	e := &experiment.Experiment{
		TypeMeta:   metav1.TypeMeta{APIVersion: experiment.APIVersion, Kind: experiment.KindExp},
		ObjectMeta: *s.Experiment.ObjectMeta.DeepCopy(),
		Spec:       s.Experiment.Spec,
	}
	st := &e.Status
	st.StartTime, st.CompletionTime = s.Status.StartTime, s.Status.CompletionTime
	st.Conditions = s.Status.Conditions
	for _, t := range s.Trials {
		switch t.State {
		case suggest.StatePending:
			st.PendingTrialList = append(st.PendingTrialList, t.Name)
		case suggest.StateRunning:
			st.RunningTrialList = append(st.RunningTrialList, t.Name)
		case suggest.StateSucceeded:
			st.SucceededTrialList = append(st.SucceededTrialList, t.Name)
		case suggest.StateFailed:
			st.FailedTrialList = append(st.FailedTrialList, t.Name)
		case suggest.StateKilled:
			st.KilledTrialList = append(st.KilledTrialList, t.Name)
		case suggest.StateEarlyStopped:
			st.EarlyStoppedTrialList = append(st.EarlyStoppedTrialList, t.Name)
		case suggest.StateMetricsUnavailable:
			st.MetricsUnavailableTrialList = append(st.MetricsUnavailableTrialList, t.Name)
		}
	}
	c := s.Counts()
	st.Trials = int32(c.Total)
	st.TrialsSucceeded, st.TrialsFailed, st.TrialsKilled = int32(c.Succeeded), int32(c.Failed), int32(c.Killed)
	st.TrialsPending, st.TrialsRunning = int32(c.Pending), int32(c.Running)
	st.TrialsEarlyStopped, st.TrialMetricsUnavailable = int32(c.EarlyStopped), int32(c.MetricsUnavailable)
	st.CurrentOptimalTrial = experiment.OptimalTrial{ParameterAssignments: []experiment.ParameterAssignment{}, Observation: experiment.Observation{Metrics: []experiment.Metric{}}}
	// The front is computed from the records rather than read from Status, so it is current
	// even when the client that drove the experiment stopped before saving it.
	st.ParetoFront = s.FrontNames()
	if best := s.Best(); best != nil {
		st.CurrentOptimalTrial.BestTrialName = best.Name
		st.CurrentOptimalTrial.ParameterAssignments = best.Assignments
		if best.Observation != nil {
			st.CurrentOptimalTrial.Observation = *best.Observation
		}
	}
	return e
}

// KatibTrials renders every trial as Katib's Trial object.
func (s *State) KatibTrials() []*experiment.Trial {
	out := make([]*experiment.Trial, 0, len(s.Trials))
	for _, t := range s.Trials {
		out = append(out, s.KatibTrial(t))
	}
	return out
}

// KatibTrial renders one trial as Katib's Trial object.
func (s *State) KatibTrial(t TrialRecord) *experiment.Trial {
	exp := s.Experiment
	tr := &experiment.Trial{
		TypeMeta: metav1.TypeMeta{APIVersion: experiment.APIVersion, Kind: experiment.KindTrial},
		ObjectMeta: metav1.ObjectMeta{
			Name: t.Name, Namespace: exp.Namespace,
			Labels: map[string]string{trial.LabelExperiment: exp.Name},
		},
		Spec: experiment.TrialSpec{
			Objective:            exp.Spec.Objective,
			ParameterAssignments: t.Assignments,
		},
		Status: experiment.TrialStatus{StartTime: t.StartTime, CompletionTime: t.CompletionTime, Observation: t.Observation},
	}
	if t.CreationTime != nil {
		tr.CreationTimestamp = *t.CreationTime
	}
	if tt := exp.Spec.TrialTemplate; tt != nil {
		tr.Spec.PrimaryContainerName = tt.PrimaryContainerName
		tr.Spec.SuccessCondition, tr.Spec.FailureCondition = tt.SuccessCondition, tt.FailureCondition
		tr.Spec.RetainRun = tt.Retain
	}
	if mc := exp.Spec.MetricsCollectorSpec; mc != nil {
		tr.Spec.MetricsCollector = *mc
	}
	now := metav1.Now()
	if t.CompletionTime != nil {
		now = *t.CompletionTime
	}
	created := now
	if t.CreationTime != nil {
		created = *t.CreationTime
	}
	tr.Status.Conditions = append(tr.Status.Conditions, experiment.TrialCondition{
		Type: experiment.TrialCreated, Status: corev1.ConditionTrue, Reason: "TrialCreated", Message: "Trial is created",
		LastUpdateTime: created, LastTransitionTime: created,
	})
	if t.State != suggest.StatePending {
		running := corev1.ConditionTrue
		if t.State.Finished() {
			running = corev1.ConditionFalse
		}
		at := created
		if t.StartTime != nil {
			at = *t.StartTime
		}
		tr.Status.Conditions = append(tr.Status.Conditions, experiment.TrialCondition{
			Type: experiment.TrialRunning, Status: running, Reason: "TrialRunning", Message: "Trial is running",
			LastUpdateTime: at, LastTransitionTime: at,
		})
	}
	if t.State.Finished() {
		tr.Status.Conditions = append(tr.Status.Conditions, experiment.TrialCondition{
			Type: experiment.TrialConditionType(t.State), Status: corev1.ConditionTrue, Reason: orEmpty(t.Reason, "Trial"+string(t.State)),
			Message: t.Message, LastUpdateTime: now, LastTransitionTime: now,
		})
	}
	return tr
}

// MetricValue is a trial's value of a metric after the metric's strategy (min, max or latest,
// as spec.objective.metricStrategies says; latest when it says nothing), as its observation
// recorded it; "" when the trial has none. Every table and export shows this value, so
// they agree with each other and with Katib's own Trial objects.
func (s *State) MetricValue(t TrialRecord, name string) string {
	if t.Observation == nil {
		return ""
	}
	strategy := experiment.ExtractByLatest
	if o := s.Experiment.Spec.Objective; o != nil {
		for _, ms := range o.MetricStrategies {
			if ms.Name == name {
				strategy = ms.Value
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
		}
		return m.Latest
	}
	return ""
}
