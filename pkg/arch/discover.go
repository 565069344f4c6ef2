package arch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

// Discover reads the cluster with the caller's credentials and builds the model. Reads that
// are forbidden or fail become notes; only a cluster that cannot be reached at all is an
// error, a *read.UnreachableError.
func Discover(ctx context.Context, src read.Source) (*Model, error) {
	active := &activePods{}
	s, err := read.Read(ctx, src, read.Hooks{
		ActivePod:      active.add,
		DiscoveryStale: func(s *read.Snapshot) bool { return discoveryIsStale(s, KB()) },
	})
	if err != nil {
		return nil, err
	}
	if src.APIOnly {
		return apiModel(s), nil
	}
	return assemble(s, active, src), nil
}

// apiModel is the part of the model api-versions and api-resources show.
func apiModel(s *read.Snapshot) *Model {
	m := &Model{APIVersion: SchemaVersion, Kind: "Architecture", Warnings: []string{}, Notes: []string{}}
	n := &notes{}
	n.add("CustomResourceDefinitions", s.CRDs.Err, "custom groups are told apart from built-in ones by name only")
	m.CustomResources = crdGroups(s, n)
	m.APIGroups = apiGroups(s, m.CustomResources, s.CRDs.Err == nil, KB())
	aggregatedNotes(s, m.APIGroups, n)
	m.Notes, m.Warnings = n.list, append([]string{}, n.warnings...)
	return m
}

// activePods is what capacity and the findings keep of each unfinished Pod: its requests
// and what is wrong with it, not the whole object.
type activePods struct {
	usage    []podUsage
	findings []Finding
}

func (a *activePods) add(p *corev1.Pod) {
	a.usage = append(a.usage, podUsage{namespace: p.Namespace, name: p.Name, node: p.Spec.NodeName, requests: PodRequestTotals(&p.Spec)})
	if f := podFinding(p); f != nil {
		a.findings = append(a.findings, *f)
	}
}

// notes collects what could not be read, once per cause, and the problems found.
type notes struct{ list, warnings []string }

func (n *notes) add(what string, err error, consequence string) {
	if err == nil {
		return
	}
	var msg string
	switch {
	case apierrors.IsForbidden(err):
		msg = fmt.Sprintf("Not allowed to read %s with these credentials; %s.", what, consequence)
	case apierrors.IsNotFound(err):
		return
	default:
		msg = fmt.Sprintf("Could not read %s (%v); %s.", what, shortErr(err), consequence)
	}
	n.list = append(n.list, msg)
}

func shortErr(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Message
	}
	return err.Error()
}

