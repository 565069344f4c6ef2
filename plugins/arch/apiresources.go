package arch

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	archpkg "github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/render"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() {
	subcommands = append(subcommands, NewCmdAPIVersions, NewCmdAPIResources)
}

// APIOptions lists the API's groups, versions and resources.
type APIOptions struct {
	modelFlags
	Group      string
	Namespaced bool
	// namespacedSet is true when --namespaced was given, as kubectl only filters then.
	namespacedSet bool
	Verbs         []string
	resources     bool

	getter genericclioptions.RESTClientGetter
	genericiooptions.IOStreams
}

// NewCmdAPIVersions is `kubectl arch api-versions`.
func NewCmdAPIVersions(root *cmdutil.RootOptions) *cobra.Command {
	o := &APIOptions{getter: root.ConfigFlags, IOStreams: root.Streams}
	cmd := &cobra.Command{
		Use:   "api-versions",
		Short: "List the API group versions, grouped, each group explained, built-in vs custom",
		Long: `List the group versions the API server serves, like kubectl api-versions, but grouped by
API group with the preferred version first, a one-line explanation of each group, and
whether the group is built into Kubernetes or added by CustomResourceDefinitions.`,
		Example: `  kubectl arch api-versions
  kubectl arch api-versions --group kubeflow.org
  kubectl arch api-versions -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.Run(cmd) },
	}
	o.add(cmd, false, nil)
	cmd.Flags().StringVar(&o.Group, "group", "", "Only this API group (\"core\" or \"\" for the core group).")
	return cmd
}

// NewCmdAPIResources is `kubectl arch api-resources`.
func NewCmdAPIResources(root *cmdutil.RootOptions) *cobra.Command {
	o := &APIOptions{getter: root.ConfigFlags, IOStreams: root.Streams, resources: true}
	cmd := &cobra.Command{
		Use:   "api-resources",
		Short: "List the API resources grouped by API group, each group explained",
		Long: `List the resources the API server serves, like kubectl api-resources, grouped by API group
with a one-line explanation of each group and whether it is built in or custom.`,
		Example: `  kubectl arch api-resources
  kubectl arch api-resources --group apps
  kubectl arch api-resources --namespaced=false
  kubectl arch api-resources --verbs list,watch -o wide`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.namespacedSet = cmd.Flags().Changed("namespaced")
			return o.Run(cmd)
		},
	}
	o.add(cmd, false, []string{"wide"})
	cmd.Flags().StringVar(&o.Group, "group", "", "Only this API group (\"core\" or \"\" for the core group).")
	cmd.Flags().BoolVar(&o.Namespaced, "namespaced", true, "If false, only cluster-scoped resources; if true, only namespaced ones (only when given).")
	cmd.Flags().StringSliceVar(&o.Verbs, "verbs", nil, "Only resources that support all these verbs (e.g. list,watch).")
	return cmd
}

// Run reads discovery and prints the groups.
func (o *APIOptions) Run(cmd *cobra.Command) error {
	if err := o.validate(); err != nil {
		return err
	}
	sess, err := archpkg.Load(cmd.Context(), o.getter, archpkg.LoadOptions{Refresh: o.Refresh, APIOnly: true})
	if err != nil {
		return loadError(err)
	}
	groups := o.filter(sess.Model.APIGroups)
	switch {
	case o.Output == "name":
		// As kubectl api-resources and api-versions print them, for scripts that loop over
		// the names.
		return writeNames(o.Out, groups, o.resources)
	case !o.human():
		var objs []runtime.Object
		for _, g := range groups {
			name := g.Name
			if name == "" {
				name = "core"
			}
			obj, err := output.Document(apiGroupDoc{APIVersion: archpkg.SchemaVersion, Kind: "APIGroup", APIGroup: g}, name)
			if err != nil {
				return err
			}
			objs = append(objs, obj)
		}
		return o.printDocs(o.Out, objs)
	case o.resources:
		return writeResources(o.Out, groups, o.Output == "wide", style(o.Out))
	}
	return writeVersions(o.Out, groups, style(o.Out))
}

// apiGroupDoc is one API group as a document of its own in -o json|yaml|jsonpath lists.
type apiGroupDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	archpkg.APIGroup
}

func writeNames(w io.Writer, groups []archpkg.APIGroup, resources bool) error {
	for _, g := range groups {
		if !resources {
			for _, v := range g.Versions {
				fmt.Fprintln(w, groupVersion(g.Name, v))
			}
			continue
		}
		for _, r := range g.Resources {
			fmt.Fprintln(w, resourceName(r))
		}
	}
	return nil
}

// filter applies --group, --namespaced and --verbs; groups left without resources are
// dropped from api-resources but kept by api-versions.
func (o *APIOptions) filter(all []archpkg.APIGroup) []archpkg.APIGroup {
	want := strings.ToLower(o.Group)
	if want == "core" {
		want = ""
	}
	out := []archpkg.APIGroup{}
	for _, g := range all {
		if o.Group != "" && g.Name != want {
			continue
		}
		if !o.resources {
			out = append(out, g)
			continue
		}
		var res []archpkg.Resource
		for _, r := range g.Resources {
			if o.namespacedSet && r.Namespaced != o.Namespaced {
				continue
			}
			if !hasVerbs(r.Verbs, o.Verbs) {
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
		found := false
		for _, h := range have {
			if h == w {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func groupHeading(g archpkg.APIGroup, st render.Style) string {
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

func writeVersions(w io.Writer, groups []archpkg.APIGroup, st render.Style) error {
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

func writeResources(w io.Writer, groups []archpkg.APIGroup, wide bool, st render.Style) error {
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
		var buf bytes.Buffer
		if err := t.Render(&buf); err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	return nil
}
