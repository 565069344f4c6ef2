package trial

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// EventType says what happened to a trial.
type EventType int

const (
	// Started: the primary container began running (or already ran).
	Started EventType = iota
	// Line: one line of the primary container's log; At is the time the kubelet stamped on it.
	Line
	// Problem: the trial cannot start yet (image pull, scheduling, configuration).
	Problem
	// Completed: the workload reached its success or failure condition and every log
	// stream of its pods has ended (see the package comment).
	Completed
)

// Event is one thing the monitor saw.
type Event struct {
	Trial     string
	Type      EventType
	Line      string
	Succeeded bool
	Reason    string
	Message   string
	At        time.Time
	// LogIncomplete says, on Completed, that the log of one of the trial's pods could not be
	// read to its end (the pod was deleted first, or the API server refused the log for
	// good): metrics taken from the lines delivered may miss what came after them.
	// LogProblem says which pod, how far its log was read and why.
	LogIncomplete bool
	LogProblem    string
	// Partial marks, on a Line, text the log ended with that no line end followed: a
	// program's last output without a newline, or a line the container runtime cut short
	// when it dropped the end of a container's output. It is shown, never read as metrics,
	// since a cut "accuracy=0.290171" reads as "accuracy=0.290".
	Partial bool
}

// MonitorConfig says what to watch.
type MonitorConfig struct {
	Client kubernetes.Interface
	// Dynamic watches workloads of kinds other than Job and Pod.
	Dynamic    dynamic.Interface
	Namespace  string
	Experiment string
	Kind       Kind
	// PrimaryContainer is the training container: its start and end are the trial's.
	PrimaryContainer string
	// LogContainer is the container whose log carries the metrics, when that is not the
	// primary container: the metrics collector sidecar of File and TensorFlowEvent
	// collectors, a native sidecar (an init container) that the kubelet stops after the
	// primary container ends.
	LogContainer string
	// SuccessCondition and FailureCondition are gjson queries on the workload (Katib's
	// trialTemplate conditions); empty means the pod phase decides.
	SuccessCondition string
	FailureCondition string
	// PrimaryPodLabels pick, among a trial's Pods (a master and its workers), the ones whose
	// primary container's log carries the metrics and whose end is the trial's; empty means
	// every Pod of the trial.
	PrimaryPodLabels map[string]string
	// Logs opens log streams; nil reads them through Client.
	Logs LogSource
	// Clock paces the reopening of log streams and the wait for a pod's log after a Job's
	// success; nil is the real clock.
	Clock clock.WithTicker
	// Backoff paces the reopening of a broken log stream; zero is 200ms, doubling up to
	// 5s, with 10% jitter. Steps, if set, limits how often the interval grows, never how
	// often a stream is reopened.
	Backoff wait.Backoff
}

// Monitor watches every workload and pod of one experiment with two watches (not one per
// trial) and streams each primary container's log through the API server.
type Monitor struct {
	cfg    MonitorConfig
	events chan Event
	logs   LogSource
	clock  clock.WithTicker
	// pods is the pod watch's cache: what it says about a pod decides what a log read
	// proves.
	pods cache.Store
	// workloads is the workload watch's cache (kinds other than Pod): a pod counts for its
	// trial only while the workload that owns it is the trial's current one.
	workloads cache.Store

	mu     sync.Mutex
	trials map[string]*watched
	ctx    context.Context
}

type watched struct {
	streams      map[types.UID]*podStream
	active       int
	finished     int
	started      bool
	terminal     *Event
	graceStarted bool
	graceOver    bool
	done         bool
	lastProblem  string
	logProblems  []string
	// lastExit says how the primary container of the trial's latest failed pod ended; a
	// Job's own failure condition only says that its back-off limit was reached.
	lastExit string
	// ctx ends the trial's log streams once the caller has finished with the trial.
	ctx    context.Context
	cancel context.CancelFunc
}

