package trial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"k8s.io/utils/ptr"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

const (
	testNS  = "ns"
	testExp = "exp"
	// patience only bounds how long a broken test hangs; no outcome depends on it.
	patience = 20 * time.Second
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func at(sec, ms int) time.Time {
	return t0.Add(time.Duration(sec)*time.Second + time.Duration(ms)*time.Millisecond)
}

type harness struct {
	t      *testing.T
	client *fake.Clientset
	logs   *fakeLogs
	mon    *Monitor
	events []Event
}

// newHarness runs a monitor over a fake cluster holding objs and returns once its watches
// are established, so that every later change reaches them.
func newHarness(t *testing.T, kind Kind, clk clock.WithTicker, logs *fakeLogs, objs ...runtime.Object) *harness {
	t.Helper()
	return newHarnessWith(t, kind, clk, logs, nil, objs...)
}

// newHarnessWith is newHarness with a change to the monitor's configuration.
func newHarnessWith(t *testing.T, kind Kind, clk clock.WithTicker, logs *fakeLogs, edit func(*MonitorConfig), objs ...runtime.Object) *harness {
	t.Helper()
	if logs == nil {
		logs = newFakeLogs()
	}
	client := fake.NewClientset(objs...)
	watching := make(chan string, 16)
	client.PrependWatchReactor("*", func(action k8stesting.Action) (bool, watch.Interface, error) {
		wa, _ := action.(k8stesting.WatchActionImpl)
		w, err := client.Tracker().Watch(action.GetResource(), action.GetNamespace(), wa.ListOptions)
		if err == nil {
			select {
			case watching <- action.GetResource().Resource:
			default:
			}
		}
		return true, w, err
	})
	cfg := MonitorConfig{
		Client: client, Namespace: testNS, Experiment: testExp, Kind: kind, PrimaryContainer: "main",
		SuccessCondition: experiment.DefaultPodSuccessCondition, FailureCondition: experiment.DefaultPodFailureCondition,
		Logs: logs, Clock: clk,
		Backoff: wait.Backoff{Duration: time.Millisecond, Factor: 2, Cap: 4 * time.Millisecond},
	}
	if kind.IsJob {
		cfg.SuccessCondition, cfg.FailureCondition = experiment.DefaultJobSuccessCondition, experiment.DefaultJobFailureCondition
	}
	if edit != nil {
		edit(&cfg)
	}
	h := &harness{t: t, client: client, logs: logs, mon: NewMonitor(cfg)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := h.mon.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := 1
	if kind.IsJob {
		want = 2
	}
	for range want {
		select {
		case <-watching:
		case <-time.After(patience):
			t.Fatal("the monitor's watches did not start")
		}
	}
	return h
}

func labels(trialName string) map[string]string {
	return map[string]string{LabelExperiment: testExp, LabelTrial: trialName}
}

func runningPod(name, trialName string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(name + "-uid"), Labels: labels(trialName)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "main", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		}},
	}
}

func succeededPod(name, trialName string) *corev1.Pod {
	pod := runningPod(name, trialName)
	terminate(pod)
	return pod
}

func terminate(pod *corev1.Pod) {
	pod.Status.Phase = corev1.PodSucceeded
	pod.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}
}

func runningJob(name string) *batchv1.Job {
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, Labels: labels(name)}}
}

