// Package runner is the client-side experiment controller: it asks the search algorithm for
// trials, creates them in the cluster, follows them through one watch on the experiment's
// pods (and jobs), reads their metrics from the primary container's log, stops them early
// when asked, and keeps the experiment's state in the cluster after every change.
package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/metrics"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

// Outcome is how a run ended.
type Outcome string

const (
	Succeeded   Outcome = "Succeeded"
	Failed      Outcome = "Failed"
	Interrupted Outcome = "Interrupted"
	Detached    Outcome = "Detached"
)

// Config is what a run needs besides the experiment.
type Config struct {
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// TrialStartTimeout fails a trial whose container has not started by then (image pull
	// errors, unschedulable pods, bad configuration) instead of waiting forever.
	TrialStartTimeout time.Duration
	// Cleanup deletes running trials when the run is interrupted, instead of leaving them
	// for `resume` to adopt.
	Cleanup bool
	// Detach returns once the state and the first trials exist.
	Detach bool
	// Reporter receives progress; nil reports nothing.
	Reporter Reporter
	// Now is the clock (tests pin it).
	Now func() time.Time
	// TrialSuffix makes the random part of trial names (tests pin it).
	TrialSuffix func() string
}

// ExistsError says an experiment of that name is already stored.
type ExistsError struct{ Name, Namespace string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("experiment %q already exists in namespace %q: continue it with 'kubectl katib resume %s -n %s', or delete it with 'kubectl katib delete %s -n %s' to start over",
		e.Name, e.Namespace, e.Name, e.Namespace, e.Name, e.Namespace)
}

// Create stores the runner's new experiment (defaulted and validated by the caller) in its
// namespace. Call it after New and DryRun, so that nothing is stored for an experiment
// that cannot run.
func (r *Runner) Create(ctx context.Context) error {
	exp := r.st.Experiment
	r.st.SetCondition(experiment.ExperimentCreated, "ExperimentCreated", "Experiment is created", *r.now())
	if err := r.store.Create(ctx, r.st); err != nil {
		if errors.Is(err, store.ErrExists) {
			return &ExistsError{Name: exp.Name, Namespace: exp.Namespace}
		}
		return fmt.Errorf("cannot store experiment %q in namespace %q: %w", exp.Name, exp.Namespace, err)
	}
	return nil
}

// TemplateError says the API server refused the rendered trial workload.
type TemplateError struct{ Err error }

func (e *TemplateError) Error() string {
	return fmt.Sprintf("the API server refuses the trial workload rendered from spec.trialTemplate: %v", e.Err)
}

func (e *TemplateError) Unwrap() error { return e.Err }

// DryRun renders one trial from the algorithm's first suggestion and has the API server
// check it without creating anything (server-side dry run), so a template that cannot work
// fails before any state or trial exists.
func (r *Runner) DryRun(ctx context.Context) error {
	suggestions, err := r.algo.Suggest(nil, 1)
	if err != nil && !errors.Is(err, suggest.ErrExhausted) {
		return fmt.Errorf("the %s algorithm failed: %w", r.st.Experiment.Spec.Algorithm.AlgorithmName, err)
	}
	if len(suggestions) == 0 {
		return nil
	}
	exp := r.st.Experiment
	name := exp.Name + "-dryrun00"
	obj, err := trial.Render(exp, name, suggestions[0].Assignments)
	if err != nil {
		return &TemplateError{Err: err}
	}
	if err := trial.Prepare(obj, exp.Name, name, suggestions[0].Assignments, nil); err != nil {
		return &TemplateError{Err: err}
	}
	_, err = r.cfg.Dynamic.Resource(r.kind.GVR).Namespace(exp.Namespace).Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: trial.ManagedBy})
	switch {
	case err == nil, apierrors.IsAlreadyExists(err):
		return nil
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return &TemplateError{Err: err}
	}
	return err
}

// Runner drives one stored experiment.
type Runner struct {
	cfg     Config
	store   *store.Store
	st      *store.State
	algo    suggest.Algorithm
	stopper suggest.EarlyStopper
	parser  *metrics.Parser
	kind    trial.Kind
	mon     *trial.Monitor

	collectors map[string]*metrics.Collector
	timeouts   chan string
	// deletes are workloads of finished trials, removed after the next successful save.
	deletes   []string
	exhausted bool
	noMetrics bool
}

