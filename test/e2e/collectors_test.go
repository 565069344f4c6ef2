//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// The File and TensorFlowEvent collectors: Katib's own examples with only the image and
// command swapped for the project's trainer, which writes its metrics to the file the
// example names (and prints the same values to stdout, which the test compares with what was
// recorded). Each trial Pod gets the collector as a native sidecar; the tests check that it
// ends with the trainer, so the Pod succeeds and the Job completes promptly.

const collectorContainer = "metrics-logger-and-collector"

// sidecarGrace bounds how long after the trainer's end the sidecar may still run: container
// times have one-second precision, and the kubelet stops a native sidecar within moments of
// the main container's exit. jobGrace bounds the Job's completion, which also waits for the
// Job controller to see the Pod's end (a few seconds on a busy two-core machine). A sidecar
// that kept the Pod alive would exceed both by far: the Job would never complete.
const (
	sidecarGrace = 5 * time.Second
	jobGrace     = 15 * time.Second
)

// collectorTrainerCommand is the trainer's command for a Katib example's Job: small and fast, with
// the example's parameters.
func collectorTrainerCommand(extra ...string) []any {
	cmd := []any{"/trainer", "--epochs=3", "--batch-size=32", "--num-train=1000", "--num-test=500",
		"--lr=${trialParameters.learningRate}", "--momentum=${trialParameters.momentum}"}
	for _, e := range extra {
		cmd = append(cmd, e)
	}
	return cmd
}

// swapTrainer puts the project's trainer in a Katib example and keeps the trial Jobs, so
// that their Pods can be inspected after the run.
func swapTrainer(obj map[string]any, extra ...string) {
	spec := dig(obj, "spec").(map[string]any)
	spec["maxTrialCount"] = 2
	spec["parallelTrialCount"] = 2
	spec["maxFailedTrialCount"] = 1
	dig(obj, "spec", "trialTemplate").(map[string]any)["retain"] = true
	c := jobContainer(obj)
	c["image"] = trainerImage
	c["imagePullPolicy"] = "Never"
	c["command"] = collectorTrainerCommand(extra...)
	delete(c, "resources")
}

func TestFileCollectorText(t *testing.T) {
	ns := freshNamespace(t, "file-collector")
	// The example's filter reads "{metricName: accuracy, metricValue: 0.8491}", the lines
	// Katib's PyTorch example logs; the trainer writes them with --metrics-file-style pytorch.
	file := experimentFile(t, "katib-examples/metrics-collector/file-metrics-collector.yaml", func(obj map[string]any) {
		swapTrainer(obj, "--metrics-file=/katib/mnist.log", "--metrics-file-style=pytorch")
	})
	runCollectorExperiment(t, ns, file, "file-metrics-collector", map[string]string{"accuracy": "accuracy", "loss": "loss"})
}

func TestFileCollectorJSON(t *testing.T) {
	ns := freshNamespace(t, "file-collector-json")
	file := experimentFile(t, "katib-examples/metrics-collector/file-metrics-collector-with-json-format.yaml", func(obj map[string]any) {
		swapTrainer(obj, "--metrics-file=/katib/mnist.json")
	})
	runCollectorExperiment(t, ns, file, "file-metrics-collector-with-json-format", map[string]string{"accuracy": "accuracy", "loss": "loss"})
}

func TestFileCollectorTensorFlowEvent(t *testing.T) {
	ns := freshNamespace(t, "tfevent-collector")
	// Katib's convention for event files in subdirectories: "train/accuracy" is the tag
	// accuracy of the files under a directory named train.
	file := experimentFile(t, "katib-examples/metrics-collector/file-metrics-collector.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = "tfevent-collector"
		spec := dig(obj, "spec").(map[string]any)
		spec["metricsCollectorSpec"] = map[string]any{
			"collector": map[string]any{"kind": "TensorFlowEvent"},
			"source":    map[string]any{"fileSystemPath": map[string]any{"path": "/katib/tb", "kind": "Directory"}},
		}
		objective := spec["objective"].(map[string]any)
		objective["objectiveMetricName"] = "train/accuracy"
		objective["additionalMetricNames"] = []any{"train/loss"}
		swapTrainer(obj, "--tf-events=/katib/tb/train")
	})
	runCollectorExperiment(t, ns, file, "tfevent-collector", map[string]string{"train/accuracy": "accuracy", "train/loss": "loss"})
}

