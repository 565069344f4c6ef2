// Package arch is the command tree of kubectl-arch.
package arch

import (
	"io"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

// subcommands are added by each command's file in init, so commands live in files of their
// own and the root never changes when one is added.
var subcommands []func(*rootOptions) *cobra.Command

// traceVariable turns on the read timings, for whoever measures a slow cluster.
const traceVariable = "KUBECTL_ARCH_TRACE"

// rootOptions are kubectl's flags and streams, and where the library's trace goes: the
// environment is read here, once, so the library never reads it.
type rootOptions struct {
	*cmdutil.RootOptions
	// trace is the error stream when KUBECTL_ARCH_TRACE is set, nil otherwise.
	trace io.Writer
}

// NewCmdArch builds `kubectl arch` and its subcommands.
func NewCmdArch(streams genericiooptions.IOStreams) *cobra.Command {
	cmd, opts := cmdutil.NewRoot("arch",
		"Explain and draw the architecture of the cluster you are connected to",
		`Show what the cluster you are connected to is made of: its control plane, etcd, nodes,
API groups, resources, custom resources and the operators behind them, each explained in
plain words and drawn as a diagram.`,
		`  # The architecture of the current cluster
  kubectl arch explain

  # One component, with its live facts
  kubectl arch explain kube-scheduler`,
		streams)
	root := &rootOptions{RootOptions: opts}
	if os.Getenv(traceVariable) != "" {
		root.trace = streams.ErrOut
	}
	for _, newCmd := range subcommands {
		cmd.AddCommand(newCmd(root))
	}
	return cmd
}