// New prepares a runner for a stored experiment (new or resumed).
func New(cfg Config, st *store.State) (*Runner, error) {
	exp := st.Experiment
	algo, err := suggest.New(&exp.Spec)
	if err != nil {
		return nil, err
	}
	stopper, err := suggest.NewEarlyStopper(&exp.Spec)
	if err != nil {
		return nil, err
	}
	kind, err := trial.KindOf(exp.Spec.TrialTemplate.TrialSpec)
	if err != nil {
		return nil, err
	}
	parser, err := metrics.NewParser(exp.Spec.MetricsCollectorSpec, metricNames(exp.Spec.Objective))
	if err != nil {
		return nil, err
	}
	tt := exp.Spec.TrialTemplate
	r := &Runner{
		cfg: cfg, st: st, algo: algo, stopper: stopper, parser: parser, kind: kind,
		store:      &store.Store{Client: cfg.Client, Namespace: exp.Namespace},
		collectors: map[string]*metrics.Collector{},
		timeouts:   make(chan string, 16),
		noMetrics: exp.Spec.MetricsCollectorSpec != nil && exp.Spec.MetricsCollectorSpec.Collector != nil &&
			exp.Spec.MetricsCollectorSpec.Collector.Kind == experiment.NoneCollector,
	}
	r.mon = trial.NewMonitor(trial.MonitorConfig{
		Client: cfg.Client, Namespace: exp.Namespace, Experiment: exp.Name, Kind: kind,
		PrimaryContainer: tt.PrimaryContainerName,
		SuccessCondition: tt.SuccessCondition, FailureCondition: tt.FailureCondition,
	})
	return r, nil
}

// SetReporter sets where progress goes.
func (r *Runner) SetReporter(rep Reporter) { r.cfg.Reporter = rep }

// State is the experiment's current state.
func (r *Runner) State() *store.State { return r.st }

func metricNames(o *experiment.ObjectiveSpec) []string {
	if o == nil {
		return nil
	}
	return append([]string{o.ObjectiveMetricName}, o.AdditionalMetricNames...)
}

func clock(cfg Config) func() time.Time {
	if cfg.Now != nil {
		return cfg.Now
	}
	return time.Now
}

func (r *Runner) now() *metav1.Time {
	t := metav1.NewTime(clock(r.cfg)().UTC().Truncate(time.Second))
	return &t
}

// Run drives the experiment until it succeeds, fails, is interrupted (ctx cancelled) or,
// with Detach, until its first trials exist.
func (r *Runner) Run(ctx context.Context) (Outcome, error) {
	if r.st.Finished() {
		return outcomeOf(r.st), nil
	}
	monCtx, stopMon := context.WithCancel(context.Background())
	defer stopMon()
	if err := r.mon.Run(monCtx); err != nil {
		return Failed, fmt.Errorf("cannot watch the experiment's trials: %w", err)
	}
	if r.st.Status.StartTime == nil {
		r.st.Status.StartTime = r.now()
	}
	r.st.SetCondition(experiment.ExperimentRunning, "ExperimentRunning", "Experiment is running", *r.now())
	if err := r.adopt(ctx); err != nil {
		return Failed, err
	}
	for {
		if outcome, reason, msg, done := r.ended(); done {
			return outcome, r.finish(outcome, reason, msg)
		}
		proposed, err := r.fill(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return r.interrupt()
			}
			return Failed, err
		}
		if r.cfg.Detach {
			return Detached, nil
		}
		// Nothing runs and the algorithm proposed nothing: no event will ever come, so the
		// search is over rather than waiting.
		if proposed == 0 && r.st.Counts().Active() == 0 {
			r.exhausted = true
		}
		if outcome, reason, msg, done := r.ended(); done {
			return outcome, r.finish(outcome, reason, msg)
		}
		select {
		case <-ctx.Done():
			return r.interrupt()
		case ev := <-r.mon.Events():
			if err := r.handle(ctx, ev); err != nil {
				if ctx.Err() != nil {
					return r.interrupt()
				}
				return Failed, err
			}
		case name := <-r.timeouts:
			if err := r.startTimedOut(ctx, name); err != nil {
				return Failed, err
			}
		}
	}
}

