// Package cmdutil holds the cobra plumbing both plugins share: the root command's kubectl
// integration, version and completion subcommands, and turning errors into exit codes.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
)

// RootOptions is what every command of a plugin shares: kubectl's global flags and the streams.
type RootOptions struct {
	ConfigFlags *genericclioptions.ConfigFlags
	Streams     genericiooptions.IOStreams
}

// NewRoot builds a plugin's root command. name is the plugin name as kubectl shows it
// ("katib" for kubectl-katib), so help reads "kubectl katib ...".
func NewRoot(name, short, long, example string, streams genericiooptions.IOStreams) (*cobra.Command, *RootOptions) {
	opts := &RootOptions{
		ConfigFlags: genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag(),
		Streams:     streams,
	}
	cmd := &cobra.Command{
		Use:     "kubectl-" + name,
		Short:   short,
		Long:    long,
		Example: example,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl " + name,
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		// kubectl passes everything after the plugin name to us, so global flags such as
		// --context and -n are accepted in any position after it.
		TraverseChildren: false,
	}
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.UsageError("%w\nSee '%s --help' for usage.", err, c.CommandPath())
	})
	opts.ConfigFlags.AddFlags(cmd.PersistentFlags())
	cmd.AddCommand(NewCmdVersion(name, streams), NewCmdCompletion(name, streams))
	return cmd, opts
}

// Execute runs the root command and exits with the documented code. Ctrl-C cancels the
// context so commands can save their state before returning.
func Execute(cmd *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cmd.ExecuteContext(ctx)
	stop()
	if err != nil {
		var silent exitcode.Silent
		if !errors.As(err, &silent) {
			msg := err.Error()
			if !strings.HasPrefix(msg, "error: ") {
				msg = "error: " + msg
			}
			fmt.Fprintln(cmd.ErrOrStderr(), msg)
		}
	}
	os.Exit(exitCode(cmd, os.Args[1:], err))
}

// exitCode is the process's exit code once root has run with args and returned err.
func exitCode(root *cobra.Command, args []string, err error) int {
	if err == nil {
		return exitcode.OK
	}
	// Cobra refuses a first word that names no command while it finds the command to run,
	// before any of ours, and says so in a plain error with no type to match. Find is that
	// step alone and has no side effects, so failing again on the same arguments means the
	// run failed there: a usage error.
	if _, _, findErr := root.Find(args); findErr != nil {
		return exitcode.Usage
	}
	if code := exitcode.Of(err); code != exitcode.OK {
		return code
	}
	return exitcode.Failure
}

// NoArgs rejects positional arguments with a usage error (exit 2).
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return exitcode.UsageError("unexpected argument %q: %s takes no arguments\nSee '%s --help' for usage.", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// ExactArgs requires n positional arguments, named in the error.
func ExactArgs(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return exitcode.UsageError("%s needs %d argument(s) (%s), got %d\nSee '%s --help' for usage.",
				cmd.CommandPath(), n, strings.Join(names, ", "), len(args), cmd.CommandPath())
		}
		return nil
	}
}

// MaximumArgs allows at most n positional arguments.
func MaximumArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return exitcode.UsageError("%s takes at most %d argument(s), got %d\nSee '%s --help' for usage.",
				cmd.CommandPath(), n, len(args), cmd.CommandPath())
		}
		return nil
	}
}
