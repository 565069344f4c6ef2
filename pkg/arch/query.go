package arch

import (
	"slices"
	"strings"
)

// QualifiedName is how kubectl names a resource: plural.group, or the plural alone for the
// core group.
func (r Resource) QualifiedName() string {
	if r.Group == "" {
		return r.Name
	}
	return r.Name + "." + r.Group
}

// APIFilter narrows the API groups the way kubectl api-resources' flags do.
type APIFilter struct {
	// Group keeps one group; "core" names the group without a name.
	Group string
	// Resources filters the resources too, and drops the groups left without any; without
	// it, the groups are kept whole (api-versions).
	Resources bool
	// Namespaced, when set, keeps only the namespaced or only the cluster-scoped resources:
	// kubectl filters on --namespaced only when it is given.
	Namespaced *bool
	// Verbs keeps the resources that support all of them.
	Verbs []string
}

// FilterAPIGroups applies f to the groups.
func FilterAPIGroups(all []APIGroup, f APIFilter) []APIGroup {
	want := strings.ToLower(f.Group)
	if want == "core" {
		want = ""
	}
	out := []APIGroup{}
	for _, g := range all {
		if f.Group != "" && g.Name != want {
			continue
		}
		if !f.Resources {
			out = append(out, g)
			continue
		}
		var res []Resource
		for _, r := range g.Resources {
			if f.Namespaced != nil && r.Namespaced != *f.Namespaced {
				continue
			}
			if !hasVerbs(r.Verbs, f.Verbs) {
				continue
			}
			res = append(res, r)
		}
		if len(res) == 0 {
			continue
		}
		g.Resources = res
		out = append(out, g)
	}
	return out
}

func hasVerbs(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