// Katib's early stopping example reads a JSON metrics file: median stopping works on the
// reports the sidecar forwards while the trainer runs.
func TestFileCollectorEarlyStopping(t *testing.T) {
	ns := freshNamespace(t, "file-collector-es")
	file := experimentFile(t, "katib-examples/early-stopping/median-stop-with-json-format.yaml", func(obj map[string]any) {
		swapTrainer(obj)
		spec := dig(obj, "spec").(map[string]any)
		spec["maxTrialCount"] = 4
		c := jobContainer(obj)
		c["command"] = []any{"/trainer", "--epochs=${trialParameters.numberEpochs}", "--batch-size=32", "--num-train=2000", "--num-test=500",
			"--lr=${trialParameters.learningRate}", "--metrics-file=/katib/mnist.json"}
	})
	r := katib(t, "run", "-f", file, "-n", ns)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	trials := getTrials(t, nil, ns, "median-stop-with-json-format")
	if len(trials) != 4 {
		t.Fatalf("want 4 trials, got %d", len(trials))
	}
	for _, tr := range trials {
		switch tr.state() {
		case "Succeeded":
			printed := printedMetrics(t, kubectlTB(t, "logs", "-n", ns, "job/"+tr.Metadata.Name, "-c", "training-container"))
			for _, m := range tr.Status.Observation.Metrics {
				if w := printed[m.Name]; !sameNumber(m.Max, w[1]) || !sameNumber(m.Latest, w[2]) {
					t.Errorf("trial %s: %s recorded max/latest %s/%s, printed %s/%s", tr.Metadata.Name, m.Name, m.Max, m.Latest, w[1], w[2])
				}
			}
			checkPodEnded(t, ns, tr.Metadata.Name)
		case "EarlyStopped":
			t.Logf("trial %s stopped early: %+v", tr.Metadata.Name, tr.Status.Observation)
		default:
			t.Errorf("trial %s: %s %+v", tr.Metadata.Name, tr.state(), tr.Status.Conditions)
		}
	}
}

// epochLine is what the trainer prints to stdout after each epoch.
var epochLine = regexp.MustCompile(`(?m)^epoch=(\d+) accuracy=([0-9.]+) loss=([0-9.]+)$`)

// runCollectorExperiment runs the experiment, then checks every trial: its recorded metrics
// (metric name -> the trainer's name for it) are those the trainer printed, under the
// experiment's strategy (maximize: max for every metric, as Katib defaults them), and its
// Pod ended with the trainer.
func runCollectorExperiment(t *testing.T, ns, file, name string, metrics map[string]string) {
	t.Helper()
	start := time.Now()
	r := katib(t, "run", "-f", file, "-n", ns)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	t.Logf("run took %s", time.Since(start).Round(100*time.Millisecond))
	trials := getTrials(t, nil, ns, name)
	if len(trials) != 2 {
		t.Fatalf("want 2 trials, got %d", len(trials))
	}
	for _, tr := range trials {
		if tr.state() != "Succeeded" || tr.Status.Observation == nil {
			t.Fatalf("trial %s: %s, observation %+v", tr.Metadata.Name, tr.state(), tr.Status.Observation)
		}
		printed := kubectlTB(t, "logs", "-n", ns, "job/"+tr.Metadata.Name, "-c", "training-container")
		want := printedMetrics(t, printed)
		got := map[string][3]string{}
		for _, m := range tr.Status.Observation.Metrics {
			got[m.Name] = [3]string{m.Min, m.Max, m.Latest}
		}
		for metric, trainerName := range metrics {
			w := want[trainerName]
			g, ok := got[metric]
			if !ok {
				t.Errorf("trial %s: %s not recorded; observation %+v", tr.Metadata.Name, metric, tr.Status.Observation.Metrics)
				continue
			}
			for i, what := range []string{"min", "max", "latest"} {
				if !sameNumber(g[i], w[i]) {
					t.Errorf("trial %s: %s %s recorded %s, the trainer printed %s", tr.Metadata.Name, metric, what, g[i], w[i])
				}
			}
			t.Logf("trial %s: %s recorded min/max/latest %s/%s/%s; printed %s/%s/%s", tr.Metadata.Name, metric, g[0], g[1], g[2], w[0], w[1], w[2])
		}
		checkPodEnded(t, ns, tr.Metadata.Name)
	}
}