func assemble(s *read.Snapshot, active *activePods, src read.Source) *Model {
	now := s.ReadAt
	kb := KB()
	m := &Model{APIVersion: SchemaVersion, Kind: "Architecture", ControlPlane: []Component{}, Nodes: []Node{},
		AddOns: []AddOn{}, APIGroups: []APIGroup{}, CustomResources: []CRDGroup{}, Webhooks: []Webhook{}, Warnings: []string{}, Notes: []string{}}
	n := &notes{}
	m.Cluster = Cluster{Server: src.Server, Context: src.Context}
	if s.Version.Value != nil {
		m.Cluster.Version = s.Version.Value.GitVersion
		m.Cluster.Platform = s.Version.Value.Platform
	}

	n.add("Pods in kube-system", s.SystemPods.Err, "control-plane and add-on Pods are not shown")
	n.add("Leases in kube-system", s.Leases.Err, "leaders of kube-scheduler and kube-controller-manager are unknown")
	n.add("nodes", s.Nodes.Err, "node facts (kubelet, runtime, OS) are missing")
	n.add("Deployments", s.Deployments.Err, "add-ons and operators can only be partly inferred")
	n.add("DaemonSets", s.DaemonSets.Err, "node add-ons such as kube-proxy and CNI are not shown")
	n.add("CustomResourceDefinitions", s.CRDs.Err, "custom resources are inferred from API discovery and their operators are unknown")
	hooksErr := firstErr(s.ValidatingWebhooks.Err, s.MutatingWebhooks.Err)
	rbacErr := firstErr(s.ClusterRoles.Err, s.ClusterRoleBindings.Err, s.Roles.Err, s.RoleBindings.Err)
	n.add("RBAC roles and bindings", rbacErr, "operators cannot be found from their permissions")
	switch {
	case s.StatefulSets.Err != nil && hooksErr != nil:
		n.add("StatefulSets and admission webhook configurations", s.StatefulSets.Err, "operators running as StatefulSets or known by their admission webhooks are not recognised")
	case s.StatefulSets.Err != nil:
		n.add("StatefulSets", s.StatefulSets.Err, "operators running as StatefulSets are not recognised")
	default:
		n.add("admission webhook configurations", hooksErr, "operators are not recognised by the admission webhooks they serve")
	}
	if s.Readyz.Err != nil && s.Livez.Err != nil {
		n.add("/readyz and /livez", s.Readyz.Err, "API server and etcd health are unknown")
	}

	m.ControlPlane = controlPlane(s, kb, now)
	m.Cluster.ControlPlaneVisible = false
	for _, c := range m.ControlPlane {
		if len(c.Pods) > 0 || c.Leader != nil {
			m.Cluster.ControlPlaneVisible = true
		}
	}
	if !m.Cluster.ControlPlaneVisible && s.SystemPods.Err == nil {
		n.list = append(n.list, "No control-plane Pods or leader Leases are visible: the control plane is managed by a provider or hidden; what is shown comes from /version and /readyz.")
	}
	m.Nodes = nodes(s.Nodes.Value)
	m.Cluster.NodeCount = len(m.Nodes)
	m.AddOns = addOns(s)
	m.CustomResources = crdGroups(s, n)
	m.Webhooks = webhooks(s, workloads(s))
	webhookWarnings(m.Webhooks, n)
	m.Cluster.OperatorsInferred = s.CRDs.Err == nil && s.Deployments.Err == nil && rbacErr == nil
	for _, g := range m.CustomResources {
		m.Cluster.CRDCount += len(g.CRDs)
	}
	m.APIGroups = apiGroups(s, m.CustomResources, s.CRDs.Err == nil, kb)
	aggregatedNotes(s, m.APIGroups, n)
	if s.CRDs.Err != nil {
		// Without the CRDs themselves the custom groups still show in discovery.
		for _, g := range m.APIGroups {
			if g.BuiltIn {
				continue
			}
			cg := CRDGroup{Group: g.Name}
			for _, res := range g.Resources {
				cg.CRDs = append(cg.CRDs, CRD{Name: res.Name + "." + g.Name, Kind: res.Kind, Plural: res.Name, Group: g.Name,
					Versions: g.Versions, Scope: scopeOf(res.Namespaced)})
			}
			m.CustomResources = append(m.CustomResources, cg)
			m.Cluster.CRDCount += len(cg.CRDs)
		}
	}
	m.Capacity, m.Findings = capacityAndFindings(s, active, m, n, now)
	m.Notes = n.list
	m.Warnings = append(m.Warnings, n.warnings...)
	return m
}

// capacityAndFindings builds the capacity report and the findings from the reads, saying in
// notes which reads were refused and what that leaves out.
func capacityAndFindings(s *read.Snapshot, active *activePods, m *Model, n *notes, now time.Time) (*CapacityReport, []Finding) {
	n.add("Pods in all namespaces", s.ActivePods.Err, "crash-looping and unschedulable Pods are not named and node requests are unknown")
	n.add("CertificateSigningRequests", s.CSRs.Err, "certificates issued through the API are not checked for expiry")
	var capNotes []string
	if s.Nodes.Err != nil {
		capNotes = append(capNotes, readNote("nodes", s.Nodes.Err, "allocatable resources, pools and kubelet versions are unknown; nodes are named from their Pods"))
	}
	if s.ActivePods.Err != nil {
		capNotes = append(capNotes, readNote("Pods in all namespaces", s.ActivePods.Err, "requests per node and the largest Pods are unknown"))
	}
	capacity := buildCapacity(s.Nodes.Value, active.usage, s.ActivePods.Err == nil, capNotes)
	findings := []Finding{}
	findings = append(findings, nodeFindings(s.Nodes.Value)...)
	findings = append(findings, active.findings...)
	findings = append(findings, deploymentFindings(s.Deployments.Value)...)
	findings = append(findings, webhookFindings(m.Webhooks)...)
	findings = append(findings, csrFindings(s.CSRs.Value, now)...)
	findings = append(findings, servingCertFindings(m.Cluster.Server, s.ServingCerts, now)...)
	sortFindings(findings)
	return capacity, findings
}

