package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

// uid is what the fake API server gives the demo experiment's ConfigMap.
const uid = types.UID("uid-katib-experiment-demo")

func sorted(names ...string) []string { return slices.Sorted(slices.Values(names)) }

func lastCondition(st *store.State) experiment.ExperimentCondition {
	return st.Status.Conditions[len(st.Status.Conditions)-1]
}

// barrier returns once the runner has handled everything sent before: it takes events only
// between two pieces of work.
func (x *run) barrier() {
	x.t.Helper()
	x.send(trial.Event{Trial: "no-such-trial", Type: trial.Problem})
}

func TestBestWorkloadKept(t *testing.T) {
	c := newCluster(t)
	x := c.create(newExperiment(t, nil), options{})
	first := x.created(2)
	a, b := first[0], first[1]
	kept := func(name, when string) {
		t.Helper()
		x.barrier()
		if _, ok := c.workload(podsGVR, name); !ok {
			t.Fatalf("%s, the workload of %s, the best trial, is gone", when, name)
		}
	}

	x.succeed(a, 0.3, 0.5)
	third := x.created(1)[0]
	kept(a, "after the first trial ended")

	x.succeed(b, 0.2, 0.3)
	fourth := x.created(1)[0]
	kept(a, "after a worse trial ended")

	x.succeed(third, 0.8)
	kept(third, "after a better trial ended")
	if _, ok := c.workload(podsGVR, a); ok {
		t.Errorf("after a better trial ended, the workload of %s, best before, is still there", a)
	}

	x.succeed(fourth, 0.1)
	if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
		t.Fatalf("Run = %s, %v", outcome, err)
	}
	if got := c.workloads(podsGVR); !slices.Equal(got, []string{third}) {
		t.Errorf("at the end, workloads %v; want the best trial's only", got)
	}
	st := checkRecords(t, c, 4)
	if best := st.Best(); best == nil || best.Name != third || *best.Objective != 0.8 {
		t.Errorf("best trial %+v, want %s", best, third)
	}
	if cond := lastCondition(st); st.Phase() != experiment.ExperimentSucceeded || cond.Reason != "ExperimentMaxTrialsReached" || st.Status.CompletionTime == nil {
		t.Errorf("experiment ended %s (%s)", st.Phase(), cond.Reason)
	}
	if o := st.Trial(a).Observation; o == nil || o.Metrics[0] != (experiment.Metric{Name: "accuracy", Min: "0.3", Max: "0.5", Latest: "0.5"}) {
		t.Errorf("observation of %s: %+v", a, o)
	}
	if log, err := c.store().TrialLog(context.Background(), third); err != nil || !log.Kept || !strings.Contains(log.Tail, "accuracy=0.8") {
		t.Errorf("log kept with %s: %+v, %v", third, log, err)
	}
}

func TestRunEnds(t *testing.T) {
	jobTrials := func(e *experiment.Experiment) {
		spec := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(jobTemplate), &spec.Object); err != nil {
			t.Fatal(err)
		}
		e.Spec.TrialTemplate.TrialSpec = spec
	}
	t.Run("grid exhausted, Job trials", func(t *testing.T) {
		c := newCluster(t)
		x := c.create(newExperiment(t, func(e *experiment.Experiment) {
			jobTrials(e)
			e.Spec.MaxTrialCount = nil
			e.Spec.Algorithm = &experiment.AlgorithmSpec{AlgorithmName: "grid"}
			e.Spec.Parameters[0] = experiment.ParameterSpec{Name: "lr", ParameterType: experiment.ParameterTypeDiscrete, FeasibleSpace: experiment.FeasibleSpace{List: []string{"0.01", "0.1"}}}
		}), options{})
		names := x.created(2)
		if got := c.workloads(jobsGVR); !slices.Equal(got, sorted(names...)) {
			t.Fatalf("jobs %v, want %v", got, names)
		}
		x.succeed(names[0], 0.9)
		x.succeed(names[1], 0.7)
		if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
			t.Fatalf("Run = %s, %v", outcome, err)
		}
		st := checkRecords(t, c, 2)
		if cond := lastCondition(st); cond.Reason != "ExperimentSearchSpaceExhausted" {
			t.Errorf("experiment ended with %s", cond.Reason)
		}
		if got := c.workloads(jobsGVR); !slices.Equal(got, names[:1]) {
			t.Errorf("jobs left %v, want the best trial's", got)
		}
	})
	t.Run("detach", func(t *testing.T) {
		c := newCluster(t)
		x := c.create(newExperiment(t, nil), options{detach: true})
		if outcome, err := x.wait(); outcome != runner.Detached || err != nil {
			t.Fatalf("Run = %s, %v", outcome, err)
		}
		if got := c.workloads(podsGVR); len(got) != 2 {
			t.Errorf("workloads %v, want the first two trials'", got)
		}
		st := c.state()
		if st.Phase() != experiment.ExperimentRunning || st.Counts().Active() != 2 || len(c.records()) != 0 {
			t.Errorf("detached state: phase %s, counts %+v, records %v", st.Phase(), st.Counts(), c.records())
		}
	})
}