// printedMetrics returns, per metric the trainer prints, its min, max and latest value.
func printedMetrics(t *testing.T, log string) map[string][3]string {
	t.Helper()
	lines := epochLine.FindAllStringSubmatch(log, -1)
	if len(lines) == 0 {
		t.Fatalf("no epoch line in the trainer's log:\n%s", log)
	}
	out := map[string][3]string{}
	for i, name := range []string{"accuracy", "loss"} {
		var lo, hi, last string
		for _, l := range lines {
			v := l[i+2]
			if lo == "" || num(v) < num(lo) {
				lo = v
			}
			if hi == "" || num(v) > num(hi) {
				hi = v
			}
			last = v
		}
		out[name] = [3]string{lo, hi, last}
	}
	return out
}

func num(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func sameNumber(a, b string) bool { return num(a) == num(b) }

// checkPodEnded checks that the trial's Pod succeeded with its sidecar terminated, and that
// neither the sidecar nor the Job outlived the trainer by more than their grace.
func checkPodEnded(t *testing.T, ns, trial string) {
	t.Helper()
	var pods struct {
		Items []struct {
			Metadata struct{ Name string }
			Status   struct {
				Phase                 string
				InitContainerStatuses []containerStatus
				ContainerStatuses     []containerStatus
			}
		}
	}
	out := kubectlTB(t, "get", "pods", "-n", ns, "-l", "katib.kubeflow.org/trial="+trial, "-o", "json")
	if err := json.Unmarshal([]byte(out), &pods); err != nil || len(pods.Items) != 1 {
		t.Fatalf("trial %s: want one pod: %v\n%s", trial, err, out)
	}
	pod := pods.Items[0]
	var trainerEnd, sidecarEnd time.Time
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == "training-container" && cs.State.Terminated != nil {
			trainerEnd = cs.State.Terminated.FinishedAt
		}
	}
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.Name == collectorContainer {
			if cs.State.Terminated == nil {
				t.Errorf("pod %s: the collector sidecar has not terminated: %+v", pod.Metadata.Name, cs.State)
				continue
			}
			if cs.State.Terminated.ExitCode != 0 {
				t.Errorf("pod %s: the collector sidecar exited with %d", pod.Metadata.Name, cs.State.Terminated.ExitCode)
			}
			sidecarEnd = cs.State.Terminated.FinishedAt
		}
	}
	if pod.Status.Phase != "Succeeded" || trainerEnd.IsZero() || sidecarEnd.IsZero() {
		t.Fatalf("pod %s: phase %s, trainer ended %v, sidecar ended %v", pod.Metadata.Name, pod.Status.Phase, trainerEnd, sidecarEnd)
	}
	var job struct {
		Status struct{ CompletionTime time.Time }
	}
	if err := json.Unmarshal([]byte(kubectlTB(t, "get", "job", trial, "-n", ns, "-o", "json")), &job); err != nil || job.Status.CompletionTime.IsZero() {
		t.Fatalf("job %s has not completed: %v", trial, err)
	}
	sidecarAfter, jobAfter := sidecarEnd.Sub(trainerEnd), job.Status.CompletionTime.Sub(trainerEnd)
	t.Logf("pod %s: trainer ended %s, sidecar %s later, job complete %s later", pod.Metadata.Name,
		trainerEnd.Format(time.TimeOnly), sidecarAfter, jobAfter)
	if sidecarAfter > sidecarGrace || jobAfter > jobGrace {
		t.Errorf("pod %s outlived its trainer: sidecar by %s, job by %s", pod.Metadata.Name, sidecarAfter, jobAfter)
	}
}

type containerStatus struct {
	Name  string
	State struct {
		Running    *struct{}
		Terminated *struct {
			ExitCode   int
			FinishedAt time.Time
		}
	}
}

