package arch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

func nodes(items []corev1.Node) []Node {
	out := []Node{}
	for _, n := range items {
		node := Node{Name: n.Name, Roles: []string{}, KubeletVersion: n.Status.NodeInfo.KubeletVersion,
			OS: n.Status.NodeInfo.OperatingSystem, OSImage: n.Status.NodeInfo.OSImage, KernelVersion: n.Status.NodeInfo.KernelVersion,
			Architecture: n.Status.NodeInfo.Architecture, PodCIDR: n.Spec.PodCIDR, Pool: poolName(poolKey(&n)),
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