func TestTrialOutcomes(t *testing.T) {
	const logProblem = "pod demo-x: the log was read to byte 4096, then the pod was deleted"
	cases := []struct {
		name         string
		lines        []string
		completed    trial.Event
		state        suggest.TrialState
		reason       string
		objective    *float64
		message      []string
		keepWorkload bool
	}{
		{
			name: "succeeded", lines: []string{"accuracy=0.4", "accuracy=0.9"}, completed: trial.Event{Succeeded: true},
			state: suggest.StateSucceeded, reason: "TrialSucceeded", objective: float64p(0.9), keepWorkload: true,
		},
		{
			name: "failed", lines: []string{"accuracy=0.4", "Traceback: out of memory"}, completed: trial.Event{Reason: "Error", Message: "container main exited with code 1"},
			state: suggest.StateFailed, reason: "TrialFailed", objective: float64p(0.4),
			message: []string{"exited with code 1", "Traceback: out of memory"}, keepWorkload: true,
		},
		{
			name: "objective never reported", lines: []string{"loss=0.3"}, completed: trial.Event{Succeeded: true},
			state: suggest.StateMetricsUnavailable, reason: "MetricsUnavailable",
			message: []string{`"accuracy" never appeared`, "loss=0.3"}, keepWorkload: true,
		},
		{
			name: "log incomplete", lines: []string{"accuracy=0.9"}, completed: trial.Event{Succeeded: true, LogIncomplete: true, LogProblem: logProblem},
			state: suggest.StateMetricsUnavailable, reason: "LogIncomplete",
			message: []string{logProblem, "0.9"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			x := c.create(newExperiment(t, func(e *experiment.Experiment) {
				e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(1), int32p(1)
			}), options{})
			name := x.created(1)[0]
			x.send(trial.Event{Trial: name, Type: trial.Started})
			for _, l := range tc.lines {
				x.send(trial.Event{Trial: name, Type: trial.Line, Line: l})
			}
			rep := x.complete(name, tc.completed)
			if rep.State != tc.state || rep.Reason != tc.reason {
				t.Errorf("reported %s (%s), want %s (%s)", rep.State, rep.Reason, tc.state, tc.reason)
			}
			if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
				t.Fatalf("Run = %s, %v", outcome, err)
			}
			st := checkRecords(t, c, 1)
			got := st.Trials[0]
			if got.State != tc.state || got.Reason != tc.reason {
				t.Errorf("recorded %s (%s), want %s (%s)", got.State, got.Reason, tc.state, tc.reason)
			}
			if (got.Objective == nil) != (tc.objective == nil) || (got.Objective != nil && *got.Objective != *tc.objective) {
				t.Errorf("objective %v, want %v", ptr.Deref(got.Objective, -1), ptr.Deref(tc.objective, -1))
			}
			if tc.objective == nil && got.State == suggest.StateMetricsUnavailable && got.Reason == "LogIncomplete" && got.Observation != nil {
				t.Errorf("a trial whose log was lost has an observation: %+v", got.Observation)
			}
			for _, m := range tc.message {
				if !strings.Contains(got.Message, m) {
					t.Errorf("message %q does not say %q", got.Message, m)
				}
			}
			if _, kept := c.workload(podsGVR, name); kept != tc.keepWorkload {
				t.Errorf("workload kept: %v, want %v", kept, tc.keepWorkload)
			}
		})
	}
}

