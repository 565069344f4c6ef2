package arch

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// KindCapacity is the kind of the capacity document (explain nodes -o json).
const KindCapacity = "Capacity"

// topPodsPerNode is how many of the largest Pods each node lists.
const topPodsPerNode = 3

// PoolLabels name a node's pool on the common managed platforms and autoscalers, in the
// order they are looked for.
var PoolLabels = []string{
	"cloud.google.com/gke-nodepool",
	"eks.amazonaws.com/nodegroup",
	"alpha.eksctl.io/nodegroup-name",
	"karpenter.sh/nodepool",
	"agentpool",
	"kubernetes.azure.com/agentpool",
	"node.kubernetes.io/pool",
}

// Capacity is how full the nodes are: what each node can give Pods and what the Pods bound
// to it request, per node and per pool of alike nodes.
type Capacity struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// ReadAt is set when the facts were reused from the short-lived cache: when they were read.
	ReadAt string `json:"readAt,omitempty"`
	CapacityReport
}

// CapacityReport is the capacity part of the model; Capacity adds the document header.
type CapacityReport struct {
	Nodes []NodeCapacity `json:"nodes"`
	Pools []PoolCapacity `json:"pools"`
	// Unscheduled are the active Pods not bound to a node yet, with what they ask for.
	Unscheduled UnscheduledPods `json:"unscheduled"`
	// Notes say which reads were refused or failed, so a partial view is never silent.
	Notes []string `json:"notes"`
}

// NodeCapacity is one node's allocatable resources against its Pods' requests.
type NodeCapacity struct {
	Name string `json:"name"`
	// Pool is the name of the PoolCapacity the node belongs to.
	Pool           string   `json:"pool"`
	InstanceType   string   `json:"instanceType,omitempty"`
	NodePool       string   `json:"nodePool,omitempty"`
	KubeletVersion string   `json:"kubeletVersion,omitempty"`
	Roles          []string `json:"roles"`
	Ready          bool     `json:"ready"`
	// Unschedulable is set on a cordoned node: new Pods do not go there.
	Unschedulable bool `json:"unschedulable,omitempty"`
	// Known is false for a node only seen through its Pods (nodes could not be listed).
	Known     bool            `json:"known"`
	Pods      int             `json:"pods"`
	Resources []ResourceUsage `json:"resources"`
	TopPods   []PodRequests   `json:"topPods"`
}

// ResourceUsage is one resource of a node or pool. Allocatable is empty when unknown;
// Percent is requested/allocatable rounded down, as kubectl describe node shows it.
type ResourceUsage struct {
	Name        string `json:"name"`
	Allocatable string `json:"allocatable,omitempty"`
	Requested   string `json:"requested"`
	Percent     *int64 `json:"percent,omitempty"`
}

// PodRequests is what one Pod asks of its node, counted as the scheduler counts it.
type PodRequests struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Requests  map[string]string `json:"requests"`
}

// PoolCapacity sums alike nodes: same pool label, instance type, kubelet version and roles.
type PoolCapacity struct {
	Name           string          `json:"name"`
	PoolLabel      string          `json:"poolLabel,omitempty"`
	NodePool       string          `json:"nodePool,omitempty"`
	InstanceType   string          `json:"instanceType,omitempty"`
	KubeletVersion string          `json:"kubeletVersion,omitempty"`
	Roles          []string        `json:"roles"`
	Nodes          []string        `json:"nodes"`
	Resources      []ResourceUsage `json:"resources"`
}

// UnscheduledPods counts the active Pods without a node and what they request together.
type UnscheduledPods struct {
	Pods     int               `json:"pods"`
	Requests map[string]string `json:"requests,omitempty"`
}

// podUsage is what capacity keeps of each Pod: enough to sum and rank, not the whole
// object, so a large cluster's Pod list is not held in memory.
type podUsage struct {
	namespace, name, node string
	requests              corev1.ResourceList
}