func outcomeOf(st *store.State) Outcome {
	if st.Phase() == experiment.ExperimentFailed {
		return Failed
	}
	return Succeeded
}

// adopt takes over the trials a previous client left pending or running: their workloads
// are found again by label through the watch; a trial recorded but never created (the
// previous client died in between) is created now with the same name and parameters.
func (r *Runner) adopt(ctx context.Context) error {
	for i := range r.st.Trials {
		t := &r.st.Trials[i]
		if t.State.Finished() {
			if !r.keepsWorkload(t) {
				r.deletes = append(r.deletes, t.Name)
			}
			continue
		}
		r.collectors[t.Name] = metrics.NewCollector(r.st.Experiment.Spec.Objective)
		_, err := r.cfg.Dynamic.Resource(r.kind.GVR).Namespace(r.st.Experiment.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			// Never created, or gone while no client watched it: run it (again) from the start.
			if t.State == suggest.StateRunning {
				t.State, t.StartTime = suggest.StatePending, nil
				r.report(Report{Kind: Warning, Trial: t, Message: fmt.Sprintf("trial %s was running but its workload is gone; starting it again", t.Name)})
			}
			if err := r.createWorkload(ctx, t); err != nil {
				r.fail(ctx, t, suggest.StateFailed, "CreateFailed", err.Error())
				continue
			}
		case err != nil:
			return fmt.Errorf("cannot read the workload of trial %s: %w", t.Name, err)
		}
		if t.State == suggest.StatePending {
			r.armTimeout(t.Name)
		}
		r.report(Report{Kind: TrialAdopted, Trial: t})
	}
	return r.save(ctx)
}

// ended applies Katib's rules for the end of an experiment.
func (r *Runner) ended() (Outcome, string, string, bool) {
	spec := r.st.Experiment.Spec
	c := r.st.Counts()
	if obj := spec.Objective; obj != nil && obj.Goal != nil {
		if best := r.st.Best(); best != nil && best.Objective != nil {
			v, goal := *best.Objective, *obj.Goal
			if (r.st.Maximize() && v >= goal) || (!r.st.Maximize() && v <= goal) {
				return Succeeded, "ExperimentGoalReached", fmt.Sprintf("Experiment has succeeded because trial %s reached the objective goal %v", best.Name, goal), true
			}
		}
	}
	if spec.MaxFailedTrialCount != nil && c.FailedLike() > 0 && c.FailedLike() >= int(*spec.MaxFailedTrialCount) {
		return Failed, "ExperimentMaxFailedTrialsReached", fmt.Sprintf("Experiment has failed because %d trials failed (maxFailedTrialCount %d)", c.FailedLike(), *spec.MaxFailedTrialCount), true
	}
	if spec.MaxTrialCount != nil && c.Finished() >= int(*spec.MaxTrialCount) {
		return Succeeded, "ExperimentMaxTrialsReached", fmt.Sprintf("Experiment has succeeded because %d trials finished (maxTrialCount %d)", c.Finished(), *spec.MaxTrialCount), true
	}
	if r.exhausted && c.Active() == 0 {
		return Succeeded, "ExperimentSearchSpaceExhausted", "Experiment has succeeded because the algorithm has no more parameters to try", true
	}
	return "", "", "", false
}