func TestStartTimeout(t *testing.T) {
	const timeout = 5 * time.Minute
	cases := []struct {
		name    string
		problem string
		started bool
		reason  string
		message string
	}{
		{name: "nothing known", reason: "StartTimeout", message: "the trial did not start within 5m0s"},
		{name: "the monitor saw why", problem: "ImagePullBackOff", reason: "ImagePullBackOff", message: "the trial did not start within 5m0s (ImagePullBackOff)"},
		{name: "started in time", started: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			x := c.create(newExperiment(t, func(e *experiment.Experiment) {
				e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(1), int32p(1)
			}), options{trialStartTimeout: timeout, problem: tc.problem})
			name := x.created(1)[0]
			if tc.started {
				x.progress(name, 0.7)
			}
			c.clock.Step(timeout)
			if tc.started {
				x.complete(name, trial.Event{Succeeded: true})
			} else if rep := x.next(runner.TrialFinished, name); rep.State != suggest.StateFailed || rep.Reason != tc.reason {
				t.Errorf("reported %s (%s), want Failed (%s)", rep.State, rep.Reason, tc.reason)
			}
			if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
				t.Fatalf("Run = %s, %v", outcome, err)
			}
			got := checkRecords(t, c, 1).Trials[0]
			_, exists := c.workload(podsGVR, name)
			if tc.started {
				if got.State != suggest.StateSucceeded || !exists {
					t.Errorf("a trial that started in time ended %s (%s), workload kept %v", got.State, got.Reason, exists)
				}
				return
			}
			if got.State != suggest.StateFailed || got.Reason != tc.reason || got.Message != tc.message {
				t.Errorf("recorded %s (%s): %q", got.State, got.Reason, got.Message)
			}
			if exists {
				t.Error("the workload of a trial that never started is left in the queue")
			}
			if !x.mon.forgot(name) {
				t.Error("the monitor still watches the trial")
			}
		})
	}
}

// seed stores an experiment with finished trials, as a previous client left it.
func seed(t *testing.T, c *cluster, e *experiment.Experiment, client string, reports ...[]float64) *store.State {
	t.Helper()
	ctx := context.Background()
	s := c.store()
	st := &store.State{Experiment: e}
	st.Status.Client = client
	st.SetCondition(experiment.ExperimentRunning, "ExperimentRunning", "Experiment is running", metav1.NewTime(t0))
	if err := s.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	for i, values := range reports {
		best := slices.Max(values)
		rec := store.TrialRecord{
			Name: store.TrialName(e.Name, st.Object().UID, i), Index: i,
			Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: "0.05"}},
			State:       suggest.StateSucceeded, Reason: "TrialSucceeded",
			Observation: &experiment.Observation{Metrics: []experiment.Metric{{Name: "accuracy", Max: "x"}}},
			Objective:   &best, Reports: values, ReportStride: 1,
			CreationTime: &metav1.Time{Time: t0}, CompletionTime: &metav1.Time{Time: t0.Add(time.Minute)},
		}
		if err := s.SaveTrial(ctx, st, &rec, ptr.To("accuracy=x")); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestEarlyStop(t *testing.T) {
	c := newCluster(t)
	e := newExperiment(t, func(e *experiment.Experiment) {
		e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(5), int32p(1)
		e.Spec.EarlyStopping = &experiment.EarlyStoppingSpec{AlgorithmName: "medianstop", AlgorithmSettings: []experiment.EarlyStoppingSetting{
			{Name: "min_trials_required", Value: "3"}, {Name: "start_step", Value: "2"},
		}}
	})
	// At step 2 the completed trials' means are 0.7, 0.775 and 0.85: the median is 0.775.
	seed(t, c, e, "client-old", []float64{0.6, 0.8}, []float64{0.7, 0.85}, []float64{0.8, 0.9})
	x := c.resume(options{})

	slow := x.created(1)[0]
	x.progress(slow, 0.2, 0.3)
	if rep := x.next(runner.TrialFinished, slow); rep.State != suggest.StateEarlyStopped {
		t.Fatalf("a trial below the median ended %s", rep.State)
	}
	fast := x.created(1)[0]
	if !x.mon.forgot(slow) {
		t.Error("the monitor still follows the stopped trial")
	}
	x.succeed(fast, 0.95, 0.96)
	if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
		t.Fatalf("Run = %s, %v", outcome, err)
	}

	if got := c.workloads(podsGVR); !slices.Equal(got, []string{fast}) {
		t.Errorf("workloads %v, want the best trial's only, not the stopped one's", got)
	}
	st := checkRecords(t, c, 5)
	stopped := st.Trial(slow)
	if stopped.Index != 3 || stopped.State != suggest.StateEarlyStopped || stopped.Reason != "TrialEarlyStopped" || !strings.Contains(stopped.Message, "medianstop") {
		t.Errorf("stopped trial recorded as %d %s (%s): %q", stopped.Index, stopped.State, stopped.Reason, stopped.Message)
	}
	if !slices.Equal(stopped.Reports, []float64{0.2, 0.3}) || ptr.Deref(stopped.Objective, 0) != 0.3 {
		t.Errorf("stopped trial kept reports %v, objective %v", stopped.Reports, ptr.Deref(stopped.Objective, 0))
	}
	if got := st.Trial(fast); got.State != suggest.StateSucceeded || !slices.Equal(got.Reports, []float64{0.95, 0.96}) {
		t.Errorf("a trial above the median ended %s with reports %v", got.State, got.Reports)
	}
}