// finish stops reporting on the trial and ends its log streams.
func (w *watched) finish() {
	w.done = true
	if w.cancel != nil {
		w.cancel()
	}
}

// NewMonitor prepares a monitor; Run starts it.
func NewMonitor(cfg MonitorConfig) *Monitor {
	m := &Monitor{cfg: cfg, events: make(chan Event, 256), trials: map[string]*watched{},
		logs: cfg.Logs, clock: cfg.Clock}
	if m.logs == nil {
		m.logs = clientLogs{client: cfg.Client}
	}
	if m.clock == nil {
		m.clock = clock.RealClock{}
	}
	return m
}

// Events delivers what the monitor sees, in order per trial.
func (m *Monitor) Events() <-chan Event { return m.events }

// Forget stops reporting on a trial the caller has finished with (stopped, killed).
func (m *Monitor) Forget(trial string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.trial(trial).finish()
}

// LastProblem is the latest reason the trial could not start, if any.
func (m *Monitor) LastProblem(trial string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.trial(trial).lastProblem
}

// Run starts the watches and returns once their caches are in sync; events flow until ctx
// ends.
func (m *Monitor) Run(ctx context.Context) error {
	m.ctx = ctx
	client, ns := m.cfg.Client, m.cfg.Namespace
	podInformer := m.informer(&corev1.Pod{}, client,
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return client.CoreV1().Pods(ns).List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return client.CoreV1().Pods(ns).Watch(ctx, o)
		})
	m.pods = podInformer.GetStore()
	if _, err := podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { m.onPod(obj) },
		UpdateFunc: func(_, obj any) { m.onPod(obj) },
		DeleteFunc: m.onPodDeleted,
	}); err != nil {
		return err
	}
	informers := []cache.SharedIndexInformer{podInformer}
	var workloadInformer cache.SharedIndexInformer
	switch {
	case m.cfg.Kind.IsJob:
		workloadInformer = m.informer(&batchv1.Job{}, client,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.BatchV1().Jobs(ns).List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return client.BatchV1().Jobs(ns).Watch(ctx, o)
			})
	case !m.cfg.Kind.IsPod:
		if m.cfg.Dynamic == nil {
			return fmt.Errorf("watching %s trials needs a dynamic client", m.cfg.Kind.Resource())
		}
		resource := m.cfg.Dynamic.Resource(m.cfg.Kind.GVR).Namespace(ns)
		workloadInformer = m.informer(&unstructured.Unstructured{}, m.cfg.Dynamic,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return resource.List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return resource.Watch(ctx, o)
			})
	}
	if workloadInformer != nil {
		m.workloads = workloadInformer.GetStore()
		if _, err := workloadInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { m.onWorkload(obj) },
			UpdateFunc: func(_, obj any) { m.onWorkload(obj) },
			DeleteFunc: m.onWorkloadDeleted,
		}); err != nil {
			return err
		}
		informers = append(informers, workloadInformer)
	}
	synced := make([]cache.InformerSynced, 0, len(informers))
	for _, inf := range informers {
		go inf.RunWithContext(ctx)
		synced = append(synced, inf.HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("the watches on the experiment's pods and %s did not start", m.cfg.Kind.Resource())
	}
	return nil
}

// informer watches the experiment's objects of one type. It is built from the clientset
// directly rather than through client-go's informer factory, which would link the
// informers and listers of every API type into the binary.
func (m *Monitor) informer(example runtime.Object, client any,
	list func(context.Context, metav1.ListOptions) (runtime.Object, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error)) cache.SharedIndexInformer {
	selector := LabelExperiment + "=" + m.cfg.Experiment
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = selector
			return list(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = selector
			return watchFn(ctx, o)
		},
	}
	return cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(lw, client), example, 0, cache.Indexers{})
}

func (m *Monitor) trial(name string) *watched {
	w, ok := m.trials[name]
	if !ok {
		w = &watched{streams: map[types.UID]*podStream{}}
		m.trials[name] = w
	}
	return w
}

