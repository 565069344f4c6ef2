// Package runner is the client-side experiment controller: it asks the search algorithm for
// trials, creates them in the cluster, follows them through watches on the experiment's
// pods (and jobs), reads their metrics from the primary container's log (or, for Katib's
// File and TensorFlowEvent collectors, from the log of the collector sidecar it adds to each
// trial, which prints what the trainer writes to its metrics file), stops them early
// when asked, and records each trial in the cluster when it ends (pkg/store says what is
// written when). It rides out API server outages: writes are retried with back-off, and
// only an outage longer than Config.OutageTimeout ends the run, with everything that ended
// recorded and everything still running left for resume.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

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

// DefaultOutageTimeout is how long a run waits for an unreachable API server by default.
const DefaultOutageTimeout = 5 * time.Minute

// Monitor is what the runner needs of trial.Monitor; tests drive the runner through a fake.
type Monitor interface {
	Run(ctx context.Context) error
	Events() <-chan trial.Event
	Forget(trial string)
	LastProblem(trial string) string
}

// Config is what a run needs besides the experiment.
type Config struct {
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// Mapper resolves trial kinds other than Job and Pod through the cluster's discovery;
	// nil allows only those two.
	Mapper meta.RESTMapper
	// Store reads and writes the state; nil builds one from Client and Dynamic.
	Store *store.Store
	// NewMonitor builds the watcher of the experiment's trials; nil uses trial.NewMonitor.
	NewMonitor func(trial.MonitorConfig) Monitor
	// TrialStartTimeout fails a trial whose container has not started by then (image pull
	// errors, unschedulable pods, bad configuration) instead of waiting forever.
	TrialStartTimeout time.Duration
	// OutageTimeout is how long the API server may stay unreachable before the run gives up
	// (its state saved, to be resumed); zero means DefaultOutageTimeout.
	OutageTimeout time.Duration
	// Cleanup deletes running trials when the run is interrupted, instead of leaving them
	// for `resume` to adopt.
	Cleanup bool
	// Detach returns once the state and the first trials exist.
	Detach bool
	// Reporter receives progress; nil reports nothing.
	Reporter Reporter
	// Clock is the time source (tests use a fake one); nil is the real clock.
	Clock clock.WithTickerAndDelayedExecution
	// ClientID identifies this client in the state (tests pin it); empty draws one.
	ClientID string
	// CollectorImage is the metrics collector sidecar's image for File and TensorFlowEvent
	// collectors; empty is trial.DefaultCollectorImage.
	CollectorImage string
}

// ExistsError says an experiment of that name is already stored.
type ExistsError struct{ Name, Namespace string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("experiment %q already exists in namespace %q", e.Name, e.Namespace)
}

// ConflictError says that another client changed the experiment's state: two clients
// cannot drive one experiment.
type ConflictError struct{ Name, Namespace, What string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the state of experiment %q was changed by another client (%s)", e.Name, e.What)
}

func (e *ConflictError) Unwrap() error { return store.ErrConflict }

// UnreachableError says the API server stayed unreachable longer than the run waits.
type UnreachableError struct {
	Name, Namespace string
	For             time.Duration
	Err             error
	// Recorded trials ended and are saved; Running ones go on in the cluster, unrecorded
	// until a client adopts them.
	Recorded, Running int
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the API server has been unreachable for %s (%v): %d ended trials of experiment %q are recorded, %d trials still running are left to the cluster",
		e.For.Round(time.Second), e.Err, e.Recorded, e.Name, e.Running)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Create stores the runner's new experiment (defaulted and validated by the caller) in its
// namespace. Call it after New and DryRun, so that nothing is stored for an experiment
// that cannot run.
func (r *Runner) Create(ctx context.Context) error {
	exp := r.st.Experiment
	r.st.SetCondition(experiment.ExperimentCreated, "ExperimentCreated", "Experiment is created", *r.now())
	err := r.retry(ctx, func(ctx context.Context) error { return r.store.Create(ctx, r.st) })
	if errors.Is(err, store.ErrExists) {
		return &ExistsError{Name: exp.Name, Namespace: exp.Namespace}
	}
	if err != nil {
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
	if err := r.checkSidecars(ctx); err != nil {
		return err
	}
	obj, err := r.render(exp, name, suggestions[0].Assignments)
	if err != nil {
		return &TemplateError{Err: err}
	}
	if err := trial.Prepare(obj, exp.Name, name, suggestions[0].Assignments, nil); err != nil {
		return &TemplateError{Err: err}
	}
	// Retried like a real create: a namespace made moments ago may not have its default
	// ServiceAccount yet, and the API server may be busy.
	err = r.retry(ctx, func(ctx context.Context) error {
		_, err := r.cfg.Dynamic.Resource(r.kind.GVR).Namespace(exp.Namespace).Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: trial.ManagedBy})
		return err
	})
	switch {
	case err == nil, apierrors.IsAlreadyExists(err):
		return nil
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return &TemplateError{Err: err}
	case apierrors.IsForbidden(err) && !r.kind.IsJob && !r.kind.IsPod:
		return &ForbiddenKindError{Kind: r.kind, Namespace: exp.Namespace, Err: err}
	}
	return err
}