func TestFinishKillsRunningTrials(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*experiment.Experiment)
		end     trial.Event
		outcome runner.Outcome
		reason  string
	}{
		{
			name:    "goal reached",
			edit:    func(e *experiment.Experiment) { e.Spec.Objective.Goal = float64p(0.9) },
			end:     trial.Event{Succeeded: true},
			outcome: runner.Succeeded, reason: "ExperimentGoalReached",
		},
		{
			name:    "too many failures",
			edit:    func(e *experiment.Experiment) { e.Spec.MaxFailedTrialCount = int32p(1) },
			end:     trial.Event{Message: "exit code 1"},
			outcome: runner.Failed, reason: "ExperimentMaxFailedTrialsReached",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			x := c.create(newExperiment(t, func(e *experiment.Experiment) {
				e.Spec.MaxTrialCount = int32p(10)
				tc.edit(e)
			}), options{})
			names := x.created(2)
			ending, running := names[0], names[1]
			x.progress(running, 0.3)
			x.progress(ending, 0.95)
			x.complete(ending, tc.end)
			if rep := x.next(runner.TrialFinished, running); rep.State != suggest.StateKilled {
				t.Errorf("the running trial ended %s", rep.State)
			}
			if outcome, err := x.wait(); outcome != tc.outcome || err != nil {
				t.Fatalf("Run = %s, %v; want %s", outcome, err, tc.outcome)
			}
			st := checkRecords(t, c, 2)
			if cond := lastCondition(st); cond.Reason != tc.reason {
				t.Errorf("experiment ended with %s, want %s", cond.Reason, tc.reason)
			}
			killed := st.Trial(running)
			if killed.State != suggest.StateKilled || killed.Reason != "TrialKilled" || !strings.Contains(killed.Message, "the experiment ended while the trial was running") {
				t.Errorf("running trial recorded as %s (%s): %q", killed.State, killed.Reason, killed.Message)
			}
			if killed.Observation == nil || killed.Observation.Metrics[0].Latest != "0.3" {
				t.Errorf("the killed trial's observation %+v does not keep what it reported", killed.Observation)
			}
			if _, exists := c.workload(podsGVR, running); exists || !x.mon.forgot(running) {
				t.Errorf("the killed trial's workload exists: %v, forgotten by the monitor: %v", exists, x.mon.forgot(running))
			}
			if _, exists := c.workload(podsGVR, ending); !exists {
				t.Error("the ended trial's workload was removed")
			}
		})
	}
}

func TestConflicts(t *testing.T) {
	check := func(t *testing.T, outcome runner.Outcome, err error) {
		t.Helper()
		var conflict *runner.ConflictError
		if !errors.As(err, &conflict) || !errors.Is(err, store.ErrConflict) || conflict.Name != exp || conflict.Namespace != ns {
			t.Fatalf("Run = %s, %v; want a ConflictError", outcome, err)
		}
	}
	one := func(e *experiment.Experiment) { e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(3), int32p(1) }

	t.Run("another client created the next trial", func(t *testing.T) {
		c := newCluster(t)
		e := newExperiment(t, one)
		x := c.create(e, options{})
		mine := x.created(1)[0]
		theirs := c.putWorkload(e, uid, 1, "client-b", nil)
		before, _ := c.workload(podsGVR, theirs)
		x.succeed(mine, 0.5)
		outcome, err := x.wait()
		check(t, outcome, err)
		if !strings.Contains(err.Error(), theirs) {
			t.Errorf("the error does not name the trial: %v", err)
		}
		after, exists := c.workload(podsGVR, theirs)
		if !exists || !equalObjects(before, after) {
			t.Error("the other client's workload was changed")
		}
		if got := c.records(); !slices.Equal(got, []string{mine}) {
			t.Errorf("records %v, want only the trial that ended", got)
		}
	})

	t.Run("another client saved the experiment", func(t *testing.T) {
		c := newCluster(t)
		e := newExperiment(t, func(e *experiment.Experiment) { e.Spec.MaxTrialCount = int32p(2) })
		x := c.create(e, options{})
		names := x.created(2)
		takeOver(t, c)
		x.succeed(names[0], 0.5)
		x.succeed(names[1], 0.6)
		outcome, err := x.wait()
		check(t, outcome, err)
		if st := c.state(); st.Status.Client != "client-b" || st.Finished() {
			t.Errorf("the other client's state was overwritten: client %s, phase %s", st.Status.Client, st.Phase())
		}
	})

	t.Run("another client took over before the run", func(t *testing.T) {
		c := newCluster(t)
		seed(t, c, newExperiment(t, one), "client-old")
		r, mon, rec := c.newRunner(c.state(), options{})
		takeOver(t, c)
		x := c.start(r, mon, rec)
		outcome, err := x.wait()
		check(t, outcome, err)
		if outcome != runner.Failed {
			t.Errorf("outcome %s, want Failed", outcome)
		}
		if got := c.workloads(podsGVR); len(got) != 0 {
			t.Errorf("trials created by a client that lost the experiment: %v", got)
		}
	})
}