// PodRequestTotals is what a Pod holds on its node, as the scheduler and kubectl describe
// node count it: app containers and native sidecars (init containers with restartPolicy
// Always) run together and add up; each ordinary init container runs alone, next to the
// sidecars started before it, so the Pod needs the larger of the two phases; pod-level
// requests, where set, replace the containers' for their resources; the runtime's overhead
// is added on top.
func PodRequestTotals(spec *corev1.PodSpec) corev1.ResourceList {
	reqs := corev1.ResourceList{}
	for _, c := range spec.Containers {
		addResources(reqs, c.Resources.Requests)
	}
	sidecars := corev1.ResourceList{}
	initPeak := corev1.ResourceList{}
	for _, c := range spec.InitContainers {
		phase := corev1.ResourceList{}
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addResources(reqs, c.Resources.Requests)
			addResources(sidecars, c.Resources.Requests)
			addResources(phase, sidecars)
		} else {
			addResources(phase, c.Resources.Requests)
			addResources(phase, sidecars)
		}
		maxResources(initPeak, phase)
	}
	maxResources(reqs, initPeak)
	if spec.Resources != nil {
		for name, q := range spec.Resources.Requests {
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory || strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) {
				reqs[name] = q.DeepCopy()
			}
		}
	}
	addResources(reqs, spec.Overhead)
	return reqs
}

func addResources(into, from corev1.ResourceList) {
	for name, q := range from {
		cur := into[name]
		cur.Add(q)
		into[name] = cur
	}
}

func maxResources(into, from corev1.ResourceList) {
	for name, q := range from {
		if cur, ok := into[name]; !ok || q.Cmp(cur) > 0 {
			into[name] = q.DeepCopy()
		}
	}
}

// nodeGroupKey is how nodes are told apart into pools.
type nodeGroupKey struct {
	poolLabel, pool, instanceType, kubelet, roles string
}

