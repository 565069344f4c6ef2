package present

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/render"
)

// apiGroupDoc is one API group as a document of its own in -o json|yaml|jsonpath lists.
type apiGroupDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	arch.APIGroup
}

// APIGroupDocuments makes each group a document of its own, named like kubectl names the
// group ("core" for the group without a name), for kubectl's printers.
func APIGroupDocuments(groups []arch.APIGroup) ([]runtime.Object, error) {
	var objs []runtime.Object
	for _, g := range groups {
		name := g.Name
		if name == "" {
			name = "core"
		}
		obj, err := output.Document(apiGroupDoc{APIVersion: arch.SchemaVersion, Kind: "APIGroup", APIGroup: g}, name)
		if err != nil {
			return nil, err
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// WriteGroupVersionNames prints one group version a line, as kubectl api-versions does, for
// scripts that loop over them.
func WriteGroupVersionNames(w io.Writer, groups []arch.APIGroup) error {
	for _, g := range groups {
		for _, v := range g.Versions {
			fmt.Fprintln(w, groupVersion(g.Name, v))
		}
	}
	return nil
}

// WriteResourceNames prints one resource a line, as kubectl api-resources -o name does.
func WriteResourceNames(w io.Writer, groups []arch.APIGroup) error {
	for _, g := range groups {
		for _, r := range g.Resources {
			fmt.Fprintln(w, r.QualifiedName())
		}
	}
	return nil
}

func groupHeading(g arch.APIGroup, st render.Style) string {
	name := g.Name
	if name == "" {
		name = "core"
	}
	origin := "built-in"
	if !g.BuiltIn {
		origin = "custom"
	}
	if a := g.Aggregated; a != nil {
		origin += ", aggregated: Service " + a.Service
		if !a.Available {
			origin += ", unavailable"
		}
	}
	return st.Heading(name) + " " + st.Dim("("+origin+")")
}

func groupVersion(group, version string) string {
	if group == "" {
		return version
	}
	return group + "/" + version
}

// WriteAPIVersions prints each group with its explanation and versions, the preferred one
// first.
func WriteAPIVersions(w io.Writer, groups []arch.APIGroup, st render.Style) error {
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, groupHeading(g, st))
		if g.Description != "" {
			render.Paragraph(w, st, 2, g.Description)
		}
		versions := append([]string{}, g.Versions...)
		sort.SliceStable(versions, func(a, b int) bool { return versions[a] == g.PreferredVersion && versions[b] != g.PreferredVersion })
		for _, v := range versions {
			mark := ""
			if v == g.PreferredVersion {
				mark = "  (preferred)"
			}
			fmt.Fprintf(w, "  %s%s\n", groupVersion(g.Name, v), mark)
		}
	}
	return nil
}

// WriteAPIResources prints each group with its explanation and a table of its resources;
// wide adds their verbs and categories.
func WriteAPIResources(w io.Writer, groups []arch.APIGroup, wide bool, st render.Style) error {
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s  %s\n", groupHeading(g, st), groupVersion(g.Name, g.PreferredVersion))
		if g.Description != "" {
			render.Paragraph(w, st, 2, g.Description)
		}
		headers := []string{"name", "shortnames", "namespaced", "kind"}
		if wide {
			headers = append(headers, "verbs", "categories")
		}
		t := output.NewTable(headers...)
		for _, r := range g.Resources {
			cells := []string{r.Name, strings.Join(r.ShortNames, ","), fmt.Sprint(r.Namespaced), r.Kind}
			if wide {
				cells = append(cells, strings.Join(r.Verbs, ","), strings.Join(r.Categories, ","))
			}
			t.Append(cells...)
		}
		if err := indented(w, t); err != nil {
			return err
		}
	}
	return nil
}