func (h *harness) succeedPod(name string) {
	h.t.Helper()
	ctx := context.Background()
	pod, err := h.client.CoreV1().Pods(testNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	terminate(pod)
	if _, err := h.client.CoreV1().Pods(testNS).Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// deletePod removes the pod as the API server does: its log goes with it.
func (h *harness) deletePod(name string) {
	h.t.Helper()
	h.logs.update(name, func(l *fakeLog) { l.deleted = true })
	if err := h.client.CoreV1().Pods(testNS).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) createPod(pod *corev1.Pod) {
	h.t.Helper()
	if _, err := h.client.CoreV1().Pods(testNS).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) completeJob(name string) {
	h.t.Helper()
	ctx := context.Background()
	job, err := h.client.BatchV1().Jobs(testNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	job.Status.Conditions = append(job.Status.Conditions, batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "CompletionsReached"})
	if _, err := h.client.BatchV1().Jobs(testNS).Update(ctx, job, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) printAll(pod string, lines []fakeLine) {
	for _, l := range lines {
		h.logs.update(pod, func(fl *fakeLog) { fl.lines = append(fl.lines, l) })
	}
}

func (h *harness) next() Event {
	h.t.Helper()
	select {
	case ev := <-h.mon.Events():
		h.events = append(h.events, ev)
		return ev
	case <-time.After(patience):
		h.t.Fatalf("no event came; so far: %s", describe(h.events))
		return Event{}
	}
}

// waitLines reads events until the trial has delivered n lines in all.
func (h *harness) waitLines(trialName string, n int) {
	h.t.Helper()
	for h.count(trialName, Line) < n {
		h.next()
	}
}

func (h *harness) waitCompleted(trialName string) Event {
	h.t.Helper()
	for {
		if ev := h.next(); ev.Trial == trialName && ev.Type == Completed {
			return ev
		}
	}
}

func (h *harness) count(trialName string, typ EventType) int {
	n := 0
	for _, ev := range h.events {
		if ev.Trial == trialName && ev.Type == typ {
			n++
		}
	}
	return n
}

// waitOpen waits for a log request that matches.
func (h *harness) waitOpen(match func(openCall) bool) openCall {
	h.t.Helper()
	for {
		select {
		case c := <-h.logs.opened:
			if match(c) {
				return c
			}
		case <-time.After(patience):
			h.t.Fatal("the expected log request did not come")
		}
	}
}

func refused(c openCall) bool { return errors.Is(c.err, errRefused) }

// check asserts the trial's whole event sequence: Started (if wanted), exactly the lines
// (text without the line end, kubelet timestamp as At), then the Completed event.
func (h *harness) check(trialName string, started bool, lines []fakeLine, want Event) {
	h.t.Helper()
	var got []Event
	for _, ev := range h.events {
		if ev.Trial == trialName {
			got = append(got, ev)
		}
	}
	var exp []Event
	if started {
		exp = append(exp, Event{Trial: trialName, Type: Started})
	}
	for _, l := range lines {
		exp = append(exp, Event{Trial: trialName, Type: Line, Line: strings.TrimSuffix(l.text, "\r"), At: l.at, Partial: l.noEOL})
	}
	want.Trial, want.Type = trialName, Completed
	exp = append(exp, want)
	same := len(got) == len(exp)
	for i := 0; same && i < len(exp); i++ {
		g, e := got[i], exp[i]
		same = g.Type == e.Type && g.Line == e.Line && g.Succeeded == e.Succeeded && g.Reason == e.Reason &&
			g.Message == e.Message && g.LogIncomplete == e.LogIncomplete && g.LogProblem == e.LogProblem &&
			(g.Type != Line || g.At.Equal(e.At)) && g.Partial == e.Partial
	}
	if !same {
		h.t.Errorf("events of trial %s:\n got: %s\nwant: %s", trialName, describe(got), describe(exp))
	}
}

// checkOpens asserts that every log request asked for a followed, timestamped stream of
// the primary container, from the start the first time and from a whole second after.
func (h *harness) checkOpens(pod string) []openCall {
	h.t.Helper()
	var calls []openCall
	h.logs.mu.Lock()
	for _, c := range h.logs.calls {
		if c.pod == pod {
			calls = append(calls, c)
		}
	}
	h.logs.mu.Unlock()
	if len(calls) > 0 && calls[0].opts.SinceTime != nil {
		h.t.Errorf("the first log request asked for SinceTime %s, want the whole log", calls[0].opts.SinceTime)
	}
	for i, c := range calls {
		o := c.opts
		if !o.Follow || !o.Timestamps || o.Container != "main" {
			h.t.Errorf("log request %d: %+v, want a followed, timestamped stream of container main", i, o)
		}
		if o.SinceTime != nil && !o.SinceTime.Time.Equal(o.SinceTime.Time.Truncate(time.Second)) {
			h.t.Errorf("log request %d: SinceTime %s is not a whole second", i, o.SinceTime.Time.Format(time.RFC3339Nano))
		}
	}
	return calls
}

func describe(evs []Event) string {
	var b strings.Builder
	for _, ev := range evs {
		switch ev.Type {
		case Started:
			b.WriteString("\n  Started")
		case Line:
			fmt.Fprintf(&b, "\n  Line %q at %s", ev.Line, ev.At.Format(time.RFC3339Nano))
		case Problem:
			fmt.Fprintf(&b, "\n  Problem %s: %s", ev.Reason, ev.Message)
		case Completed:
			fmt.Fprintf(&b, "\n  Completed succeeded=%v reason=%q message=%q logIncomplete=%v logProblem=%q",
				ev.Succeeded, ev.Reason, ev.Message, ev.LogIncomplete, ev.LogProblem)
		}
	}
	return b.String()
}

// trainLog is a training program's output: two lines share a timestamp, one ends with
// \r\n, one is empty.
var trainLog = []fakeLine{
	{at: at(1, 100), text: "epoch=1 accuracy=0.50"},
	{at: at(1, 100), text: "epoch=1 loss=0.90\r"},
	{at: at(1, 700), text: "epoch=2 accuracy=0.61"},
	{at: at(2, 0), text: ""},
	{at: at(3, 250), text: "epoch=3 accuracy=0.74"},
}

var succeeded = Event{Succeeded: true, Reason: "Succeeded"}

func incomplete(problem string) Event {
	ev := succeeded
	ev.LogIncomplete, ev.LogProblem = true, problem
	return ev
}

// TestPodTrialLog follows the log of a Pod trial through every way its stream can end.
func TestPodTrialLog(t *testing.T) {
	const pod = "t1"
	sameTS := []fakeLine{
		{at: at(5, 0), text: "a"},
		{at: at(5, 100), text: "b"},
		{at: at(5, 100), text: "c"},
		{at: at(5, 100), text: "d"},
		{at: at(6, 0), text: "e"},
	}
	unterminated := []fakeLine{trainLog[0], {at: at(2, 500), text: "final accuracy=0.87", noEOL: true}}
	tests := []struct {
		name string
		// setup prepares the log before the monitor first asks for it.
		setup func(l *fakeLog)
		// ended starts the test with the container terminated and its log written, so
		// that every read is one opened after termination.
		ended  bool
		script func(h *harness)
		lines  []fakeLine
		want   Event
		// refusals, if not 0, is how many log requests must have been refused.
		refusals int
	}{
		{
			name: "clean run",
			script: func(h *harness) {
				h.printAll(pod, trainLog)
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			lines: trainLog, want: succeeded,
		},
		{
			name: "clean EOF while running, then reopened",
			script: func(h *harness) {
				h.printAll(pod, trainLog[:3])
				h.waitLines(pod, 3)
				h.logs.breakStreams(pod, io.EOF)
				h.printAll(pod, trainLog[3:])
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			lines: trainLog, want: succeeded,
		},
		{
			name: "lines sharing a timestamp across breaks",
			// The 1st stream ends after a, b; the 2nd while skipping; the 3rd after c.
			setup: func(l *fakeLog) { l.breaks = []brk{{at: 2, err: io.EOF}, {at: 1, err: io.EOF}, {at: 3, err: io.EOF}} },
			script: func(h *harness) {
				h.printAll(pod, sameTS)
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			lines: sameTS, want: succeeded,
		},
		{
			name: "errors, some in the middle of a line",
			setup: func(l *fakeLog) {
				l.breaks = []brk{
					{at: 1, err: errReset, partial: true},
					{at: 3, err: io.ErrUnexpectedEOF, partial: true},
					{at: 4, err: errors.New("http2: server sent GOAWAY and closed the connection; LastStreamID=3, ErrCode=NO_ERROR")},
				}
			},
			script: func(h *harness) {
				h.printAll(pod, trainLog)
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			lines: trainLog, want: succeeded,
		},
		{
			name:  "opens refused 3 times, then accepted",
			setup: func(l *fakeLog) { l.failOpens = []error{errRefused, errRefused, errRefused} },
			script: func(h *harness) {
				h.printAll(pod, trainLog)
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			lines: trainLog, want: succeeded, refusals: 3,
		},
		{
			name: "transient answers from the API server",
			script: func(h *harness) {
				h.printAll(pod, trainLog[:2])
				h.waitLines(pod, 2)
				h.logs.update(pod, func(l *fakeLog) {
					l.failOpens = []error{
						apierrors.NewServiceUnavailable("the server is shutting down"),
						apierrors.NewTooManyRequests("slow down", 1),
						apierrors.NewTimeoutError("request timed out", 1),
						apierrors.NewInternalError(errors.New("etcdserver: leader changed")),
					}
				})
				h.logs.breakStreams(pod, errReset)
				h.printAll(pod, trainLog[2:])
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			lines: trainLog, want: succeeded,
		},
		{
			name: "container terminates during an outage",
			script: func(h *harness) {
				h.printAll(pod, trainLog[:2])
				h.waitLines(pod, 2)
				h.logs.update(pod, func(l *fakeLog) { l.refuseAll = true })
				h.logs.breakStreams(pod, errReset)
				h.waitOpen(refused)
				h.printAll(pod, trainLog[2:])
				h.logs.exit(pod)
				h.succeedPod(pod)
				h.logs.update(pod, func(l *fakeLog) { l.refuseAll = false })
			},
			lines: trainLog, want: succeeded,
		},
		{
			name: "unterminated last line is delivered by the final read",
			script: func(h *harness) {
				h.printAll(pod, unterminated)
				h.waitLines(pod, 1)
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			lines: unterminated, want: succeeded,
		},
		{
			name: "pod deleted before the final read",
			script: func(h *harness) {
				h.printAll(pod, trainLog[:3])
				h.waitLines(pod, 3)
				h.logs.update(pod, func(l *fakeLog) { l.refuseAll = true })
				h.logs.breakStreams(pod, errReset)
				h.waitOpen(refused)
				h.printAll(pod, trainLog[3:])
				h.logs.exit(pod)
				h.succeedPod(pod)
				h.deletePod(pod)
			},
			lines: trainLog[:3],
			want: incomplete("pod t1 was deleted before its log could be read to the end; " +
				"3 lines read, the last at 2026-12-03T09:00:01.7Z"),
		},
		{
			name: "log request answers NotFound",
			script: func(h *harness) {
				h.printAll(pod, trainLog[:2])
				h.waitLines(pod, 2)
				h.logs.update(pod, func(l *fakeLog) { l.refuseAll = true })
				h.logs.breakStreams(pod, io.EOF)
				h.waitOpen(refused)
				h.printAll(pod, trainLog[2:])
				h.logs.exit(pod)
				h.succeedPod(pod)
				h.logs.update(pod, func(l *fakeLog) { l.deleted, l.refuseAll = true, false })
			},
			lines: trainLog[:2],
			want: incomplete("pod t1 was deleted before its log could be read to the end; " +
				"2 lines read, the last at 2026-12-03T09:00:01.1Z"),
		},
		{
			name: "container removed before the final read",
			script: func(h *harness) {
				h.printAll(pod, trainLog[:1])
				h.waitLines(pod, 1)
				h.logs.update(pod, func(l *fakeLog) {
					l.openErr = apierrors.NewBadRequest(`container "main" in pod "t1" is not available`)
				})
				h.logs.breakStreams(pod, io.EOF)
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			lines: trainLog[:1],
			want: incomplete(`the log of pod t1 cannot be read to the end: container "main" in pod "t1" is not available; ` +
				"1 line read, at 2026-12-03T09:00:01.1Z"),
		},
		{
			name:  "read after termination cut short with a clean EOF",
			ended: true,
			setup: func(l *fakeLog) {
				l.lines = append(l.lines, trainLog...)
				l.exited = true
				l.breaks = []brk{{at: 2, err: io.EOF}, {at: 1, err: io.EOF}}
			},
			script: func(h *harness) {},
			lines:  trainLog, want: succeeded,
		},
		{
			name:  "read after termination cut short in the unterminated last line",
			ended: true,
			setup: func(l *fakeLog) {
				l.lines = append(l.lines, unterminated...)
				l.exited = true
				l.breaks = []brk{{at: 1, err: io.EOF, partial: true}}
			},
			script: func(h *harness) {},
			lines:  unterminated, want: succeeded,
		},
		{
			name: "log forbidden",
			setup: func(l *fakeLog) {
				l.openErr = apierrors.NewForbidden(schema.GroupResource{Resource: "pods/log"}, pod, errors.New("no RBAC policy matched"))
			},
			script: func(h *harness) {
				h.printAll(pod, trainLog)
				h.logs.exit(pod)
				h.succeedPod(pod)
			},
			want: incomplete(`the log of pod t1 cannot be read to the end: pods/log "t1" is forbidden: no RBAC policy matched; no line read`),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := newFakeLogs()
			if tc.setup != nil {
				logs.update(pod, tc.setup)
			}
			p := runningPod(pod, pod)
			if tc.ended {
				p = succeededPod(pod, pod)
			}
			h := newHarness(t, PodKind, nil, logs, p)
			tc.script(h)
			h.waitCompleted(pod)
			h.check(pod, true, tc.lines, tc.want)
			n := 0
			for _, c := range h.checkOpens(pod) {
				if refused(c) {
					n++
				}
			}
			if tc.refusals != 0 && n != tc.refusals {
				t.Errorf("%d log requests refused, want %d", n, tc.refusals)
			}
		})
	}
}

// TestEOFAtExitIsNoProof: a stream opened while the container ran ends with EOF when the
// container exits, exactly as when the API server drops it; the Job's success is then
// already known, yet the monitor must not complete until a read opened after the pod watch
// saw the container terminated has ended.
func TestEOFAtExitIsNoProof(t *testing.T) {
	const trialName, pod = "t1", "t1-x7k2p"
	h := newHarness(t, JobKind, nil, nil, runningJob(trialName), runningPod(pod, trialName))
	h.printAll(pod, trainLog[:4])
	h.waitLines(trialName, 4)
	h.logs.exit(pod)
	h.completeJob(trialName)
	// Each of these reads, opened while the pod watch still shows the container running,
	// replays the last second and ends with EOF.
	for range 3 {
		h.waitOpen(func(c openCall) bool {
			return c.pod == pod && c.err == nil && c.opts.SinceTime != nil && c.opts.SinceTime.Time.Equal(at(2, 0))
		})
	}
	select {
	case ev := <-h.mon.Events():
		t.Fatalf("event before the pod watch saw the container terminate: %s", describe([]Event{ev}))
	default:
	}
	h.succeedPod(pod)
	h.waitCompleted(trialName)
	h.check(trialName, true, trainLog[:4], Event{Succeeded: true, Reason: "CompletionsReached"})
	h.checkOpens(pod)
}

// TestJobSucceededBeforePodSeen: a Job's success can be seen before its pod; the trial then
// waits a grace period (on the monitor's clock) for the pod's log.
func TestJobSucceededBeforePodSeen(t *testing.T) {
	const trialName, pod = "t1", "t1-x7k2p"
	tests := []struct {
		name    string
		podSeen bool
	}{
		{name: "pod seen within the grace period", podSeen: true},
		{name: "pod never seen", podSeen: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newTimerClock()
			h := newHarness(t, JobKind, clk, nil, runningJob(trialName))
			h.completeJob(trialName)
			if d := clk.next(t); d != jobLogGrace {
				t.Fatalf("the monitor waits %s, want the grace period %s", d, jobLogGrace)
			}
			var lines []fakeLine
			if tc.podSeen {
				lines = trainLog
				h.printAll(pod, lines)
				h.logs.exit(pod)
				h.createPod(succeededPod(pod, trialName))
			} else {
				clk.Step(jobLogGrace - time.Millisecond)
				if !clk.HasWaiters() {
					t.Fatal("the grace period ended early")
				}
				clk.Step(time.Millisecond)
			}
			h.waitCompleted(trialName)
			h.check(trialName, tc.podSeen, lines, Event{Succeeded: true, Reason: "CompletionsReached"})
			// One read brings the log, one more confirms it ended.
			if calls := h.checkOpens(pod); tc.podSeen && len(calls) != 2 {
				t.Errorf("%d log requests for a pod seen terminated, want 2", len(calls))
			}
		})
	}
}

// TestLogBackoff: refused log requests are retried after growing, capped intervals on the
// monitor's clock.
func TestLogBackoff(t *testing.T) {
	const pod = "t1"
	tests := []struct {
		name    string
		backoff wait.Backoff
		// want are the waits between attempts, each within [d, d*(1+jitter)].
		want   []time.Duration
		jitter float64
	}{
		{
			name:   "default",
			want:   []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second, 5 * time.Second, 5 * time.Second},
			jitter: defaultLogBackoff.Jitter,
		},
		{
			name:    "configured",
			backoff: wait.Backoff{Duration: 10 * time.Millisecond, Factor: 3, Cap: 50 * time.Millisecond},
			want:    []time.Duration{10 * time.Millisecond, 30 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newTimerClock()
			logs := newFakeLogs()
			logs.printAll(pod, trainLog)
			logs.exit(pod)
			logs.update(pod, func(l *fakeLog) {
				for range tc.want {
					l.failOpens = append(l.failOpens, errRefused)
				}
			})
			client := fake.NewClientset(succeededPod(pod, pod))
			m := NewMonitor(MonitorConfig{Client: client, Namespace: testNS, Experiment: testExp, Kind: PodKind,
				PrimaryContainer: "main", Logs: logs, Clock: clk, Backoff: tc.backoff})
			h := &harness{t: t, client: client, logs: logs, mon: m}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := m.Run(ctx); err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				d := clk.next(t)
				if d < want || float64(d) > float64(want)*(1+tc.jitter) {
					t.Errorf("wait %d: %s, want %s (jitter %v)", i, d, want, tc.jitter)
				}
				clk.Step(d)
			}
			h.waitCompleted(pod)
			h.check(pod, true, trainLog, succeeded)
		})
	}
}

func (f *fakeLogs) printAll(pod string, lines []fakeLine) {
	for _, l := range lines {
		f.update(pod, func(fl *fakeLog) { fl.lines = append(fl.lines, l) })
	}
}

// TestForgetEndsStreams: a trial the runner has finished with (stopped early) stops being
// read, and its Completed never comes.
func TestForgetEndsStreams(t *testing.T) {
	const pod = "t1"
	h := newHarness(t, PodKind, nil, nil, runningPod(pod, pod))
	h.printAll(pod, trainLog[:2])
	h.waitLines(pod, 2)
	h.mon.Forget(pod)
	// The stream, blocked waiting for more of a running container's log, ends.
	deadline := time.After(patience)
	for {
		h.logs.mu.Lock()
		open := len(h.logs.pods[pod].streams)
		changed := h.logs.pods[pod].changed
		h.logs.mu.Unlock()
		if open == 0 {
			break
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatal("the log stream of a forgotten trial stays open")
		}
	}
}

func TestSplitTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		at   time.Time
		text string
		ok   bool
	}{
		{"2026-12-03T09:00:01.123456789Z accuracy=0.5", at(1, 0).Add(123456789), "accuracy=0.5", true},
		{"2026-12-03T09:00:01Z two  spaces ", at(1, 0), "two  spaces ", true},
		{"2026-12-03T10:00:01.5+01:00 ", at(1, 500), "", true},
		{"accuracy=0.5 loss=1", time.Time{}, "accuracy=0.5 loss=1", false},
		{"", time.Time{}, "", false},
		{"2026-12-03T09:00:01.5Z", time.Time{}, "2026-12-03T09:00:01.5Z", false},
	}
	for _, tc := range tests {
		ts, text, ok := splitTimestamp(tc.in)
		if !ts.Equal(tc.at) || text != tc.text || ok != tc.ok {
			t.Errorf("splitTimestamp(%q) = %s, %q, %v; want %s, %q, %v", tc.in, ts, text, ok, tc.at, tc.text, tc.ok)
		}
	}
}

func TestRetriable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"EOF", io.EOF, true},
		{"unexpected EOF", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{"connection refused", errRefused, true},
		{"connection reset", errReset, true},
		{"GOAWAY", errors.New("http2: server sent GOAWAY and closed the connection"), true},
		{"503", apierrors.NewServiceUnavailable("shutting down"), true},
		{"500", apierrors.NewInternalError(errors.New("boom")), true},
		{"504", apierrors.NewTimeoutError("timeout", 1), true},
		{"429", apierrors.NewTooManyRequests("slow down", 1), true},
		{"400 container not found", apierrors.NewBadRequest(`container "main" in pod "p" is not available`), false},
		{"403", apierrors.NewForbidden(schema.GroupResource{Resource: "pods/log"}, "p", errors.New("denied")), false},
		{"401", apierrors.NewUnauthorized("who are you"), false},
		{"other", errors.New("unexpected answer"), false},
	}
	for _, tc := range tests {
		if got := retriable(tc.err); got != tc.want {
			t.Errorf("%s: retriable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// A trial asked for again under the same name (its first Job was deleted before it ended)
// must read only its new Job's pod: the old Job's pod, still going away, is not its own.
func TestPodOfAnEarlierJobIsIgnored(t *testing.T) {
	const trialName, oldPod, newPod = "t1", "t1-old", "t1-new"
	job := runningJob(trialName)
	job.UID = "job-2"
	owned := func(pod *corev1.Pod, uid types.UID) *corev1.Pod {
		pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: trialName, UID: uid, Controller: ptr.To(true)}}
		return pod
	}
	h := newHarness(t, JobKind, nil, nil, job, owned(runningPod(oldPod, trialName), "job-1"), owned(runningPod(newPod, trialName), "job-2"))
	h.printAll(oldPod, trainLog[:2])
	h.printAll(newPod, trainLog)
	h.waitLines(trialName, len(trainLog))
	h.logs.exit(newPod)
	h.succeedPod(newPod)
	h.completeJob(trialName)
	h.waitCompleted(trialName)
	h.check(trialName, true, trainLog, Event{Succeeded: true, Reason: "CompletionsReached"})
	h.logs.mu.Lock()
	defer h.logs.mu.Unlock()
	for _, c := range h.logs.calls {
		if c.pod == oldPod {
			t.Errorf("the log of %s, a pod of the earlier Job, was read", oldPod)
		}
	}
}