func (m *Monitor) emit(ev Event) {
	if ev.At.IsZero() {
		ev.At = m.clock.Now()
	}
	select {
	case m.events <- ev:
	case <-m.ctx.Done():
	}
}

// unlockAndEmit releases the lock, then delivers the events: emitting can block on the
// runner, which must never wait on a monitor holding the lock.
func (m *Monitor) unlockAndEmit(out []Event) {
	m.mu.Unlock()
	for _, ev := range out {
		m.emit(ev)
	}
}

func (m *Monitor) onPod(obj any) {
	if pod, ok := obj.(*corev1.Pod); ok {
		m.observePod(pod, false)
	}
}

// onPodDeleted lets the pod's log stream find out that what it has not read is lost; a
// Pod trial that had not finished ends as its workload was deleted.
func (m *Monitor) onPodDeleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	m.observePod(pod, true)
	if m.cfg.Kind.IsPod {
		m.onWorkloadDeleted(pod)
	}
}

func (m *Monitor) observePod(pod *corev1.Pod, deleted bool) {
	name := pod.Labels[LabelTrial]
	if name == "" {
		return
	}
	m.mu.Lock()
	w := m.trial(name)
	if w.done || (w.streams[pod.UID] == nil && !m.ownedByCurrentWorkload(pod)) {
		m.mu.Unlock()
		return
	}
	var out []Event
	if !m.isPrimary(pod) {
		// A worker's problems (unschedulable, image pull) still hold the trial up.
		if !deleted && !containerRan(pod, "") {
			if reason, msg := startProblem(pod); reason != "" && reason != w.lastProblem {
				w.lastProblem = reason
				out = append(out, Event{Trial: name, Type: Problem, Reason: reason, Message: fmt.Sprintf("pod %s: %s", pod.Name, msg)})
			}
		}
		m.unlockAndEmit(out)
		return
	}
	var start []*podStream
	ran := containerRan(pod, m.cfg.PrimaryContainer)
	// The log is followed once the trial has started and its log container has run; a
	// collector sidecar starts before the primary container, so it has by then.
	logRan := ran && (m.cfg.LogContainer == "" || sidecarRan(pod, m.cfg.LogContainer))
	if ran && !w.started {
		w.started = true
		out = append(out, Event{Trial: name, Type: Started})
	}
	if !ran && !deleted {
		if reason, msg := startProblem(pod); reason != "" && reason != w.lastProblem {
			w.lastProblem = reason
			out = append(out, Event{Trial: name, Type: Problem, Reason: reason, Message: msg})
		}
	}
	if pod.Status.Phase == corev1.PodFailed {
		w.lastExit = podMessage(pod, m.cfg.PrimaryContainer)
	}
	if m.cfg.Kind.IsPod && w.terminal == nil {
		if ev := m.podTerminal(pod); ev != nil {
			w.terminal = ev
		}
	}
	// An unfinished Pod trial whose pod is deleted ends as WorkloadDeleted; a finished
	// one, or a Job's pod, still gets a stream, so that what its log lost is reported
	// rather than the trial looking as if it printed nothing.
	workloadGone := deleted && m.cfg.Kind.IsPod && w.terminal == nil
	s := w.streams[pod.UID]
	if logRan && s == nil && !workloadGone {
		s = newPodStream(name, pod)
		w.streams[pod.UID] = s
		w.active++
		start = append(start, s)
		if w.ctx == nil {
			w.ctx, w.cancel = context.WithCancel(m.ctx)
		}
	}
	if s != nil && (deleted || primaryTerminated(pod, m.logContainer())) {
		s.poke()
	}
	out = append(out, m.completeIfReady(name, w)...)
	ctx := w.ctx
	m.unlockAndEmit(out)
	// Started first: the stream's lines must not overtake it.
	for _, s := range start {
		go m.follow(ctx, s)
	}
}

