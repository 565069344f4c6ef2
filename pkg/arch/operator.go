package arch

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

// Evidence weights: serving a CRD's conversion webhook is near proof; serving an admission
// webhook for exactly that resource is almost as telling (operators validate and default
// their own kinds); RBAC that names the exact resource is strong; grants or webhooks that
// cover every resource of the group are weaker; shared labels only hint. Grants and
// webhooks on every group ("*") are ignored: cluster-admin-like accounts and policy engines
// touch everything, so they say nothing about who owns a kind.
const (
	scoreWebhook            = 50
	scoreAdmissionExact     = 40
	scoreRBACExact          = 30
	scoreAdmissionGroupWide = 20
	scoreRBACGroupWide      = 15
	scoreLabel              = 10
)

var writeVerbs = map[string]bool{"*": true, "create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// ownershipLabels are the labels installers put on everything of one product; managed-by
// and version labels are shared by unrelated things and are left out.
var ownershipLabels = []string{"app.kubernetes.io/part-of", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app", "release"}

// replicas reads a spec's replica count, which the API server defaults to 1.
func replicas(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}

// workloadsBehind lists the workloads in namespace ns whose Pods the Service ns/name selects.
func workloadsBehind(s *read.Snapshot, ws []workload, ns, name string) []*workload {
	svc := s.WebhookServices[ns+"/"+name].Value
	if svc == nil || len(svc.Spec.Selector) == 0 {
		return nil
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var out []*workload
	for i := range ws {
		if ws[i].namespace == ns && sel.Matches(labels.Set(ws[i].podLabels)) {
			out = append(out, &ws[i])
		}
	}
	return out
}

// admissionHook is one validating or mutating webhook, flattened.
type admissionHook struct {
	kind, config, name string
	service            *admissionregistrationv1.ServiceReference
	url                *string
	rules              []admissionregistrationv1.RuleWithOperations
	failurePolicy      *admissionregistrationv1.FailurePolicyType
	timeoutSeconds     *int32
}

// admissionHooks lists mutating webhooks first, as kube-apiserver calls them.
func admissionHooks(s *read.Snapshot) []admissionHook {
	var out []admissionHook
	for _, c := range s.MutatingWebhooks.Value {
		for _, w := range c.Webhooks {
			out = append(out, admissionHook{kind: "mutating", config: c.Name, name: w.Name, service: w.ClientConfig.Service,
				url: w.ClientConfig.URL, rules: w.Rules, failurePolicy: w.FailurePolicy, timeoutSeconds: w.TimeoutSeconds})
		}
	}
	for _, c := range s.ValidatingWebhooks.Value {
		for _, w := range c.Webhooks {
			out = append(out, admissionHook{kind: "validating", config: c.Name, name: w.Name, service: w.ClientConfig.Service,
				url: w.ClientConfig.URL, rules: w.Rules, failurePolicy: w.FailurePolicy, timeoutSeconds: w.TimeoutSeconds})
		}
	}
	return out
}

// admissionScore says how specifically a webhook rule covers plural.group.
func admissionScore(rule admissionregistrationv1.RuleWithOperations, group, plural string) int {
	if !slices.Contains(rule.APIGroups, group) {
		return 0
	}
	for _, res := range rule.Resources {
		if res == plural || res == plural+"/*" || strings.HasPrefix(res, plural+"/") {
			return scoreAdmissionExact
		}
	}
	if slices.Contains(rule.Resources, "*") || slices.Contains(rule.Resources, "*/*") {
		return scoreAdmissionGroupWide
	}
	return 0
}

// workload is what an operator runs as: a Deployment, StatefulSet or DaemonSet.
type workload struct {
	kind, namespace, name, serviceAccount string
	labels, podLabels                     map[string]string
	// ready and wanted count the workload's Pods, as kubectl get shows them.
	ready, wanted int32
}

func workloads(s *read.Snapshot) []workload {
	var out []workload
	add := func(kind string, meta metav1.ObjectMeta, tmpl corev1.PodTemplateSpec, ready, wanted int32) {
		sa := tmpl.Spec.ServiceAccountName
		if sa == "" {
			sa = "default"
		}
		out = append(out, workload{kind: kind, namespace: meta.Namespace, name: meta.Name, serviceAccount: sa, labels: meta.Labels,
			podLabels: tmpl.Labels, ready: ready, wanted: wanted})
	}
	for _, d := range s.Deployments.Value {
		add("Deployment", d.ObjectMeta, d.Spec.Template, d.Status.ReadyReplicas, replicas(d.Spec.Replicas))
	}
	for _, st := range s.StatefulSets.Value {
		add("StatefulSet", st.ObjectMeta, st.Spec.Template, st.Status.ReadyReplicas, replicas(st.Spec.Replicas))
	}
	for _, d := range s.DaemonSets.Value {
		add("DaemonSet", d.ObjectMeta, d.Spec.Template, d.Status.NumberReady, d.Status.DesiredNumberScheduled)
	}
	return out
}

type grant struct {
	sa, via string
	rule    rbacv1.PolicyRule
	ns      string // "" for cluster-wide grants
}

// grants lists, per ServiceAccount "ns/name", the rules its bindings give it.
func grants(s *read.Snapshot) map[string][]grant {
	clusterRoles := map[string]rbacv1.ClusterRole{}
	for _, cr := range s.ClusterRoles.Value {
		clusterRoles[cr.Name] = cr
	}
	roles := map[string]rbacv1.Role{}
	for _, ro := range s.Roles.Value {
		roles[ro.Namespace+"/"+ro.Name] = ro
	}
	out := map[string][]grant{}
	addSubjects := func(subjects []rbacv1.Subject, bindingNS string, rules []rbacv1.PolicyRule, via, scope string) {
		for _, sub := range subjects {
			if sub.Kind != rbacv1.ServiceAccountKind {
				continue
			}
			ns := sub.Namespace
			if ns == "" {
				ns = bindingNS
			}
			key := ns + "/" + sub.Name
			for _, rule := range rules {
				out[key] = append(out[key], grant{sa: key, via: via, rule: rule, ns: scope})
			}
		}
	}
	for _, b := range s.ClusterRoleBindings.Value {
		if cr, ok := clusterRoles[b.RoleRef.Name]; ok && b.RoleRef.Kind == "ClusterRole" {
			addSubjects(b.Subjects, "", cr.Rules, fmt.Sprintf("ClusterRole %s (ClusterRoleBinding %s)", cr.Name, b.Name), "")
		}
	}
	for _, b := range s.RoleBindings.Value {
		var rules []rbacv1.PolicyRule
		var via string
		switch b.RoleRef.Kind {
		case "ClusterRole":
			cr, ok := clusterRoles[b.RoleRef.Name]
			if !ok {
				continue
			}
			rules, via = cr.Rules, fmt.Sprintf("ClusterRole %s (RoleBinding %s/%s)", cr.Name, b.Namespace, b.Name)
		case "Role":
			ro, ok := roles[b.Namespace+"/"+b.RoleRef.Name]
			if !ok {
				continue
			}
			rules, via = ro.Rules, fmt.Sprintf("Role %s/%s (RoleBinding %s/%s)", ro.Namespace, ro.Name, b.Namespace, b.Name)
		}
		addSubjects(b.Subjects, b.Namespace, rules, via, b.Namespace)
	}
	return out
}

// rbacScore says how specifically a rule lets its holder write plural.group.
func rbacScore(rule rbacv1.PolicyRule, group, plural string) (int, []string) {
	if len(rule.NonResourceURLs) > 0 || !slices.Contains(rule.APIGroups, group) {
		return 0, nil
	}
	var verbs []string
	for _, v := range rule.Verbs {
		if writeVerbs[v] {
			verbs = append(verbs, v)
		}
	}
	if len(verbs) == 0 {
		return 0, nil
	}
	for _, res := range rule.Resources {
		if res == plural || res == plural+"/status" {
			return scoreRBACExact, verbs
		}
	}
	if slices.Contains(rule.Resources, "*") {
		return scoreRBACGroupWide, verbs
	}
	return 0, nil
}

type candidate struct {
	op    Operator
	score int
}

// inferOperator ranks the workloads that may reconcile a CRD.
func inferOperator(crd unstructured.Unstructured, group, plural string, s *read.Snapshot, g map[string][]grant, ws []workload) (*Operator, []Operator) {
	cands := map[string]*candidate{}
	get := func(w *workload) *candidate {
		key := w.kind + " " + w.namespace + "/" + w.name
		c, ok := cands[key]
		if !ok {
			c = &candidate{op: Operator{Kind: w.kind, Namespace: w.namespace, Name: w.name, ServiceAccount: w.serviceAccount, Evidence: []string{}}}
			cands[key] = c
		}
		return c
	}
	behind := func(ns, name string) []*workload { return workloadsBehind(s, ws, ns, name) }
	// RBAC: the workload's ServiceAccount may write the resource.
	for i := range ws {
		w := &ws[i]
		best, bestVerbs, bestVia := 0, []string(nil), ""
		for _, gr := range g[w.namespace+"/"+w.serviceAccount] {
			score, verbs := rbacScore(gr.rule, group, plural)
			if score > best {
				best, bestVerbs, bestVia = score, verbs, gr.via
			}
		}
		if best > 0 {
			c := get(w)
			c.score += best
			c.op.Evidence = append(c.op.Evidence, fmt.Sprintf("its ServiceAccount %s may %s %s.%s via %s",
				w.serviceAccount, strings.Join(bestVerbs, ","), plural, group, bestVia))
		}
	}
	// Conversion webhook: the Service's selector picks the operator's Pods.
	ns, _, _ := unstructured.NestedString(crd.Object, "spec", "conversion", "webhook", "clientConfig", "service", "namespace")
	name, _, _ := unstructured.NestedString(crd.Object, "spec", "conversion", "webhook", "clientConfig", "service", "name")
	for _, w := range behind(ns, name) {
		c := get(w)
		c.score += scoreWebhook
		c.op.Evidence = append(c.op.Evidence, fmt.Sprintf("it serves the CRD's conversion webhook (Service %s/%s)", ns, name))
	}
	// Admission webhooks for the resource, counted once per workload at their best.
	type hookEvidence struct {
		score int
		text  string
	}
	hooks := map[*workload]hookEvidence{}
	for _, h := range admissionHooks(s) {
		best := 0
		for _, rule := range h.rules {
			best = max(best, admissionScore(rule, group, plural))
		}
		if best == 0 || h.service == nil {
			continue
		}
		for _, w := range behind(h.service.Namespace, h.service.Name) {
			if best > hooks[w].score {
				hooks[w] = hookEvidence{best, fmt.Sprintf("it serves the %s admission webhook %s for %s.%s (Service %s/%s)",
					h.kind, h.name, plural, group, h.service.Namespace, h.service.Name)}
			}
		}
	}
	for w, e := range hooks {
		c := get(w)
		c.score += e.score
		c.op.Evidence = append(c.op.Evidence, e.text)
	}
	// Shared ownership labels between the CRD and the workload.
	crdLabels := crd.GetLabels()
	for i := range ws {
		w := &ws[i]
		var shared []string
		for _, k := range ownershipLabels {
			if v, ok := crdLabels[k]; ok && v != "" && w.labels[k] == v {
				shared = append(shared, k+"="+v)
			}
		}
		if len(shared) > 0 {
			c := get(w)
			c.score += scoreLabel
			c.op.Evidence = append(c.op.Evidence, "it shares the label "+strings.Join(shared, ", ")+" with the CRD")
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	list := make([]*candidate, 0, len(cands))
	for _, c := range cands {
		c.op.Score = c.score
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		return list[i].op.Ref() < list[j].op.Ref()
	})
	best := list[0].op
	var rest []Operator
	for _, c := range list[1:] {
		if len(rest) == 3 {
			break
		}
		rest = append(rest, c.op)
	}
	return &best, rest
}

func crdGroups(s *read.Snapshot, n *notes) []CRDGroup {
	if s.CRDs.Err != nil {
		return []CRDGroup{}
	}
	rbacKnown := firstErr(s.ClusterRoles.Err, s.ClusterRoleBindings.Err, s.Roles.Err, s.RoleBindings.Err) == nil
	g := grants(s)
	ws := workloads(s)
	byGroup := map[string][]CRD{}
	for _, c := range s.CRDs.Value {
		group, _, _ := unstructured.NestedString(c.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(c.Object, "spec", "names", "kind")
		plural, _, _ := unstructured.NestedString(c.Object, "spec", "names", "plural")
		scope, _, _ := unstructured.NestedString(c.Object, "spec", "scope")
		versions, _, _ := unstructured.NestedSlice(c.Object, "spec", "versions")
		crd := CRD{Name: c.GetName(), Kind: kind, Plural: plural, Group: group, Scope: scope, Versions: []string{}}
		for _, v := range versions {
			if vm, ok := v.(map[string]any); ok {
				if served, _ := vm["served"].(bool); served {
					if name, _ := vm["name"].(string); name != "" {
						crd.Versions = append(crd.Versions, name)
					}
				}
			}
		}
		crd.Operator, crd.Candidates = inferOperator(c, group, plural, s, g, ws)
		byGroup[group] = append(byGroup[group], crd)
	}
	if len(s.CRDs.Value) > 0 && (!rbacKnown || s.Deployments.Err != nil) {
		n.list = append(n.list, "Operators of custom resources may be missing: RBAC or Deployments were not fully readable.")
	}
	out := []CRDGroup{}
	for group, list := range byGroup {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		out = append(out, CRDGroup{Group: group, CRDs: list})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}
