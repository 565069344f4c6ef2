// Command kwok-populate turns the local cluster into a big one for the scale tests of kubectl
// arch: simulated nodes (played by kwok, see hack/kwok.sh) in four pools, namespaces with
// Deployments and StatefulSets, DaemonSets on every node, and CRDs each with an operator. The
// cluster's own controllers and scheduler make and place the Pods, so what kubectl arch reads
// is what a real cluster of that size serves. It waits until the Pods are placed and running,
// then prints how long that took and what the cluster's processes hold in memory.
//
// Usage: kwok-populate [-nodes 1000] [-pods 10000] [-namespaces 50] [-crds 30]
//
//	kwok-populate -delete   removes everything it made (namespaces, nodes, CRDs)
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

const (
	// labelScale marks everything this program makes, so -delete finds it.
	labelScale     = "scale.kubectl-katib.io/populated"
	kwokAnnotation = "kwok.x-k8s.io/node"
	kwokTaint      = "kwok.x-k8s.io/node"
)

// pool is a group of alike nodes, as a cloud's node group makes them.
type pool struct {
	name, instanceType, kubelet string
	share                       float64
	cpu, memory                 string
	gpus                        int
}

var pools = []pool{
	{name: "general", instanceType: "m5.xlarge", kubelet: "v1.36.3", share: 0.5, cpu: "4", memory: "16Gi"},
	{name: "memory", instanceType: "r5.2xlarge", kubelet: "v1.36.3", share: 0.25, cpu: "8", memory: "64Gi"},
	{name: "compute", instanceType: "c5.4xlarge", kubelet: "v1.35.4", share: 0.2, cpu: "16", memory: "32Gi"},
	{name: "gpu", instanceType: "p3.2xlarge", kubelet: "v1.36.3", share: 0.05, cpu: "8", memory: "61Gi", gpus: 1},
}

var zones = []string{"zone-a", "zone-b", "zone-c"}

func main() {
	nodes := flag.Int("nodes", 1000, "simulated nodes")
	pods := flag.Int("pods", 10000, "Pods in all (about a fifth from two DaemonSets, the rest from Deployments and StatefulSets)")
	namespaces := flag.Int("namespaces", 50, "namespaces holding the Deployments and StatefulSets")
	crds := flag.Int("crds", 30, "CRDs, each with an operator Deployment")
	broken := flag.Int("not-ready", 3, "nodes kwok does not play, which turn NotReady")
	del := flag.Bool("delete", false, "remove what an earlier run made")
	timeout := flag.Duration("timeout", 30*time.Minute, "how long to wait for the Pods to run")
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig")
	flag.Parse()
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	cs := kubernetes.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx := context.Background()
	if *del {
		if err := remove(ctx, cs, dyn); err != nil {
			log.Fatal(err)
		}
		return
	}
	start := time.Now()
	if err := createNodes(ctx, cs, *nodes, *broken); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d nodes created in %s", *nodes+*broken, time.Since(start).Round(time.Second))
	if err := createWorkloads(ctx, cs, *nodes, *pods, *namespaces); err != nil {
		log.Fatal(err)
	}
	if err := createCRDs(ctx, cs, dyn, *crds); err != nil {
		log.Fatal(err)
	}
	log.Printf("objects created in %s; waiting for the Pods to be placed and running", time.Since(start).Round(time.Second))
	running, err := waitRunning(ctx, cs, *timeout)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("populated in %s: %d nodes, %d Pods running\n", time.Since(start).Round(time.Second), *nodes+*broken, running)
	printMemory()
}

