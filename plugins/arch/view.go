package arch

import (
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	archpkg "github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/present"
	"github.com/kubectl-katib/plugins/pkg/render"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdView) }

// ViewOptions draws the architecture diagram alone.
type ViewOptions struct {
	modelFlags
	getter genericclioptions.RESTClientGetter
	genericiooptions.IOStreams
}

// NewCmdView is `kubectl arch view`.
func NewCmdView(root *rootOptions) *cobra.Command {
	o := &ViewOptions{getter: root.ConfigFlags, IOStreams: root.Streams, modelFlags: modelFlags{trace: root.trace}}
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Draw the cluster's architecture diagram, without explanations",
		Long: `Draw the diagram of the cluster you are connected to: boxes in the terminal, or DOT,
Mermaid and SVG for documents and pictures, or the model as JSON/YAML for scripts.`,
		Example: `  # In the terminal
  kubectl arch view

  # A picture, and a diagram for a Markdown page
  kubectl arch view -o svg > cluster.svg
  kubectl arch view -o mermaid

  # Graphviz
  kubectl arch view -o dot | dot -Tpng > cluster.png`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd)
		},
	}
	o.add(cmd, true, diagramFormats)
	return cmd
}

// Validate checks the output format.
func (o *ViewOptions) Validate() error {
	return o.modelFlags.validate()
}

// Run reads the model and draws it.
func (o *ViewOptions) Run(cmd *cobra.Command) error {
	m := archpkg.Offline()
	if !o.Offline {
		sess, err := archpkg.Load(cmd.Context(), o.getter, o.loadOptions(o.getter, false))
		if err != nil {
			return loadError(err)
		}
		m = sess.Model
	}
	return writeModel(o.Out, &o.modelFlags, m, false)
}

// writeModel prints the model in any format; explained adds the text under the diagram.
func writeModel(w io.Writer, f *modelFlags, m *archpkg.Model, explained bool) error {
	switch f.Output {
	case "":
		if explained {
			return present.WriteOverview(w, m, style(w))
		}
		return render.Boxes(w, present.Graph(m), style(w))
	}
	if ok, err := writeGraph(w, f.Output, present.Graph(m)); ok {
		return err
	}
	return f.printDoc(w, m, modelName(m))
}

// modelName names the architecture document after the kubeconfig context it was read
// through, so -o name says which cluster it describes.
func modelName(m *archpkg.Model) string {
	switch {
	case m.Offline:
		return "offline"
	case m.Cluster.Context != "":
		return m.Cluster.Context
	}
	return "cluster"
}
