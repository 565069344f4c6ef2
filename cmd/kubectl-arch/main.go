// kubectl-arch explains and draws a cluster's architecture; see `kubectl arch --help`.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/plugins/arch"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func main() {
	cmdutil.Execute(arch.NewCmdArch(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