// buildCapacity sums the Pods' requests per node and per pool. podsOK says whether the Pods
// could be read; what could not is named in notes by the caller.
func buildCapacity(nodes []corev1.Node, pods []podUsage, podsOK bool, notes []string) *CapacityReport {
	rep := &CapacityReport{Nodes: []NodeCapacity{}, Pools: []PoolCapacity{}, Notes: append([]string{}, notes...)}
	byNode := map[string][]podUsage{}
	unscheduled := corev1.ResourceList{}
	for _, p := range pods {
		if p.node == "" {
			rep.Unscheduled.Pods++
			addResources(unscheduled, p.requests)
			continue
		}
		byNode[p.node] = append(byNode[p.node], p)
	}
	if len(unscheduled) > 0 {
		rep.Unscheduled.Requests = quantities(unscheduled)
	}

	// Extended resources (nvidia.com/gpu and others) are shown when any node offers them
	// or any Pod asks for them; cpu, memory and Pod slots always.
	shown := map[corev1.ResourceName]bool{}
	for _, n := range nodes {
		for name, q := range n.Status.Allocatable {
			if isExtended(name) && !q.IsZero() {
				shown[name] = true
			}
		}
	}
	for _, p := range pods {
		for name, q := range p.requests {
			if isExtended(name) && !q.IsZero() {
				shown[name] = true
			}
		}
	}
	names := []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}
	var extended []corev1.ResourceName
	for name := range shown {
		extended = append(extended, name)
	}
	sort.Slice(extended, func(i, j int) bool { return extended[i] < extended[j] })
	names = append(names, extended...)
	names = append(names, corev1.ResourcePods)

	type poolSum struct {
		pool             *PoolCapacity
		alloc, requested corev1.ResourceList
	}
	pools := map[nodeGroupKey]*poolSum{}
	var poolOrder []nodeGroupKey

	seen := map[string]bool{}
	for _, n := range nodes {
		seen[n.Name] = true
		key := poolKey(&n)
		nc := NodeCapacity{Name: n.Name, Known: true, Roles: nodeRoles(n.Labels), KubeletVersion: n.Status.NodeInfo.KubeletVersion,
			InstanceType: key.instanceType, NodePool: key.pool, Unschedulable: n.Spec.Unschedulable}
		poolLabel := key.poolLabel
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				nc.Ready = true
			}
		}
		requested := corev1.ResourceList{}
		for _, p := range byNode[n.Name] {
			addResources(requested, p.requests)
		}
		nc.Pods = len(byNode[n.Name])
		nc.Resources = usage(names, n.Status.Allocatable, true, requested, nc.Pods, podsOK)
		nc.TopPods = topPods(byNode[n.Name], n.Status.Allocatable)

		ps := pools[key]
		if ps == nil {
			ps = &poolSum{pool: &PoolCapacity{Name: poolName(key), PoolLabel: poolLabel, NodePool: nc.NodePool, InstanceType: nc.InstanceType,
				KubeletVersion: nc.KubeletVersion, Roles: nc.Roles, Nodes: []string{}}, alloc: corev1.ResourceList{}, requested: corev1.ResourceList{}}
			pools[key] = ps
			poolOrder = append(poolOrder, key)
		}
		ps.pool.Nodes = append(ps.pool.Nodes, n.Name)
		addResources(ps.alloc, n.Status.Allocatable)
		addResources(ps.requested, requested)
		ps.requested[corev1.ResourcePods] = *resource.NewQuantity(ps.requested.Pods().Value()+int64(nc.Pods), resource.DecimalSI)
		nc.Pool = ps.pool.Name
		rep.Nodes = append(rep.Nodes, nc)
	}
	// Without the node list, the nodes Pods are bound to still show what is requested there.
	var unknown []string
	for name := range byNode {
		if !seen[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		requested := corev1.ResourceList{}
		for _, p := range byNode[name] {
			addResources(requested, p.requests)
		}
		nc := NodeCapacity{Name: name, Roles: []string{}, Pods: len(byNode[name])}
		nc.Resources = usage(names, nil, false, requested, nc.Pods, podsOK)
		nc.TopPods = topPods(byNode[name], nil)
		rep.Nodes = append(rep.Nodes, nc)
	}
	sort.SliceStable(rep.Nodes, func(i, j int) bool { return rep.Nodes[i].Name < rep.Nodes[j].Name })
	for _, key := range poolOrder {
		ps := pools[key]
		slotsUsed := ps.requested[corev1.ResourcePods]
		delete(ps.requested, corev1.ResourcePods)
		ps.pool.Resources = usage(names, ps.alloc, true, ps.requested, int(slotsUsed.Value()), podsOK)
		rep.Pools = append(rep.Pools, *ps.pool)
	}
	sort.SliceStable(rep.Pools, func(i, j int) bool { return rep.Pools[i].Name < rep.Pools[j].Name })
	return rep
}

// isExtended tells resources beyond cpu, memory and the node's own storage and Pod slots:
// device plugins' (nvidia.com/gpu) and other vendors' names carry a domain.
func isExtended(name corev1.ResourceName) bool {
	return strings.Contains(string(name), "/") && !strings.HasPrefix(string(name), corev1.ResourceDefaultNamespacePrefix)
}

func nodeRoles(labels map[string]string) []string {
	roles := []string{}
	for l := range labels {
		if role, ok := strings.CutPrefix(l, "node-role.kubernetes.io/"); ok && role != "" {
			roles = append(roles, role)
		}
	}
	sort.Strings(roles)
	return roles
}

// poolKey is what sets a node's pool apart: the platform's pool label, the instance type, the
// roles and the kubelet version.
func poolKey(n *corev1.Node) nodeGroupKey {
	k := nodeGroupKey{instanceType: n.Labels[corev1.LabelInstanceTypeStable], kubelet: n.Status.NodeInfo.KubeletVersion,
		roles: strings.Join(nodeRoles(n.Labels), ",")}
	if k.instanceType == "" {
		k.instanceType = n.Labels[corev1.LabelInstanceType]
	}
	for _, l := range PoolLabels {
		if v := n.Labels[l]; v != "" {
			k.poolLabel, k.pool = l, v
			break
		}
	}
	return k
}

