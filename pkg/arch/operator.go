package arch

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// Evidence weights: serving a CRD's conversion webhook is near proof; RBAC that names the
// exact resource is strong; a grant on every resource of the group is weaker; shared labels
// only hint. Grants on every group ("*") are ignored: cluster-admin-like accounts could
// write anything, so they say nothing about who owns a kind.
const (
	scoreWebhook       = 50
	scoreRBACExact     = 30
	scoreRBACGroupWide = 15
	scoreLabel         = 10
)

var writeVerbs = map[string]bool{"*": true, "create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// ownershipLabels are the labels installers put on everything of one product; managed-by
// and version labels are shared by unrelated things and are left out.
var ownershipLabels = []string{"app.kubernetes.io/part-of", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app", "release"}

// webhookServices lists namespace/name of every Service a CRD's conversion webhook names.
func webhookServices(crds []unstructured.Unstructured) [][2]string {
	seen := map[string]bool{}
	var out [][2]string
	for _, c := range crds {
		ns, _, _ := unstructured.NestedString(c.Object, "spec", "conversion", "webhook", "clientConfig", "service", "namespace")
		name, _, _ := unstructured.NestedString(c.Object, "spec", "conversion", "webhook", "clientConfig", "service", "name")
		if ns == "" || name == "" || seen[ns+"/"+name] {
			continue
		}
		seen[ns+"/"+name] = true
		out = append(out, [2]string{ns, name})
	}
	return out
}

type grant struct {
	sa, via string
	rule    rbacv1.PolicyRule
	ns      string // "" for cluster-wide grants
}

// grants lists, per ServiceAccount "ns/name", the rules its bindings give it.
func grants(r *raw) map[string][]grant {
	clusterRoles := map[string]rbacv1.ClusterRole{}
	for _, cr := range r.cr {
		clusterRoles[cr.Name] = cr
	}
	roles := map[string]rbacv1.Role{}
	for _, ro := range r.roles {
		roles[ro.Namespace+"/"+ro.Name] = ro
	}
	out := map[string][]grant{}
	addSubjects := func(subjects []rbacv1.Subject, bindingNS string, rules []rbacv1.PolicyRule, via, scope string) {
		for _, s := range subjects {
			if s.Kind != rbacv1.ServiceAccountKind {
				continue
			}
			ns := s.Namespace
			if ns == "" {
				ns = bindingNS
			}
			key := ns + "/" + s.Name
			for _, rule := range rules {
				out[key] = append(out[key], grant{sa: key, via: via, rule: rule, ns: scope})
			}
		}
	}
	for _, b := range r.crb {
		if cr, ok := clusterRoles[b.RoleRef.Name]; ok && b.RoleRef.Kind == "ClusterRole" {
			addSubjects(b.Subjects, "", cr.Rules, fmt.Sprintf("ClusterRole %s (ClusterRoleBinding %s)", cr.Name, b.Name), "")
		}
	}
	for _, b := range r.rb {
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// rbacScore says how specifically a rule lets its holder write plural.group.
func rbacScore(rule rbacv1.PolicyRule, group, plural string) (int, []string) {
	if len(rule.NonResourceURLs) > 0 || !contains(rule.APIGroups, group) {
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
	if contains(rule.Resources, "*") {
		return scoreRBACGroupWide, verbs
	}
	return 0, nil
}

type candidate struct {
	op    Operator
	score int
}

// inferOperator ranks the Deployments that may reconcile a CRD.
func inferOperator(crd unstructured.Unstructured, group, plural string, r *raw, g map[string][]grant) (*Operator, []Operator) {
	cands := map[string]*candidate{}
	get := func(d *appsv1.Deployment) *candidate {
		key := d.Namespace + "/" + d.Name
		c, ok := cands[key]
		if !ok {
			sa := d.Spec.Template.Spec.ServiceAccountName
			if sa == "" {
				sa = "default"
			}
			c = &candidate{op: Operator{Kind: "Deployment", Namespace: d.Namespace, Name: d.Name, ServiceAccount: sa, Evidence: []string{}}}
			cands[key] = c
		}
		return c
	}
	// RBAC: the workload's ServiceAccount may write the resource.
	for i := range r.deploys {
		d := &r.deploys[i]
		sa := d.Spec.Template.Spec.ServiceAccountName
		if sa == "" {
			sa = "default"
		}
		best, bestVerbs, bestVia := 0, []string(nil), ""
		for _, gr := range g[d.Namespace+"/"+sa] {
			s, verbs := rbacScore(gr.rule, group, plural)
			if s > best {
				best, bestVerbs, bestVia = s, verbs, gr.via
			}
		}
		if best > 0 {
			c := get(d)
			c.score += best
			c.op.Evidence = append(c.op.Evidence, fmt.Sprintf("its ServiceAccount %s may %s %s.%s via %s",
				sa, strings.Join(bestVerbs, ","), plural, group, bestVia))
		}
	}
	// Conversion webhook: the Service's selector picks the operator's Pods.
	ns, _, _ := unstructured.NestedString(crd.Object, "spec", "conversion", "webhook", "clientConfig", "service", "namespace")
	name, _, _ := unstructured.NestedString(crd.Object, "spec", "conversion", "webhook", "clientConfig", "service", "name")
	if svc := r.services[ns+"/"+name]; svc != nil && len(svc.Spec.Selector) > 0 {
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for i := range r.deploys {
			d := &r.deploys[i]
			if d.Namespace == ns && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				c := get(d)
				c.score += scoreWebhook
				c.op.Evidence = append(c.op.Evidence, fmt.Sprintf("serves the CRD's conversion webhook (Service %s/%s)", ns, name))
			}
		}
	}
	// Shared ownership labels between the CRD and the workload.
	crdLabels := crd.GetLabels()
	for i := range r.deploys {
		d := &r.deploys[i]
		var shared []string
		for _, k := range ownershipLabels {
			if v, ok := crdLabels[k]; ok && v != "" && d.Labels[k] == v {
				shared = append(shared, k+"="+v)
			}
		}
		if len(shared) > 0 {
			c := get(d)
			c.score += scoreLabel
			c.op.Evidence = append(c.op.Evidence, "shares the label "+strings.Join(shared, ", ")+" with the CRD")
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

func crdGroups(r *raw, n *notes) []CRDGroup {
	if r.crdsErr != nil {
		return []CRDGroup{}
	}
	rbacKnown := firstErr(r.crErr, r.crbErr, r.rolesErr, r.rbErr) == nil
	g := grants(r)
	byGroup := map[string][]CRD{}
	for _, c := range r.crds {
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
		crd.Operator, crd.Candidates = inferOperator(c, group, plural, r, g)
		byGroup[group] = append(byGroup[group], crd)
	}
	if len(r.crds) > 0 && (!rbacKnown || r.deploysErr != nil) {
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
