package trial

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func jobWith(mounts []any, volumes []any) *unstructured.Unstructured {
	c := map[string]any{"name": "training-container", "image": "trainer", "args": []any{"--metrics-file=/katib/mnist.log"}}
	if mounts != nil {
		c["volumeMounts"] = mounts
	}
	spec := map[string]any{"containers": []any{c}, "restartPolicy": "Never"}
	if volumes != nil {
		spec["volumes"] = volumes
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": "t"},
		"spec": map[string]any{"template": map[string]any{"spec": spec}},
	}}
}

func fileSpec(kind experiment.CollectorKind, path string, format experiment.FileFormat) *experiment.MetricsCollectorSpec {
	return &experiment.MetricsCollectorSpec{
		Source:    &experiment.SourceSpec{FileSystemPath: &experiment.FileSystemPath{Path: path, Format: format}},
		Collector: &experiment.CollectorSpec{Kind: kind},
	}
}

func podSpecOf(t *testing.T, obj *unstructured.Unstructured) corev1.PodSpec {
	t.Helper()
	var job batchv1.Job
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj.Object, &job, true); err != nil {
		t.Fatalf("not a valid Job: %v", err)
	}
	return job.Spec.Template.Spec
}

func TestAddCollectorFile(t *testing.T) {
	obj := jobWith(nil, nil)
	if err := AddCollector(obj, fileSpec(experiment.FileCollector, "/katib/mnist.log", experiment.TextFormat), "training-container", "", []string{"accuracy"}); err != nil {
		t.Fatal(err)
	}
	ps := podSpecOf(t, obj)
	if len(ps.InitContainers) != 1 {
		t.Fatalf("init containers %+v", ps.InitContainers)
	}
	sc := ps.InitContainers[0]
	if sc.Name != CollectorContainer || sc.Image != DefaultCollectorImage || sc.RestartPolicy == nil || *sc.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Errorf("sidecar %+v", sc)
	}
	if got := strings.Join(sc.Args, " "); got != "--mode=file --path=/katib/mnist.log" {
		t.Errorf("args %q", got)
	}
	if len(ps.Volumes) != 1 || ps.Volumes[0].Name != metricsVolume || ps.Volumes[0].EmptyDir == nil {
		t.Errorf("volumes %+v", ps.Volumes)
	}
	main := ps.Containers[0]
	if len(main.VolumeMounts) != 1 || main.VolumeMounts[0].MountPath != "/katib" || main.VolumeMounts[0].Name != metricsVolume {
		t.Errorf("primary mounts %+v", main.VolumeMounts)
	}
	if len(sc.VolumeMounts) != 1 || sc.VolumeMounts[0].MountPath != "/katib" || !sc.VolumeMounts[0].ReadOnly {
		t.Errorf("sidecar mounts %+v", sc.VolumeMounts)
	}
}

func TestAddCollectorTFEventOnAPod(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "t"},
		"spec": map[string]any{
			"initContainers": []any{map[string]any{"name": "fetch", "image": "busybox"}},
			"containers":     []any{map[string]any{"name": "main", "image": "x"}},
		},
	}}
	if err := AddCollector(obj, fileSpec(experiment.TfEventCollector, "/logs/tb/", ""), "main", "registry.example/collector:1", []string{"accuracy", "test/loss"}); err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj.Object, &pod, true); err != nil {
		t.Fatal(err)
	}
	inits := pod.Spec.InitContainers
	if len(inits) != 2 || inits[0].Name != "fetch" || inits[1].Image != "registry.example/collector:1" {
		t.Fatalf("init containers %+v", inits)
	}
	if got := strings.Join(inits[1].Args, " "); got != "--mode=tfevent --path=/logs/tb --metric=accuracy --metric=test/loss" {
		t.Errorf("args %q", got)
	}
	if m := pod.Spec.Containers[0].VolumeMounts; len(m) != 1 || m[0].MountPath != "/logs/tb" {
		t.Errorf("mounts %+v", m)
	}
}