// takeOver is another client starting to drive the experiment.
func takeOver(t *testing.T, c *cluster) {
	t.Helper()
	st, err := c.store().Get(context.Background(), exp, store.LoadOptions{ExperimentOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Status.Client = "client-b"
	if err := c.store().SaveExperiment(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

func equalObjects(a, b *unstructured.Unstructured) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestLostAnswers(t *testing.T) {
	cases := []struct {
		name, verb, resource, prefix string
	}{
		{"experiment created", "create", "configmaps", store.NamePrefix},
		{"experiment saved", "update", "configmaps", store.NamePrefix},
		{"trial workload created", "create", "pods", exp + "-"},
		{"trial recorded", "create", "configmaps", store.TrialPrefix},
	}
	for _, tc := range cases {
		for _, landed := range []bool{true, false} {
			name := tc.name + ", request lost"
			if landed {
				name = tc.name + ", answer lost"
			}
			t.Run(name, func(t *testing.T) {
				c := newCluster(t)
				f := c.fault(tc.verb, tc.resource, tc.prefix, 1, landed)
				x := c.create(newExperiment(t, func(e *experiment.Experiment) {
					e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(1), int32p(1)
				}), options{})
				trialName := x.created(1)[0]
				x.succeed(trialName, 0.7)
				if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
					t.Fatalf("Run = %s, %v", outcome, err)
				}
				if f.left.Load() > 0 {
					t.Fatal("the fault was never met")
				}
				checkRecords(t, c, 1)
				if got := c.workloads(podsGVR); !slices.Equal(got, []string{trialName}) {
					t.Errorf("workloads %v, want %s", got, trialName)
				}
				if st := c.state(); st.Status.Client != "client-a" || st.Phase() != experiment.ExperimentSucceeded {
					t.Errorf("experiment %s driven by %q", st.Phase(), st.Status.Client)
				}
			})
		}
	}
}

func TestAdopt(t *testing.T) {
	c := newCluster(t)
	e := newExperiment(t, func(e *experiment.Experiment) { e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(3), int32p(1) })
	seed(t, c, e, "client-old", []float64{0.7}, []float64{0.9})
	leftover := c.putWorkload(e, uid, 0, "client-old", map[string]any{"phase": "Succeeded"})
	best := c.putWorkload(e, uid, 1, "client-old", map[string]any{"phase": "Succeeded"})
	live := c.putWorkload(e, uid, 2, "client-old", map[string]any{"phase": "Running", "startTime": "2026-05-01T12:00:00Z"})

	x := c.resume(options{client: "client-new"})
	x.next(runner.TrialAdopted, live)
	x.barrier()
	if got := c.workloads(podsGVR); !slices.Equal(got, sorted(best, live)) {
		t.Fatalf("after adopting, workloads %v; want the best trial's and the live one's, without %s: %v", got, leftover, sorted(best, live))
	}
	x.succeed(live, 0.5, 0.95)
	if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
		t.Fatalf("Run = %s, %v", outcome, err)
	}
	for _, r := range x.seen {
		if r.Kind == runner.TrialCreated {
			t.Errorf("a new trial was created: %s", r.Trial)
		}
	}
	got := checkRecords(t, c, 3)
	if got.Status.Client != "client-new" {
		t.Errorf("the state names client %q", got.Status.Client)
	}
	adopted := got.Trial(live)
	if adopted.State != suggest.StateSucceeded || ptr.Deref(adopted.Objective, 0) != 0.95 || adopted.Assignments[0].Value != "0.03" {
		t.Errorf("adopted trial recorded as %s, objective %v, assignments %v", adopted.State, ptr.Deref(adopted.Objective, 0), adopted.Assignments)
	}
	if w := c.workloads(podsGVR); !slices.Equal(w, []string{live}) {
		t.Errorf("workloads at the end %v, want the new best's only", w)
	}
}

// TestAdoptPreSplit resumes a state an earlier release stored in one ConfigMap, with a
// trial recorded as running whose workload is gone.
func TestAdoptPreSplit(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	e := newExperiment(t, func(e *experiment.Experiment) { e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(2), int32p(1) })
	seed(t, c, e, "client-old")
	obj, err := c.client.Tracker().Get(cmsGVR, ns, store.ConfigMapName(exp))
	if err != nil {
		t.Fatal(err)
	}
	cm := obj.(*corev1.ConfigMap)
	delete(cm.Data, "format")
	cm.Data["trials.json"] = `[
		{"name": "demo-oldaaaaa", "state": "Succeeded", "parameterAssignments": [{"name": "lr", "value": "0.02"}],
		 "observation": {"metrics": [{"name": "accuracy", "min": "0.5", "max": "0.6", "latest": "0.6"}]}, "objective": 0.6, "reports": [0.5, 0.6]},
		{"name": "demo-oldbbbbb", "state": "Running", "parameterAssignments": [{"name": "lr", "value": "0.04"}]}
	]`
	if _, err := c.client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	x := c.resume(options{client: "client-new"})
	if w := x.next(runner.Warning, "demo-oldbbbbb"); !strings.Contains(w.Message, "workload is gone") {
		t.Errorf("warning %q", w.Message)
	}
	x.next(runner.TrialAdopted, "demo-oldbbbbb")
	obj2, exists := c.workload(podsGVR, "demo-oldbbbbb")
	if !exists {
		t.Fatal("the trial whose workload is gone was not started again")
	}
	if args, _, _ := unstructured.NestedSlice(obj2.Object, "spec", "containers"); !strings.Contains(mustJSON(args), "--lr=0.04") {
		t.Errorf("started again with other parameters: %s", mustJSON(args))
	}
	x.succeed("demo-oldbbbbb", 0.8)
	if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
		t.Fatalf("Run = %s, %v", outcome, err)
	}
	st := c.state()
	if st.Legacy() || len(st.Trials) != 2 || !slices.Equal(c.records(), []string{"demo-oldaaaaa", "demo-oldbbbbb"}) {
		t.Fatalf("after resume: legacy %v, %d trials, records %v", st.Legacy(), len(st.Trials), c.records())
	}
	if old := st.Trials[0]; old.State != suggest.StateSucceeded || !slices.Equal(old.Reports, []float64{0.5, 0.6}) {
		t.Errorf("the migrated trial reads %s with reports %v", old.State, old.Reports)
	}
	if again := st.Trials[1]; again.State != suggest.StateSucceeded || ptr.Deref(again.Objective, 0) != 0.8 {
		t.Errorf("the trial run again reads %s, objective %v", again.State, ptr.Deref(again.Objective, 0))
	}
	if got := c.workloads(podsGVR); !slices.Equal(got, []string{"demo-oldbbbbb"}) {
		t.Errorf("workloads %v", got)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestOutage(t *testing.T) {
	t.Run("longer than the timeout, while recording a trial", func(t *testing.T) {
		c := newCluster(t)
		x := c.create(newExperiment(t, nil), options{outageTimeout: 30 * time.Second})
		first := x.created(2)
		a, b := first[0], first[1]
		x.succeed(a, 0.5)
		third := x.created(1)[0]
		x.progress(b, 0.4)
		c.down.Store(true)
		x.complete(b, trial.Event{Succeeded: true})
		outcome, err := x.wait()
		var unreachable *runner.UnreachableError
		if !errors.As(err, &unreachable) || outcome != runner.Failed {
			t.Fatalf("Run = %s, %v; want an UnreachableError", outcome, err)
		}
		if unreachable.For < 30*time.Second || unreachable.Recorded != 1 || unreachable.Running != 2 {
			t.Errorf("unreachable for %s, %d trials recorded, %d left running; want 30s, 1 (%s) and 2 (%s, %s)",
				unreachable.For, unreachable.Recorded, unreachable.Running, a, b, third)
		}
		if msg := err.Error(); !strings.Contains(msg, "connection refused") || !strings.Contains(msg, "1 ended trials") || !strings.Contains(msg, "2 trials still running") {
			t.Errorf("message %q", msg)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("the error does not say why: %v", err)
		}
		c.down.Store(false)
		if got := c.records(); !slices.Equal(got, []string{a}) {
			t.Errorf("records after the outage %v, want %s", got, a)
		}

		// Another client picks up where the first one stopped: the trial that ended during
		// the outage is read again from its workload, and nothing is counted twice.
		y := c.resume(options{client: "client-b"})
		y.next(runner.TrialAdopted, b)
		y.next(runner.TrialAdopted, third)
		y.succeed(b, 0.4)
		fourth := y.created(1)[0]
		y.succeed(third, 0.6)
		y.succeed(fourth, 0.7)
		if outcome, err := y.wait(); outcome != runner.Succeeded || err != nil {
			t.Fatalf("resumed Run = %s, %v", outcome, err)
		}
		checkRecords(t, c, 4)
	})

	t.Run("longer than the timeout, while waiting", func(t *testing.T) {
		c := newCluster(t)
		x := c.create(newExperiment(t, nil), options{outageTimeout: 30 * time.Second})
		x.created(2)
		c.down.Store(true)
		probes := 0
	wait:
		for {
			c.clock.Step(10 * time.Second)
			select {
			case <-c.probes:
				probes++
			case <-x.done:
				break wait
			case <-time.After(deadlock):
				t.Fatalf("no probe; the runner reported:\n%s", x.history())
			}
		}
		outcome, err := x.wait()
		var unreachable *runner.UnreachableError
		if !errors.As(err, &unreachable) || outcome != runner.Failed {
			t.Fatalf("Run = %s, %v; want an UnreachableError", outcome, err)
		}
		// The outage counts from the last answer (when the trials were created): the run
		// gives up at the first probe that finds it has lasted the 30 s allowed, which is
		// at most one probe interval later.
		if unreachable.Recorded != 0 || unreachable.Running != 2 || unreachable.For < 30*time.Second || unreachable.For > 40*time.Second || probes < 2 {
			t.Errorf("%d recorded, %d running, unreachable for %s after %d probes; want 0, 2, between 30 and 40 s", unreachable.Recorded, unreachable.Running, unreachable.For, probes)
		}
	})

	t.Run("shorter than the timeout", func(t *testing.T) {
		c := newCluster(t)
		// Down from the start: the experiment's creation waits too.
		c.downUntil.Store(t0.Add(3 * time.Second).UnixNano())
		x := c.create(newExperiment(t, nil), options{outageTimeout: time.Minute})
		first := x.created(2)
		x.progress(first[0], 0.5)
		c.downUntil.Store(c.clock.Now().Add(40 * time.Second).UnixNano())
		refusedBefore := c.refused.Load()
		x.complete(first[0], trial.Event{Succeeded: true})
		third := x.created(1)[0]
		if c.refused.Load() == refusedBefore {
			t.Fatal("no request was refused")
		}
		x.succeed(first[1], 0.6)
		fourth := x.created(1)[0]
		x.succeed(third, 0.7)
		x.succeed(fourth, 0.4)
		if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
			t.Fatalf("Run = %s, %v", outcome, err)
		}
		checkRecords(t, c, 4)
	})
}

func TestInterrupt(t *testing.T) {
	for _, cleanup := range []bool{false, true} {
		t.Run(map[bool]string{false: "trials left running", true: "cleanup"}[cleanup], func(t *testing.T) {
			c := newCluster(t)
			x := c.create(newExperiment(t, nil), options{cleanup: cleanup})
			names := x.created(2)
			x.progress(names[0], 0.4)
			x.cancel()
			if outcome, err := x.wait(); outcome != runner.Interrupted || err != nil {
				t.Fatalf("Run = %s, %v", outcome, err)
			}
			st := c.state()
			if cond := lastCondition(st); st.Phase() != experiment.ExperimentRestarting || cond.Reason != "ExperimentInterrupted" {
				t.Errorf("interrupted experiment is %s (%s)", st.Phase(), cond.Reason)
			}
			workloads, records := c.workloads(podsGVR), c.records()
			if cleanup {
				if len(workloads) != 0 || !slices.Equal(records, sorted(names...)) || st.Counts().Killed != 2 {
					t.Errorf("after cleanup: workloads %v, records %v, counts %+v", workloads, records, st.Counts())
				}
				return
			}
			if !slices.Equal(workloads, sorted(names...)) || len(records) != 0 || st.Counts().Active() != 2 {
				t.Errorf("trials not left for resume: workloads %v, records %v, counts %+v", workloads, records, st.Counts())
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	cases := []struct {
		name     string
		answer   error
		template bool
	}{
		{name: "accepted"},
		{name: "already exists", answer: apierrors.NewAlreadyExists(schema.GroupResource{Resource: "pods"}, "demo-dryrun00")},
		{name: "invalid", answer: apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "demo-dryrun00", field.ErrorList{field.Required(field.NewPath("spec", "containers").Index(0).Child("image"), "")}), template: true},
		{name: "forbidden", answer: apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "demo-dryrun00", errors.New("quota exceeded"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			var dryRun []string
			c.dynamic.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				dryRun = a.(k8stesting.CreateActionImpl).CreateOptions.DryRun
				return true, a.(k8stesting.CreateAction).GetObject(), tc.answer
			})
			r, _, _ := c.newRunner(&store.State{Experiment: newExperiment(t, nil)}, options{})
			err := r.DryRun(context.Background())
			var tmpl *runner.TemplateError
			switch {
			case tc.template && (!errors.As(err, &tmpl) || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.trialTemplate")):
				t.Errorf("DryRun = %v, want a TemplateError", err)
			case !tc.template && errors.As(err, &tmpl):
				t.Errorf("DryRun = %v, not a template problem", err)
			case tc.answer == nil || apierrors.IsAlreadyExists(tc.answer):
				if err != nil {
					t.Errorf("DryRun = %v", err)
				}
			case err == nil:
				t.Error("DryRun hides the API server's refusal")
			}
			if !slices.Equal(dryRun, []string{metav1.DryRunAll}) {
				t.Errorf("created with dryRun %v", dryRun)
			}
			if len(c.records()) != 0 {
				t.Error("DryRun stored something")
			}
		})
	}
}

func TestCreateRefused(t *testing.T) {
	cases := []struct {
		name    string
		refusal error
		times   int
		created bool
	}{
		{
			name:    "refused for good",
			refusal: apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "x", errors.New("exceeded quota: pods=10")),
			times:   1 << 20,
		},
		{
			name: "namespace without its service account yet",
			refusal: apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "x",
				errors.New(`error looking up service account ml/default: serviceaccount "default" not found`)),
			times:   3,
			created: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			var left atomic.Int64
			left.Store(int64(tc.times))
			c.dynamic.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
				if left.Add(-1) < 0 {
					return false, nil, nil
				}
				return true, nil, tc.refusal
			})
			x := c.create(newExperiment(t, func(e *experiment.Experiment) {
				e.Spec.MaxTrialCount, e.Spec.ParallelTrialCount = int32p(1), int32p(1)
			}), options{})
			if tc.created {
				x.succeed(x.created(1)[0], 0.5)
			} else if rep := x.next(runner.TrialFinished, ""); rep.State != suggest.StateFailed || rep.Reason != "CreateFailed" {
				t.Errorf("reported %s (%s), want Failed (CreateFailed)", rep.State, rep.Reason)
			}
			if outcome, err := x.wait(); outcome != runner.Succeeded || err != nil {
				t.Fatalf("Run = %s, %v", outcome, err)
			}
			got := checkRecords(t, c, 1).Trials[0]
			if tc.created {
				if got.State != suggest.StateSucceeded || left.Load() >= 0 {
					t.Errorf("trial ended %s after %d refusals", got.State, tc.times-int(max(left.Load(), 0)))
				}
				return
			}
			if got.State != suggest.StateFailed || got.Reason != "CreateFailed" || !strings.Contains(got.Message, "exceeded quota") {
				t.Errorf("recorded %s (%s): %q", got.State, got.Reason, got.Message)
			}
			if w := c.workloads(podsGVR); len(w) != 0 {
				t.Errorf("workloads %v", w)
			}
		})
	}
}

