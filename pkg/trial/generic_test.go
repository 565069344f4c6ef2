package trial

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

var pyTorchJobKind = Kind{GVR: schema.GroupVersionResource{Group: "kubeflow.org", Version: "v1", Resource: "pytorchjobs"}, Kind: "PyTorchJob"}

func pyTorchJob(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
		"spec": map[string]any{}}}
	u.SetName(name)
	u.SetNamespace(testNS)
	u.SetUID(types.UID(name + "-uid"))
	u.SetLabels(labels(name))
	return u
}

// replicaPod is a Pod the training operator made for the job: owned by it, labelled with
// its role.
func replicaPod(name, trialName, role string) *corev1.Pod {
	pod := runningPod(name, trialName)
	pod.Labels["training.kubeflow.org/job-role"] = role
	isController := true
	pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "kubeflow.org/v1", Kind: "PyTorchJob", Name: trialName, UID: types.UID(trialName + "-uid"), Controller: &isController}}
	return pod
}

// genericHarness runs a monitor on trials of a kind it knows only through the dynamic
// client, with Katib's Kubeflow defaults.
func genericHarness(t *testing.T, workloads []runtime.Object, pods ...runtime.Object) (*harness, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	scheme := runtime.NewScheme()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme,
		map[schema.GroupVersionResource]string{pyTorchJobKind.GVR: "PyTorchJobList"}, workloads...)
	watching := make(chan struct{}, 1)
	dyn.PrependWatchReactor("*", func(action k8stesting.Action) (bool, watch.Interface, error) {
		wa, _ := action.(k8stesting.WatchActionImpl)
		w, err := dyn.Tracker().Watch(action.GetResource(), action.GetNamespace(), wa.ListOptions)
		if err == nil {
			watching <- struct{}{}
		}
		return true, w, err
	})
	h := newHarnessWith(t, pyTorchJobKind, nil, nil, func(c *MonitorConfig) {
		c.Dynamic = dyn
		c.SuccessCondition, c.FailureCondition = experiment.DefaultKubeflowJobSuccessCondition, experiment.DefaultKubeflowJobFailureCondition
		c.PrimaryPodLabels = experiment.DefaultKubeflowJobPrimaryPodLabels()
	}, pods...)
	select {
	case <-watching:
	case <-time.After(patience):
		t.Fatal("the workload watch did not start")
	}
	return h, dyn
}

func setJobCondition(t *testing.T, dyn *dynamicfake.FakeDynamicClient, name, typ, reason string) {
	t.Helper()
	ctx := context.Background()
	res := dyn.Resource(pyTorchJobKind.GVR).Namespace(testNS)
	u, err := res.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedSlice(u.Object, []any{
		map[string]any{"type": "Created", "status": "True"},
		map[string]any{"type": typ, "status": "True", "reason": reason, "message": "PyTorchJob " + name + " " + reason},
	}, "status", "conditions")
	if _, err := res.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestMultiPodTrialReadsOnlyThePrimaryPod: a PyTorchJob's master and worker both print
// metrics; only the master's log is the trial's, and the job's own condition ends it.
func TestMultiPodTrialReadsOnlyThePrimaryPod(t *testing.T) {
	const trialName, master, worker = "t1", "t1-master-0", "t1-worker-0"
	h, dyn := genericHarness(t, []runtime.Object{pyTorchJob(trialName)},
		replicaPod(master, trialName, "master"), replicaPod(worker, trialName, "worker"))
	masterLog := []fakeLine{{at: at(1, 0), text: "accuracy=0.91"}, {at: at(2, 0), text: "loss=0.3"}}
	h.printAll(master, masterLog)
	h.printAll(worker, []fakeLine{{at: at(1, 0), text: "accuracy=0.12"}})
	h.waitLines(trialName, 2)
	h.logs.exit(master)
	h.logs.exit(worker)
	h.succeedPod(master)
	h.succeedPod(worker)
	setJobCondition(t, dyn, trialName, "Succeeded", "PyTorchJobSucceeded")
	h.waitCompleted(trialName)
	h.check(trialName, true, masterLog, Event{Succeeded: true, Reason: "PyTorchJobSucceeded", Message: "PyTorchJob t1 PyTorchJobSucceeded"})
	for _, c := range drainOpens(h) {
		if c.pod == worker {
			t.Errorf("the worker's log was read: %+v", c)
		}
	}
}

// TestMultiPodTrialFailure: the failure condition ends the trial, and a worker that cannot
// start is reported as the trial's problem.
func TestMultiPodTrialFailure(t *testing.T) {
	const trialName, master, worker = "t2", "t2-master-0", "t2-worker-0"
	stuck := replicaPod(worker, trialName, "worker")
	stuck.Status = corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "main",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "no such image"}}}}}
	h, dyn := genericHarness(t, []runtime.Object{pyTorchJob(trialName)}, replicaPod(master, trialName, "master"), stuck)
	for h.count(trialName, Problem) == 0 {
		h.next()
	}
	var problem Event
	for _, ev := range h.events {
		if ev.Type == Problem {
			problem = ev
		}
	}
	if problem.Reason != "ErrImagePull" || problem.Message != "pod t2-worker-0: container main: no such image" {
		t.Errorf("problem %+v", problem)
	}
	h.logs.exit(master)
	h.succeedPod(master)
	setJobCondition(t, dyn, trialName, "Failed", "PyTorchJobFailed")
	ev := h.waitCompleted(trialName)
	if ev.Succeeded || ev.Reason != "PyTorchJobFailed" {
		t.Errorf("completed %+v", ev)
	}
}

// TestPodOfAnEarlierWorkloadIsIgnored: a pod whose owner is another workload of the same
// name (an earlier attempt still going away) is not the trial's.
func TestPodOfAnEarlierWorkloadIsIgnored(t *testing.T) {
	const trialName, stale = "t3", "t3-master-0"
	old := replicaPod(stale, trialName, "master")
	old.OwnerReferences[0].UID = "older-uid"
	h, dyn := genericHarness(t, []runtime.Object{pyTorchJob(trialName)}, old)
	h.printAll(stale, []fakeLine{{at: at(1, 0), text: "accuracy=0.5"}})
	// The current workload's pod comes after: its lines must be the only ones.
	const current = "t3-master-1"
	h.printAll(current, []fakeLine{{at: at(2, 0), text: "accuracy=0.8"}})
	h.createPod(replicaPod(current, trialName, "master"))
	h.waitLines(trialName, 1)
	h.logs.exit(current)
	h.succeedPod(current)
	setJobCondition(t, dyn, trialName, "Succeeded", "PyTorchJobSucceeded")
	h.waitCompleted(trialName)
	h.check(trialName, true, []fakeLine{{at: at(2, 0), text: "accuracy=0.8"}}, Event{Succeeded: true, Reason: "PyTorchJobSucceeded", Message: "PyTorchJob t3 PyTorchJobSucceeded"})
}

func drainOpens(h *harness) []openCall {
	var out []openCall
	for {
		select {
		case c := <-h.logs.opened:
			out = append(out, c)
		default:
			return out
		}
	}
}
