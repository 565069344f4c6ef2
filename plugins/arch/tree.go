package arch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/metadata"

	"github.com/kubectl-katib/plugins/pkg/archtree"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/kube"
	"github.com/kubectl-katib/plugins/pkg/render"
)

func init() { subcommands = append(subcommands, NewCmdTree) }

// TreeOptions draws what one object owns and depends on.
type TreeOptions struct {
	modelFlags
	Kind, Name string

	getter genericclioptions.RESTClientGetter
	genericiooptions.IOStreams
}

// NewCmdTree is `kubectl arch tree KIND/NAME`.
func NewCmdTree(root *rootOptions) *cobra.Command {
	o := &TreeOptions{getter: root.ConfigFlags, IOStreams: root.Streams}
	cmd := &cobra.Command{
		Use:   "tree KIND/NAME | KIND NAME",
		Short: "Show what an object owns and what it depends on, as a tree with each object's status",
		Long: `Draw one object and the objects around it, each with its readiness, status and age:

  owns         what its controllers created, through ownerReferences: a Deployment's
               ReplicaSets and their Pods, a Job's Pods; for the object asked about and
               for custom resources, objects of any kind that name them as owner (what
               an operator created)
  runs on      the node a Pod was scheduled to
  runs as      a Pod's service account, the RoleBindings and ClusterRoleBindings that name
               it, and what their roles allow
  mounts       claims (down to the volume and its storage class), ConfigMaps and Secrets
  env from     ConfigMaps and Secrets a Pod reads into its environment
  routes to    a Service's EndpointSlices and the Pods behind them
  selected by  Services whose selector matches a workload's Pods
  scaled by    HorizontalPodAutoscalers that target it
  protected by PodDisruptionBudgets whose selector matches its Pods
  used by      for a claim, ConfigMap, Secret or service account: the Pods that use it

An object reached a second time is listed again as "(shown above)" without its children.
Kinds that could not be listed are named under the tree, so a partial tree is never silent.`,
		Example: `  # A Deployment down to its Pods, their node, volumes, account and Services
  kubectl arch tree deploy/web

  # Two words work too, and kind.group for custom resources
  kubectl arch tree deployments.apps web -n shop
  kubectl arch tree experiments.kubeflow.org/random -n kubeflow

  # For scripts, or as a picture
  kubectl arch tree pod/web-0 -o json
  kubectl arch tree svc/web -o svg > web.svg`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return exitcode.UsageError("%s needs one object, as KIND/NAME or KIND NAME (got %d arguments)\nSee '%s --help' for usage.",
					cmd.CommandPath(), len(args), cmd.CommandPath())
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completeObject(cmd.Context(), o.getter, args, toComplete)
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
	o.add(cmd, false, diagramFormats)
	cmd.Flag("refresh").Usage = "Read the cluster's kinds from the API server again instead of the cached discovery."
	o.setPlain(cmd, "the tree with READY, STATUS and AGE columns")
	return cmd
}

// Complete splits the object argument.
func (o *TreeOptions) Complete(args []string) error {
	kind, name, err := archtree.SplitArgs(args)
	if err != nil {
		return exitcode.UsageError("%v", err)
	}
	o.Kind, o.Name = kind, name
	return nil
}

// Validate checks the output format.
func (o *TreeOptions) Validate() error {
	return o.modelFlags.validate()
}

// Run reads the tree and prints it.
func (o *TreeOptions) Run(cmd *cobra.Command) error {
	clients, err := kube.NewClients(o.getter, "arch")
	if err != nil {
		return exitcode.WithCode(exitcode.Failure, err)
	}
	if o.Refresh {
		clients.Discovery.Invalidate()
	}
	mapper, err := o.getter.ToRESTMapper()
	if err != nil {
		return exitcode.WithCode(exitcode.Failure, fmt.Errorf("cannot read the cluster's kinds (%s): %w", clients.Context, err))
	}
	target, err := archtree.Resolve(mapper, o.Kind, o.Name, clients.Namespace)
	var unknown *archtree.UnknownKindError
	switch {
	case errors.As(err, &unknown):
		return exitcode.WithCode(exitcode.Usage, err)
	case err != nil:
		return exitcode.WithCode(exitcode.Failure, fmt.Errorf("cannot read the cluster's kinds (%s): %w", clients.Context, err))
	}
	tree, err := archtree.Build(cmd.Context(), archtree.Clients{
		Kube: clients.Clientset, Dynamic: clients.Dynamic, Metadata: clients.Metadata,
		Discovery: clients.Discovery, Mapper: mapper,
	}, target)
	if err != nil {
		return exitcode.WithCode(exitcode.Failure, err)
	}
	switch o.Output {
	case "":
		return archtree.Write(o.Out, tree, time.Now(), treeStyle(o.Out))
	}
	if ok, err := writeGraph(o.Out, o.Output, tree.Graph()); ok {
		return err
	}
	return o.printDoc(o.Out, tree, tree.Metadata.Name)
}

// treeStyle is the shared style, but a tree uses all of a wide terminal: its rows are
// object names, which lose their meaning when cut.
func treeStyle(w io.Writer) render.Style {
	st := style(w)
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > st.Width {
			st.Width = width
		}
	}
	return st
}

// completeObject completes KIND (from cached discovery, as KIND/ for the name to follow) and
// then NAME (listing the kind's objects' metadata in the namespace), as kubectl get does.
func completeObject(ctx context.Context, getter genericclioptions.RESTClientGetter, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	none := cobra.ShellCompDirectiveNoFileComp
	kind, prefix := "", ""
	switch {
	case len(args) == 0 && !strings.Contains(toComplete, "/"):
		disc, err := getter.ToDiscoveryClient()
		if err != nil {
			return nil, none
		}
		lists, _ := disc.ServerPreferredResources()
		var out []string
		for _, l := range lists {
			gv, _ := schema.ParseGroupVersion(l.GroupVersion)
			for _, r := range l.APIResources {
				if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "get") {
					continue
				}
				name := r.Name
				if gv.Group != "" {
					name += "." + gv.Group
				}
				if strings.HasPrefix(name, toComplete) {
					out = append(out, name+"/")
				}
			}
		}
		sort.Strings(out)
		return out, none | cobra.ShellCompDirectiveNoSpace
	case len(args) == 0:
		kind, _, _ = strings.Cut(toComplete, "/")
		prefix = kind + "/"
	case len(args) == 1 && !strings.Contains(args[0], "/"):
		kind = args[0]
	default:
		return nil, none
	}
	mapper, err := getter.ToRESTMapper()
	if err != nil {
		return nil, none
	}
	ns, _, _ := getter.ToRawKubeConfigLoader().Namespace()
	t, err := archtree.Resolve(mapper, kind, "", ns)
	if err != nil {
		return nil, none
	}
	cfg, err := getter.ToRESTConfig()
	if err != nil {
		return nil, none
	}
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, none
	}
	var res metadata.ResourceInterface = mc.Resource(t.GVR)
	if t.Namespace != "" {
		res = mc.Resource(t.GVR).Namespace(t.Namespace)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	l, err := res.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, none
	}
	var out []string
	for _, it := range l.Items {
		out = append(out, prefix+it.Name)
	}
	return out, none
}