// fill asks the algorithm for as many trials as parallelism and the trial budget allow,
// and returns how many it proposed.
func (r *Runner) fill(ctx context.Context) (int, error) {
	if r.exhausted {
		return 0, nil
	}
	spec := r.st.Experiment.Spec
	c := r.st.Counts()
	want := int(deref(spec.ParallelTrialCount, 3)) - c.Active()
	if spec.MaxTrialCount != nil {
		want = min(want, int(*spec.MaxTrialCount)-c.Total)
	}
	if want <= 0 {
		return 0, nil
	}
	suggestions, err := r.algo.Suggest(r.history(), want)
	if errors.Is(err, suggest.ErrExhausted) {
		r.exhausted = true
	} else if err != nil {
		return 0, fmt.Errorf("the %s algorithm failed: %w", spec.Algorithm.AlgorithmName, err)
	}
	if len(suggestions) > want {
		suggestions = suggestions[:want]
	}
	if len(suggestions) == 0 {
		return 0, nil
	}
	// Record first, create second: a client killed in between leaves a Pending record that
	// resume creates, never a workload nobody knows about.
	start := len(r.st.Trials)
	for _, s := range suggestions {
		now := r.now()
		r.st.Trials = append(r.st.Trials, store.TrialRecord{
			Name: r.trialName(), Assignments: s.Assignments, Labels: s.Labels,
			State: suggest.StatePending, CreationTime: now,
		})
	}
	if err := r.save(ctx); err != nil {
		return 0, err
	}
	for i := start; i < len(r.st.Trials); i++ {
		t := &r.st.Trials[i]
		r.collectors[t.Name] = metrics.NewCollector(spec.Objective)
		if err := r.createWorkload(ctx, t); err != nil {
			if ctx.Err() != nil {
				return 0, err
			}
			r.fail(ctx, t, suggest.StateFailed, "CreateFailed", err.Error())
			continue
		}
		r.armTimeout(t.Name)
		r.report(Report{Kind: TrialCreated, Trial: t})
	}
	return len(suggestions), r.save(ctx)
}

func (r *Runner) createWorkload(ctx context.Context, t *store.TrialRecord) error {
	exp := r.st.Experiment
	obj, err := trial.Render(exp, t.Name, t.Assignments)
	if err != nil {
		return err
	}
	cm := r.st.Object()
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: cm.Name, UID: cm.UID}
	if err := trial.Prepare(obj, exp.Name, t.Name, t.Assignments, owner); err != nil {
		return err
	}
	// Retry what passes by itself: a namespace created moments ago may not have its
	// default ServiceAccount yet, and a busy API server may ask to come back later.
	backoff := wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Steps: 7, Cap: 5 * time.Second}
	var last error
	_ = wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
		last = trial.Create(ctx, r.cfg.Dynamic, obj)
		if last != nil && !transient(last) {
			return false, last
		}
		return last == nil, nil
	})
	if last != nil {
		return fmt.Errorf("cannot create %s %s: %w", obj.GetKind(), t.Name, last)
	}
	return nil
}

// transient tells errors worth retrying from those that will not change.
func transient(err error) bool {
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) ||
		(apierrors.IsForbidden(err) && strings.Contains(err.Error(), "service account"))
}

func (r *Runner) armTimeout(name string) {
	if r.cfg.TrialStartTimeout <= 0 {
		return
	}
	time.AfterFunc(r.cfg.TrialStartTimeout, func() {
		// A full channel means the loop is busy; it drains soon and timeouts are idempotent.
		go func() { r.timeouts <- name }()
	})
}

func (r *Runner) trialName() string {
	suffix := ""
	if r.cfg.TrialSuffix != nil {
		suffix = r.cfg.TrialSuffix()
	} else {
		const letters = "abcdefghijklmnopqrstuvwxyz"
		b := make([]byte, 8)
		for i := range b {
			b[i] = letters[rand.IntN(len(letters))]
		}
		suffix = string(b)
	}
	name := r.st.Experiment.Name + "-" + suffix
	if r.st.Trial(name) != nil {
		return r.trialName()
	}
	return name
}

// history is what the algorithm sees: every trial, oldest first.
func (r *Runner) history() []suggest.Trial {
	out := make([]suggest.Trial, 0, len(r.st.Trials))
	for _, t := range r.st.Trials {
		h := suggest.Trial{Name: t.Name, Assignments: t.Assignments, Labels: t.Labels, State: t.State, Objective: t.Objective, Reports: t.Reports}
		if c := r.collectors[t.Name]; c != nil && !t.State.Finished() {
			h.Reports = c.Reports()
		}
		out = append(out, h)
	}
	return out
}

