// kubectl-katib runs Katib experiments client-side; see `kubectl katib --help`.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/plugins/cmdutil"
	"github.com/kubectl-katib/plugins/plugins/katib"
)

func main() {
	cmdutil.Execute(katib.NewCmdKatib(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