// TestFileCollectorSidecarRestart kills the collector sidecar (SIGKILL through containerd, as
// an out-of-memory kill would) while the trainer runs. The kubelet restarts it and the new run
// prints the metrics file again from the start; the trial must still record every epoch
// exactly once, with the values the trainer printed, and not end its log at the kill.
func TestFileCollectorSidecarRestart(t *testing.T) {
	sock := filepath.Join(clusterDir(t), "containerd", "containerd.sock")
	if _, err := os.Stat(sock); err != nil {
		t.Skipf("the container runtime is not one this checkout's cluster started (%v)", err)
	}
	ns := freshNamespace(t, "file-collector-restart")
	const epochs = 30
	file := experimentFile(t, "katib-examples/metrics-collector/file-metrics-collector.yaml", func(obj map[string]any) {
		swapTrainer(obj)
		spec := dig(obj, "spec").(map[string]any)
		spec["maxTrialCount"], spec["parallelTrialCount"] = 1, 1
		// About 0.7 s per epoch: the kill comes after the third, long before the last.
		jobContainer(obj)["command"] = []any{"/trainer", fmt.Sprintf("--epochs=%d", epochs), "--batch-size=32", "--num-train=20000",
			"--num-test=1000", "--lr=${trialParameters.learningRate}", "--momentum=${trialParameters.momentum}",
			"--metrics-file=/katib/mnist.log", "--metrics-file-style=pytorch"}
	})
	c := startKatib(t, nil, "run", "-f", file, "-n", ns)

	pod, id := "", ""
	deadline := time.Now().Add(2 * time.Minute)
	for id == "" {
		if time.Now().After(deadline) {
			t.Fatalf("the collector did not forward 3 epochs within 2 minutes; the client printed:\n%s", c.kill(t))
		}
		time.Sleep(200 * time.Millisecond)
		var pods corev1.PodList
		if err := json.Unmarshal([]byte(kubectlTB(t, "get", "pods", "-n", ns, "-o", "json")), &pods); err != nil || len(pods.Items) == 0 {
			continue
		}
		p := pods.Items[0]
		for _, cs := range p.Status.InitContainerStatuses {
			if cs.Name != collectorContainer || cs.State.Running == nil {
				continue
			}
			out, _, err := runKubectl("logs", "-n", ns, p.Name, "-c", collectorContainer)
			if err == nil && strings.Count(out, "metricName: accuracy") >= 3 {
				pod, id = p.Name, strings.TrimPrefix(cs.ContainerID, "containerd://")
			}
		}
	}
	if out, err := exec.Command("ctr", "-a", sock, "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", id).CombinedOutput(); err != nil {
		t.Fatalf("killing the collector: %v\n%s", err, out)
	}
	code, out := c.wait(t, 5*time.Minute)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, c.stderr.String())
	}

	restarts := kubectlTB(t, "get", "pod", "-n", ns, pod, "-o", "jsonpath={.status.initContainerStatuses[0].restartCount}")
	if restarts == "0" || restarts == "" {
		t.Fatalf("the collector was not restarted (restartCount %q): the kill did not happen as planned", restarts)
	}
	// The restarted collector printed the whole file again, so the engine had repeats to skip.
	again := strings.Count(kubectlTB(t, "logs", "-n", ns, pod, "-c", collectorContainer), "metricName: accuracy")
	trials := storedTrials(t, ns, "file-metrics-collector")
	if len(trials) != 1 || trials[0].State != suggest.StateSucceeded {
		t.Fatalf("want 1 succeeded trial, got %+v", trials)
	}
	tr := trials[0]
	printed := epochLine.FindAllStringSubmatch(kubectlTB(t, "logs", "-n", ns, "job/"+tr.Name, "-c", "training-container"), -1)
	if len(printed) != epochs || len(tr.Reports) != epochs {
		t.Fatalf("the trainer printed %d epochs, the trial recorded %d reports: %v", len(printed), len(tr.Reports), tr.Reports)
	}
	for i, p := range printed {
		if !sameNumber(strconv.FormatFloat(tr.Reports[i], 'f', -1, 64), p[2]) {
			t.Errorf("epoch %d: recorded accuracy %v, the trainer printed %s", i+1, tr.Reports[i], p[2])
		}
	}
	t.Logf("collector restarted %s time(s), its last run printed %d of the %d epochs again; the trial recorded each epoch once, as printed (best %v)",
		restarts, again, epochs, *tr.Objective)
}
