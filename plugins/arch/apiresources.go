package arch

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	archpkg "github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/present"
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
	Verbs      []string
	resources  bool
	filter     archpkg.APIFilter

	getter genericclioptions.RESTClientGetter
	genericiooptions.IOStreams
}

// NewCmdAPIVersions is `kubectl arch api-versions`.
func NewCmdAPIVersions(root *rootOptions) *cobra.Command {
	o := &APIOptions{getter: root.ConfigFlags, IOStreams: root.Streams, modelFlags: modelFlags{trace: root.trace}}
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
		RunE: o.runE,
	}
	o.add(cmd, false, nil)
	cmd.Flags().StringVar(&o.Group, "group", "", "Only this API group (\"core\" or \"\" for the core group).")
	return cmd
}

// NewCmdAPIResources is `kubectl arch api-resources`.
func NewCmdAPIResources(root *rootOptions) *cobra.Command {
	o := &APIOptions{getter: root.ConfigFlags, IOStreams: root.Streams, resources: true, modelFlags: modelFlags{trace: root.trace}}
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
		RunE: o.runE,
	}
	o.add(cmd, false, []string{"wide"})
	cmd.Flags().StringVar(&o.Group, "group", "", "Only this API group (\"core\" or \"\" for the core group).")
	cmd.Flags().BoolVar(&o.Namespaced, "namespaced", true, "If false, only cluster-scoped resources; if true, only namespaced ones (only when given).")
	cmd.Flags().StringSliceVar(&o.Verbs, "verbs", nil, "Only resources that support all these verbs (e.g. list,watch).")
	return cmd
}

func (o *APIOptions) runE(cmd *cobra.Command, args []string) error {
	if err := o.Complete(cmd); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return o.Run(cmd)
}

// Complete turns the flags into the filter.
func (o *APIOptions) Complete(cmd *cobra.Command) error {
	o.filter = archpkg.APIFilter{Group: o.Group, Resources: o.resources, Verbs: o.Verbs}
	if o.resources && cmd.Flags().Changed("namespaced") {
		o.filter.Namespaced = &o.Namespaced
	}
	return nil
}

// Validate checks the output format.
func (o *APIOptions) Validate() error {
	return o.modelFlags.validate()
}

// Run reads discovery and prints the groups.
func (o *APIOptions) Run(cmd *cobra.Command) error {
	sess, err := archpkg.Load(cmd.Context(), o.getter, o.loadOptions(o.getter, true))
	if err != nil {
		return loadError(err)
	}
	groups := archpkg.FilterAPIGroups(sess.Model.APIGroups, o.filter)
	switch {
	case o.Output == "name" && o.resources:
		return present.WriteResourceNames(o.Out, groups)
	case o.Output == "name":
		return present.WriteGroupVersionNames(o.Out, groups)
	case !o.human():
		objs, err := present.APIGroupDocuments(groups)
		if err != nil {
			return err
		}
		return o.printDocs(o.Out, objs)
	case o.resources:
		return present.WriteAPIResources(o.Out, groups, o.Output == "wide", style(o.Out))
	}
	return present.WriteAPIVersions(o.Out, groups, style(o.Out))
}