func createNodes(ctx context.Context, cs kubernetes.Interface, n, broken int) error {
	var jobs []*corev1.Node
	i := 0
	for pi, p := range pools {
		count := int(float64(n) * p.share)
		if pi == len(pools)-1 {
			count = n - i
		}
		for k := 0; k < count; k++ {
			jobs = append(jobs, node(fmt.Sprintf("kwok-%s-%04d", p.name, k), p, zones[i%len(zones)], true))
			i++
		}
	}
	for k := 0; k < broken; k++ {
		jobs = append(jobs, node(fmt.Sprintf("kwok-unplayed-%d", k), pools[0], zones[k%len(zones)], false))
	}
	return parallel(len(jobs), 32, func(i int) error {
		_, err := cs.CoreV1().Nodes().Create(ctx, jobs[i], metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
}

// node is a simulated node; played=false leaves it without kwok, so nothing keeps it alive
// and the node controller marks it NotReady, as with a machine that went away.
func node(name string, p pool, zone string, played bool) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(p.cpu),
		corev1.ResourceMemory: resource.MustParse(p.memory),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	if p.gpus > 0 {
		capacity["nvidia.com/gpu"] = *resource.NewQuantity(int64(p.gpus), resource.DecimalSI)
	}
	annotations := map[string]string{}
	kind := "kwok-unplayed" // no workload selects it: nothing would ever run there
	if played {
		annotations[kwokAnnotation] = "fake"
		kind = "kwok"
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations, Labels: map[string]string{
			labelScale: "true", "type": kind, "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			"node.kubernetes.io/instance-type": p.instanceType, "topology.kubernetes.io/zone": zone, "scale.kubectl-katib.io/pool": p.name,
		}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: kwokTaint, Value: "fake", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{
			Capacity: capacity, Allocatable: capacity,
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: p.kubelet, OperatingSystem: "linux", Architecture: "amd64",
				ContainerRuntimeVersion: "containerd://2.0.0", OSImage: "Simulated Linux", KernelVersion: "6.1.0"},
		},
	}
}

// fake places a Pod on the simulated nodes only.
func fake(spec corev1.PodSpec) corev1.PodSpec {
	spec.NodeSelector = map[string]string{"type": "kwok"}
	spec.Tolerations = append(spec.Tolerations, corev1.Toleration{Key: kwokTaint, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	return spec
}

func container(name, cpu, memory string) corev1.Container {
	return corev1.Container{Name: name, Image: "registry.example/" + name + ":1.0",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}}}
}

func template(app string, c corev1.Container) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: fake(corev1.PodSpec{Containers: []corev1.Container{c}})}
}

func createWorkloads(ctx context.Context, cs kubernetes.Interface, nodes, pods, namespaces int) error {
	meta := func(ns, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{labelScale: "true", "app": name}}
	}
	if err := createNamespace(ctx, cs, "scale-system"); err != nil {
		return err
	}
	// Two DaemonSets cover every node (the unplayed ones too, as a DaemonSet does).
	for _, name := range []string{"node-exporter", "log-agent"} {
		ds := &appsv1.DaemonSet{ObjectMeta: meta("scale-system", name), Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: template(name, container(name, "50m", "64Mi"))}}
		ds.Spec.Template.Spec.Tolerations = append(ds.Spec.Template.Spec.Tolerations, corev1.Toleration{Operator: corev1.TolerationOpExists})
		if _, err := cs.AppsV1().DaemonSets("scale-system").Create(ctx, ds, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	perNamespace := max(0, pods-2*nodes) / max(1, namespaces)
	deploymentReplicas := int32(perNamespace / 4)
	statefulReplicas := int32(perNamespace - 3*int(deploymentReplicas))
	sizes := [][2]string{{"100m", "128Mi"}, {"250m", "256Mi"}, {"500m", "1Gi"}}
	return parallel(namespaces, 8, func(i int) error {
		ns := fmt.Sprintf("scale-%02d", i+1)
		if err := createNamespace(ctx, cs, ns); err != nil {
			return err
		}
		for k, name := range []string{"web", "api", "worker"} {
			d := &appsv1.Deployment{ObjectMeta: meta(ns, name), Spec: appsv1.DeploymentSpec{Replicas: ptr.To(deploymentReplicas),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Template: template(name, container(name, sizes[k][0], sizes[k][1]))}}
			if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		}
		st := &appsv1.StatefulSet{ObjectMeta: meta(ns, "db"), Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(statefulReplicas),
			ServiceName: "db", PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Template: template("db", container("db", "250m", "512Mi"))}}
		if _, err := cs.AppsV1().StatefulSets(ns).Create(ctx, st, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		if i == 0 {
			// Asks for more than any node has: its Pods stay Pending with the scheduler's reason.
			big := &appsv1.Deployment{ObjectMeta: meta(ns, "oversized"), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "oversized"}},
				Template: template("oversized", container("oversized", "64", "1Ti"))}}
			if _, err := cs.AppsV1().Deployments(ns).Create(ctx, big, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		}
		return nil
	})
}

func createNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{labelScale: "true"}}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// createCRDs adds n CRDs, each reconciled by an operator Deployment whose ServiceAccount may
// write its group: what kubectl arch reads to name a CRD's operator.
func createCRDs(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface, n int) error {
	const ns = "scale-operators"
	if err := createNamespace(ctx, cs, ns); err != nil {
		return err
	}
	return parallel(n, 8, func(i int) error {
		group := fmt.Sprintf("op%02d.scale.example.io", i+1)
		kind := fmt.Sprintf("Widget%02d", i+1)
		plural := strings.ToLower(kind) + "s"
		crd := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"metadata": map[string]any{"name": plural + "." + group, "labels": map[string]any{labelScale: "true"}},
			"spec": map[string]any{"group": group, "scope": "Namespaced",
				"names": map[string]any{"kind": kind, "listKind": kind + "List", "plural": plural, "singular": strings.ToLower(kind)},
				"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
					"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}}}
		if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		name := strings.ToLower(kind) + "-operator"
		labels := map[string]string{labelScale: "true", "app": name}
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}}
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "scale-" + name, Labels: labels},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{group}, Resources: []string{plural, plural + "/status"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
				{APIGroups: []string{""}, Resources: []string{"pods", "configmaps"}, Verbs: []string{"get", "list", "watch", "create", "delete"}}}}
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "scale-" + name, Labels: labels},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}}}
		tmpl := template(name, container(name, "100m", "128Mi"))
		tmpl.Spec.ServiceAccountName = name
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}, Template: tmpl}}
		for _, create := range []func() error{
			func() error {
				_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
				return err
			},
			func() error {
				_, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{})
				return err
			},
			func() error {
				_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
				return err
			},
			func() error { _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); return err },
		} {
			if err := create(); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		}
		return nil
	})
}

