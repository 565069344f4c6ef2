package arch

import (
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	archpkg "github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/present"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/render"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdExplain) }

// ExplainOptions explains the cluster, one component, concept or resource.
type ExplainOptions struct {
	modelFlags
	Recursive bool
	Topic     string

	getter genericclioptions.RESTClientGetter
	genericiooptions.IOStreams
}

// NewCmdExplain is `kubectl arch explain [TOPIC]`.
func NewCmdExplain(root *rootOptions) *cobra.Command {
	o := &ExplainOptions{getter: root.ConfigFlags, IOStreams: root.Streams, modelFlags: modelFlags{trace: root.trace}}
	cmd := &cobra.Command{
		Use:   "explain [COMPONENT|RESOURCE|CONCEPT]",
		Short: "Explain the cluster's architecture, or one component, resource or concept",
		Long: `Without a topic, draw the cluster you are connected to (control plane, etcd, nodes,
add-ons, API groups, admission webhooks, custom resources and their operators) and explain
each part, with warnings for parts that are not working.

With a topic, explain it with this cluster's live facts:
  a component  ` + topicList(componentNames()) + `
  a concept    ` + topicList(conceptNames()) + `
  a resource   pod, deployments.apps, experiments.kubeflow.org, short names too; its schema
               comes from the cluster's OpenAPI v3 document, with who acts on it.
  capacity     (or nodes) how full each node and node pool is: allocatable CPU, memory, GPUs
               and other extended resources against what the Pods request, and the Pods
               that request most on each node. 'kubectl arch explain node' is the schema.`,
		Example: `  # The live cluster's architecture
  kubectl arch explain

  # A component with its leader and health
  kubectl arch explain kube-scheduler

  # How full the nodes and node pools are
  kubectl arch explain nodes
  kubectl arch explain capacity -o json

  # A resource: fields and the chain of controllers that act on it
  kubectl arch explain deployments.apps
  kubectl arch explain pod.spec.containers --recursive

  # Learn without a cluster
  kubectl arch explain --offline
  kubectl arch explain operator --offline

  # Draw it as a picture
  kubectl arch explain -o svg > cluster.svg`,
		Args: cmdutil.MaximumArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return archpkg.KB().Topics(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd)
		},
	}
	o.add(cmd, true, diagramFormats)
	cmd.Flags().BoolVar(&o.Recursive, "recursive", false, "For a resource, print every nested field as a tree, like kubectl explain --recursive.")
	return cmd
}

// topicList wraps names under the help's second column.
func topicList(names []string) string {
	return strings.Join(render.Wrap(strings.Join(names, ", "), 75), "\n"+strings.Repeat(" ", 15))
}

func componentNames() []string {
	var out []string
	for _, e := range archpkg.KB().Components {
		out = append(out, e.Name)
	}
	return out
}

func conceptNames() []string {
	var out []string
	for _, e := range archpkg.KB().Concepts {
		out = append(out, e.Name)
	}
	return out
}

// Complete takes the topic argument.
func (o *ExplainOptions) Complete(args []string) error {
	if len(args) == 1 {
		o.Topic = args[0]
	}
	return nil
}

// Validate checks the output format and flag combinations.
func (o *ExplainOptions) Validate() error {
	return o.modelFlags.validate()
}

// Run explains the topic, or the whole cluster.
func (o *ExplainOptions) Run(cmd *cobra.Command) error {
	if capacityTopic(o.Topic) && o.Offline {
		return exitcode.UsageError("%s counts a live cluster's nodes and Pods; drop --offline", o.Topic)
	}
	entry, isEntry := archpkg.KB().Lookup(o.Topic)
	// A concept that is also a resource (pod, namespace) is explained as the resource, with
	// the concept's words on top, when a cluster is there to give the schema.
	if isEntry && entry.Resource != "" && !o.Offline {
		isEntry = false
	}
	var sess *archpkg.Session
	var m *archpkg.Model
	if o.Offline {
		m = archpkg.Offline()
	} else {
		var err error
		sess, err = archpkg.Load(cmd.Context(), o.getter, o.loadOptions(o.getter, false))
		if err != nil {
			return loadError(err)
		}
		m = sess.Model
	}
	switch {
	case o.Topic == "":
		return writeModel(o.Out, &o.modelFlags, m, true)
	case capacityTopic(o.Topic):
		return o.capacity(m)
	case isEntry:
		t := archpkg.ExplainTopic(m, entry)
		return o.print(t, t.Entry.Name, present.TopicGraph(t), func() error { return present.WriteTopic(o.Out, t, style(o.Out)) })
	}
	if o.Offline {
		return exitcode.UsageError("%q is not a component or concept; resources need a cluster (drop --offline). Known topics: %s",
			o.Topic, strings.Join(archpkg.KB().Topics(), ", "))
	}
	res, group, fieldPath, ok := m.FindResource(o.Topic)
	if !ok {
		return exitcode.UsageError("%q is not a component, concept or resource of this cluster; try one of %s, or a name from 'kubectl arch api-resources'",
			o.Topic, strings.Join(archpkg.KB().Topics(), ", "))
	}
	e, err := archpkg.ExplainResource(m, sess.Specs(), res, group, fieldPath)
	if err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	return o.print(e, e.Resource.QualifiedName(), present.ChainGraph(e), func() error { return present.WriteResource(o.Out, e, o.Recursive, style(o.Out)) })
}

func (o *ExplainOptions) print(v any, name string, g *render.Graph, text func() error) error {
	if o.Output == "" {
		return text()
	}
	if ok, err := writeGraph(o.Out, o.Output, g); ok {
		return err
	}
	return o.printDoc(o.Out, v, name)
}

// capacityTopic tells the topics that show how full the nodes are. The singular "node"
// stays the Node resource, as in kubectl explain node.
func capacityTopic(topic string) bool {
	switch strings.ToLower(topic) {
	case "nodes", "capacity":
		return true
	}
	return false
}

// capacity prints the nodes' allocatable resources against their Pods' requests.
func (o *ExplainOptions) capacity(m *archpkg.Model) error {
	doc := archpkg.CapacityDocument(m)
	switch o.Output {
	case "":
		return present.WriteCapacity(o.Out, doc, style(o.Out))
	case "dot", "mermaid", "svg":
		return exitcode.UsageError("%s is a table, not a diagram: use -o json, yaml or jsonpath, or leave -o out", o.Topic)
	}
	return o.printDoc(o.Out, doc, modelName(m))
}
