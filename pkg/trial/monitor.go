package trial

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// EventType says what happened to a trial.
type EventType int

const (
	// Started: the primary container began running (or already ran).
	Started EventType = iota
	// Line: one line of the primary container's log.
	Line
	// Problem: the trial cannot start yet (image pull, scheduling, configuration).
	Problem
	// Completed: the workload reached its success or failure condition and every log
	// stream of its pods has ended.
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
}

// MonitorConfig says what to watch.
type MonitorConfig struct {
	Client     kubernetes.Interface
	Namespace  string
	Experiment string
	Kind       Kind
	// PrimaryContainer is the container whose log carries the metrics.
	PrimaryContainer string
	// SuccessCondition and FailureCondition are gjson queries on the workload (Katib's
	// trialTemplate conditions); empty means the pod phase decides.
	SuccessCondition string
	FailureCondition string
}

// Monitor watches every workload and pod of one experiment with two watches (not one per
// trial) and streams each primary container's log through the API server.
type Monitor struct {
	cfg    MonitorConfig
	events chan Event

	mu     sync.Mutex
	trials map[string]*watched
	ctx    context.Context
}

type watched struct {
	streamedPods map[types.UID]bool
	active       int
	finished     int
	started      bool
	terminal     *Event
	graceStarted bool
	done         bool
	lastProblem  string
	// lastExit says how the primary container of the trial's latest failed pod ended; a
	// Job's own failure condition only says that its back-off limit was reached.
	lastExit string
}

// NewMonitor prepares a monitor; Run starts it.
func NewMonitor(cfg MonitorConfig) *Monitor {
	return &Monitor{cfg: cfg, events: make(chan Event, 256), trials: map[string]*watched{}}
}

// Events delivers what the monitor sees, in order per trial.
func (m *Monitor) Events() <-chan Event { return m.events }

// Forget stops reporting on a trial the caller has finished with (stopped, killed).
func (m *Monitor) Forget(trial string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.trial(trial).done = true
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
	selector := LabelExperiment + "=" + m.cfg.Experiment
	factory := informers.NewSharedInformerFactoryWithOptions(m.cfg.Client, 0,
		informers.WithNamespace(m.cfg.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	podInformer := factory.Core().V1().Pods().Informer()
	podHandler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { m.onPod(obj) },
		UpdateFunc: func(_, obj any) { m.onPod(obj) },
	}
	if !m.cfg.Kind.IsJob {
		podHandler.DeleteFunc = m.onWorkloadDeleted
	}
	if _, err := podInformer.AddEventHandler(podHandler); err != nil {
		return err
	}
	synced := []cache.InformerSynced{podInformer.HasSynced}
	if m.cfg.Kind.IsJob {
		jobInformer := factory.Batch().V1().Jobs().Informer()
		if _, err := jobInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { m.onJob(obj) },
			UpdateFunc: func(_, obj any) { m.onJob(obj) },
			DeleteFunc: m.onWorkloadDeleted,
		}); err != nil {
			return err
		}
		synced = append(synced, jobInformer.HasSynced)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("the watches on the experiment's pods and jobs did not start")
	}
	return nil
}

func (m *Monitor) trial(name string) *watched {
	w, ok := m.trials[name]
	if !ok {
		w = &watched{streamedPods: map[types.UID]bool{}}
		m.trials[name] = w
	}
	return w
}

func (m *Monitor) emit(ev Event) {
	if ev.At.IsZero() {
		ev.At = time.Now()
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
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	name := pod.Labels[LabelTrial]
	if name == "" {
		return
	}
	m.mu.Lock()
	w := m.trial(name)
	if w.done {
		m.mu.Unlock()
		return
	}
	var out []Event
	ran := containerRan(pod, m.cfg.PrimaryContainer)
	if ran && !w.started {
		w.started = true
		out = append(out, Event{Trial: name, Type: Started})
	}
	if ran && !w.streamedPods[pod.UID] {
		w.streamedPods[pod.UID] = true
		w.active++
		go m.stream(name, pod.Name)
	}
	if !ran {
		if reason, msg := startProblem(pod); reason != "" && reason != w.lastProblem {
			w.lastProblem = reason
			out = append(out, Event{Trial: name, Type: Problem, Reason: reason, Message: msg})
		}
	}
	if pod.Status.Phase == corev1.PodFailed {
		w.lastExit = podMessage(pod, m.cfg.PrimaryContainer)
	}
	if !m.cfg.Kind.IsJob && w.terminal == nil {
		if ev := m.podTerminal(pod); ev != nil {
			w.terminal = ev
		}
	}
	out = append(out, m.completeIfReady(name, w)...)
	m.unlockAndEmit(out)
}

func (m *Monitor) onJob(obj any) {
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	name := job.Labels[LabelTrial]
	if name == "" {
		return
	}
	m.mu.Lock()
	w := m.trial(name)
	if w.done || w.terminal != nil {
		m.mu.Unlock()
		return
	}
	if ok, reason, msg := m.conditionHolds(job, m.cfg.FailureCondition); ok {
		w.terminal = &Event{Trial: name, Type: Completed, Reason: orDefault(reason, "Failed"), Message: msg}
	} else if ok, reason, msg := m.conditionHolds(job, m.cfg.SuccessCondition); ok {
		w.terminal = &Event{Trial: name, Type: Completed, Succeeded: true, Reason: orDefault(reason, "Succeeded"), Message: msg}
	}
	out := m.completeIfReady(name, w)
	m.unlockAndEmit(out)
}

// onWorkloadDeleted ends a trial whose workload someone deleted before it finished; the
// runner's own deletions come after it has stopped listening to that trial.
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
	w.done = true
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
	if w.terminal.Succeeded && w.finished == 0 && !w.graceStarted {
		w.graceStarted = true
		time.AfterFunc(10*time.Second, func() {
			m.mu.Lock()
			w.finished++ // give up waiting for a stream that will not come
			out := m.completeIfReady(name, w)
			m.unlockAndEmit(out)
		})
		return nil
	}
	if w.terminal.Succeeded && w.finished == 0 {
		return nil
	}
	w.done = true
	ev := *w.terminal
	if !ev.Succeeded && w.lastExit != "" && !strings.Contains(ev.Message, w.lastExit) {
		ev.Message = strings.TrimPrefix(ev.Message+"; "+w.lastExit, "; ")
	}
	return []Event{ev}
}

func (m *Monitor) stream(trialName, podName string) {
	defer func() {
		m.mu.Lock()
		w := m.trial(trialName)
		w.active--
		w.finished++
		out := m.completeIfReady(trialName, w)
		m.unlockAndEmit(out)
	}()
	req := m.cfg.Client.CoreV1().Pods(m.cfg.Namespace).GetLogs(podName, &corev1.PodLogOptions{Container: m.cfg.PrimaryContainer, Follow: true})
	rc, err := req.Stream(m.ctx)
	if err != nil {
		m.emit(Event{Trial: trialName, Type: Problem, Reason: "LogsUnavailable", Message: fmt.Sprintf("cannot read the log of pod %s: %v", podName, err)})
		return
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 64*1024)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			m.mu.Lock()
			done := m.trial(trialName).done
			m.mu.Unlock()
			if !done {
				m.emit(Event{Trial: trialName, Type: Line, Line: strings.TrimRight(line, "\r\n")})
			}
		}
		if err == io.EOF || err != nil {
			return
		}
	}
}

func containerRan(pod *corev1.Pod, container string) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
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
