package katib

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/kube"
	"github.com/kubectl-katib/plugins/pkg/output"
	"github.com/kubectl-katib/plugins/pkg/report"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/trial"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

const defaultTrialStartTimeout = 3 * time.Minute

// runFlags are the flags run and resume share.
type runFlags struct {
	TrialStartTimeout time.Duration
	OutageTimeout     time.Duration
	Cleanup           bool
	CollectorImage    string
}

func (f *runFlags) add(cmd *cobra.Command, what string) {
	f.TrialStartTimeout, f.OutageTimeout = defaultTrialStartTimeout, runner.DefaultOutageTimeout
	cmd.Flags().DurationVar(&f.TrialStartTimeout, "trial-start-timeout", f.TrialStartTimeout, "Fail a trial whose container has not started after this long (image pull errors, unschedulable pods); 0 waits forever.")
	cmd.Flags().DurationVar(&f.OutageTimeout, "outage-timeout", f.OutageTimeout, "How long to wait for an unreachable API server before exiting with code 1; what ended is recorded and 'resume' continues the rest.")
	cmd.Flags().BoolVar(&f.Cleanup, "cleanup", false, "On Ctrl-C, delete the running trials instead of leaving them for "+what+".")
	cmd.Flags().StringVar(&f.CollectorImage, "collector-image", trial.DefaultCollectorImage, "Image of the metrics collector sidecar added to the trials of experiments whose collector is File or TensorFlowEvent. The default is the image 'make images' builds into the local development cluster; a release publishes the image to a registry, and other clusters need that reference (or your own copy's).")
}

func (f *runFlags) validate() error {
	if f.TrialStartTimeout < 0 {
		return exitcode.UsageError("--trial-start-timeout must not be negative (0 waits forever), got %s", f.TrialStartTimeout)
	}
	if f.OutageTimeout <= 0 {
		return exitcode.UsageError("--outage-timeout must be positive, got %s", f.OutageTimeout)
	}
	return nil
}

func (f *runFlags) config(c *kube.Clients, ns string) runner.Config {
	return runner.Config{
		Client: c.Clientset, Dynamic: c.Dynamic, Mapper: c.Mapper, Store: newStore(c, ns),
		TrialStartTimeout: f.TrialStartTimeout, OutageTimeout: f.OutageTimeout, Cleanup: f.Cleanup,
		CollectorImage: f.CollectorImage,
	}
}

// clients builds the Kubernetes clients from kubectl's flags.
func clients(root *cmdutil.RootOptions) (*kube.Clients, error) {
	return kube.NewClients(root.ConfigFlags, "katib")
}

func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			return width
		}
	}
	return 0
}

// newStore reads and writes experiment state in the clients' namespace (or ns).
func newStore(c *kube.Clients, ns string) *store.Store {
	if ns == "" {
		ns = c.Namespace
	}
	return &store.Store{Client: c.Clientset, Dynamic: c.Dynamic, Metadata: c.Metadata, Mapper: c.Mapper, Namespace: ns}
}

// explainRunError says what to do about the errors that end a run.
func explainRunError(err error, c *kube.Clients, namespace string) error {
	var exists *runner.ExistsError
	var conflict *runner.ConflictError
	var unreachable *runner.UnreachableError
	switch {
	case errors.As(err, &exists):
		return fmt.Errorf("%w: continue it with 'kubectl katib resume %s -n %s', or delete it with 'kubectl katib delete %s -n %s' to start over",
			err, exists.Name, exists.Namespace, exists.Name, exists.Namespace)
	case errors.As(err, &conflict):
		return fmt.Errorf("%w: is another 'kubectl katib run' or 'resume' driving it? Stop that client, then 'kubectl katib resume %s -n %s'",
			err, conflict.Name, conflict.Namespace)
	case errors.As(err, &unreachable):
		return fmt.Errorf("%w; once the cluster answers again (%s), continue with 'kubectl katib resume %s -n %s', which adopts the running trials and reads their logs again",
			err, c.Context, unreachable.Name, unreachable.Namespace)
	}
	return explainAPIError(err, c, namespace)
}

