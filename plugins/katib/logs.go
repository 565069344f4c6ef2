package katib

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/kube"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/trial"
	"github.com/kubectl-katib/plugins/plugins/cmdutil"
)

func init() { subcommands = append(subcommands, NewCmdLogs) }

// LogsOptions are the flags of `kubectl katib logs`.
type LogsOptions struct {
	root      *cmdutil.RootOptions
	Trial     string
	Follow    bool
	Container string

	clients *kube.Clients
}

// NewCmdLogs builds `kubectl katib logs`.
func NewCmdLogs(root *cmdutil.RootOptions) *cobra.Command {
	o := &LogsOptions{root: root}
	cmd := &cobra.Command{
		Use:   "logs TRIAL",
		Short: "Print the log of a trial's primary container",
		Long: fmt.Sprintf(`Print the log of a trial's primary container (the one its metrics are read from; with
the File and TensorFlowEvent collectors, the metrics are read from the collector sidecar's
log instead, which -c metrics-logger-and-collector shows).

While a trial's workload exists the whole log is read from its Pod. The workloads of the best
trial so far, of failed trials and of trials whose template sets retain: true are kept, so
their whole logs stay readable. Other finished trials' workloads are deleted, and their
record keeps the end of the log the metrics were read from: the last %d lines (at most %d
KiB), which include the lines that decided the trial's metrics.`, store.LogTailLines, store.LogTailBytes>>10),
		Example: `  # The log of a trial
  kubectl katib logs random-abcdefgh

  # Follow a running trial
  kubectl katib logs random-abcdefgh -f`,
		Args: cmdutil.ExactArgs(1, "TRIAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "Stream the log while the trial runs.")
	cmd.Flags().StringVarP(&o.Container, "container", "c", "", "Container to read (default: the experiment's primary container).")
	return cmd
}

// Complete takes the trial's name and builds the clients.
func (o *LogsOptions) Complete(args []string) error {
	o.Trial = args[0]
	c, err := clients(o.root)
	if err != nil {
		return err
	}
	o.clients = c
	return nil
}

// Validate has nothing to check beyond the arguments cobra checked.
func (o *LogsOptions) Validate() error { return nil }

// Run copies the log of the trial's newest pod, or the end of it kept with the trial's
// record once the pod is gone.
func (o *LogsOptions) Run(ctx context.Context) error {
	c := o.clients
	pods, err := c.Clientset.CoreV1().Pods(c.Namespace).List(ctx, metav1.ListOptions{LabelSelector: trial.LabelTrial + "=" + o.Trial})
	if err != nil {
		return explainAPIError(err, c, c.Namespace)
	}
	if len(pods.Items) == 0 {
		return o.stored(ctx)
	}
	tmpl := o.trialTemplate(ctx, &pods.Items[0])
	candidates := pods.Items
	if tmpl != nil && len(tmpl.PrimaryPodLabels) > 0 {
		// A master and its workers: the master's log is the trial's.
		selector := labels.SelectorFromSet(tmpl.PrimaryPodLabels)
		primary := slices.DeleteFunc(slices.Clone(pods.Items), func(p corev1.Pod) bool { return !selector.Matches(labels.Set(p.Labels)) })
		if len(primary) > 0 {
			candidates = primary
		}
	}
	slices.SortFunc(candidates, func(a, b corev1.Pod) int { return b.CreationTimestamp.Compare(a.CreationTimestamp.Time) })
	pod := candidates[0]
	container := o.Container
	if container == "" {
		container = pod.Spec.Containers[0].Name
		if tmpl != nil && tmpl.PrimaryContainerName != "" {
			container = tmpl.PrimaryContainerName
		}
	}
	rc, err := c.Clientset.CoreV1().Pods(c.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: container, Follow: o.Follow}).Stream(ctx)
	if err != nil {
		return explainAPIError(err, c, c.Namespace)
	}
	defer rc.Close()
	_, err = io.Copy(o.root.Streams.Out, rc)
	return err
}

// stored prints the end of a finished trial's log kept with its record.
func (o *LogsOptions) stored(ctx context.Context) error {
	c := o.clients
	kept, err := newStore(c, "").TrialLog(ctx, o.Trial)
	if err != nil {
		return explainAPIError(err, c, c.Namespace)
	}
	if !kept.Recorded {
		return fmt.Errorf("trial %q has no pod and no record in namespace %q: it may not have started yet; list the experiment's trials with 'kubectl katib get trials EXPERIMENT -n %s'", o.Trial, c.Namespace, c.Namespace)
	}
	if o.Container != "" {
		return fmt.Errorf("trial %q has no pod any more: only the end of its primary container's log was kept, so --container cannot be used", o.Trial)
	}
	if !kept.Kept {
		return fmt.Errorf("trial %q has no pod any more, and no log was kept with its record (it was recorded by an earlier release, or its log could not be read)", o.Trial)
	}
	if kept.Tail == "" {
		fmt.Fprintf(o.root.Streams.ErrOut, "trial %q has no pod any more, and its log was empty\n", o.Trial)
		return nil
	}
	fmt.Fprintf(o.root.Streams.ErrOut, "trial %q has no pod any more; these are the last lines of its log, kept with its record (up to %d lines)\n", o.Trial, store.LogTailLines)
	_, err = fmt.Fprintln(o.root.Streams.Out, kept.Tail)
	return err
}

// trialTemplate is the trial template of the pod's experiment, read from its stored state;
// nil when the state cannot be read.
func (o *LogsOptions) trialTemplate(ctx context.Context, pod *corev1.Pod) *experiment.TrialTemplate {
	exp := pod.Labels[trial.LabelExperiment]
	if exp == "" {
		return nil
	}
	st, err := (&store.Store{Client: o.clients.Clientset, Namespace: pod.Namespace}).Get(ctx, exp, store.LoadOptions{ExperimentOnly: true})
	if err != nil {
		return nil
	}
	return st.Experiment.Spec.TrialTemplate
}
