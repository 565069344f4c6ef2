package arch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/archtest"
	"github.com/kubectl-katib/plugins/pkg/arch/present"
	"github.com/kubectl-katib/plugins/pkg/render"
)

func res(cpu, mem string) corev1.ResourceRequirements {
	r := corev1.ResourceList{}
	if cpu != "" {
		r[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		r[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return corev1.ResourceRequirements{Requests: r}
}

func TestPodRequestTotals(t *testing.T) {
	always := ptr.To(corev1.ContainerRestartPolicyAlways)
	cases := []struct {
		name     string
		spec     corev1.PodSpec
		cpu, mem string
	}{
		{"app containers add up",
			corev1.PodSpec{Containers: []corev1.Container{{Resources: res("100m", "64Mi")}, {Resources: res("200m", "")}}}, "300m", "64Mi"},
		{"an init container larger than the app sets the request",
			corev1.PodSpec{InitContainers: []corev1.Container{{Resources: res("2", "16Mi")}}, Containers: []corev1.Container{{Resources: res("500m", "1Gi")}}}, "2", "1Gi"},
		{"init containers run one at a time: the largest counts, not their sum",
			corev1.PodSpec{InitContainers: []corev1.Container{{Resources: res("1", "")}, {Resources: res("1", "")}}, Containers: []corev1.Container{{Resources: res("100m", "")}}}, "1", "0"},
		{"a native sidecar runs with the app",
			corev1.PodSpec{InitContainers: []corev1.Container{{RestartPolicy: always, Resources: res("250m", "128Mi")}}, Containers: []corev1.Container{{Resources: res("500m", "256Mi")}}}, "750m", "384Mi"},
		{"an init container after a sidecar runs next to it",
			corev1.PodSpec{InitContainers: []corev1.Container{{RestartPolicy: always, Resources: res("300m", "")}, {Resources: res("1", "")}}, Containers: []corev1.Container{{Resources: res("100m", "")}}}, "1300m", "0"},
		{"an init container before a sidecar runs alone",
			corev1.PodSpec{InitContainers: []corev1.Container{{Resources: res("1", "")}, {RestartPolicy: always, Resources: res("300m", "")}}, Containers: []corev1.Container{{Resources: res("100m", "")}}}, "1", "0"},
		{"pod overhead is added",
			corev1.PodSpec{Containers: []corev1.Container{{Resources: res("100m", "64Mi")}}, Overhead: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("120Mi")}}, "350m", "184Mi"},
		{"pod-level requests replace the containers'",
			corev1.PodSpec{Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}, Containers: []corev1.Container{{Resources: res("100m", "64Mi")}}}, "2", "64Mi"},
	}
	for _, c := range cases {
		got := arch.PodRequestTotals(&c.spec)
		cpu, mem := got[corev1.ResourceCPU], got[corev1.ResourceMemory]
		if cpu.Cmp(resource.MustParse(c.cpu)) != 0 || mem.Cmp(resource.MustParse(c.mem)) != 0 {
			t.Errorf("%s: cpu %s memory %s, want %s and %s", c.name, cpu.String(), mem.String(), c.cpu, c.mem)
		}
	}
}

func nodeCap(t *testing.T, c *arch.CapacityReport, name string) arch.NodeCapacity {
	t.Helper()
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no node %s in %+v", name, c.Nodes)
	return arch.NodeCapacity{}
}

func usageOf(rs []arch.ResourceUsage, name string) arch.ResourceUsage {
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	return arch.ResourceUsage{Name: name + " missing"}
}

func pct(r arch.ResourceUsage) int64 {
	if r.Percent == nil {
		return -1
	}
	return *r.Percent
}

func TestCapacityPerNodeAndPool(t *testing.T) {
	m := discover(t, archtest.Troubled())
	c := m.Capacity
	a1 := nodeCap(t, c, "pool-a-1")
	if cpu := usageOf(a1.Resources, "cpu"); cpu.Requested != "1360m" || cpu.Allocatable != "4" || pct(cpu) != 34 {
		t.Errorf("pool-a-1 cpu: %+v", cpu)
	}
	if mem := usageOf(a1.Resources, "memory"); mem.Requested != "1370Mi" || pct(mem) != 8 {
		t.Errorf("pool-a-1 memory: %+v", mem)
	}
	// The Succeeded Pod holds nothing; the one without requests still takes a Pod slot.
	if a1.Pods != 4 || usageOf(a1.Resources, "pods").Requested != "4" {
		t.Errorf("pool-a-1 pods: %d %+v", a1.Pods, usageOf(a1.Resources, "pods"))
	}
	var top []string
	for _, p := range a1.TopPods {
		top = append(top, p.Namespace+"/"+p.Name)
	}
	if strings.Join(top, ",") != "shop/web-0,shop/worker-7f9c,shop/cron-1" {
		t.Errorf("top pods: %v", top)
	}
	if a1.Pool != "pool-a/e2-standard-4/v1.36.3" || a1.NodePool != "pool-a" || a1.InstanceType != "e2-standard-4" {
		t.Errorf("pool of pool-a-1: %+v", a1)
	}
	gpu := nodeCap(t, c, "gpu-1")
	if g := usageOf(gpu.Resources, "nvidia.com/gpu"); g.Requested != "2" || g.Allocatable != "2" || pct(g) != 100 {
		t.Errorf("gpu-1 GPUs: %+v", g)
	}
	// Nodes without GPUs show the column with nothing allocatable.
	if g := usageOf(a1.Resources, "nvidia.com/gpu"); g.Allocatable != "0" || g.Percent != nil {
		t.Errorf("pool-a-1 GPUs: %+v", g)
	}
	if len(c.Pools) != 2 || c.Pools[1].Name != "pool-a/e2-standard-4/v1.36.3" || strings.Join(c.Pools[1].Nodes, ",") != "pool-a-1,pool-a-2" {
		t.Fatalf("pools: %+v", c.Pools)
	}
	if cpu := usageOf(c.Pools[1].Resources, "cpu"); cpu.Requested != "1360m" || cpu.Allocatable != "8" || pct(cpu) != 17 {
		t.Errorf("pool-a cpu: %+v", cpu)
	}
	if p := usageOf(c.Pools[1].Resources, "pods"); p.Requested != "4" || p.Allocatable != "220" {
		t.Errorf("pool-a pods: %+v", p)
	}
	if c.Unscheduled.Pods != 1 || c.Unscheduled.Requests["cpu"] != "1000" {
		t.Errorf("unscheduled: %+v", c.Unscheduled)
	}
	if len(c.Notes) != 0 {
		t.Errorf("notes: %v", c.Notes)
	}

	doc := arch.CapacityDocument(m)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var shape map[string]any
	_ = json.Unmarshal(b, &shape)
	if shape["kind"] != "Capacity" || shape["apiVersion"] != arch.SchemaVersion || shape["nodes"] == nil || shape["pools"] == nil {
		t.Errorf("document shape: %s", b)
	}
	var buf bytes.Buffer
	if err := present.WriteCapacity(&buf, doc, render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "arch/capacity.golden", buf.Bytes())
}

func TestCapacityWithoutPods(t *testing.T) {
	m := discover(t, archtest.TroubledForbidden("pods"))
	if !strings.Contains(strings.Join(m.Notes, "\n"), "Not allowed to read Pods in all namespaces") {
		t.Errorf("model notes: %v", m.Notes)
	}
	c := m.Capacity
	a1 := nodeCap(t, c, "pool-a-1")
	if cpu := usageOf(a1.Resources, "cpu"); cpu.Allocatable != "4" || cpu.Requested != "" || cpu.Percent != nil {
		t.Errorf("allocatable should be known and requests unknown: %+v", cpu)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "requests per node and the largest Pods are unknown") {
		t.Errorf("capacity notes: %v", c.Notes)
	}
	for _, f := range m.Findings {
		if f.Kind == "Pod" {
			t.Errorf("no Pod can be named without the Pod list: %+v", f)
		}
	}
	var buf bytes.Buffer
	if err := present.WriteCapacity(&buf, arch.CapacityDocument(m), render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"?/4", "Partial view", "Not allowed to read Pods in all namespaces"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestCapacityWithoutNodes(t *testing.T) {
	m := discover(t, archtest.TroubledForbidden("nodes"))
	c := m.Capacity
	a1 := nodeCap(t, c, "pool-a-1")
	if a1.Known || a1.Pods != 4 {
		t.Errorf("pool-a-1 should come from its Pods: %+v", a1)
	}
	if cpu := usageOf(a1.Resources, "cpu"); cpu.Requested != "1360m" || cpu.Allocatable != "" || cpu.Percent != nil {
		t.Errorf("requests should be known, allocatable not: %+v", cpu)
	}
	if len(c.Pools) != 0 {
		t.Errorf("pools need the node list: %+v", c.Pools)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "Not allowed to read nodes") {
		t.Errorf("capacity notes: %v", c.Notes)
	}
	var buf bytes.Buffer
	if err := present.WriteCapacity(&buf, arch.CapacityDocument(m), render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1360m/?", "Not allowed to read nodes"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}

// The Pod list is read in pages of at most 500, only unfinished Pods, following the
// continue token to the end.
func TestPodsAreListedInPages(t *testing.T) {
	src := archtest.Troubled()
	cs := src.Clientset.(*fake.Clientset)
	var calls []metav1.ListOptions
	cs.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetNamespace() != "" {
			return false, nil, nil
		}
		opts := a.(k8stesting.ListActionImpl).GetListOptions()
		calls = append(calls, opts)
		mk := func(name string) corev1.Pod {
			return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "p", Name: name}, Spec: corev1.PodSpec{NodeName: "gpu-1",
				Containers: []corev1.Container{{Resources: res("1", "")}}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		}
		if opts.Continue == "" {
			return true, &corev1.PodList{ListMeta: metav1.ListMeta{Continue: "page-2"}, Items: []corev1.Pod{mk("a"), mk("b")}}, nil
		}
		return true, &corev1.PodList{Items: []corev1.Pod{mk("c")}}, nil
	})
	m, err := arch.Discover(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].Limit != 500 || calls[1].Continue != "page-2" || calls[0].FieldSelector != "status.phase!=Succeeded,status.phase!=Failed" {
		t.Errorf("list calls: %+v", calls)
	}
	if cpu := usageOf(nodeCap(t, m.Capacity, "gpu-1").Resources, "cpu"); cpu.Requested != "3" {
		t.Errorf("both pages should count: %+v", cpu)
	}
}

func TestCapacityWithNothingReadable(t *testing.T) {
	m := discover(t, archtest.TroubledForbidden("nodes", "pods"))
	var buf bytes.Buffer
	if err := present.WriteCapacity(&buf, arch.CapacityDocument(m), render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"No node is visible with these credentials.", "Not allowed to read nodes", "Not allowed to read Pods in all namespaces"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "NODE") {
		t.Errorf("no table without nodes:\n%s", text)
	}
}