// explainAPIError turns the errors users meet most into one sentence with what to do.
func explainAPIError(err error, c *kube.Clients, namespace string) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w\nyour credentials (%s) lack a permission in namespace %q: see README's minimal Role for kubectl katib", err, c.Context, namespace)
	case apierrors.IsNotFound(err) && isNamespaceMissing(err):
		return fmt.Errorf("namespace %q does not exist (%s): create it or pass -n with an existing one", namespace, c.Context)
	case isUnreachable(err):
		return fmt.Errorf("cannot reach the cluster (%s): %w", c.Context, err)
	}
	return err
}

func isNamespaceMissing(err error) bool {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		d := status.Status().Details
		return d != nil && d.Kind == "namespaces"
	}
	return false
}

// isUnreachable matches transport errors: the API server never answered.
func isUnreachable(err error) bool {
	var urlErr *url.Error
	var netErr net.Error
	return errors.As(err, &urlErr) || errors.As(err, &netErr)
}

// runExperiment drives a stored experiment and prints the outcome; it is shared by run and
// resume.
func runExperiment(ctx context.Context, root *cmdutil.RootOptions, c *kube.Clients, r *runner.Runner, printFlags *output.PrintFlags) error {
	out := root.Streams.Out
	progress := out
	if !printFlags.IsHuman() {
		progress = root.Streams.ErrOut
	}
	var live *report.Live
	if output.IsTerminal(progress) {
		live = &report.Live{W: progress, Color: output.Color(progress), Width: terminalWidth(progress), Chart: true}
		r.SetReporter(live)
	} else {
		r.SetReporter(&report.Lines{W: progress})
	}
	st := r.State()
	outcome, runErr := r.Run(ctx)
	if live != nil {
		live.Stop()
	}
	if runErr != nil {
		return explainRunError(runErr, c, st.Experiment.Namespace)
	}
	st = r.State()
	switch outcome {
	case runner.Detached:
		fmt.Fprintf(out, "experiment %q is running detached with %d trials; follow it with 'kubectl katib resume %s -n %s' or inspect it with 'kubectl katib get trials %s -n %s'\n",
			st.Experiment.Name, st.Counts().Total, st.Experiment.Name, st.Experiment.Namespace, st.Experiment.Name, st.Experiment.Namespace)
		return nil
	case runner.Interrupted:
		fmt.Fprintf(root.Streams.ErrOut, "interrupted: the state of experiment %q is saved; continue with 'kubectl katib resume %s -n %s'\n",
			st.Experiment.Name, st.Experiment.Name, st.Experiment.Namespace)
		return exitcode.Silent{Code: exitcode.Interrupted}
	}
	if printFlags.IsHuman() {
		fmt.Fprintln(out)
		if err := report.Comparison(out, st, printFlags.Format() == "wide", terminalWidth(out), time.Now()); err != nil {
			return err
		}
		fmt.Fprintln(out)
		report.Best(out, st)
		if output.IsTerminal(out) {
			if err := report.HistoryChart(out, st, terminalWidth(out), output.Color(out)); err != nil {
				return err
			}
		}
	} else if err := printFlags.PrintObjects(out, st.KatibExperiment()); err != nil {
		return err
	}
	if outcome == runner.Failed {
		msg := ""
		if n := len(st.Status.Conditions); n > 0 {
			msg = st.Status.Conditions[n-1].Message
		}
		fmt.Fprintf(root.Streams.ErrOut, "experiment %q failed: %s\n", st.Experiment.Name, msg)
		return exitcode.Silent{Code: exitcode.Failure}
	}
	return nil
}

// getConfigMapData reads a ConfigMap's data, for trial templates kept in ConfigMaps.
func getConfigMapData(c *kube.Clients) func(ctx context.Context, ns, name string) (map[string]string, error) {
	return func(ctx context.Context, ns, name string) (map[string]string, error) {
		cm, err := c.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return cm.Data, nil
	}
}
