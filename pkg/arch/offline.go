package arch

// Offline is the generic architecture every cluster shares, built from the knowledge base
// alone, for learning without a cluster.
func Offline() *Model {
	kb := KB()
	m := &Model{APIVersion: SchemaVersion, Kind: "Architecture", Offline: true, ControlPlane: []Component{},
		Nodes: []Node{}, AddOns: []AddOn{}, APIGroups: []APIGroup{}, CustomResources: []CRDGroup{}, Webhooks: []Webhook{}, Warnings: []string{}, Notes: []string{}, Findings: []Finding{}}
	for _, name := range []string{"kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager", "cloud-controller-manager"} {
		e := kb.Component(name)
		m.ControlPlane = append(m.ControlPlane, Component{Name: name, Summary: e.Summary, Seen: []string{}, Health: "", TalksTo: e.TalksTo})
	}
	m.Nodes = append(m.Nodes, Node{Name: "worker-1", Roles: []string{}, Ready: true, KubeletVersion: "vX.Y.Z",
		ContainerRuntime: "containerd", RuntimeVersion: "(or CRI-O)", OS: "linux", Architecture: "amd64", OSImage: "any Linux distribution",
		KernelVersion: "any", Conditions: []NodeCondition{}, Capacity: map[string]string{}, Allocatable: map[string]string{}})
	m.AddOns = append(m.AddOns,
		AddOn{Name: "kube-proxy", Component: "kube-proxy", Kind: "DaemonSet", Namespace: "kube-system", Ready: "1/1"},
		AddOn{Name: "cni-plugin", Component: "cni", Kind: "DaemonSet", Namespace: "kube-system", Ready: "1/1"},
		AddOn{Name: "coredns", Component: "coredns", Kind: "Deployment", Namespace: "kube-system", Ready: "2/2"},
	)
	for _, name := range []string{"", "apps", "batch", "rbac.authorization.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io"} {
		m.APIGroups = append(m.APIGroups, APIGroup{Name: name, Versions: []string{}, BuiltIn: true, Description: kb.GroupDescription(name), Resources: []Resource{}})
	}
	m.CustomResources = append(m.CustomResources, CRDGroup{Group: "example.com", CRDs: []CRD{{
		Name: "widgets.example.com", Kind: "Widget", Plural: "widgets", Group: "example.com", Versions: []string{"v1"}, Scope: "Namespaced",
		Operator: &Operator{Kind: "Deployment", Namespace: "widget-system", Name: "widget-operator", Evidence: []string{"an example: an operator is a controller for its own kind"}},
	}}})
	m.Webhooks = append(m.Webhooks, Webhook{Name: "validate.widgets.example.com", Kind: "validating", Configuration: "widget-operator",
		Service: "widget-system/widget-webhook", Intercepts: []string{"CREATE,UPDATE widgets.example.com"}, FailurePolicy: "Fail",
		TimeoutSeconds: 10, ServedBy: "deployment widget-system/widget-operator"})
	m.Cluster.NodeCount = 1
	m.Cluster.CRDCount = 1
	m.Cluster.OperatorsInferred = true
	return m
}