func (r *Runner) handle(ctx context.Context, ev trial.Event) error {
	t := r.st.Trial(ev.Trial)
	if t == nil || t.State.Finished() {
		return nil
	}
	switch ev.Type {
	case trial.Started:
		if t.State == suggest.StatePending {
			t.State, t.StartTime = suggest.StateRunning, r.now()
			r.report(Report{Kind: TrialStarted, Trial: t})
			return r.save(ctx)
		}
	case trial.Problem:
		r.report(Report{Kind: TrialWaiting, Trial: t, Message: ev.Reason + ": " + ev.Message})
	case trial.Line:
		c := r.collectors[t.Name]
		samples := c.AddLine(r.parser, ev.Line)
		if len(samples) == 0 {
			return nil
		}
		r.report(Report{Kind: TrialMetrics, Trial: t, Collector: c})
		return r.maybeStopEarly(ctx, t, samples)
	case trial.Completed:
		return r.complete(ctx, t, ev)
	}
	return nil
}

func (r *Runner) maybeStopEarly(ctx context.Context, t *store.TrialRecord, samples []metrics.Sample) error {
	if r.stopper == nil {
		return nil
	}
	objective := r.st.Experiment.Spec.Objective.ObjectiveMetricName
	reported := false
	for _, s := range samples {
		reported = reported || s.Name == objective
	}
	if !reported {
		return nil
	}
	c := r.collectors[t.Name]
	current := suggest.Trial{Name: t.Name, Assignments: t.Assignments, Labels: t.Labels, State: t.State, Reports: c.Reports()}
	stop, why := r.stopper.ShouldStop(current, r.history())
	if !stop {
		return nil
	}
	r.mon.Forget(t.Name)
	r.record(t, c)
	r.settle(ctx, t, suggest.StateEarlyStopped, "TrialEarlyStopped", why)
	return r.save(ctx)
}

// record copies a collector's observation into the trial record.
func (r *Runner) record(t *store.TrialRecord, c *metrics.Collector) {
	if c == nil {
		return
	}
	obs := c.Observation()
	if len(obs.Metrics) > 0 {
		t.Observation = &obs
	}
	if v, ok := c.Objective(); ok {
		t.Objective = &v
	}
	t.Reports = c.Reports()
}

func (r *Runner) complete(ctx context.Context, t *store.TrialRecord, ev trial.Event) error {
	c := r.collectors[t.Name]
	r.record(t, c)
	if t.StartTime == nil {
		t.StartTime = r.now()
	}
	switch {
	case !ev.Succeeded:
		msg := ev.Message
		if tail := tailOf(c); tail != "" {
			msg += "; last log lines:\n" + tail
		}
		r.settle(ctx, t, suggest.StateFailed, "TrialFailed", msg)
	case t.Objective == nil && !r.noMetrics:
		name := r.st.Experiment.Spec.Objective.ObjectiveMetricName
		msg := fmt.Sprintf("the objective metric %q never appeared in the log of container %q; lines were matched with %s",
			name, r.st.Experiment.Spec.TrialTemplate.PrimaryContainerName, r.parser.Describe())
		if tail := tailOf(c); tail != "" {
			msg += "; last log lines:\n" + tail
		} else {
			msg += "; the log was empty"
		}
		r.settle(ctx, t, suggest.StateMetricsUnavailable, "MetricsUnavailable", msg)
	default:
		r.settle(ctx, t, suggest.StateSucceeded, "TrialSucceeded", "Trial has succeeded")
	}
	return r.save(ctx)
}

func tailOf(c *metrics.Collector) string {
	if c == nil {
		return ""
	}
	return strings.Join(c.Tail(), "\n")
}

// settle gives a trial its final state and removes its workload. Succeeded trials keep it
// when the template asks to retain it; failed ones always do, so `kubectl katib logs` can
// show what went wrong; stopped and killed ones may still be running, so theirs is deleted.
func (r *Runner) settle(ctx context.Context, t *store.TrialRecord, state suggest.TrialState, reason, msg string) {
	t.State, t.Reason, t.Message, t.CompletionTime = state, reason, msg, r.now()
	delete(r.collectors, t.Name)
	if !r.keepsWorkload(t) {
		r.deletes = append(r.deletes, t.Name)
	}
	r.report(Report{Kind: TrialFinished, Trial: t})
}

