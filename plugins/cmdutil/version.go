package cmdutil

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/buildinfo"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
)

// VersionOptions prints the build information stamped into the binary.
type VersionOptions struct {
	Output string
	genericiooptions.IOStreams
}

// NewCmdVersion is the `version` subcommand shared by both plugins.
func NewCmdVersion(name string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &VersionOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version, git commit, build date and Go version",
		Example: fmt.Sprintf(`  # Show the version
  kubectl %[1]s version

  # Machine-readable
  kubectl %[1]s version -o json`, name),
		Args: NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: one of '', json, yaml.")
	return cmd
}

// Validate accepts only the formats version knows.
func (o *VersionOptions) Validate() error {
	switch o.Output {
	case "", "json", "yaml":
		return nil
	}
	return exitcode.UsageError("--output must be 'json' or 'yaml', got %q", o.Output)
}

// Run prints the version in the chosen format.
func (o *VersionOptions) Run() error {
	info := buildinfo.Get()
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(o.Out, string(b))
		return err
	case "yaml":
		b, err := yaml.Marshal(info)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(b)
		return err
	}
	_, err := fmt.Fprintf(o.Out, "Version: %s\nGitCommit: %s\nBuildDate: %s\nGoVersion: %s\nPlatform: %s\n",
		info.Version, info.GitCommit, info.BuildDate, info.GoVersion, info.Platform)
	return err
}