// readNote words a failed read like notes.add does, for documents with notes of their own.
func readNote(what string, err error, consequence string) string {
	n := &notes{}
	n.add(what, err, consequence)
	if len(n.list) == 0 {
		return ""
	}
	return n.list[0]
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func scopeOf(namespaced bool) string {
	if namespaced {
		return "Namespaced"
	}
	return "Cluster"
}

// parseChecks reads the "[+]name ok" / "[-]name failed" lines of a verbose health endpoint.
func parseChecks(endpoint string, body []byte) []Check {
	var out []Check
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if len(line) < 4 || line[0] != '[' || line[2] != ']' {
			continue
		}
		name := strings.Fields(line[3:])
		if len(name) == 0 {
			continue
		}
		out = append(out, Check{Endpoint: endpoint, Name: name[0], OK: line[1] == '+'})
	}
	return out
}

// controlPlaneLabels are the labels kubeadm and most installers put on static control-plane Pods.
var controlPlaneLabels = []string{"component", "k8s-app", "app.kubernetes.io/name", "tier"}

func podsOf(pods []corev1.Pod, name string) []PodRef {
	var out []PodRef
	for _, p := range pods {
		match := false
		for _, l := range controlPlaneLabels {
			if p.Labels[l] == name {
				match = true
			}
		}
		if !match && strings.HasPrefix(p.Name, name+"-") && p.Labels["tier"] == "control-plane" {
			match = true
		}
		if !match {
			continue
		}
		ref := PodRef{Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName, Phase: string(p.Status.Phase)}
		if len(p.Spec.Containers) > 0 {
			ref.Image = p.Spec.Containers[0].Image
		}
		out = append(out, ref)
	}
	return out
}

