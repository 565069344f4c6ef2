package runner_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

const (
	ns  = "ml"
	exp = "demo"
	// deadlock bounds every wait of a test on the runner: reaching it means the runner is
	// stuck, never that it was slow.
	deadlock = 30 * time.Second
)

var (
	t0      = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	jobsGVR = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	cmsGVR  = corev1.SchemeGroupVersion.WithResource("configmaps")
)

const experimentYAML = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: demo, namespace: ml}
spec:
  objective: {type: maximize, objectiveMetricName: accuracy}
  algorithm:
    algorithmName: random
    algorithmSettings: [{name: random_state, value: "7"}]
  maxTrialCount: 4
  parallelTrialCount: 2
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.01", max: "0.1"}}
  trialTemplate:
    trialParameters: [{name: lr, reference: lr}]
    trialSpec:
      apiVersion: v1
      kind: Pod
      spec:
        containers: [{name: main, image: trainer, args: ["--lr=${trialParameters.lr}"]}]
`

const jobTemplate = `apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: trainer, args: ["--lr=${trialParameters.lr}"]}]
`

// newExperiment is the demo experiment (random search, 4 trials, 2 at a time, Pod
// trials), changed by edit before it is defaulted.
func newExperiment(t *testing.T, edit func(*experiment.Experiment)) *experiment.Experiment {
	t.Helper()
	e, err := experiment.Parse([]byte(experimentYAML), "test")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(e)
	}
	experiment.SetDefaults(e)
	return e
}

func int32p(v int32) *int32       { return &v }
func float64p(v float64) *float64 { return &v }

// autoClock is a fake clock on which waiting for a retry's back-off takes no time: After
// moves the clock to the deadline at once. Everything else waits for the test to Step.
type autoClock struct{ *clocktesting.FakeClock }

func (c autoClock) After(d time.Duration) <-chan time.Time {
	ch := c.FakeClock.After(d)
	c.FakeClock.Step(d)
	return ch
}

// cluster is an API server for the runner: fake clients whose ConfigMaps get UIDs and
// resource versions that move with every write (so stale updates conflict), with switchable
// faults.
type cluster struct {
	t       *testing.T
	client  *fake.Clientset
	dynamic *dynamicfake.FakeDynamicClient
	clock   *clocktesting.FakeClock
	rv      atomic.Int64

	// down refuses every request while true; downUntil (UnixNano of the fake clock)
	// refuses them until the clock reaches it.
	down      atomic.Bool
	downUntil atomic.Int64
	refused   atomic.Int64
	// probes receives a value on every version request (the runner's liveness probe).
	probes chan struct{}
}

func newCluster(t *testing.T) *cluster {
	c := &cluster{
		t:      t,
		client: fake.NewClientset(),
		dynamic: dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
			podsGVR: "PodList", jobsGVR: "JobList",
		}),
		clock:  clocktesting.NewFakeClock(t0),
		probes: make(chan struct{}, 1024),
	}
	c.client.PrependReactor("create", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj, err := c.createConfigMap(a.(k8stesting.CreateAction))
		return true, obj, err
	})
	c.client.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj, err := c.updateConfigMap(a.(k8stesting.UpdateAction))
		return true, obj, err
	})
	c.dynamic.PrependReactor("delete-collection", "*", c.deleteCollection)
	c.client.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetResource().Resource == "version" {
			c.probes <- struct{}{}
		}
		return c.outage(a)
	})
	c.dynamic.PrependReactor("*", "*", c.outage)
	return c
}

func (c *cluster) createConfigMap(a k8stesting.CreateAction) (runtime.Object, error) {
	cm := a.GetObject().(*corev1.ConfigMap).DeepCopy()
	cm.UID = types.UID("uid-" + cm.Name)
	cm.ResourceVersion = strconv.FormatInt(c.rv.Add(1), 10)
	cm.CreationTimestamp = metav1.NewTime(c.clock.Now())
	if err := c.client.Tracker().Create(a.GetResource(), cm, a.GetNamespace()); err != nil {
		return nil, err
	}
	return cm.DeepCopy(), nil
}

func (c *cluster) updateConfigMap(a k8stesting.UpdateAction) (runtime.Object, error) {
	cm := a.GetObject().(*corev1.ConfigMap).DeepCopy()
	cur, err := c.client.Tracker().Get(a.GetResource(), a.GetNamespace(), cm.Name)
	if err != nil {
		return nil, err
	}
	old := cur.(*corev1.ConfigMap)
	if cm.ResourceVersion != "" && cm.ResourceVersion != old.ResourceVersion {
		return nil, apierrors.NewConflict(a.GetResource().GroupResource(), cm.Name, errors.New("the object has been modified"))
	}
	cm.UID, cm.CreationTimestamp = old.UID, old.CreationTimestamp
	cm.ResourceVersion = strconv.FormatInt(c.rv.Add(1), 10)
	if err := c.client.Tracker().Update(a.GetResource(), cm, a.GetNamespace()); err != nil {
		return nil, err
	}
	return cm.DeepCopy(), nil
}

// deleteCollection deletes the workloads a selector matches, which the fake's tracker
// does not implement.
func (c *cluster) deleteCollection(a k8stesting.Action) (bool, runtime.Object, error) {
	gvr := a.GetResource()
	kind := map[string]string{"pods": "Pod", "jobs": "Job"}[gvr.Resource]
	list, err := c.dynamic.Tracker().List(gvr, gvr.GroupVersion().WithKind(kind), a.GetNamespace())
	if err != nil {
		return true, nil, err
	}
	selector := a.(k8stesting.DeleteCollectionAction).GetListRestrictions().Labels
	for _, obj := range list.(*unstructured.UnstructuredList).Items {
		if selector.Matches(labels.Set(obj.GetLabels())) {
			if err := c.dynamic.Tracker().Delete(gvr, a.GetNamespace(), obj.GetName()); err != nil {
				return true, nil, err
			}
		}
	}
	return true, nil, nil
}

func (c *cluster) outage(a k8stesting.Action) (bool, runtime.Object, error) {
	if !c.down.Load() && !c.clock.Now().Before(time.Unix(0, c.downUntil.Load())) {
		return false, nil, nil
	}
	c.refused.Add(1)
	op := map[string]string{"create": "Post", "update": "Put", "delete": "Delete", "patch": "Patch"}[a.GetVerb()]
	if op == "" {
		op = "Get"
	}
	return true, nil, &url.Error{Op: op, URL: "https://127.0.0.1:6443/api/v1/namespaces/" + ns, Err: syscall.ECONNREFUSED}
}

// fault makes the next n requests of verb on resource whose object is named with prefix
// fail with a timeout; with landed, after taking effect (the answer was lost, not the
// request).
type fault struct{ left atomic.Int64 }

func (c *cluster) fault(verb, resource, prefix string, n int, landed bool) *fault {
	f := &fault{}
	f.left.Store(int64(n))
	react := func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj := a.(interface{ GetObject() runtime.Object }).GetObject()
		name := obj.(metav1.Object).GetName()
		if !strings.HasPrefix(name, prefix) || f.left.Add(-1) < 0 {
			return false, nil, nil
		}
		if landed {
			var err error
			switch {
			case resource == "configmaps" && verb == "create":
				_, err = c.createConfigMap(a.(k8stesting.CreateAction))
			case resource == "configmaps" && verb == "update":
				_, err = c.updateConfigMap(a.(k8stesting.UpdateAction))
			case verb == "create":
				err = c.dynamic.Tracker().Create(a.GetResource(), obj, a.GetNamespace())
			default:
				panic("no landing for " + verb + " " + resource)
			}
			if err != nil {
				return true, nil, err
			}
		}
		return true, nil, apierrors.NewTimeoutError("request did not complete within the allotted timeout", 0)
	}
	if resource == "configmaps" {
		c.client.PrependReactor(verb, resource, react)
	} else {
		c.dynamic.PrependReactor(verb, resource, react)
	}
	return f
}

func (c *cluster) store() *store.Store {
	return &store.Store{Client: c.client, Dynamic: c.dynamic, Namespace: ns}
}

// state reads the experiment as resume does, observation logs included.
func (c *cluster) state() *store.State {
	c.t.Helper()
	st, err := c.store().Get(context.Background(), exp, store.LoadOptions{Reports: true})
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// workloads names the trial workloads in the cluster, sorted.
func (c *cluster) workloads(gvr schema.GroupVersionResource) []string {
	c.t.Helper()
	list, err := c.dynamic.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, obj := range list.Items {
		out = append(out, obj.GetName())
	}
	slices.Sort(out)
	return out
}

func (c *cluster) workload(gvr schema.GroupVersionResource, name string) (*unstructured.Unstructured, bool) {
	obj, err := c.dynamic.Tracker().Get(gvr, ns, name)
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return obj.(*unstructured.Unstructured), true
}

// records names the trial records in the cluster, sorted.
func (c *cluster) records() []string {
	c.t.Helper()
	list, err := c.client.Tracker().List(cmsGVR, corev1.SchemeGroupVersion.WithKind("ConfigMap"), ns)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, cm := range list.(*corev1.ConfigMapList).Items {
		if name, ok := strings.CutPrefix(cm.Name, store.TrialPrefix); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// putWorkload creates the workload of trial index as a client does, from outside the run.
func (c *cluster) putWorkload(e *experiment.Experiment, uid types.UID, index int, client string, status map[string]any) string {
	c.t.Helper()
	name := store.TrialName(e.Name, uid, index)
	assignments := []experiment.ParameterAssignment{{Name: "lr", Value: fmt.Sprint(0.01 * float64(index+1))}}
	obj, err := trial.Render(e, name, assignments)
	if err != nil {
		c.t.Fatal(err)
	}
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: store.ConfigMapName(e.Name), UID: uid}
	if err := trial.Prepare(obj, e.Name, name, assignments, owner); err != nil {
		c.t.Fatal(err)
	}
	rec := store.TrialRecord{Name: name, Index: index, Assignments: assignments}
	if err := store.MarkWorkload(obj, &rec, client); err != nil {
		c.t.Fatal(err)
	}
	if status != nil {
		obj.Object["status"] = status
	}
	kind, _ := trial.KindOf(obj)
	if err := c.dynamic.Tracker().Create(kind.GVR, obj, ns); err != nil {
		c.t.Fatal(err)
	}
	return name
}

// fakeMonitor is the runner's trial watcher, driven by the test.
type fakeMonitor struct {
	events chan trial.Event
	// problem is what LastProblem says of every trial.
	problem string

	mu        sync.Mutex
	forgotten []string
}

func (m *fakeMonitor) Run(context.Context) error       { return nil }
func (m *fakeMonitor) Events() <-chan trial.Event      { return m.events }
func (m *fakeMonitor) LastProblem(trial string) string { return m.problem }
func (m *fakeMonitor) Forget(trial string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forgotten = append(m.forgotten, trial)
}

func (m *fakeMonitor) forgot(trial string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.forgotten, trial)
}

// report is what a Report said, copied while the runner waits for it to return.
type report struct {
	Kind    runner.ReportKind
	Trial   string
	State   suggest.TrialState
	Reason  string
	Message string
}

func (r report) String() string {
	return fmt.Sprintf("%d %s %s %s %q", r.Kind, r.Trial, r.State, r.Reason, r.Message)
}

type recorder chan report

func (r recorder) Report(rep runner.Report) {
	out := report{Kind: rep.Kind, Message: rep.Message}
	if rep.Trial != nil {
		out.Trial, out.State, out.Reason = rep.Trial.Name, rep.Trial.State, rep.Trial.Reason
		if out.Message == "" {
			out.Message = rep.Trial.Message
		}
	}
	r <- out
}

// options are what tests change in the runner's configuration.
type options struct {
	client            string
	outageTimeout     time.Duration
	trialStartTimeout time.Duration
	problem           string
	cleanup, detach   bool
}

// run is one Runner.Run in progress.
type run struct {
	t       *testing.T
	c       *cluster
	r       *runner.Runner
	mon     *fakeMonitor
	reports recorder
	seen    []report
	cancel  context.CancelFunc

	done    chan struct{}
	outcome runner.Outcome
	err     error
}

// newRunner builds a runner for st (a new experiment when st has no stored object).
func (c *cluster) newRunner(st *store.State, o options) (*runner.Runner, *fakeMonitor, recorder) {
	c.t.Helper()
	if o.client == "" {
		o.client = "client-a"
	}
	if o.outageTimeout == 0 {
		o.outageTimeout = time.Minute
	}
	mon := &fakeMonitor{events: make(chan trial.Event), problem: o.problem}
	rec := make(recorder, 4096)
	r, err := runner.New(runner.Config{
		Client: c.client, Dynamic: c.dynamic,
		NewMonitor:        func(trial.MonitorConfig) runner.Monitor { return mon },
		Clock:             autoClock{c.clock},
		ClientID:          o.client,
		OutageTimeout:     o.outageTimeout,
		TrialStartTimeout: o.trialStartTimeout,
		Cleanup:           o.cleanup,
		Detach:            o.detach,
		Reporter:          rec,
	}, st)
	if err != nil {
		c.t.Fatal(err)
	}
	return r, mon, rec
}

// create stores a new experiment through a runner and starts running it.
func (c *cluster) create(e *experiment.Experiment, o options) *run {
	c.t.Helper()
	r, mon, rec := c.newRunner(&store.State{Experiment: e}, o)
	if err := r.Create(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	return c.start(r, mon, rec)
}

// resume runs the stored experiment with a new runner.
func (c *cluster) resume(o options) *run {
	c.t.Helper()
	r, mon, rec := c.newRunner(c.state(), o)
	return c.start(r, mon, rec)
}

func (c *cluster) start(r *runner.Runner, mon *fakeMonitor, rec recorder) *run {
	ctx, cancel := context.WithCancel(context.Background())
	x := &run{t: c.t, c: c, r: r, mon: mon, reports: rec, cancel: cancel, done: make(chan struct{})}
	c.t.Cleanup(func() {
		cancel()
		<-x.done
	})
	go func() {
		defer close(x.done)
		x.outcome, x.err = r.Run(ctx)
	}()
	return x
}

// next returns the next report matching kind and, unless empty, trial.
func (x *run) next(kind runner.ReportKind, trialName string) report {
	x.t.Helper()
	stuck := time.After(deadlock)
	for {
		select {
		case rep := <-x.reports:
			x.seen = append(x.seen, rep)
			if rep.Kind == kind && (trialName == "" || rep.Trial == trialName) {
				return rep
			}
		case <-x.done:
			// Reports made before the end are in the channel already.
			for {
				select {
				case rep := <-x.reports:
					x.seen = append(x.seen, rep)
					if rep.Kind == kind && (trialName == "" || rep.Trial == trialName) {
						return rep
					}
				default:
					x.t.Fatalf("the run ended (%s, %v) before report %d of %q; it reported:\n%s", x.outcome, x.err, kind, trialName, x.history())
				}
			}
		case <-stuck:
			x.t.Fatalf("no report %d of %q; the runner reported:\n%s", kind, trialName, x.history())
		}
	}
}

func (x *run) history() string {
	var b strings.Builder
	for _, r := range x.seen {
		fmt.Fprintln(&b, r)
	}
	return b.String()
}

// created waits for n trials to be created and names them.
func (x *run) created(n int) []string {
	x.t.Helper()
	var names []string
	for range n {
		names = append(names, x.next(runner.TrialCreated, "").Trial)
	}
	return names
}

func (x *run) send(ev trial.Event) {
	x.t.Helper()
	select {
	case x.mon.events <- ev:
	case <-x.done:
		x.t.Fatalf("the run ended (%s, %v) before taking %+v; it reported:\n%s", x.outcome, x.err, ev, x.history())
	case <-time.After(deadlock):
		x.t.Fatalf("the runner does not take %+v; it reported:\n%s", ev, x.history())
	}
}

// progress starts a trial and has it print values of the objective.
func (x *run) progress(name string, values ...float64) {
	x.t.Helper()
	x.send(trial.Event{Trial: name, Type: trial.Started})
	for _, v := range values {
		x.send(trial.Event{Trial: name, Type: trial.Line, Line: fmt.Sprintf("epoch accuracy=%v", v)})
	}
}

// complete ends a trial's workload and waits until the runner says the trial finished.
func (x *run) complete(name string, ev trial.Event) report {
	x.t.Helper()
	ev.Trial, ev.Type = name, trial.Completed
	x.send(ev)
	return x.next(runner.TrialFinished, name)
}

// succeed runs a trial to success through its log.
func (x *run) succeed(name string, values ...float64) report {
	x.t.Helper()
	x.progress(name, values...)
	return x.complete(name, trial.Event{Succeeded: true})
}

// wait returns how the run ended.
func (x *run) wait() (runner.Outcome, error) {
	x.t.Helper()
	select {
	case <-x.done:
	case <-time.After(deadlock):
		x.t.Fatalf("the run does not end; it reported:\n%s", x.history())
	}
	for {
		select {
		case rep := <-x.reports:
			x.seen = append(x.seen, rep)
		default:
			return x.outcome, x.err
		}
	}
}

// checkRecords checks that the stored experiment holds exactly want trials, numbered from
// 0, each finished and recorded once, and returns it.
func checkRecords(t *testing.T, c *cluster, want int) *store.State {
	t.Helper()
	st := c.state()
	var names []string
	for i, tr := range st.Trials {
		names = append(names, tr.Name)
		if tr.Index != i || !tr.State.Finished() || !tr.Stored() {
			t.Errorf("trial %s: index %d (want %d), state %s, recorded %v", tr.Name, tr.Index, i, tr.State, tr.Stored())
		}
		if want := store.TrialName(exp, st.Experiment.UID, i); tr.Name != want {
			t.Errorf("trial %d is named %s, want %s", i, tr.Name, want)
		}
	}
	if len(st.Trials) != want {
		t.Errorf("%d trials stored (%v), want %d", len(st.Trials), names, want)
	}
	if recs := c.records(); !slices.Equal(recs, slices.Sorted(slices.Values(names))) {
		t.Errorf("trial records %v for trials %v", recs, names)
	}
	return st
}