// isPrimary says whether a pod is one of its trial's primary pods (PrimaryPodLabels).
func (m *Monitor) isPrimary(pod *corev1.Pod) bool {
	for k, v := range m.cfg.PrimaryPodLabels {
		if pod.Labels[k] != v {
			return false
		}
	}
	return true
}

// ownedByCurrentWorkload tells a pod of the trial's current workload from a pod of an
// earlier workload of the same name that is still going away: a trial that never ended is
// asked for again under the same name, and the old pods' logs are not its own. Pods owned
// through objects in between (a JobSet's Jobs) are taken as they come.
func (m *Monitor) ownedByCurrentWorkload(pod *corev1.Pod) bool {
	if m.cfg.Kind.IsPod || m.workloads == nil {
		return true
	}
	owner := metav1.GetControllerOf(pod)
	if owner == nil || owner.Kind != m.cfg.Kind.Kind {
		return true
	}
	obj, ok, err := m.workloads.GetByKey(pod.Namespace + "/" + owner.Name)
	if err != nil || !ok {
		return false
	}
	workload, err := meta.Accessor(obj)
	return err == nil && workload.GetUID() == owner.UID
}

// observeWorkloadPods looks again at a trial's pods that the workload watch had not
// explained yet: the pod watch can see a workload's pods before the workload watch sees it.
func (m *Monitor) observeWorkloadPods(name string) {
	for _, obj := range m.pods.List() {
		if pod, ok := obj.(*corev1.Pod); ok && pod.Labels[LabelTrial] == name {
			m.observePod(pod, false)
		}
	}
}

func (m *Monitor) onWorkload(obj any) {
	workload, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	name := workload.GetLabels()[LabelTrial]
	if name == "" {
		return
	}
	defer m.observeWorkloadPods(name)
	m.mu.Lock()
	w := m.trial(name)
	if w.done || w.terminal != nil {
		m.mu.Unlock()
		return
	}
	if ok, reason, msg := m.conditionHolds(obj, m.cfg.FailureCondition); ok {
		w.terminal = &Event{Trial: name, Type: Completed, Reason: orDefault(reason, "Failed"), Message: msg}
	} else if ok, reason, msg := m.conditionHolds(obj, m.cfg.SuccessCondition); ok {
		w.terminal = &Event{Trial: name, Type: Completed, Succeeded: true, Reason: orDefault(reason, "Succeeded"), Message: msg}
	}
	out := m.completeIfReady(name, w)
	m.unlockAndEmit(out)
}

// onWorkloadDeleted ends a trial whose workload someone deleted before it finished; the
// runner's own deletions come after it has stopped listening to that trial. A workload
// deleted after it finished leaves its trial to complete once the log streams have
// found out what they could not read.
func (m *Monitor) onWorkloadDeleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	meta, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	name := meta.GetLabels()[LabelTrial]
	if name == "" {
		return
	}
	m.mu.Lock()
	w := m.trial(name)
	if w.done || w.terminal != nil {
		m.mu.Unlock()
		return
	}
	w.finish()
	m.mu.Unlock()
	m.emit(Event{Trial: name, Type: Completed, Reason: "WorkloadDeleted",
		Message: fmt.Sprintf("the trial's workload %s was deleted before the trial finished", meta.GetName())})
}

func (m *Monitor) podTerminal(pod *corev1.Pod) *Event {
	name := pod.Labels[LabelTrial]
	if m.cfg.SuccessCondition == "" && m.cfg.FailureCondition == "" {
		switch pod.Status.Phase {
		case corev1.PodSucceeded:
			return &Event{Trial: name, Type: Completed, Succeeded: true, Reason: "Succeeded"}
		case corev1.PodFailed:
			return &Event{Trial: name, Type: Completed, Reason: "Failed", Message: podMessage(pod, m.cfg.PrimaryContainer)}
		}
		return nil
	}
	if ok, reason, _ := m.conditionHolds(pod, m.cfg.FailureCondition); ok {
		return &Event{Trial: name, Type: Completed, Reason: orDefault(reason, "Failed"), Message: podMessage(pod, m.cfg.PrimaryContainer)}
	}
	if ok, reason, msg := m.conditionHolds(pod, m.cfg.SuccessCondition); ok {
		return &Event{Trial: name, Type: Completed, Succeeded: true, Reason: orDefault(reason, "Succeeded"), Message: msg}
	}
	return nil
}