func controlPlane(s *read.Snapshot, kb *Knowledge, now time.Time) []Component {
	checks := append(parseChecks("readyz", s.Readyz.Value), parseChecks("livez", s.Livez.Value)...)
	leases := map[string]coordinationv1.Lease{}
	var identities []string
	for _, l := range s.Leases.Value {
		leases[l.Name] = l
		if l.Labels["apiserver.kubernetes.io/identity"] == "kube-apiserver" && l.Spec.HolderIdentity != nil {
			identities = append(identities, *l.Spec.HolderIdentity)
		}
	}
	sort.Strings(identities)
	newComp := func(name string) Component {
		e := kb.Component(name)
		return Component{Name: name, Summary: e.Summary, Seen: []string{}, Health: "unknown", TalksTo: e.TalksTo}
	}
	health := func(cs []Check) string {
		if len(cs) == 0 {
			return "unknown"
		}
		for _, c := range cs {
			if !c.OK {
				return "failing"
			}
		}
		return "ok"
	}
	leader := func(c *Component, lease string) {
		l, ok := leases[lease]
		if !ok || l.Spec.HolderIdentity == nil {
			return
		}
		c.Seen = append(c.Seen, "lease")
		c.Leader = &Leader{Lease: metav1.NamespaceSystem + "/" + lease, Holder: *l.Spec.HolderIdentity}
		if l.Spec.RenewTime != nil {
			c.Leader.RenewTime = l.Spec.RenewTime.UTC().Format(time.RFC3339)
		}
	}
	where := func(c *Component) {
		if len(c.Pods) > 0 {
			c.Seen = append(c.Seen, "pod")
			nodes := map[string]bool{}
			var list []string
			for _, p := range c.Pods {
				if p.Node != "" && !nodes[p.Node] {
					nodes[p.Node] = true
					list = append(list, p.Node)
				}
			}
			c.RunsOn = "Pod in kube-system on " + strings.Join(list, ", ")
			if len(list) == 0 {
				c.RunsOn = "Pod in kube-system"
			}
			return
		}
		if c.Leader != nil {
			host := c.Leader.Holder
			if i := strings.Index(host, "_"); i > 0 {
				host = host[:i]
			}
			c.RunsOn = "process on host " + host + ", not a Pod"
			return
		}
		if len(c.Seen) > 0 {
			c.RunsOn = "not visible from the API (managed or outside Pods)"
		}
	}

	var out []Component
	api := newComp("kube-apiserver")
	if s.Version.Value != nil {
		api.Seen = append(api.Seen, "version")
		api.Version = s.Version.Value.GitVersion
	}
	var apiChecks, etcdChecks []Check
	for _, c := range checks {
		if strings.HasPrefix(c.Name, "etcd") {
			etcdChecks = append(etcdChecks, c)
		} else {
			apiChecks = append(apiChecks, c)
		}
	}
	if len(apiChecks) > 0 {
		api.Seen = append(api.Seen, "readyz")
		api.Health = health(apiChecks)
	}
	api.Checks = summariseChecks(apiChecks)
	if len(identities) > 0 {
		api.Seen = append(api.Seen, "lease")
		api.Leader = nil
	}
	api.Pods = podsOf(s.SystemPods.Value, "kube-apiserver")
	where(&api)
	if api.RunsOn == "" || strings.HasPrefix(api.RunsOn, "not visible") {
		if len(identities) > 0 {
			api.RunsOn = fmt.Sprintf("%d instance(s), outside Pods", len(identities))
			api.Instances = identities
		} else if len(api.Pods) == 0 {
			api.RunsOn = "not visible from the API (managed or outside Pods)"
		}
	}
	out = append(out, api)

	etcd := newComp("etcd")
	etcd.Pods = podsOf(s.SystemPods.Value, "etcd")
	if len(etcdChecks) > 0 {
		etcd.Seen = append(etcd.Seen, "readyz")
		etcd.Health = health(etcdChecks)
		etcd.Checks = etcdChecks
	}
	where(&etcd)
	if len(etcd.Pods) == 0 && len(etcdChecks) > 0 {
		etcd.RunsOn = "not a Pod; seen via /readyz"
	}
	if len(etcd.Seen) == 0 {
		etcd.RunsOn = "not visible (the API server hides it)"
	}
	out = append(out, etcd)

	for _, name := range []string{"kube-scheduler", "kube-controller-manager", "cloud-controller-manager"} {
		c := newComp(name)
		leader(&c, name)
		c.Pods = podsOf(s.SystemPods.Value, name)
		where(&c)
		if name == "cloud-controller-manager" && len(c.Seen) == 0 {
			continue
		}
		if c.Leader != nil || len(c.Pods) > 0 {
			c.Health = podHealth(c.Pods, c.Leader, now)
		}
		if len(c.Seen) == 0 {
			c.RunsOn = "not visible (no Pod or leader Lease readable)"
		}
		out = append(out, c)
	}
	return out
}

// summariseChecks keeps failing checks and a few key ones; /readyz lists dozens of
// post-start hooks that say little to a reader.
func summariseChecks(cs []Check) []Check {
	var out []Check
	for _, c := range cs {
		if !c.OK || c.Name == "ping" || c.Name == "log" || c.Name == "informer-sync" || c.Name == "shutdown" {
			out = append(out, c)
		}
	}
	return out
}

// podHealth judges a component from its Pods' phase or its Lease's freshness.
func podHealth(pods []PodRef, l *Leader, now time.Time) string {
	for _, p := range pods {
		if p.Phase != "" && p.Phase != string(corev1.PodRunning) {
			return "failing"
		}
	}
	if l != nil && l.RenewTime != "" {
		t, err := time.Parse(time.RFC3339, l.RenewTime)
		if err == nil && now.Sub(t) > 2*time.Minute {
			return "failing"
		}
	}
	return "ok"
}

