package trial

import (
	"context"
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
	select {
	case ev := <-h.mon.Events():
		t.Fatalf("event before the sidecar ended: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}

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
