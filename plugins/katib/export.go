package katib

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/export"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdExport) }

// exportFormats are the values of --format.
var exportFormats = []string{"csv", "optuna-journal"}

// ExportOptions are the flags of `kubectl katib export`.
type ExportOptions struct {
	root   *cmdutil.RootOptions
	Name   string
	Format string
	File   string
}

// NewCmdExport builds `kubectl katib export`.
func NewCmdExport(root *cmdutil.RootOptions) *cobra.Command {
	o := &ExportOptions{root: root}
	cmd := &cobra.Command{
		Use:   "export NAME --format csv|optuna-journal",
		Short: "Write an experiment's trials as CSV or as an Optuna journal file",
		Long: `Write every trial of an experiment to standard output (or --file), for a spreadsheet, a
notebook or Optuna's own tools.

--format csv: a header row, then one row per trial in the order they were created: name,
index, state, each parameter as recorded, each metric after its strategy (min, max or
latest, as compare shows it), the objective, creation, start and completion times (RFC 3339, UTC) and the duration
in seconds.

--format optuna-journal: the experiment as an Optuna study in the journal format of
optuna.storages.JournalFileStorage (Optuna 3.1 and later). Load it with
  storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage("study.log"))
  study = optuna.load_study(study_name="NAMESPACE/NAME", storage=storage)
to use Optuna's plots, importance evaluators or dashboard. Each trial keeps its parameters
with their distributions, its objective, its intermediate values (one per step) and, as user
attributes, its Katib name, state and every metric. Succeeded trials are COMPLETE,
early-stopped ones PRUNED, failed, killed and metric-less ones FAIL, unfinished ones RUNNING.
Write it to a new file: a journal holds one study and must not be appended to another.`,
		Example: `  # A spreadsheet of the trials
  kubectl katib export mnist-random --format csv > trials.csv

  # Open the experiment in Optuna
  kubectl katib export mnist-random --format optuna-journal --file study.log
  python3 -c 'import optuna; s = optuna.load_study(study_name="default/mnist-random",
    storage=optuna.storages.JournalStorage(optuna.storages.JournalFileStorage("study.log")));
    print(s.best_trial)'`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: completeExperiments(root),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "", "What to write: "+strings.Join(exportFormats, " or ")+".")
	cmd.Flags().StringVar(&o.File, "file", "", "Write to this file instead of standard output (it is replaced).")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(exportFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Validate checks --format before anything is read.
func (o *ExportOptions) Validate() error {
	if o.Format == "" {
		return exitcode.UsageError("say what to write with --format %s", strings.Join(exportFormats, " or "))
	}
	if !slices.Contains(exportFormats, o.Format) {
		return exitcode.UsageError("unknown --format %q: use %s", o.Format, strings.Join(exportFormats, " or "))
	}
	return nil
}

// Run reads the experiment with every trial's intermediate values and writes it.
func (o *ExportOptions) Run(ctx context.Context) error {
	states, _, err := loadStates(ctx, o.root, []string{o.Name}, true)
	if err != nil {
		return err
	}
	write := export.CSV
	if o.Format == "optuna-journal" {
		write = export.OptunaJournal
	}
	return writeOut(o.root.Streams.Out, o.File, func(w io.Writer) error { return write(w, states[0]) })
}

// writeOut writes to path, or to out when path is empty. A file is written whole or not
// at all: it is renamed into place only once everything was written.
func writeOut(out io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(out)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".kubectl-katib-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
