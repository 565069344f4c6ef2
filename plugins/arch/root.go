// Package arch is the command tree of kubectl-arch.
package arch

import (
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

// subcommands are added by each command's file in init, so commands live in files of their
// own and the root never changes when one is added.
var subcommands []func(*cmdutil.RootOptions) *cobra.Command

// memoryLimit bounds the heap once collection is deferred: far above what even a large
// cluster's model needs, far below what would trouble a laptop.
const memoryLimit = 512 << 20

func init() {
	// Every kubectl-arch command lives for tens of milliseconds and allocates most of its
	// memory while decoding one burst of API responses; collecting during that burst costs
	// about a tenth of the run on two cores. Collection waits for the memory limit instead,
	// unless the user tuned the collector.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		debug.SetGCPercent(-1)
	}
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
	for _, newCmd := range subcommands {
		cmd.AddCommand(newCmd(opts))
	}
	return cmd
}