func TestCreateExists(t *testing.T) {
	c := newCluster(t)
	seed(t, c, newExperiment(t, nil), "client-old")
	r, _, _ := c.newRunner(&store.State{Experiment: newExperiment(t, nil)}, options{})
	err := r.Create(context.Background())
	var exists *runner.ExistsError
	if !errors.As(err, &exists) || exists.Name != exp || !strings.Contains(err.Error(), `experiment "demo" already exists in namespace "ml"`) {
		t.Fatalf("Create = %v, want an ExistsError", err)
	}
	if st := c.state(); st.Status.Client != "client-old" {
		t.Errorf("the stored experiment was changed: client %q", st.Status.Client)
	}
}

func TestRunFinishedExperiment(t *testing.T) {
	c := newCluster(t)
	seed(t, c, newExperiment(t, nil), "client-old", []float64{0.5})
	st := c.state()
	st.SetCondition(experiment.ExperimentFailed, "ExperimentMaxFailedTrialsReached", "failed", metav1.NewTime(t0))
	if err := c.store().SaveExperiment(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	writes := len(c.client.Actions())
	x := c.resume(options{})
	if outcome, err := x.wait(); outcome != runner.Failed || err != nil {
		t.Fatalf("Run = %s, %v; want the stored outcome", outcome, err)
	}
	for _, a := range c.client.Actions()[writes:] {
		if a.GetVerb() != "get" && a.GetVerb() != "list" {
			t.Errorf("a finished experiment was written to: %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	if w := c.workloads(podsGVR); len(w) != 0 {
		t.Errorf("workloads %v", w)
	}
}