// keepsWorkload says whether a finished trial's workload stays in the cluster.
func (r *Runner) keepsWorkload(t *store.TrialRecord) bool {
	return (t.State == suggest.StateSucceeded && r.st.Experiment.Spec.TrialTemplate.Retain) ||
		t.State == suggest.StateFailed || t.State == suggest.StateMetricsUnavailable
}

// fail ends a trial that could not run at all (creation failed, never started), deleting
// whatever part of it exists.
func (r *Runner) fail(ctx context.Context, t *store.TrialRecord, state suggest.TrialState, reason, msg string) {
	r.mon.Forget(t.Name)
	t.State, t.Reason, t.Message, t.CompletionTime = state, reason, msg, r.now()
	delete(r.collectors, t.Name)
	r.deletes = append(r.deletes, t.Name)
	r.report(Report{Kind: TrialFinished, Trial: t})
}

func (r *Runner) startTimedOut(ctx context.Context, name string) error {
	t := r.st.Trial(name)
	if t == nil || t.State != suggest.StatePending {
		return nil
	}
	reason := r.mon.LastProblem(name)
	msg := fmt.Sprintf("the trial did not start within %s", r.cfg.TrialStartTimeout)
	if reason == "" {
		reason = "StartTimeout"
	} else {
		msg += " (" + reason + ")"
	}
	r.fail(ctx, t, suggest.StateFailed, reason, msg)
	return r.save(ctx)
}

// finish stops what still runs, records the end and saves.
func (r *Runner) finish(outcome Outcome, reason, msg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range r.st.Trials {
		t := &r.st.Trials[i]
		if !t.State.Finished() {
			r.mon.Forget(t.Name)
			r.record(t, r.collectors[t.Name])
			r.settle(ctx, t, suggest.StateKilled, "TrialKilled", "the experiment ended while the trial was running: "+msg)
		}
	}
	r.st.Status.CompletionTime = r.now()
	cond := experiment.ExperimentSucceeded
	if outcome == Failed {
		cond = experiment.ExperimentFailed
	}
	r.st.SetCondition(cond, reason, msg, *r.now())
	err := r.save(ctx)
	r.report(Report{Kind: ExperimentFinished, Message: msg})
	return err
}

// interrupt saves the state after Ctrl-C. Running trials keep running for `resume` to adopt,
// unless Cleanup asks to delete them.
func (r *Runner) interrupt() (Outcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r.cfg.Cleanup {
		for i := range r.st.Trials {
			t := &r.st.Trials[i]
			if !t.State.Finished() {
				r.fail(ctx, t, suggest.StateKilled, "TrialKilled", "the run was interrupted and --cleanup deleted the trial")
			}
		}
	}
	r.st.SetCondition(experiment.ExperimentRestarting, "ExperimentInterrupted", "the client was interrupted; continue with 'kubectl katib resume "+r.st.Experiment.Name+"'", *r.now())
	return Interrupted, r.save(ctx)
}

func (r *Runner) save(ctx context.Context) error {
	// A save cut off by Ctrl-C may still land on the server, after which every later save
	// would look like a conflict; so saves and the deletions they unlock always complete.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.store.Save(ctx, r.st); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("the state of experiment %q was changed by someone else (is another 'kubectl katib run' or 'resume' driving it?): stop that client, then 'kubectl katib resume %s'", r.st.Experiment.Name, r.st.Experiment.Name)
		}
		return fmt.Errorf("cannot save the state of experiment %q: %w", r.st.Experiment.Name, err)
	}
	// Workloads go only once the state says their trials are over: a client killed in
	// between leaves a finished record and a leftover workload (removed on resume), never a
	// running record whose workload is gone.
	for _, name := range r.deletes {
		if err := trial.Delete(ctx, r.cfg.Dynamic, r.kind, r.st.Experiment.Namespace, name); err != nil {
			r.report(Report{Kind: Warning, Trial: r.st.Trial(name), Message: fmt.Sprintf("cannot delete the workload of trial %s: %v", name, err)})
		}
	}
	r.deletes = r.deletes[:0]
	return nil
}

func (r *Runner) report(rep Report) {
	if r.cfg.Reporter != nil {
		rep.State = r.st
		r.cfg.Reporter.Report(rep)
	}
}

func deref(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}