// conditionHolds evaluates one of Katib's success/failure conditions on the workload; an
// empty condition never holds.
func (m *Monitor) conditionHolds(obj any, cond string) (bool, string, string) {
	if cond == "" {
		return false, "", ""
	}
	ok, reason, msg, err := experiment.ConditionDetail(obj, cond)
	return ok && err == nil, reason, msg
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// completeIfReady emits Completed once the workload is terminal and its log streams have
// ended. A Job's condition can arrive before the watch has shown its pod running; for a
// success we then wait briefly for the pod's log to be streamed instead of declaring the
// metrics missing.
func (m *Monitor) completeIfReady(name string, w *watched) []Event {
	if w.terminal == nil || w.done || w.active > 0 {
		return nil
	}
	if w.terminal.Succeeded && w.finished == 0 && !w.graceOver {
		if !w.graceStarted {
			w.graceStarted = true
			go m.graceTimer(name, w)
		}
		return nil
	}
	w.finish()
	ev := *w.terminal
	if !ev.Succeeded && w.lastExit != "" && !strings.Contains(ev.Message, w.lastExit) {
		ev.Message = strings.TrimPrefix(ev.Message+"; "+w.lastExit, "; ")
	}
	if len(w.logProblems) > 0 {
		ev.LogIncomplete = true
		ev.LogProblem = strings.Join(w.logProblems, "; ")
	}
	return []Event{ev}
}

// jobLogGrace is how long a succeeded Job's trial waits for its pod to be seen running.
const jobLogGrace = 10 * time.Second

func (m *Monitor) graceTimer(name string, w *watched) {
	t := m.clock.NewTimer(jobLogGrace)
	defer t.Stop()
	select {
	case <-m.ctx.Done():
		return
	case <-t.C():
	}
	m.mu.Lock()
	w.graceOver = true // give up waiting for a stream that will not come
	out := m.completeIfReady(name, w)
	m.unlockAndEmit(out)
}

// logContainer is the container whose log is followed.
func (m *Monitor) logContainer() string {
	if m.cfg.LogContainer != "" {
		return m.cfg.LogContainer
	}
	return m.cfg.PrimaryContainer
}

// sidecarRan says whether an init container (a native sidecar) has started, whatever the
// pod's phase: the kubelet stops sidecars after the pod's phase may already say Succeeded.
func sidecarRan(pod *corev1.Pod, container string) bool {
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.Name == container {
			return cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil
		}
	}
	return false
}

func containerRan(pod *corev1.Pod, container string) bool {
	if podFinished(pod) {
		for _, cs := range pod.Status.ContainerStatuses {
			if cs.Name == container || container == "" {
				return cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil
			}
		}
		return false
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == container || container == "" {
			return cs.State.Running != nil || cs.State.Terminated != nil
		}
	}
	return false
}

// startProblem names why a pod's containers cannot start, for reasons that do not go away
// by waiting a little.
func startProblem(pod *corev1.Pod) (string, string) {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return "Unschedulable", c.Message
		}
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
				return w.Reason, fmt.Sprintf("container %s: %s", cs.Name, w.Message)
			}
		}
	}
	return "", ""
}

func podMessage(pod *corev1.Pod, container string) string {
	for _, cs := range pod.Status.ContainerStatuses {
		if (cs.Name == container || container == "") && cs.State.Terminated != nil {
			t := cs.State.Terminated
			msg := fmt.Sprintf("container %s exited with code %d", cs.Name, t.ExitCode)
			if t.Reason != "" {
				msg += " (" + t.Reason + ")"
			}
			return msg
		}
	}
	return pod.Status.Message
}