// waitRunning waits until every populated Pod that can run does: all but the oversized ones
// and those on nodes kwok does not play.
func waitRunning(ctx context.Context, cs kubernetes.Interface, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	last := -1
	for {
		running, waiting := 0, 0
		opts := metav1.ListOptions{Limit: 500}
		for {
			list, err := cs.CoreV1().Pods("").List(ctx, opts)
			if err != nil {
				return 0, err
			}
			for _, p := range list.Items {
				if !strings.HasPrefix(p.Namespace, "scale-") {
					continue
				}
				switch {
				case p.Status.Phase == corev1.PodRunning:
					running++
				case p.Labels["app"] == "oversized" || strings.HasPrefix(p.Spec.NodeName, "kwok-unplayed-"):
				default:
					waiting++
				}
			}
			if list.Continue == "" {
				break
			}
			opts.Continue = list.Continue
		}
		if running != last {
			log.Printf("%d Pods running, %d on their way", running, waiting)
			last = running
		}
		if waiting == 0 && running > 0 && expectedMet(ctx, cs) {
			return running, nil
		}
		if time.Now().After(deadline) {
			return running, fmt.Errorf("after %s, %d Pods still not running", timeout, waiting)
		}
		time.Sleep(5 * time.Second)
	}
}

// expectedMet says whether the controllers have made every Pod their objects ask for. Made,
// not ready: kwok's readiness updates sometimes fail to apply at this rate, which leaves the
// controllers' ready counts behind the Pods' own state.
func expectedMet(ctx context.Context, cs kubernetes.Interface) bool {
	deps, err := cs.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: labelScale})
	if err != nil {
		return false
	}
	for _, d := range deps.Items {
		if d.Name != "oversized" && d.Status.Replicas != ptr.Deref(d.Spec.Replicas, 1) {
			return false
		}
	}
	sts, err := cs.AppsV1().StatefulSets("").List(ctx, metav1.ListOptions{LabelSelector: labelScale})
	if err != nil {
		return false
	}
	for _, s := range sts.Items {
		if s.Status.Replicas != ptr.Deref(s.Spec.Replicas, 1) {
			return false
		}
	}
	return true
}

// printMemory reports the resident memory of the cluster's processes, from their PID files.
func printMemory() {
	pidDir := filepath.Join(filepath.Dir(os.Getenv("KUBECONFIG")), "pids")
	entries, err := os.ReadDir(pidDir)
	if err != nil {
		return
	}
	var lines []string
	total := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(pidDir, e.Name()))
		if err != nil {
			continue
		}
		status, err := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/status")
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(status), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.Atoi(f[1])
				total += kb
				lines = append(lines, fmt.Sprintf("  %-24s %6d MB", strings.TrimSuffix(e.Name(), ".pid"), kb/1024))
			}
		}
	}
	sort.Strings(lines)
	fmt.Printf("resident memory:\n%s\n  %-24s %6d MB\n", strings.Join(lines, "\n"), "total", total/1024)
}

func remove(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface) error {
	sel := metav1.ListOptions{LabelSelector: labelScale}
	nss, err := cs.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return err
	}
	for _, ns := range nss.Items {
		if err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		// No kubelet will confirm these Pods' end once kwok stops: remove them at once, one
		// request per namespace, instead of leaving them to the Pod garbage collector.
		if err := cs.CoreV1().Pods(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}, metav1.ListOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	for _, del := range []func() error{
		func() error { return cs.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, sel) },
		func() error { return dyn.Resource(crdGVR).DeleteCollection(ctx, metav1.DeleteOptions{}, sel) },
		func() error {
			return cs.RbacV1().ClusterRoleBindings().DeleteCollection(ctx, metav1.DeleteOptions{}, sel)
		},
		func() error { return cs.RbacV1().ClusterRoles().DeleteCollection(ctx, metav1.DeleteOptions{}, sel) },
	} {
		if err := del(); err != nil {
			return err
		}
	}
	log.Printf("deleting %d namespaces, the simulated nodes and the CRDs (namespaces finish in the background)", len(nss.Items))
	return nil
}

// parallel runs f(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, f func(int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
