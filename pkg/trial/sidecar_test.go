package trial

import (
	"context"
	"io"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
)

// TestSidecarLog follows a File collector's trial: the metrics are in the sidecar's log,
// and the pod's Succeeded phase (the training container has ended) does not end the trial
// while the sidecar still runs: it prints what is left of the file when the kubelet stops
// it, and those last lines must be read.
func TestSidecarLog(t *testing.T) {
	const pod = "t1"
	pending := runningPod(pod, pod)
	pending.Status.InitContainerStatuses = []corev1.ContainerStatus{
		{Name: CollectorContainer, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
	}
	h := newHarnessWith(t, PodKind, clock.RealClock{}, nil, func(c *MonitorConfig) { c.LogContainer = CollectorContainer })
	h.createPod(pending)
	h.printAll(pod, trainLog[:2])
	h.waitLines(pod, 2)

	// The trainer ends; the kubelet has not stopped the sidecar yet.
	h.succeedPod(pod)
	h.printAll(pod, trainLog[2:])
	h.waitLines(pod, len(trainLog))
	h.noEvent("before the sidecar ended", 300*time.Millisecond)

	// The sidecar drains and exits.
	ctx := context.Background()
	p, err := h.client.CoreV1().Pods(testNS).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.InitContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}
	h.logs.exit(pod)
	if _, err := h.client.CoreV1().Pods(testNS).Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.waitCompleted(pod)
	h.check(pod, true, trainLog, succeeded)
	h.logs.mu.Lock()
	calls := append([]openCall(nil), h.logs.calls...)
	h.logs.mu.Unlock()
	if len(calls) == 0 {
		t.Fatal("no log request")
	}
	for _, c := range calls {
		if c.opts.Container != CollectorContainer || !c.opts.Follow || !c.opts.Timestamps {
			t.Errorf("log request %+v, want a followed, timestamped stream of the sidecar", c.opts)
		}
	}
}

// TestSidecarRestart is a collector sidecar the kubelet restarts while the trainer runs
// (killed, out of memory): its stream ends, its status says Terminated for a moment, and the
// new run prints the metrics file again from the start. The trial's log must go on past the
// restart, and each line of the file must be delivered once, without its key.
func TestSidecarRestart(t *testing.T) {
	const pod = "t1"
	always := corev1.ContainerRestartPolicyAlways
	p := runningPod(pod, pod)
	p.Spec.InitContainers = []corev1.Container{{Name: CollectorContainer, RestartPolicy: &always}}
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{
		{Name: CollectorContainer, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
	}
	h := newHarnessWith(t, PodKind, clock.RealClock{}, nil, func(c *MonitorConfig) { c.LogContainer = CollectorContainer })
	h.createPod(p)
	h.printAll(pod, []fakeLine{
		{at: at(1, 0), text: "@7:0 epoch=1 accuracy=0.50"},
		{at: at(2, 0), text: "@7:26 epoch=2 accuracy=0.61"},
	})
	h.waitLines(pod, 2)

	setSidecar := func(state corev1.ContainerState, restarts int32) {
		h.setStatus(pod, func(st *corev1.PodStatus) {
			st.InitContainerStatuses[0].State, st.InitContainerStatuses[0].RestartCount = state, restarts
		})
	}
	// The collector is killed: its stream ends, the pod says so, and the next run prints
	// the file again (the kubelet serves the new run's log, later timestamps).
	h.logs.exit(pod) // while the collector is down, a read of its log ends at once
	h.logs.breakStreams(pod, io.EOF)
	setSidecar(corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "Error"}}, 0)
	h.printAll(pod, []fakeLine{
		{at: at(3, 0), text: "@7:0 epoch=1 accuracy=0.50"},
		{at: at(3, 0), text: "@7:26 epoch=2 accuracy=0.61"},
	})
	h.noEvent("while the sidecar restarts", 500*time.Millisecond)
	setSidecar(corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, 1)
	h.logs.update(pod, func(l *fakeLog) { l.exited = false })
	h.printAll(pod, []fakeLine{{at: at(4, 0), text: "@7:52 epoch=3 accuracy=0.74"}})
	h.waitLines(pod, 3)

	// The trainer ends, then the kubelet stops the sidecar.
	h.succeedPod(pod)
	h.logs.exit(pod)
	setSidecar(corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}, 1)
	h.waitCompleted(pod)
	h.check(pod, true, []fakeLine{
		{at: at(1, 0), text: "epoch=1 accuracy=0.50"},
		{at: at(2, 0), text: "epoch=2 accuracy=0.61"},
		{at: at(4, 0), text: "epoch=3 accuracy=0.74"},
	}, succeeded)
}