func nodes(items []corev1.Node) []Node {
	out := []Node{}
	for _, n := range items {
		node := Node{Name: n.Name, Roles: []string{}, KubeletVersion: n.Status.NodeInfo.KubeletVersion,
			OS: n.Status.NodeInfo.OperatingSystem, OSImage: n.Status.NodeInfo.OSImage, KernelVersion: n.Status.NodeInfo.KernelVersion,
			Architecture: n.Status.NodeInfo.Architecture, PodCIDR: n.Spec.PodCIDR,
			Conditions: []NodeCondition{}, Capacity: map[string]string{}, Allocatable: map[string]string{}}
		rt := n.Status.NodeInfo.ContainerRuntimeVersion
		if i := strings.Index(rt, "://"); i >= 0 {
			node.ContainerRuntime, node.RuntimeVersion = rt[:i], rt[i+3:]
		} else {
			node.ContainerRuntime = rt
		}
		for l := range n.Labels {
			if role, ok := strings.CutPrefix(l, "node-role.kubernetes.io/"); ok && role != "" {
				node.Roles = append(node.Roles, role)
			}
		}
		sort.Strings(node.Roles)
		for _, c := range n.Status.Conditions {
			node.Conditions = append(node.Conditions, NodeCondition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason})
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				node.Ready = true
			}
		}
		for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods, corev1.ResourceEphemeralStorage} {
			if q, ok := n.Status.Capacity[k]; ok {
				node.Capacity[string(k)] = q.String()
			}
			if q, ok := n.Status.Allocatable[k]; ok {
				node.Allocatable[string(k)] = q.String()
			}
		}
		out = append(out, node)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// cniNames are DaemonSets of the common network plugins.
var cniNames = []string{"calico", "cilium", "flannel", "weave", "kindnet", "canal", "antrea", "kube-router", "aws-node", "azure-cni", "multus"}

func classifyAddOn(name string, labels map[string]string) string {
	l := strings.ToLower(name + " " + labels["k8s-app"] + " " + labels["app.kubernetes.io/name"] + " " + labels["app"])
	switch {
	case strings.Contains(l, "coredns") || strings.Contains(l, "kube-dns"):
		return "coredns"
	case strings.Contains(l, "kube-proxy"):
		return "kube-proxy"
	case strings.Contains(l, "metrics-server"):
		return "metrics-server"
	}
	for _, c := range cniNames {
		if strings.Contains(l, c) {
			return "cni"
		}
	}
	return "add-on"
}

func image(spec corev1.PodSpec) string {
	if len(spec.Containers) == 0 {
		return ""
	}
	return spec.Containers[0].Image
}

func addOns(s *read.Snapshot) []AddOn {
	out := []AddOn{}
	for _, d := range s.Deployments.Value {
		if d.Namespace != metav1.NamespaceSystem {
			continue
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		out = append(out, AddOn{Name: d.Name, Component: classifyAddOn(d.Name, d.Spec.Template.Labels), Kind: "Deployment",
			Namespace: d.Namespace, Ready: fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, want), Image: image(d.Spec.Template.Spec)})
	}
	for _, d := range s.DaemonSets.Value {
		c := classifyAddOn(d.Name, d.Spec.Template.Labels)
		if d.Namespace != metav1.NamespaceSystem && c == "add-on" {
			continue
		}
		a := AddOn{Name: d.Name, Component: c, Kind: "DaemonSet", Namespace: d.Namespace,
			Ready: fmt.Sprintf("%d/%d", d.Status.NumberReady, d.Status.DesiredNumberScheduled), Image: image(d.Spec.Template.Spec)}
		if c == "kube-proxy" {
			a.Mode = proxyMode(s.KubeProxyConfig.Value)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name })
	return out
}

// proxyMode reads kube-proxy's mode from its kubeadm-style ConfigMap; empty means the
// default (iptables on Linux).
func proxyMode(cm *corev1.ConfigMap) string {
	if cm == nil {
		return ""
	}
	for _, v := range cm.Data {
		for _, line := range strings.Split(v, "\n") {
			if mode, ok := strings.CutPrefix(strings.TrimSpace(line), "mode:"); ok {
				mode = strings.Trim(strings.TrimSpace(mode), `"'`)
				if mode == "" {
					return "iptables (default)"
				}
				return mode
			}
		}
	}
	return ""
}