// ForbiddenKindError says the user may not create trials of a kind beyond the Role README
// describes, and which rule to add.
type ForbiddenKindError struct {
	Kind      trial.Kind
	Namespace string
	Err       error
}

func (e *ForbiddenKindError) Error() string {
	return fmt.Sprintf("your credentials may not create %s in namespace %q, which trials of kind %s are: add the rule %s to the Role kubectl katib runs under (README: minimal Role)",
		e.Kind.Resource(), e.Namespace, e.Kind.Kind, e.Kind.RBACRule())
}

func (e *ForbiddenKindError) Unwrap() error { return e.Err }

// render builds a trial's workload, with the metrics collector sidecar when the
// experiment's collector reads files.
func (r *Runner) render(exp *experiment.Experiment, name string, assignments []experiment.ParameterAssignment) (*unstructured.Unstructured, error) {
	obj, err := trial.Render(exp, name, assignments)
	if err != nil {
		return nil, err
	}
	if err := trial.AddCollector(obj, exp.Spec.MetricsCollectorSpec, exp.Spec.TrialTemplate.PrimaryContainerName, r.cfg.CollectorImage, metricNames(exp.Spec.Objective)); err != nil {
		return nil, err
	}
	return obj, nil
}

// SidecarError says the cluster cannot run the metrics collector sidecar.
type SidecarError struct{ Version, Kind string }

func (e *SidecarError) Error() string {
	return fmt.Sprintf("the %s metrics collector runs as a native sidecar container, which needs Kubernetes 1.29 or newer, and the cluster runs %s; "+
		"upgrade the cluster, or have the trainer print its metrics to stdout and use collector kind StdOut", e.Kind, e.Version)
}

// checkSidecars refuses, before anything is created, clusters too old for native sidecars
// (init containers with restartPolicy Always): there the collector would be an init
// container that never ends, and no trial would ever start.
func (r *Runner) checkSidecars(ctx context.Context) error {
	mc := r.st.Experiment.Spec.MetricsCollectorSpec
	if !trial.NeedsCollector(mc) || r.cfg.Client == nil {
		return nil
	}
	var info *version.Info
	err := r.retry(ctx, func(ctx context.Context) error {
		var err error
		info, err = r.cfg.Client.Discovery().ServerVersion()
		return err
	})
	if err != nil {
		return fmt.Errorf("cannot read the cluster's version, needed to know whether it runs native sidecar containers: %w", err)
	}
	if !trial.SupportsNativeSidecars(info) {
		return &SidecarError{Version: info.GitVersion, Kind: string(mc.Collector.Kind)}
	}
	return nil
}

// Runner drives one stored experiment.
type Runner struct {
	cfg     Config
	clock   clock.WithTickerAndDelayedExecution
	id      string
	store   *store.Store
	st      *store.State
	algo    suggest.Algorithm
	stopper suggest.EarlyStopper
	parser  *metrics.Parser
	kind    trial.Kind
	mon     Monitor

	collectors map[string]*metrics.Collector
	timeouts   chan string
	// done is closed when Run returns.
	done chan struct{}
	// kept is the trial whose workload stays only because it is the best so far, so that
	// its whole log can be read; it goes when a better trial ends.
	kept string
	// deletes are finished trials' workloads waiting to be removed in one request.
	deletes []string
	// unsaved are trials that ended and wait for their record to be written.
	unsaved []unsavedRecord
	// frontUnsaved is set when a recorded trial changed the Pareto front, which the
	// experiment's status then needs to show.
	frontUnsaved bool
	exhausted    bool
	noMetrics    bool
	// health tracks whether the API server answers.
	health health
}

