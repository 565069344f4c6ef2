package katib

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

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
}

// NewCmdLogs builds `kubectl katib logs`.
func NewCmdLogs(root *cmdutil.RootOptions) *cobra.Command {
	o := &LogsOptions{root: root}
	cmd := &cobra.Command{
		Use:   "logs TRIAL",
		Short: "Print the log of a trial's primary container",
		Long: `Print the log of a trial's primary container (the one its metrics are read from).

Workloads of succeeded trials are deleted when they finish unless the trial template sets
retain: true; failed trials keep theirs so that their logs can be read.`,
		Example: `  # The log of a trial
  kubectl katib logs random-abcdefgh

  # Follow a running trial
  kubectl katib logs random-abcdefgh -f`,
		Args: cmdutil.ExactArgs(1, "TRIAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Trial = args[0]
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "Stream the log while the trial runs.")
	cmd.Flags().StringVarP(&o.Container, "container", "c", "", "Container to read (default: the experiment's primary container).")
	return cmd
}

// Run finds the trial's newest pod and copies its log.
func (o *LogsOptions) Run(ctx context.Context) error {
	c, err := clients(o.root)
	if err != nil {
		return err
	}
	pods, err := c.Clientset.CoreV1().Pods(c.Namespace).List(ctx, metav1.ListOptions{LabelSelector: trial.LabelTrial + "=" + o.Trial})
	if err != nil {
		return explainAPIError(err, c, c.Namespace)
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("trial %q has no pod in namespace %q: it may not have started, or its workload was deleted when it finished (set retain: true in the trial template to keep it)", o.Trial, c.Namespace)
	}
	sort.Slice(pods.Items, func(i, j int) bool {
		return pods.Items[j].CreationTimestamp.Before(&pods.Items[i].CreationTimestamp)
	})
	pod := pods.Items[0]
	container := o.Container
	if container == "" {
		container = o.primaryContainer(ctx, c.Clientset, &pod)
	}
	rc, err := c.Clientset.CoreV1().Pods(c.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: container, Follow: o.Follow}).Stream(ctx)
	if err != nil {
		return explainAPIError(err, c, c.Namespace)
	}
	defer rc.Close()
	_, err = io.Copy(o.root.Streams.Out, rc)
	return err
}

// primaryContainer is the experiment's primaryContainerName, read from its stored state;
// the pod's first container when the state cannot be read.
func (o *LogsOptions) primaryContainer(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod) string {
	fallback := ""
	if len(pod.Spec.Containers) > 0 {
		fallback = pod.Spec.Containers[0].Name
	}
	exp := pod.Labels[trial.LabelExperiment]
	if exp == "" {
		return fallback
	}
	st, err := (&store.Store{Client: client, Namespace: pod.Namespace}).Get(ctx, exp)
	if err != nil || st.Experiment.Spec.TrialTemplate == nil || st.Experiment.Spec.TrialTemplate.PrimaryContainerName == "" {
		return fallback
	}
	return st.Experiment.Spec.TrialTemplate.PrimaryContainerName
}