// knownBuiltIn lists groups served by the API server itself that do not end in .k8s.io.
var knownBuiltIn = map[string]bool{"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true, "extensions": true}

func apiGroups(s *read.Snapshot, crds []CRDGroup, crdsKnown bool, kb *Knowledge) []APIGroup {
	custom := map[string]bool{}
	for _, g := range crds {
		custom[g.Group] = true
	}
	byGV := map[string]*metav1.APIResourceList{}
	for _, l := range s.Discovery.Value.Resources {
		if l != nil {
			byGV[l.GroupVersion] = l
		}
	}
	aggregated := aggregatedAPIs(s.APIServices.Value)
	out := []APIGroup{}
	for _, g := range s.Discovery.Value.Groups {
		if g == nil {
			continue
		}
		ag := APIGroup{Name: g.Name, PreferredVersion: g.PreferredVersion.Version, Versions: []string{}, Resources: []Resource{}}
		for _, v := range g.Versions {
			ag.Versions = append(ag.Versions, v.Version)
		}
		if ag.PreferredVersion == "" && len(ag.Versions) > 0 {
			ag.PreferredVersion = ag.Versions[0]
		}
		ag.BuiltIn = builtInByName(g.Name, kb) && !(crdsKnown && custom[g.Name])
		ag.Aggregated = aggregated[g.Name]
		delete(aggregated, g.Name)
		ag.Description = kb.GroupDescription(g.Name)
		switch {
		case ag.Description != "" || ag.BuiltIn:
		case ag.Aggregated != nil:
			ag.Description = ag.Aggregated.description()
		default:
			ag.Description = "Custom resources, added by CustomResourceDefinitions."
		}
		gv := schema.GroupVersion{Group: g.Name, Version: ag.PreferredVersion}.String()
		if l := byGV[gv]; l != nil {
			for _, res := range l.APIResources {
				if strings.Contains(res.Name, "/") {
					continue
				}
				verbs := append([]string{}, res.Verbs...)
				sort.Strings(verbs)
				ag.Resources = append(ag.Resources, Resource{Name: res.Name, Kind: res.Kind, Group: g.Name, Version: ag.PreferredVersion,
					Namespaced: res.Namespaced, ShortNames: res.ShortNames, Verbs: verbs, Categories: res.Categories})
			}
		}
		sort.Slice(ag.Resources, func(i, j int) bool { return ag.Resources[i].Name < ag.Resources[j].Name })
		out = append(out, ag)
	}
	// An extension API server that does not answer can leave its group out of discovery; its
	// APIService still says the group exists and who should serve it.
	for name, a := range aggregated {
		ag := APIGroup{Name: name, Versions: a.Versions, Resources: []Resource{}, Aggregated: a, BuiltIn: builtInByName(name, kb)}
		if len(a.Versions) > 0 {
			ag.PreferredVersion = a.Versions[0]
		}
		ag.Description = kb.GroupDescription(name)
		if ag.Description == "" {
			ag.Description = a.description()
		}
		out = append(out, ag)
	}
	// Core first, then built-in groups, then custom, each alphabetical, as a reader scans them.
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Name == "") != (out[j].Name == "") {
			return out[i].Name == ""
		}
		if out[i].BuiltIn != out[j].BuiltIn {
			return out[i].BuiltIn
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// aggregatedAPIs reads the APIServices that point at a Service, by group. APIServices
// without one are kube-apiserver's own groups. Versions keep the APIServices' priority
// order; a group is available only when all its versions are.
func aggregatedAPIs(items []unstructured.Unstructured) map[string]*AggregatedAPI {
	type version struct {
		name     string
		priority int64
	}
	out := map[string]*AggregatedAPI{}
	versions := map[string][]version{}
	for _, it := range items {
		ns, _, _ := unstructured.NestedString(it.Object, "spec", "service", "namespace")
		name, _, _ := unstructured.NestedString(it.Object, "spec", "service", "name")
		if name == "" {
			continue
		}
		group, _, _ := unstructured.NestedString(it.Object, "spec", "group")
		v, _, _ := unstructured.NestedString(it.Object, "spec", "version")
		prio, _, _ := unstructured.NestedInt64(it.Object, "spec", "versionPriority")
		a := out[group]
		if a == nil {
			a = &AggregatedAPI{Service: ns + "/" + name, Available: true}
			out[group] = a
		}
		versions[group] = append(versions[group], version{v, prio})
		available, reason, message := apiServiceAvailable(it)
		if !available && a.Available {
			a.Available, a.Reason, a.Message = false, reason, message
		}
	}
	for group, vs := range versions {
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].priority > vs[j].priority })
		for _, v := range vs {
			out[group].Versions = append(out[group].Versions, v.name)
		}
	}
	return out
}