// New prepares a runner for a stored experiment (new or resumed).
func New(cfg Config, st *store.State) (*Runner, error) {
	exp := st.Experiment
	algo, err := suggest.NewForObjectives(&exp.Spec, experiment.Objectives(exp))
	if err != nil {
		return nil, err
	}
	stopper, err := suggest.NewEarlyStopper(&exp.Spec)
	if err != nil {
		return nil, err
	}
	kind, err := trial.ResolveKind(cfg.Mapper, exp.Spec.TrialTemplate.TrialSpec)
	if err != nil {
		return nil, err
	}
	parser, err := metrics.NewParser(exp.Spec.MetricsCollectorSpec, metricNames(exp.Spec.Objective))
	if err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.OutageTimeout <= 0 {
		cfg.OutageTimeout = DefaultOutageTimeout
	}
	id := cfg.ClientID
	if id == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	s := cfg.Store
	if s == nil {
		s = &store.Store{Client: cfg.Client, Dynamic: cfg.Dynamic, Mapper: cfg.Mapper, Namespace: exp.Namespace}
	}
	tt := exp.Spec.TrialTemplate
	r := &Runner{
		cfg: cfg, clock: cfg.Clock, id: id, st: st, algo: algo, stopper: stopper, parser: parser, kind: kind,
		store:      s,
		collectors: map[string]*metrics.Collector{},
		timeouts:   make(chan string, 16),
		done:       make(chan struct{}),
		noMetrics: exp.Spec.MetricsCollectorSpec != nil && exp.Spec.MetricsCollectorSpec.Collector != nil &&
			exp.Spec.MetricsCollectorSpec.Collector.Kind == experiment.NoneCollector,
	}
	monCfg := trial.MonitorConfig{
		Client: cfg.Client, Dynamic: cfg.Dynamic, Namespace: exp.Namespace, Experiment: exp.Name, Kind: kind,
		PrimaryContainer: tt.PrimaryContainerName, PrimaryPodLabels: tt.PrimaryPodLabels,
		SuccessCondition: tt.SuccessCondition, FailureCondition: tt.FailureCondition,
		Clock: cfg.Clock,
	}
	if trial.NeedsCollector(exp.Spec.MetricsCollectorSpec) {
		monCfg.LogContainer = trial.CollectorContainer
	}
	if cfg.NewMonitor != nil {
		r.mon = cfg.NewMonitor(monCfg)
	} else {
		r.mon = trial.NewMonitor(monCfg)
	}
	return r, nil
}

