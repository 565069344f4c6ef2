// kubectl-arch explains and draws a cluster's architecture; see `kubectl arch --help`.
package main

import (
	"os"
	"runtime/debug"

	"github.com/go-logr/logr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/kubectl-katib/plugins/plugins/arch"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

// memoryLimit bounds the heap once collection is deferred: far above what even a large
// cluster's model needs, far below what would trouble a laptop.
const memoryLimit = 512 << 20

func main() {
	// Every kubectl-arch command lives for tens of milliseconds and allocates most of its
	// memory while decoding one burst of API responses; collecting during that burst costs
	// about a tenth of the run on two cores. Collection waits for the memory limit instead,
	// unless the user tuned the collector. This is the process's choice, not the command
	// tree's: a program that embeds the commands keeps its own collector settings.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		debug.SetGCPercent(-1)
	}
	// client-go logs failed discovery through klog before returning the error; the command
	// reports the error once, in its own words, so the log line would only repeat it.
	klog.SetLogger(logr.Discard())
	cmdutil.Execute(arch.NewCmdArch(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
