package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
)

// NewCmdCompletion prints shell completion scripts, and writes the kubectl_complete-<name>
// helper that kubectl (1.26+) runs to complete `kubectl <name> <TAB>`.
func NewCmdCompletion(name string, streams genericiooptions.IOStreams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell|kubectl-helper",
		Short:     "Print a shell completion script, or install kubectl's completion helper",
		ValidArgs: []string{"bash", "zsh", "fish", "powershell", "kubectl-helper"},
		Long: fmt.Sprintf(`Print the completion script for the plugin's own binary (kubectl-%[1]s) in the given shell.

kubectl completes plugin commands by running an executable named kubectl_complete-%[1]s found on
PATH. 'completion kubectl-helper --dir DIR' writes that executable into DIR (default: the
directory holding this binary), after which 'kubectl %[1]s <TAB>' completes in any shell where
kubectl completion is enabled.`, name),
		Example: fmt.Sprintf(`  # bash, for the current shell
  source <(kubectl %[1]s completion bash)

  # let 'kubectl %[1]s <TAB>' complete (writes kubectl_complete-%[1]s next to the binary)
  kubectl %[1]s completion kubectl-helper`, name),
		Args: ExactArgs(1, "shell"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(streams.Out, true)
			case "zsh":
				return root.GenZshCompletion(streams.Out)
			case "fish":
				return root.GenFishCompletion(streams.Out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(streams.Out)
			case "kubectl-helper":
				path, err := WriteKubectlCompleteHelper(name, dir)
				if err != nil {
					return err
				}
				fmt.Fprintf(streams.Out, "wrote %s\n", path)
				return nil
			}
			return exitcode.UsageError("unknown shell %q: use bash, zsh, fish, powershell or kubectl-helper", args[0])
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "Directory for kubectl-helper (default: the directory of this binary); it must be on PATH.")
	return cmd
}

// WriteKubectlCompleteHelper writes the kubectl_complete-<name> script into dir (or next to
// the running binary) and returns its path.
func WriteKubectlCompleteHelper(name, dir string) (string, error) {
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("cannot find this binary's directory (%w): pass --dir", err)
		}
		dir = filepath.Dir(exe)
	}
	path := filepath.Join(dir, "kubectl_complete-"+name)
	script := fmt.Sprintf("#!/usr/bin/env sh\n# Lets kubectl complete 'kubectl %[1]s ...' by asking the plugin itself.\nexec kubectl-%[1]s __complete \"$@\"\n", name)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("cannot write %s: %w", path, err)
	}
	return path, nil
}
