package katib

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/experiment/validation"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdValidate) }

// ValidateOptions are the flags of `kubectl katib validate`.
type ValidateOptions struct {
	root       *cmdutil.RootOptions
	Filenames  []string
	Recursive  bool
	PrintFlags *output.PrintFlags

	files []string
}

// NewCmdValidate builds `kubectl katib validate`.
func NewCmdValidate(root *cmdutil.RootOptions) *cobra.Command {
	o := &ValidateOptions{root: root, PrintFlags: output.NewPrintFlags()}
	cmd := &cobra.Command{
		Use:   "validate -f FILE [-f FILE...]",
		Short: "Check Katib Experiment files without a cluster",
		Long: `Check Katib v1beta1 Experiment files offline, with the rules 'run' applies before it
creates anything: Katib's defaulting and validating webhook, plus checks Katib misses (min
below max, positive steps, empty lists, unknown fields, placeholders without a trial parameter)
and what a client-side run cannot do yet (other trial kinds, File or TensorFlowEvent metrics
collectors, algorithms not implemented here). Every problem is printed on its own line with
its field path.

A directory stands for the *.yaml and *.yml files in it. With -o yaml or -o json the
experiment is printed with Katib's defaults filled in, as 'run' would use it.

Exit status: 0 when every file is valid, 2 when any is not.`,
		Example: `  # Check one experiment
  kubectl katib validate -f experiment.yaml

  # Check every experiment of a directory, and its subdirectories
  kubectl katib validate -f experiments/ -R

  # Show the experiment with Katib's defaults filled in
  kubectl katib validate -f experiment.yaml -o yaml

  # Check an experiment from standard input
  cat experiment.yaml | kubectl katib validate -f -`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	cmd.Flags().StringSliceVarP(&o.Filenames, "filename", "f", nil, "Experiment file or directory to check (repeatable; - reads standard input).")
	cmd.Flags().BoolVarP(&o.Recursive, "recursive", "R", false, "Look in the subdirectories of directories given with -f.")
	o.PrintFlags.AddFlags(cmd)
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd
}

// Complete turns the -f arguments into the list of files.
func (o *ValidateOptions) Complete() error {
	if len(o.Filenames) == 0 {
		return exitcode.UsageError("-f FILE is required: the Katib Experiment file (or directory) to check")
	}
	files, err := validation.ExpandPaths(o.Filenames, o.Recursive)
	if err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	o.files = files
	return nil
}

// Validate checks the flags.
func (o *ValidateOptions) Validate() error {
	if err := o.PrintFlags.Validate(); err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	return nil
}

// Run checks each file: valid ones are reported on stdout (or printed with -o), problems
// and notes go to stderr, one per line, prefixed by the file name.
func (o *ValidateOptions) Run() error {
	out, errOut := o.root.Streams.Out, o.root.Streams.ErrOut
	var objs []runtime.Object
	invalid := 0
	for _, f := range o.files {
		r := validation.Check(f, o.root.Streams.In)
		for _, n := range r.Notes {
			fmt.Fprintf(errOut, "%s: note: %s\n", r.Source, n)
		}
		if !r.Valid() {
			invalid++
			for _, p := range r.Problems() {
				fmt.Fprintln(errOut, p)
			}
			continue
		}
		if o.PrintFlags.IsHuman() {
			prefix := ""
			if len(o.files) > 1 {
				// Several files may hold experiments of the same name.
				prefix = r.Source + ": "
			}
			fmt.Fprintf(out, "%sexperiment %q is valid (%s)\n", prefix, r.Experiment.Name, validation.Summary(r.Experiment))
		} else {
			objs = append(objs, experiment.WithoutStatus(r.Experiment))
		}
	}
	if len(objs) > 0 {
		if err := o.PrintFlags.PrintObjects(out, objs...); err != nil {
			return err
		}
	}
	if invalid > 0 {
		what := "the experiment is invalid"
		if len(o.files) > 1 {
			what = fmt.Sprintf("%d of %d experiment files are invalid", invalid, len(o.files))
		}
		return exitcode.UsageError("%s: fix the fields named above and run validate again", what)
	}
	return nil
}