// poolName is a short name people recognise: the platform's pool name or the instance type
// when there is one, then the roles and kubelet version that also set pools apart.
func poolName(k nodeGroupKey) string {
	parts := []string{"unlabelled"}
	switch {
	case k.pool != "" && k.instanceType != "":
		parts = []string{k.pool, k.instanceType}
	case k.pool != "":
		parts = []string{k.pool}
	case k.instanceType != "":
		parts = []string{k.instanceType}
	}
	if k.roles != "" {
		parts = append(parts, k.roles)
	}
	if k.kubelet != "" {
		parts = append(parts, k.kubelet)
	}
	return strings.Join(parts, "/")
}

// usage pairs allocatable with requested for each shown resource. Pod slots count Pods.
func usage(names []corev1.ResourceName, alloc corev1.ResourceList, allocKnown bool, requested corev1.ResourceList, pods int, podsOK bool) []ResourceUsage {
	out := []ResourceUsage{}
	for _, name := range names {
		u := ResourceUsage{Name: string(name)}
		req := requested[name]
		if name == corev1.ResourcePods {
			req = *resource.NewQuantity(int64(pods), resource.DecimalSI)
		}
		if podsOK {
			u.Requested = quantityText(name, req)
		}
		if allocKnown {
			a, ok := alloc[name]
			if !ok {
				a = resource.Quantity{}
			}
			u.Allocatable = quantityText(name, a)
			if podsOK && !a.IsZero() {
				p := req.MilliValue() * 100 / a.MilliValue()
				u.Percent = &p
			}
		}
		out = append(out, u)
	}
	return out
}

// topPods ranks a node's Pods by the largest share of the node they take of any resource,
// so a Pod holding most of a GPU node's GPUs ranks above one with a little more memory.
func topPods(pods []podUsage, alloc corev1.ResourceList) []PodRequests {
	share := func(p podUsage) float64 {
		best := 0.0
		for name, q := range p.requests {
			a, ok := alloc[name]
			if !ok || a.IsZero() {
				continue
			}
			best = max(best, float64(q.MilliValue())/float64(a.MilliValue()))
		}
		if alloc == nil {
			// Without allocatable, CPU cores and memory GiB weigh alike.
			best = float64(p.requests.Cpu().MilliValue())/1000 + float64(p.requests.Memory().Value())/(1<<30)
		}
		return best
	}
	ranked := make([]podUsage, 0, len(pods))
	for _, p := range pods {
		if len(p.requests) > 0 {
			ranked = append(ranked, p)
		}
	}
	sort.SliceStable(ranked, func(i, j int) bool {
		si, sj := share(ranked[i]), share(ranked[j])
		if si != sj {
			return si > sj
		}
		return ranked[i].namespace+"/"+ranked[i].name < ranked[j].namespace+"/"+ranked[j].name
	})
	out := []PodRequests{}
	for _, p := range ranked[:min(len(ranked), topPodsPerNode)] {
		out = append(out, PodRequests{Namespace: p.namespace, Name: p.name, Requests: quantities(p.requests)})
	}
	return out
}

func quantities(l corev1.ResourceList) map[string]string {
	out := map[string]string{}
	for name, q := range l {
		out[string(name)] = quantityText(name, q)
	}
	return out
}

// quantityText writes CPU as whole cores or millicores (1000 rather than 1k), the way
// people write requests; everything else as Kubernetes writes it.
func quantityText(name corev1.ResourceName, q resource.Quantity) string {
	if name != corev1.ResourceCPU {
		return q.String()
	}
	if m := q.MilliValue(); m%1000 != 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprint(q.MilliValue() / 1000)
}

// CapacityDocument is the capacity view as its own document, for -o json|yaml.
func CapacityDocument(m *Model) *Capacity {
	c := &Capacity{APIVersion: SchemaVersion, Kind: KindCapacity, ReadAt: m.ReadAt}
	if m.Capacity != nil {
		c.CapacityReport = *m.Capacity
	} else {
		c.Nodes, c.Pools = []NodeCapacity{}, []PoolCapacity{}
		c.Notes = []string{"Capacity needs a cluster: without one, there are no nodes or Pods to count."}
	}
	return c
}
