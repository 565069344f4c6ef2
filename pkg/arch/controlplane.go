package arch

import (
	"fmt"
	"sort"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

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