// TestAddCollectorReusesTheUsersVolume: a volume the trainer already writes to is read
// where it is, with its subPath; no emptyDir would see the file.
func TestAddCollectorReusesTheUsersVolume(t *testing.T) {
	obj := jobWith([]any{
		map[string]any{"name": "data", "mountPath": "/"},
		map[string]any{"name": "out", "mountPath": "/katib", "subPath": "run1"},
	}, []any{map[string]any{"name": "out", "persistentVolumeClaim": map[string]any{"claimName": "c"}}, map[string]any{"name": "data", "emptyDir": map[string]any{}}})
	if err := AddCollector(obj, fileSpec(experiment.FileCollector, "/katib/sub/mnist.json", experiment.JSONFormat), "training-container", "", nil); err != nil {
		t.Fatal(err)
	}
	ps := podSpecOf(t, obj)
	if len(ps.Volumes) != 2 || len(ps.Containers[0].VolumeMounts) != 2 {
		t.Errorf("volumes or mounts added: %+v %+v", ps.Volumes, ps.Containers[0].VolumeMounts)
	}
	m := ps.InitContainers[0].VolumeMounts
	if len(m) != 1 || m[0].Name != "out" || m[0].MountPath != "/katib" || m[0].SubPath != "run1" {
		t.Errorf("sidecar mounts %+v", m)
	}
}

func TestAddCollectorLeavesOtherCollectorsAlone(t *testing.T) {
	obj := jobWith(nil, nil)
	before := obj.DeepCopy()
	for _, mc := range []*experiment.MetricsCollectorSpec{nil, {Collector: &experiment.CollectorSpec{Kind: experiment.StdOutCollector}}} {
		if err := AddCollector(obj, mc, "training-container", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	if !equalObjects(before, obj) {
		t.Errorf("changed: %v", obj.Object)
	}
	if LogContainer(nil, "p") != "p" || LogContainer(fileSpec(experiment.FileCollector, "/a/b", ""), "p") != CollectorContainer {
		t.Error("LogContainer")
	}
}

func equalObjects(a, b *unstructured.Unstructured) bool {
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	return string(ja) == string(jb)
}

func TestAddCollectorNameClash(t *testing.T) {
	obj := jobWith(nil, []any{map[string]any{"name": metricsVolume, "emptyDir": map[string]any{}}})
	err := AddCollector(obj, fileSpec(experiment.FileCollector, "/katib/m.log", experiment.TextFormat), "training-container", "", nil)
	if err == nil || !strings.Contains(err.Error(), "already has a volume named "+metricsVolume) {
		t.Errorf("err %v", err)
	}
}

func TestSupportsNativeSidecars(t *testing.T) {
	for _, tc := range []struct {
		info version.Info
		want bool
	}{
		{version.Info{Major: "1", Minor: "36", GitVersion: "v1.36.3"}, true},
		{version.Info{Major: "1", Minor: "29", GitVersion: "v1.29.0"}, true},
		{version.Info{Major: "1", Minor: "28+", GitVersion: "v1.28.5-eks-1"}, false},
		{version.Info{GitVersion: "v1.30.2-gke.1"}, true},
		{version.Info{GitVersion: "v1.27.0"}, false},
		{version.Info{}, false},
	} {
		if got := SupportsNativeSidecars(&tc.info); got != tc.want {
			t.Errorf("%+v: %v", tc.info, got)
		}
	}
}

// Every Pod template that runs the primary container gets the sidecar: which of the Pods is
// the primary one is only known from labels the operator adds; a template without the
// primary container (a parameter server) is left alone.
func TestAddCollectorEveryTemplateWithThePrimaryContainer(t *testing.T) {
	replica := func(container string) map[string]any {
		return map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": container, "image": "trainer"}}}}}
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "kubeflow.org/v1", "kind": "TFJob",
		"spec": map[string]any{"tfReplicaSpecs": map[string]any{
			"Chief": replica("tensorflow"), "Worker": replica("tensorflow"), "PS": replica("ps")}}}}
	if err := AddCollector(obj, fileSpec(experiment.FileCollector, "/katib/metrics.log", experiment.TextFormat), "tensorflow", "collector:v1", []string{"accuracy"}); err != nil {
		t.Fatal(err)
	}
	for role, want := range map[string]int{"Chief": 1, "Worker": 1, "PS": 0} {
		inits, _, _ := unstructured.NestedSlice(obj.Object, "spec", "tfReplicaSpecs", role, "template", "spec", "initContainers")
		if len(inits) != want {
			t.Errorf("%s: %d init containers, want %d", role, len(inits), want)
		}
	}
	if err := AddCollector(obj, fileSpec(experiment.FileCollector, "/katib/metrics.log", experiment.TextFormat), "pytorch", "collector:v1", nil); err == nil ||
		!strings.Contains(err.Error(), `no container "pytorch"`) {
		t.Errorf("primary container in no template: %v", err)
	}
}