// NeedsReports says whether a run of the experiment needs the finished trials' observation
// logs (early stopping compares running trials with them), so resume reads them only then.
func NeedsReports(spec *experiment.ExperimentSpec) bool {
	return spec.EarlyStopping != nil && spec.EarlyStopping.AlgorithmName != ""
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

func (r *Runner) now() *metav1.Time {
	t := metav1.NewTime(r.clock.Now().UTC().Truncate(time.Second))
	return &t
}

// Run drives the experiment until it succeeds, fails, is interrupted (ctx cancelled) or,
// with Detach, until its first trials exist.
func (r *Runner) Run(ctx context.Context) (Outcome, error) {
	defer close(r.done)
	if r.st.Finished() {
		return outcomeOf(r.st), nil
	}
	if r.st.Legacy() {
		if err := r.retry(ctx, func(ctx context.Context) error { return r.store.Migrate(ctx, r.st) }); err != nil {
			return Failed, r.saveError(err, "rewriting the state in the current layout")
		}
	}
	// Workloads kept after their trials ended (the best one, failed ones) need no reading.
	for _, t := range r.st.Trials {
		if t.State.Finished() {
			r.mon.Forget(t.Name)
		}
	}
	monCtx, stopMon := context.WithCancel(context.Background())
	defer stopMon()
	if err := r.mon.Run(monCtx); err != nil {
		return Failed, fmt.Errorf("cannot watch the experiment's trials: %w", err)
	}
	if r.st.Status.StartTime == nil {
		r.st.Status.StartTime = r.now()
	}
	r.st.Status.Client = r.id
	r.st.UpdateFront()
	r.st.SetCondition(experiment.ExperimentRunning, "ExperimentRunning", "Experiment is running", *r.now())
	if err := r.saveExperiment(ctx); err != nil {
		return Failed, err
	}
	if err := r.adopt(ctx); err != nil {
		return r.failedOrInterrupted(ctx, err)
	}
	probe := r.clock.NewTicker(probeInterval)
	defer probe.Stop()
	for {
		if outcome, reason, msg, done := r.ended(); done {
			return outcome, r.finish(outcome, reason, msg)
		}
		proposed, err := r.fill(ctx)
		// Trials that ended are recorded even when the next could not be created.
		if ferr := r.flushRecords(ctx); err == nil {
			err = ferr
		}
		if err == nil && r.frontUnsaved {
			err = r.saveExperiment(ctx)
		}
		if err != nil {
			return r.failedOrInterrupted(ctx, err)
		}
		if r.cfg.Detach {
			r.flushDeletes(ctx)
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
			r.health.ok(r.clock.Now())
			err = r.handle(ctx, ev)
		case name := <-r.timeouts:
			err = r.startTimedOut(ctx, name)
		case <-probe.C():
			err = r.probe(ctx)
		}
		if err != nil {
			return r.failedOrInterrupted(ctx, err)
		}
	}
}

func (r *Runner) failedOrInterrupted(ctx context.Context, err error) (Outcome, error) {
	if ctx.Err() != nil && !errors.As(err, new(*UnreachableError)) {
		return r.interrupt()
	}
	return Failed, err
}

func outcomeOf(st *store.State) Outcome {
	if st.Phase() == experiment.ExperimentFailed {
		return Failed
	}
	return Succeeded
}

// adopt takes over the trials that have not ended: those a previous client left running
// (found by their workloads, whose log is read again from the start) and those recorded as
// running whose workload is gone (run again, with the same name and parameters). Workloads
// of trials already recorded as ended are removed unless they are to be kept.
func (r *Runner) adopt(ctx context.Context) error {
	var live []store.Live
	err := r.retry(ctx, func(ctx context.Context) error {
		var err error
		live, err = r.store.LiveTrials(ctx, r.kind.GVR, r.st.Experiment.Name)
		return err
	})
	if err != nil {
		return r.saveError(err, "listing the running trials")
	}
	workloads := map[string]bool{}
	for _, l := range live {
		workloads[l.Record.Name] = true
		if l.Annotated && r.st.Trial(l.Record.Name) == nil {
			r.st.Trials = append(r.st.Trials, l.Record)
		}
	}
	r.kept = ""
	if best := r.st.Best(); best != nil {
		r.kept = best.Name
	}
	for i := range r.st.Trials {
		t := &r.st.Trials[i]
		exists := workloads[t.Name]
		if t.State.Finished() {
			if exists && !r.keepsWorkload(t) {
				r.deleteWorkload(ctx, t.Name)
			}
			continue
		}
		r.collectors[t.Name] = metrics.NewCollector(r.st.Experiment.Spec.Objective)
		if !exists {
			// Recorded as not ended, but gone while no client watched it: run it (again)
			// from the start.
			if t.State == suggest.StateRunning {
				r.report(Report{Kind: Warning, Trial: t, Message: fmt.Sprintf("trial %s was running but its workload is gone; starting it again", t.Name)})
			}
			t.State, t.StartTime = suggest.StatePending, nil
			if err := r.createWorkload(ctx, t); err != nil {
				if err := r.createFailed(ctx, t, err); err != nil {
					return err
				}
				continue
			}
		}
		// The monitor reports the start again, from the workload as it is now.
		t.State, t.StartTime = suggest.StatePending, nil
		r.armTimeout(t.Name)
		r.report(Report{Kind: TrialAdopted, Trial: t})
	}
	r.flushDeletes(ctx)
	return nil
}

// ended applies Katib's rules for the end of an experiment.
func (r *Runner) ended() (Outcome, string, string, bool) {
	spec := r.st.Experiment.Spec
	c := r.st.Counts()
	// With several objectives no single value is the answer, so the goal ends nothing
	// (validation says so).
	if obj := spec.Objective; obj != nil && obj.Goal != nil && !r.st.MultiObjective() {
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
// creates them, and returns how many it proposed.
func (r *Runner) fill(ctx context.Context) (int, error) {
	if r.exhausted {
		return 0, nil
	}
	spec := r.st.Experiment.Spec
	c := r.st.Counts()
	want := int(ptr.Deref(spec.ParallelTrialCount, 3)) - c.Active()
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
	for _, s := range suggestions {
		index := r.st.NextIndex()
		r.st.Trials = append(r.st.Trials, store.TrialRecord{
			Name:  store.TrialName(r.st.Experiment.Name, r.st.Experiment.UID, index),
			Index: index, Assignments: s.Assignments, Labels: s.Labels,
			State: suggest.StatePending, CreationTime: r.now(),
		})
		t := &r.st.Trials[len(r.st.Trials)-1]
		r.collectors[t.Name] = metrics.NewCollector(spec.Objective)
		// The workload records the trial: there is nothing to write before it.
		if err := r.createWorkload(ctx, t); err != nil {
			if ctx.Err() != nil || errors.As(err, new(*ConflictError)) || errors.As(err, new(*UnreachableError)) {
				// Whether the workload was made is unknown: if it was, it records the trial
				// itself and resume adopts it; this client counts it no more.
				r.st.Trials = r.st.Trials[:len(r.st.Trials)-1]
				delete(r.collectors, t.Name)
				if u := new(*UnreachableError); errors.As(err, u) {
					r.countFor(*u)
				}
				return 0, err
			}
			if err := r.createFailed(ctx, t, err); err != nil {
				return 0, err
			}
			continue
		}
		r.armTimeout(t.Name)
		r.report(Report{Kind: TrialCreated, Trial: t})
	}
	return len(suggestions), nil
}

func (r *Runner) createWorkload(ctx context.Context, t *store.TrialRecord) error {
	exp := r.st.Experiment
	obj, err := r.render(exp, t.Name, t.Assignments)
	if err != nil {
		return err
	}
	cm := r.st.Object()
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: cm.Name, UID: cm.UID}
	if err := trial.Prepare(obj, exp.Name, t.Name, t.Assignments, owner); err != nil {
		return err
	}
	if err := store.MarkWorkload(obj, t, r.id); err != nil {
		return err
	}
	resource := r.cfg.Dynamic.Resource(r.kind.GVR).Namespace(exp.Namespace)
	err = r.retry(ctx, func(ctx context.Context) error {
		_, err := resource.Create(ctx, obj, metav1.CreateOptions{FieldManager: trial.ManagedBy})
		if !apierrors.IsAlreadyExists(err) {
			return err
		}
		// Either our own create landed unseen (a timeout, a dropped connection), or another
		// client made this trial: the record on the workload says which.
		existing, err := resource.Get(ctx, t.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return errWorkloadGoing // gone since: create again
		}
		if err != nil {
			return err
		}
		if existing.GetDeletionTimestamp() != nil {
			return errWorkloadGoing
		}
		if l, ok, _ := store.LiveFromWorkload(existing); ok && l.Client == r.id {
			return nil
		}
		return &ConflictError{Name: exp.Name, Namespace: exp.Namespace, What: fmt.Sprintf("trial %s was created by another client", t.Name)}
	})
	if err != nil {
		var conflict *ConflictError
		var unreachable *UnreachableError
		if errors.As(err, &conflict) || errors.As(err, &unreachable) {
			return err
		}
		return fmt.Errorf("cannot create %s %s: %w", obj.GetKind(), t.Name, err)
	}
	return nil
}

// createFailed records a trial whose workload could not be created.
func (r *Runner) createFailed(ctx context.Context, t *store.TrialRecord, err error) error {
	r.mon.Forget(t.Name)
	delete(r.collectors, t.Name)
	t.State, t.Reason, t.Message, t.CompletionTime = suggest.StateFailed, "CreateFailed", err.Error(), r.now()
	r.report(Report{Kind: TrialFinished, Trial: t})
	return r.saveTrial(ctx, t, nil)
}

func (r *Runner) armTimeout(name string) {
	if r.cfg.TrialStartTimeout <= 0 {
		return
	}
	r.clock.AfterFunc(r.cfg.TrialStartTimeout, func() {
		// A full channel means the loop is busy; it drains soon and timeouts are idempotent.
		// Once Run has returned nobody drains it.
		go func() {
			select {
			case r.timeouts <- name:
			case <-r.done:
			}
		}()
	})
}

// history is what the algorithm sees: every trial, oldest first.
func (r *Runner) history() []suggest.Trial {
	out := make([]suggest.Trial, 0, len(r.st.Trials))
	for _, t := range r.st.Trials {
		h := suggest.Trial{Name: t.Name, Assignments: t.Assignments, Labels: t.Labels, State: t.State, Objective: t.Objective, Objectives: t.Objectives, Reports: t.Reports}
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
		}
	case trial.Problem:
		r.report(Report{Kind: TrialWaiting, Trial: t, Message: ev.Reason + ": " + ev.Message})
	case trial.Line:
		c := r.collectors[t.Name]
		if ev.Partial {
			c.AddPartial(ev.Line)
			return nil
		}
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
	return r.settle(ctx, t, suggest.StateEarlyStopped, "TrialEarlyStopped", why)
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
	t.Objectives = nil
	if objs := r.st.Objectives(); len(objs) > 1 {
		values := make([]float64, 0, len(objs))
		for _, o := range objs {
			v, ok := c.Value(o.MetricName)
			if !ok {
				values = nil
				break
			}
			values = append(values, v)
		}
		t.Objectives = values
	}
	t.Reports, t.ReportStride = c.Reports(), 1
}

// missingObjectives names the objectives a trial never reported: the objective metric, and
// for a multi-objective experiment every other objective.
func (r *Runner) missingObjectives(c *metrics.Collector) []string {
	var missing []string
	for _, o := range r.st.Objectives() {
		if c == nil {
			missing = append(missing, o.MetricName)
		} else if _, ok := c.Value(o.MetricName); !ok {
			missing = append(missing, o.MetricName)
		}
	}
	return missing
}

func (r *Runner) complete(ctx context.Context, t *store.TrialRecord, ev trial.Event) error {
	c := r.collectors[t.Name]
	if t.StartTime == nil {
		t.StartTime = r.now()
	}
	if ev.LogIncomplete {
		// Part of the log could not be read: what was seen is no measurement of the trial,
		// and recording it as one could crown the wrong best trial.
		msg := "the trial's log could not be read to the end, so its metrics are not recorded: " + ev.LogProblem
		if c != nil {
			if v, ok := c.Objective(); ok {
				msg += fmt.Sprintf("; the objective read before the log was lost: %s", metrics.FormatValue(v))
			}
		}
		return r.settle(ctx, t, suggest.StateMetricsUnavailable, "LogIncomplete", msg)
	}
	r.record(t, c)
	switch {
	case !ev.Succeeded:
		msg := ev.Message
		if trial.NeedsCollector(r.st.Experiment.Spec.MetricsCollectorSpec) {
			// The log read was the collector's: the trainer's own error is in its container's log.
			msg += fmt.Sprintf("; see the training container's output with 'kubectl katib logs %s -n %s'", t.Name, r.st.Experiment.Namespace)
			if tail := tailOf(c); tail != "" {
				msg += "; last lines read from " + r.metricsSource() + ":\n" + tail
			}
		} else if tail := tailOf(c); tail != "" {
			msg += "; last log lines:\n" + tail
		}
		return r.settle(ctx, t, suggest.StateFailed, "TrialFailed", msg)
	case (t.Objective == nil || (r.st.MultiObjective() && t.Objectives == nil)) && !r.noMetrics:
		name := r.st.Experiment.Spec.Objective.ObjectiveMetricName
		msg := fmt.Sprintf("the objective metric %q never appeared in %s; lines were matched with %s",
			name, r.metricsSource(), r.parser.Describe())
		if missing := r.missingObjectives(c); t.Objective != nil && len(missing) > 0 {
			// The first objective was there: say which of the others were not.
			msg = fmt.Sprintf("the objective metric(s) %q never appeared in %s, so the trial has no value on every objective; lines were matched with %s",
				missing, r.metricsSource(), r.parser.Describe())
		}
		if p := c.Partial(); p != "" {
			msg += fmt.Sprintf("; the log ends with %q and no line end, which is not read as a metric (it may have been cut short): end every metrics line with a newline", p)
		}
		if tail := tailOf(c); tail != "" {
			msg += "; last log lines:\n" + tail
		} else {
			msg += "; the log was empty"
		}
		return r.settle(ctx, t, suggest.StateMetricsUnavailable, "MetricsUnavailable", msg)
	default:
		return r.settle(ctx, t, suggest.StateSucceeded, "TrialSucceeded", "Trial has succeeded")
	}
}

// metricsSource says where a trial's metrics are read, for messages about missing ones.
func (r *Runner) metricsSource() string {
	spec := r.st.Experiment.Spec
	mc := spec.MetricsCollectorSpec
	if !trial.NeedsCollector(mc) {
		return fmt.Sprintf("the log of container %q", spec.TrialTemplate.PrimaryContainerName)
	}
	p := ""
	if mc.Source != nil && mc.Source.FileSystemPath != nil {
		p = mc.Source.FileSystemPath.Path
	}
	if mc.Collector.Kind == experiment.TfEventCollector {
		return fmt.Sprintf("the TensorFlow event files under %s (read by the sidecar container %q; metric names select tags as in Katib: \"train/accuracy\" is the tag accuracy in files under a directory train)", p, trial.CollectorContainer)
	}
	return fmt.Sprintf("the file %s (read by the sidecar container %q)", p, trial.CollectorContainer)
}

func tailOf(c *metrics.Collector) string {
	if c == nil {
		return ""
	}
	tail := c.Tail()
	if len(tail) > metrics.TailLines {
		tail = tail[len(tail)-metrics.TailLines:]
	}
	return strings.Join(tail, "\n")
}

// settle gives a trial its final state, records it, and removes its workload unless it is
// kept: succeeded trials' when the template asks to retain them, the best trial's so that
// its whole log stays readable, failed ones' so `kubectl katib logs` can show what went
// wrong. Stopped and killed ones may still be running, so theirs always goes.
func (r *Runner) settle(ctx context.Context, t *store.TrialRecord, state suggest.TrialState, reason, msg string) error {
	t.State, t.Reason, t.Message, t.CompletionTime = state, reason, msg, r.now()
	c := r.collectors[t.Name]
	delete(r.collectors, t.Name)
	if t.Observation == nil && t.Objective != nil {
		t.Objective = nil
	}
	if t.Observation == nil {
		t.Objectives = nil
	}
	var logTail *string
	if c != nil {
		logTail = ptr.To(store.LogTail(c.Tail()))
	}
	previous := r.kept
	if best := r.st.Best(); best != nil && best.Name == t.Name {
		r.kept = t.Name
	}
	r.report(Report{Kind: TrialFinished, Trial: t})
	// The record is written after the next trial is created (flushRecords), so that
	// writing it does not sit between one trial's end and the next one's start. Until it is
	// written the trial's workload stays, and a client that dies meanwhile leaves it for
	// resume to read again.
	r.unsaved = append(r.unsaved, unsavedRecord{name: t.Name, logTail: logTail, previousKept: previous})
	return nil
}

// unsavedRecord is a trial that ended and is not recorded yet.
type unsavedRecord struct {
	name         string
	logTail      *string
	previousKept string
}

// flushRecords writes the records of the trials that ended, then lets their workloads go.
func (r *Runner) flushRecords(ctx context.Context) error {
	for len(r.unsaved) > 0 {
		u := r.unsaved[0]
		t := r.st.Trial(u.name)
		if err := r.saveTrial(ctx, t, u.logTail); err != nil {
			return err
		}
		r.unsaved = r.unsaved[1:]
		if r.stopper == nil {
			// Only early stopping looks at finished trials' reports again.
			t.Reports = nil
		}
		if !r.keepsWorkload(t) {
			r.deleteWorkload(ctx, t.Name)
			if t.State == suggest.StateEarlyStopped || t.State == suggest.StateKilled {
				// Its Pods still run (a master and its workers, maybe on GPUs): they go
				// now, not with the next batch.
				r.flushDeletes(ctx)
			}
		}
		if u.previousKept != "" && u.previousKept != r.kept {
			if p := r.st.Trial(u.previousKept); p != nil && !r.keepsWorkload(p) {
				r.deleteWorkload(ctx, u.previousKept)
			}
		}
	}
	if r.st.UpdateFront() {
		r.frontUnsaved = true
	}
	return nil
}

// keepsWorkload says whether a finished trial's workload stays in the cluster.
func (r *Runner) keepsWorkload(t *store.TrialRecord) bool {
	return (t.State == suggest.StateSucceeded && (r.st.Experiment.Spec.TrialTemplate.Retain || t.Name == r.kept)) ||
		t.State == suggest.StateFailed || (t.State == suggest.StateMetricsUnavailable && t.Reason != "LogIncomplete")
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
	r.mon.Forget(name)
	t.State, t.Reason, t.Message, t.CompletionTime = suggest.StateFailed, reason, msg, r.now()
	delete(r.collectors, name)
	r.report(Report{Kind: TrialFinished, Trial: t})
	if err := r.saveTrial(ctx, t, nil); err != nil {
		return err
	}
	// A trial that never started has nothing to show; its workload would only hold a
	// place in the queue.
	r.deleteWorkload(ctx, name)
	return nil
}

// finish stops what still runs, records the end and saves.
func (r *Runner) finish(outcome Outcome, reason, msg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.OutageTimeout+30*time.Second)
	defer cancel()
	for i := range r.st.Trials {
		t := &r.st.Trials[i]
		if !t.State.Finished() {
			r.mon.Forget(t.Name)
			r.record(t, r.collectors[t.Name])
			if err := r.settle(ctx, t, suggest.StateKilled, "TrialKilled", "the experiment ended while the trial was running: "+msg); err != nil {
				return err
			}
		}
	}
	r.st.Status.CompletionTime = r.now()
	cond := experiment.ExperimentSucceeded
	if outcome == Failed {
		cond = experiment.ExperimentFailed
	}
	if err := r.flushRecords(ctx); err != nil {
		return err
	}
	r.st.SetCondition(cond, reason, msg, *r.now())
	r.flushDeletes(ctx)
	err := r.saveExperiment(ctx)
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
				r.mon.Forget(t.Name)
				r.record(t, r.collectors[t.Name])
				if err := r.settle(ctx, t, suggest.StateKilled, "TrialKilled", "the run was interrupted and --cleanup deleted the trial"); err != nil {
					return Interrupted, err
				}
			}
		}
	}
	if err := r.flushRecords(ctx); err != nil {
		return Interrupted, err
	}
	r.flushDeletes(ctx)
	r.st.SetCondition(experiment.ExperimentRestarting, "ExperimentInterrupted", "the client was interrupted; continue with 'kubectl katib resume "+r.st.Experiment.Name+"'", *r.now())
	return Interrupted, r.saveExperiment(ctx)
}

