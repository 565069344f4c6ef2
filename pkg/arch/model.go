// Package arch is the architecture model of a cluster (control plane, nodes, add-ons, API
// groups, custom resources and their operators) and what is inferred from it: operators,
// webhooks and who answers them, findings and capacity. It holds the knowledge base that
// explains each part. Package read does the reading and package present the writing; Load
// ties a kubeconfig to both ends.
package arch

import (
	"slices"
	"strings"
)

// SchemaVersion is bumped when a field of the JSON/YAML model changes meaning or is removed,
// so scripts can tell which shape they read.
const SchemaVersion = "arch.kubectl-katib.io/v1"

// Model is the architecture of one cluster. Field names are part of the -o json|yaml contract.
type Model struct {
	APIVersion      string      `json:"apiVersion"`
	Kind            string      `json:"kind"`
	Offline         bool        `json:"offline"`
	Cluster         Cluster     `json:"cluster"`
	ControlPlane    []Component `json:"controlPlane"`
	Nodes           []Node      `json:"nodes"`
	AddOns          []AddOn     `json:"addOns"`
	APIGroups       []APIGroup  `json:"apiGroups"`
	CustomResources []CRDGroup  `json:"customResources"`
	// Webhooks are the admission webhooks kube-apiserver calls on writes.
	Webhooks []Webhook `json:"webhooks"`
	// Warnings name problems the reads revealed that break part of the cluster, such as an
	// extension API server that does not answer or a webhook with no ready Pod.
	Warnings []string `json:"warnings"`
	// Notes say what could not be read or inferred, so a partial view is never silent.
	Notes []string `json:"notes"`
	// Findings name each object that is broken or about to break, with a one-line reason:
	// NotReady nodes, crash-looping and unschedulable Pods, Deployments short of replicas,
	// webhooks without ready Pods and expiring certificates. Errors come first.
	Findings []Finding `json:"findings"`
	// Capacity is what each node can give Pods against what its Pods request; nil offline.
	Capacity *CapacityReport `json:"capacity,omitempty"`
	// ReadAt is set when the model was reused from the short-lived cache: when it was read.
	ReadAt string `json:"readAt,omitempty"`
}

// Cluster names the cluster and its version.
type Cluster struct {
	Server    string `json:"server,omitempty"`
	Context   string `json:"context,omitempty"`
	Version   string `json:"version,omitempty"`
	Platform  string `json:"platform,omitempty"`
	NodeCount int    `json:"nodeCount"`
	CRDCount  int    `json:"crdCount"`
	// ControlPlaneVisible is false when no control-plane Pod is visible, as on managed
	// clusters and on clusters that run the control plane as plain processes.
	ControlPlaneVisible bool `json:"controlPlaneVisible"`
	// OperatorsInferred is false when Deployments or RBAC could not be read, so an
	// "unknown" operator means "not found" only when it is true.
	OperatorsInferred bool `json:"operatorsInferred"`
}

// Component is one control-plane part with the facts found about it.
type Component struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	// Seen says where the component was found: "pod", "lease", "readyz", "version".
	Seen    []string `json:"seen"`
	Version string   `json:"version,omitempty"`
	// Health is "ok", "failing" or "unknown".
	Health string   `json:"health"`
	Checks []Check  `json:"checks,omitempty"`
	Leader *Leader  `json:"leader,omitempty"`
	Pods   []PodRef `json:"pods,omitempty"`
	RunsOn string   `json:"runsOn,omitempty"`
	// Instances are the API server identities from their Leases (one per running replica).
	Instances []string `json:"instances,omitempty"`
	TalksTo   []string `json:"talksTo,omitempty"`
}

// Check is one named health check of /readyz or /livez.
type Check struct {
	Endpoint string `json:"endpoint"`
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
}

// Leader is the holder of a leader-election Lease.
type Leader struct {
	Lease     string `json:"lease"`
	Holder    string `json:"holder"`
	RenewTime string `json:"renewTime,omitempty"`
}

// PodRef is a Pod that runs a component.
type PodRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Node      string `json:"node,omitempty"`
	Phase     string `json:"phase,omitempty"`
	Image     string `json:"image,omitempty"`
}

// Node is one node with its agent and runtime.
type Node struct {
	Name             string   `json:"name"`
	Roles            []string `json:"roles"`
	Ready            bool     `json:"ready"`
	KubeletVersion   string   `json:"kubeletVersion"`
	ContainerRuntime string   `json:"containerRuntime"`
	RuntimeVersion   string   `json:"runtimeVersion"`
	KubeProxyVersion string   `json:"kubeProxyVersion,omitempty"`
	OS               string   `json:"os"`
	OSImage          string   `json:"osImage"`
	KernelVersion    string   `json:"kernelVersion"`
	Architecture     string   `json:"architecture"`
	// Pool names the group of alike nodes this one belongs to (platform pool label, instance
	// type, roles, kubelet version), as explain nodes groups them.
	Pool        string            `json:"pool"`
	PodCIDR     string            `json:"podCIDR,omitempty"`
	Conditions  []NodeCondition   `json:"conditions"`
	Capacity    map[string]string `json:"capacity"`
	Allocatable map[string]string `json:"allocatable"`
}