// description is the one-line explanation of a group nobody else describes.
func (a *AggregatedAPI) description() string {
	return "Served by an extension API server behind Service " + a.Service + "."
}

func apiServiceAvailable(it unstructured.Unstructured) (bool, string, string) {
	conds, _, _ := unstructured.NestedSlice(it.Object, "status", "conditions")
	for _, c := range conds {
		cm, ok := c.(map[string]any)
		if !ok || cm["type"] != "Available" {
			continue
		}
		reason, _ := cm["reason"].(string)
		message, _ := cm["message"].(string)
		return cm["status"] == "True", reason, message
	}
	return false, "NoStatus", "the API server has not reported on it yet"
}

// aggregatedNotes explains incomplete discovery: most often an extension API server that
// does not answer, which every client that reads discovery then complains about.
func aggregatedNotes(s *read.Snapshot, groups []APIGroup, n *notes) {
	n.add("APIServices", s.APIServices.Err, "groups served by extension API servers are not told apart from the others")
	down := false
	for _, g := range groups {
		a := g.Aggregated
		if a == nil || a.Available {
			continue
		}
		down = true
		n.warnings = append(n.warnings, fmt.Sprintf("The extension API server for %s (Service %s) is not available (%s: %s). Clients that read API discovery, kubectl among them, report errors for this group until it answers or its APIService is deleted.",
			g.Name, a.Service, a.Reason, strings.TrimSuffix(a.Message, ".")))
	}
	if s.Discovery.Err != nil && !down {
		n.list = append(n.list, fmt.Sprintf("API discovery was incomplete (%v); some groups may be missing.", shortErr(s.Discovery.Err)))
	}
}

// discoveryIsStale says whether a CRD serves a group version that discovery lacks, or
// discovery lists a group that nothing serves any more: not the API server itself (by name),
// not a CRD and not an extension API server.
func discoveryIsStale(s *read.Snapshot, kb *Knowledge) bool {
	discovered := map[string]bool{}
	for _, g := range s.Discovery.Value.Groups {
		if g == nil {
			continue
		}
		for _, v := range g.Versions {
			discovered[v.GroupVersion] = true
		}
	}
	fromCRDs := map[string]bool{}
	for _, c := range s.CRDs.Value {
		group, _, _ := unstructured.NestedString(c.Object, "spec", "group")
		fromCRDs[group] = true
		versions, _, _ := unstructured.NestedSlice(c.Object, "spec", "versions")
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			name, _ := vm["name"].(string)
			if served, _ := vm["served"].(bool); served && name != "" && !discovered[group+"/"+name] {
				return true
			}
		}
	}
	if s.APIServices.Err != nil {
		return false
	}
	aggregated := aggregatedAPIs(s.APIServices.Value)
	for _, g := range s.Discovery.Value.Groups {
		if g != nil && !fromCRDs[g.Name] && aggregated[g.Name] == nil && !builtInByName(g.Name, kb) {
			return true
		}
	}
	return false
}

// builtInByName tells kube-apiserver's own groups by their names: the core group, the few
// without a domain, everything under .k8s.io, and the groups the knowledge base describes.
func builtInByName(name string, kb *Knowledge) bool {
	return knownBuiltIn[name] || strings.HasSuffix(name, ".k8s.io") || kb.Groups[name] != ""
}