// saveTrial records one trial; writes are never cut short by Ctrl-C, since a write that
// lands unseen would make the next one look like another client's.
func (r *Runner) saveTrial(ctx context.Context, t *store.TrialRecord, logTail *string) error {
	err := r.retry(context.WithoutCancel(ctx), func(ctx context.Context) error { return r.store.SaveTrial(ctx, r.st, t, logTail) })
	return r.saveError(err, "recording trial "+t.Name)
}

func (r *Runner) saveExperiment(ctx context.Context) error {
	r.st.UpdateFront()
	r.frontUnsaved = false
	err := r.retry(context.WithoutCancel(ctx), func(ctx context.Context) error { return r.store.SaveExperiment(ctx, r.st) })
	return r.saveError(err, "saving the experiment")
}

func (r *Runner) saveError(err error, what string) error {
	if err == nil {
		return nil
	}
	exp := r.st.Experiment
	var unreachable *UnreachableError
	switch {
	case errors.As(err, &unreachable):
		return err
	case errors.Is(err, store.ErrConflict):
		return &ConflictError{Name: exp.Name, Namespace: exp.Namespace, What: what}
	}
	return fmt.Errorf("cannot save the state of experiment %q (%s): %w", exp.Name, what, err)
}

// deleteWorkload queues the removal of a finished trial's workload. Workloads go in
// batches of parallelTrialCount, one request per batch: a finished Pod holds no resources,
// and a request per trial would be a fifth of what a trial costs the API server.
func (r *Runner) deleteWorkload(ctx context.Context, name string) {
	r.deletes = append(r.deletes, name)
	if len(r.deletes) >= int(ptr.Deref(r.st.Experiment.Spec.ParallelTrialCount, 3)) {
		r.flushDeletes(ctx)
	}
}

// flushDeletes removes the queued workloads; a failure is only a warning, since resume and
// delete remove leftovers.
func (r *Runner) flushDeletes(ctx context.Context) {
	if len(r.deletes) == 0 {
		return
	}
	names := r.deletes
	r.deletes = nil
	selector := fmt.Sprintf("%s=%s,%s in (%s)", trial.LabelExperiment, r.st.Experiment.Name, trial.LabelTrial, strings.Join(names, ","))
	policy := metav1.DeletePropagationBackground
	err := r.retry(context.WithoutCancel(ctx), func(ctx context.Context) error {
		return r.cfg.Dynamic.Resource(r.kind.GVR).Namespace(r.st.Experiment.Namespace).DeleteCollection(ctx,
			metav1.DeleteOptions{PropagationPolicy: &policy}, metav1.ListOptions{LabelSelector: selector})
	})
	if err != nil {
		r.report(Report{Kind: Warning, Message: fmt.Sprintf("cannot delete the workloads of trials %s: %v", strings.Join(names, ", "), err)})
	}
}

func (r *Runner) report(rep Report) {
	if r.cfg.Reporter != nil {
		rep.State = r.st
		r.cfg.Reporter.Report(rep)
	}
}