// NodeCondition is a node condition as reported by its kubelet.
type NodeCondition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// AddOn is a cluster service that runs as a workload, usually in kube-system.
type AddOn struct {
	Name      string `json:"name"`
	Component string `json:"component"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Ready     string `json:"ready"`
	Image     string `json:"image,omitempty"`
	Mode      string `json:"mode,omitempty"`
}

// APIGroup is one group of the API with its resources.
type APIGroup struct {
	Name             string     `json:"name"`
	PreferredVersion string     `json:"preferredVersion"`
	Versions         []string   `json:"versions"`
	BuiltIn          bool       `json:"builtIn"`
	Description      string     `json:"description"`
	Resources        []Resource `json:"resources"`
	// Aggregated is set when kube-apiserver forwards the group to an extension API server.
	Aggregated *AggregatedAPI `json:"aggregated,omitempty"`
}

// Webhook is one admission webhook: what it intercepts and who answers it.
type Webhook struct {
	Name string `json:"name"`
	// Kind is "mutating" or "validating".
	Kind          string `json:"kind"`
	Configuration string `json:"configuration"`
	// Service is namespace/name of the Service that answers; URL is set instead for a
	// webhook outside the cluster.
	Service string `json:"service,omitempty"`
	URL     string `json:"url,omitempty"`
	// Intercepts summarises the rules: "CREATE,UPDATE deployments.apps".
	Intercepts []string      `json:"intercepts"`
	Rules      []WebhookRule `json:"rules"`
	// FailurePolicy is Fail (writes are refused when the webhook cannot answer) or Ignore.
	FailurePolicy  string `json:"failurePolicy"`
	TimeoutSeconds int32  `json:"timeoutSeconds"`
	// ServedBy is the workload behind the Service, when its Pods could be matched, and
	// Ready its ready Pods out of those it wants ("1/1").
	ServedBy string `json:"servedBy,omitempty"`
	Ready    string `json:"ready,omitempty"`
}

// Down reports a webhook whose workload has no ready Pod: kube-apiserver cannot reach it.
func (w Webhook) Down() bool { return strings.HasPrefix(w.Ready, "0/") }

// Answerer names who answers the webhook, as the findings and the text say it.
func (w Webhook) Answerer() string {
	switch {
	case w.ServedBy != "":
		return w.ServedBy + " (Service " + w.Service + ")"
	case w.Service != "":
		return "Service " + w.Service
	}
	return "a URL outside the cluster"
}

// WebhookRule is one rule of a webhook: the operations on the resources of the groups it
// is called for ("*" for any).
type WebhookRule struct {
	Operations []string `json:"operations"`
	APIGroups  []string `json:"apiGroups"`
	Resources  []string `json:"resources"`
}

// Covers reports whether the rule is called for some write to plural.group.
func (r WebhookRule) Covers(group, plural string) bool {
	if !slices.Contains(r.APIGroups, "*") && !slices.Contains(r.APIGroups, group) {
		return false
	}
	for _, res := range r.Resources {
		if res == "*" || res == "*/*" || res == plural || strings.HasPrefix(res, plural+"/") {
			return true
		}
	}
	return false
}

// AggregatedAPI is what the group's APIService objects say: which Service answers it and
// whether kube-apiserver can reach it.
type AggregatedAPI struct {
	// Service is namespace/name of the Service in front of the extension API server.
	Service   string   `json:"service"`
	Versions  []string `json:"versions"`
	Available bool     `json:"available"`
	// Reason and Message come from an APIService that is not Available.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Resource is one resource of a group's preferred version.
type Resource struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Group      string   `json:"group"`
	Version    string   `json:"version"`
	Namespaced bool     `json:"namespaced"`
	ShortNames []string `json:"shortNames,omitempty"`
	Verbs      []string `json:"verbs"`
	Categories []string `json:"categories,omitempty"`
}

// CRDGroup is the custom resources of one API group.
type CRDGroup struct {
	Group string `json:"group"`
	CRDs  []CRD  `json:"crds"`
}

// CRD is one CustomResourceDefinition and what serves it.
type CRD struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Plural   string   `json:"plural"`
	Group    string   `json:"group"`
	Versions []string `json:"versions"`
	Scope    string   `json:"scope"`
	// Operator is the best guess; nil when nothing points to one ("unknown").
	Operator *Operator `json:"operator"`
	// Candidates are the other workloads with some evidence, weakest last.
	Candidates []Operator `json:"candidates,omitempty"`
}

// Operator is a workload believed to reconcile a CRD, with the evidence for it.
type Operator struct {
	Kind           string   `json:"kind"`
	Namespace      string   `json:"namespace"`
	Name           string   `json:"name"`
	ServiceAccount string   `json:"serviceAccount,omitempty"`
	Evidence       []string `json:"evidence"`
	Score          int      `json:"score"`
}

// Ref is "namespace/name" of the operator's workload.
func (o *Operator) Ref() string { return o.Namespace + "/" + o.Name }

// Component returns the named control-plane component, or nil.
func (m *Model) Component(name string) *Component {
	for i := range m.ControlPlane {
		if m.ControlPlane[i].Name == name {
			return &m.ControlPlane[i]
		}
	}
	return nil
}

// FindCRD returns the CRD whose name is plural.group, or nil.
func (m *Model) FindCRD(name string) *CRD {
	for gi := range m.CustomResources {
		for ci := range m.CustomResources[gi].CRDs {
			if m.CustomResources[gi].CRDs[ci].Name == name {
				return &m.CustomResources[gi].CRDs[ci]
			}
		}
	}
	return nil
}