func TestCollectorKey(t *testing.T) {
	for _, c := range []struct {
		line, src, text string
		off             int64
		ok              bool
	}{
		{"@123:0 accuracy=0.5", "123", "accuracy=0.5", 0, true},
		{"@123.2:4096 {\"accuracy\": 0.5}", "123.2", "{\"accuracy\": 0.5}", 4096, true},
		{"@123:4096 ", "123", "", 4096, true},
		{"accuracy=0.5", "", "accuracy=0.5", 0, false},
		{"@mention me", "", "@mention me", 0, false},
		{"@123:x accuracy", "", "@123:x accuracy", 0, false},
		{"@123:-1 accuracy", "", "@123:-1 accuracy", 0, false},
		{"@:5 accuracy", "", "@:5 accuracy", 0, false},
		{"@123:5", "", "@123:5", 0, false},
	} {
		src, off, text, ok := collectorKey(c.line)
		if src != c.src || off != c.off || text != c.text || ok != c.ok {
			t.Errorf("collectorKey(%q) = %q, %d, %q, %v; want %q, %d, %q, %v", c.line, src, off, text, ok, c.src, c.off, c.text, c.ok)
		}
	}
}

// TestOnFailureRestart is a training container that fails under restartPolicy OnFailure and
// that the kubelet runs again in the same pod: its first end is not the end of its log, and
// the lines of the second run are read too.
func TestOnFailureRestart(t *testing.T) {
	const pod = "t1"
	p := runningPod(pod, pod)
	p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	h := newHarness(t, PodKind, clock.RealClock{}, nil)
	h.createPod(p)
	first := []fakeLine{{at: at(1, 0), text: "epoch=1 accuracy=0.50"}}
	second := []fakeLine{{at: at(5, 0), text: "epoch=1 accuracy=0.52"}, {at: at(6, 0), text: "epoch=2 accuracy=0.63"}}
	h.printAll(pod, first)
	h.waitLines(pod, 1)

	setMain := func(state corev1.ContainerState, restarts int32) {
		h.setStatus(pod, func(st *corev1.PodStatus) {
			st.ContainerStatuses[0].State, st.ContainerStatuses[0].RestartCount = state, restarts
		})
	}
	// The first run fails; until the kubelet starts the next, a read of the log ends at once.
	h.logs.exit(pod)
	setMain(corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}, 0)
	h.noEvent("while the container restarts", 500*time.Millisecond)
	setMain(corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, 1)
	h.logs.update(pod, func(l *fakeLog) { l.exited = false })
	h.printAll(pod, second)
	h.waitLines(pod, 3)
	h.logs.exit(pod)
	h.succeedPod(pod)
	h.waitCompleted(pod)
	h.check(pod, true, append(first, second...), succeeded)
}

// setStatus changes the pod's status in the fake cluster, as the kubelet would.
func (h *harness) setStatus(pod string, edit func(*corev1.PodStatus)) {
	h.t.Helper()
	ctx := context.Background()
	cur, err := h.client.CoreV1().Pods(testNS).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	edit(&cur.Status)
	if _, err := h.client.CoreV1().Pods(testNS).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// noEvent fails the test if the monitor emits anything within d.
func (h *harness) noEvent(when string, d time.Duration) {
	h.t.Helper()
	select {
	case ev := <-h.mon.Events():
		h.t.Fatalf("event %s: %+v", when, ev)
	case <-time.After(d):
	}
}
