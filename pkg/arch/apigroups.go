package arch

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

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
		// Each resource at the first version that serves it, the preferred one first, as
		// kubectl api-resources lists them: a group's versions need not serve the same
		// resources (kubeflow.org/v1 PyTorchJobs beside kubeflow.org/v1beta1 Experiments).
		seen := map[string]bool{}
		for _, version := range append([]string{ag.PreferredVersion}, ag.Versions...) {
			l := byGV[schema.GroupVersion{Group: g.Name, Version: version}.String()]
			if l == nil {
				continue
			}
			for _, res := range l.APIResources {
				if strings.Contains(res.Name, "/") || seen[res.Name] {
					continue
				}
				seen[res.Name] = true
				verbs := append([]string{}, res.Verbs...)
				sort.Strings(verbs)
				ag.Resources = append(ag.Resources, Resource{Name: res.Name, Kind: res.Kind, Group: g.Name, Version: version,
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
