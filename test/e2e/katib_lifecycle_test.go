//go:build e2e

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// Ctrl-C stops creating trials, saves the state and exits 130; resume finishes the run.
func TestInterruptSavesStateAndResumes(t *testing.T) {
	ns := freshNamespace(t, "katib-sigint")
	file := experimentFile(t, "e2e/random-mnist.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = "interrupted"
		dig(obj, "spec").(map[string]any)["maxTrialCount"] = 4
	})
	cmd := exec.Command("kubectl", "katib", "run", "-f", file, "-n", ns)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := newLineWaiter(stdout)
	lines.waitFor(t, regexp.MustCompile(`trial interrupted-\S+ running`), 1)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for range lines.lines {
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("want exit 130 after Ctrl-C, got %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "kubectl katib resume interrupted") {
		t.Errorf("the interruption does not point to resume:\n%s", stderr.String())
	}
	e := getExperiment(t, ns, "interrupted")
	if last := e.Status.Conditions[len(e.Status.Conditions)-1]; last.Type != "Restarting" || e.Status.Trials == 0 {
		t.Fatalf("state after Ctrl-C: %+v", e.Status)
	}
	mustKatib(t, "resume", "interrupted", "-n", ns)
	if e := getExperiment(t, ns, "interrupted"); e.Status.Trials != 4 || e.Status.TrialsSucceeded != 4 {
		t.Fatalf("after resume: %+v", e.Status)
	}
}

// --cleanup deletes the running trials on Ctrl-C; --detach returns after the first trials.
func TestDetachAndCleanup(t *testing.T) {
	ns := freshNamespace(t, "katib-detach")
	file := experimentFile(t, "e2e/random-mnist.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = "detached"
		dig(obj, "spec").(map[string]any)["maxTrialCount"] = 3
		dig(obj, "spec", "trialTemplate").(map[string]any)["retain"] = false
	})
	out := mustKatib(t, "run", "-f", file, "-n", ns, "--detach")
	if !strings.Contains(out, "running detached with 2 trials") {
		t.Fatalf("--detach output:\n%s", out)
	}
	if n := len(getTrials(t, nil, ns, "detached")); n != 2 {
		t.Fatalf("want the first 2 trials recorded, got %d", n)
	}
	// Resume adopts the detached trials and finishes the run.
	mustKatib(t, "resume", "detached", "-n", ns)
	if e := getExperiment(t, ns, "detached"); e.Status.Trials != 3 || e.Status.TrialsSucceeded != 3 {
		t.Fatalf("after resume: %+v", e.Status)
	}

	cmd := exec.Command("kubectl", "katib", "run", "-f", file, "-n", ns, "--name", "cleaned", "--cleanup")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := newLineWaiter(stdout)
	lines.waitFor(t, regexp.MustCompile(`trial cleaned-\S+ running`), 1)
	_ = cmd.Process.Signal(syscall.SIGINT)
	for range lines.lines {
	}
	_ = cmd.Wait()
	for _, tr := range getTrials(t, nil, ns, "cleaned") {
		if s := tr.state(); s != "Killed" && s != "Succeeded" {
			t.Errorf("trial %s is %s after --cleanup", tr.Metadata.Name, s)
		}
	}
	kubectl(t, "wait", "--for=delete", "pods", "-n", ns, "-l", "katib.kubeflow.org/experiment=cleaned", "--timeout=60s")
}

// A trial whose workload someone deletes while it runs ends Failed instead of being
// waited for forever.
func TestDeletedWorkloadFailsTheTrial(t *testing.T) {
	ns := freshNamespace(t, "katib-deleted")
	file := experimentFile(t, "e2e/grid-mnist.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = "deleted"
		spec := dig(obj, "spec").(map[string]any)
		spec["maxTrialCount"], spec["parallelTrialCount"], spec["maxFailedTrialCount"] = 1, 1, 1
		c := jobContainer(obj)
		c["image"] = echoMetricImage
		c["args"] = []any{"--sleep=120s", "--print", "accuracy=${trialParameters.lr} ${trialParameters.optimizer}"}
	})
	cmd := exec.Command("kubectl", "katib", "run", "-f", file, "-n", ns)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := newLineWaiter(stdout)
	lines.waitFor(t, regexp.MustCompile(`trial deleted-\S+ running`), 1)
	kubectl(t, "delete", "jobs", "-n", ns, "-l", "katib.kubeflow.org/experiment=deleted", "--wait=false")
	lines.waitFor(t, regexp.MustCompile(`was deleted before the trial finished`), 1)
	for range lines.lines {
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit 1 (the only trial failed), got %v", err)
	}
}

// Trials whose workloads vanished while no client watched (deleted by hand) had not ended, so
// nothing was recorded of them: resume asks for them again, and the experiment still ends
// with exactly maxTrialCount trials, each recorded once.
func TestResumeRecreatesVanishedWorkloads(t *testing.T) {
	ns := freshNamespace(t, "katib-vanished")
	file := experimentFile(t, "e2e/random-mnist.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = "vanished"
		dig(obj, "spec").(map[string]any)["maxTrialCount"] = 2
	})
	cmd := exec.Command("kubectl", "katib", "run", "-f", file, "-n", ns)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := newLineWaiter(stdout)
	lines.waitFor(t, regexp.MustCompile(`trial vanished-\S+ running`), 2)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	kubectl(t, "delete", "jobs", "-n", ns, "-l", "katib.kubeflow.org/experiment=vanished", "--wait=true")
	mustKatib(t, "resume", "vanished", "-n", ns)
	if e := getExperiment(t, ns, "vanished"); e.Status.Trials != 2 || e.Status.TrialsSucceeded != 2 {
		t.Fatalf("after resume: %+v", e.Status)
	}
}
