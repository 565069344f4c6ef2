//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// trainerKindYAML is an experiment whose trials are Trainers, a kind kubectl katib knows only
// through discovery: a master Pod runs the MNIST trainer, and each worker prints a decoy
// accuracy, then stays (a worker that never ends by itself, like a parameter server).
func trainerKindYAML(name string, workers, trials, parallel int, epochs string) string {
	return fmt.Sprintf(`apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: %[1]s
spec:
  objective: {type: maximize, objectiveMetricName: accuracy}
  algorithm: {algorithmName: grid}
  parallelTrialCount: %[4]d
  maxTrialCount: %[3]d
  maxFailedTrialCount: 1
  parameters:
    - name: lr
      parameterType: discrete
      feasibleSpace: {list: ["0.05", "0.1", "0.02"]}
  trialTemplate:
    retain: true
    primaryContainerName: trainer
    primaryPodLabels: {fixture.kubectl-katib.io/role: master}
    successCondition: status.conditions.#(type=="Succeeded")#|#(status=="True")#
    failureCondition: status.conditions.#(type=="Failed")#|#(status=="True")#
    trialParameters:
      - {name: learningRate, reference: lr}
    trialSpec:
      apiVersion: fixture.kubectl-katib.io/v1
      kind: Trainer
      spec:
        master:
          template:
            spec:
              containers:
                - name: trainer
                  image: %[6]s
                  imagePullPolicy: Never
                  args: ["--epochs=%[5]s", "--num-train=2000", "--num-test=1000", "--lr=${trialParameters.learningRate}"]
        worker:
          replicas: %[2]d
          template:
            spec:
              containers:
                - name: worker
                  image: %[7]s
                  imagePullPolicy: Never
                  args: ["--print", "accuracy=0.01", "--linger", "1h"]
`, name, workers, trials, parallel, epochs, trainerImage, echoMetricImage)
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "experiment.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startTrainerController installs the Trainer CRD and runs its controller for the test's
// namespace until the test ends.
func startTrainerController(t *testing.T, ns string) {
	t.Helper()
	crd := filepath.Join(repoRoot(), "test/e2e/fixture/trainer-crd.yaml")
	kubectl(t, "apply", "--server-side", "-f", crd)
	// The kind exists only for this test; the cluster is left as it was found.
	t.Cleanup(func() { runKubectlEnv(nil, "delete", "-f", crd, "--ignore-not-found", "--wait=false") })
	kubectl(t, "wait", "--for=condition=Established", "--timeout=60s", "crd/trainers.fixture.kubectl-katib.io")
	bin := filepath.Join(t.TempDir(), "trainer-controller")
	build := exec.Command("go", "build", "-o", bin, "./test/e2e/fixture/trainer-controller")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the Trainer controller: %v\n%s", err, out)
	}
	logPath := filepath.Join(t.TempDir(), "controller.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--kubeconfig", os.Getenv("KUBECONFIG"), "--namespace", ns)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("Trainer controller log:\n%s", b)
		}
	})
}

// lastAccuracy is the last "accuracy=" value a Pod's log shows.
func lastAccuracy(t *testing.T, ns, pod string) string {
	t.Helper()
	matches := regexp.MustCompile(`\baccuracy=([0-9.]+)`).FindAllStringSubmatch(kubectl(t, "logs", "-n", ns, pod), -1)
	if len(matches) == 0 {
		t.Fatalf("pod %s printed no accuracy", pod)
	}
	return matches[len(matches)-1][1]
}

// TestGenericKindTrials runs trials of a custom resource kind kubectl katib has never heard
// of: only the master Pod's metrics count (each worker prints accuracy=0.01), every trial
// ends through its success condition, and a trial killed while it runs loses all of its
// Pods.
func TestGenericKindTrials(t *testing.T) {
	ns := freshNamespace(t, "e2e-trainer")

	// A kind the cluster does not serve is refused before anything is created.
	missing := strings.Replace(trainerKindYAML("missing", 1, 1, 1, "1"), "fixture.kubectl-katib.io/v1", "nowhere.kubectl-katib.io/v1", 1)
	r := katib(t, "run", "-f", writeFile(t, missing), "-n", ns)
	if r.code == 0 || !strings.Contains(r.errOut, "the cluster does not serve nowhere.kubectl-katib.io/v1 Trainer") {
		t.Fatalf("run with an unserved kind: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	if out := kubectl(t, "get", "configmaps", "-n", ns, "-l", "katib.kubeflow.org/experiment", "-o", "name"); out != "" {
		t.Fatalf("a refused run left objects behind:\n%s", out)
	}

	startTrainerController(t, ns)
	out := mustKatib(t, "run", "-f", writeFile(t, trainerKindYAML("trainers", 2, 3, 2, "1")), "-n", ns)
	e := getExperiment(t, ns, "trainers")
	if e.Status.Trials != 3 || e.Status.TrialsSucceeded != 3 {
		t.Fatalf("want 3 succeeded trials: %+v\n%s", e.Status, out)
	}
	for _, tr := range getTrials(t, nil, ns, "trainers") {
		if tr.Status.Observation == nil || len(tr.Status.Observation.Metrics) == 0 {
			t.Fatalf("trial %s has no metrics", tr.Metadata.Name)
		}
		got := tr.Status.Observation.Metrics[0].Latest
		want := lastAccuracy(t, ns, tr.Metadata.Name+"-master-0")
		gv, _ := strconv.ParseFloat(got, 64)
		wv, _ := strconv.ParseFloat(want, 64)
		if gv != wv || gv == 0.01 {
			t.Errorf("trial %s recorded accuracy %s; its master printed %s last", tr.Metadata.Name, got, want)
		}
	}
	// The controller removes a finished Trainer's workers; only the masters remain.
	kubectl(t, "wait", "--for=delete", "pods", "-n", ns, "-l", "fixture.kubectl-katib.io/role=worker", "--timeout=60s")

	// Killed while running: --cleanup deletes the Trainer on Ctrl-C, and with it all of its
	// Pods (through their owner reference).
	cmd := exec.Command("kubectl", "katib", "run", "-f", writeFile(t, trainerKindYAML("killed", 2, 1, 1, "50")), "-n", ns, "--cleanup")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := newLineWaiter(stdout)
	lines.waitFor(t, regexp.MustCompile(`trial killed-\S+ running`), 1)
	kubectl(t, "wait", "--for=condition=Ready", "pods", "-n", ns, "-l", "katib.kubeflow.org/experiment=killed", "--timeout=60s")
	pods := strings.Fields(kubectl(t, "get", "pods", "-n", ns, "-l", "katib.kubeflow.org/experiment=killed", "-o", "name"))
	if len(pods) != 3 {
		t.Fatalf("want a master and 2 workers running, got %v", pods)
	}
	// The trial's log is its master's, never a worker's.
	trainer := strings.TrimPrefix(strings.TrimSpace(kubectl(t, "get", "trainers", "-n", ns, "-l", "katib.kubeflow.org/experiment=killed", "-o", "name")), "trainer.fixture.kubectl-katib.io/")
	kubectl(t, "wait", "--for=jsonpath={.status.phase}=Running", "pods", "-n", ns, "-l", "fixture.kubectl-katib.io/role=worker", "--timeout=60s")
	if logs := mustKatib(t, "logs", trainer, "-n", ns); strings.Contains(logs, "accuracy=0.01") {
		t.Errorf("kubectl katib logs %s printed a worker's log:\n%s", trainer, logs)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	for range lines.lines {
	}
	_ = cmd.Wait()
	for _, tr := range getTrials(t, nil, ns, "killed") {
		if s := tr.state(); s != "Killed" {
			t.Errorf("trial %s is %s after --cleanup", tr.Metadata.Name, s)
		}
	}
	kubectl(t, "wait", "--for=delete", "pods", "-n", ns, "-l", "katib.kubeflow.org/experiment=killed", "--timeout=60s")
	if out := kubectl(t, "get", "trainers", "-n", ns, "-l", "katib.kubeflow.org/experiment=killed", "-o", "name"); out != "" {
		t.Errorf("the killed trial's Trainer is still there: %s", out)
	}
}

// TestPyTorchJobTrials runs trials as PyTorchJobs under Kubeflow's training operator
// (hack/operator.sh), with Katib's defaults for Kubeflow jobs: the conditions and the master
// Pod as the primary Pod.
func TestPyTorchJobTrials(t *testing.T) {
	up := exec.Command(filepath.Join(repoRoot(), "hack/operator.sh"), "up")
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("hack/operator.sh up: %v\n%s", err, out)
	}
	ns := freshNamespace(t, "e2e-pytorch")
	yaml := fmt.Sprintf(`apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: pytorch-mnist
spec:
  objective: {type: maximize, objectiveMetricName: accuracy, additionalMetricNames: [loss]}
  algorithm: {algorithmName: random, algorithmSettings: [{name: random_state, value: "3"}]}
  parallelTrialCount: 2
  maxTrialCount: 2
  maxFailedTrialCount: 1
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace: {min: "0.01", max: "0.1"}
  trialTemplate:
    retain: true
    primaryContainerName: pytorch
    trialParameters:
      - {name: learningRate, reference: lr}
    trialSpec:
      apiVersion: kubeflow.org/v1
      kind: PyTorchJob
      spec:
        pytorchReplicaSpecs:
          Master:
            replicas: 1
            restartPolicy: Never
            template:
              spec:
                containers:
                  - name: pytorch
                    image: %s
                    imagePullPolicy: Never
                    args: ["--epochs=1", "--num-train=2000", "--num-test=1000", "--lr=${trialParameters.learningRate}"]
`, trainerImage)
	file := writeFile(t, yaml)
	if r := katib(t, "validate", "-f", file); r.code != 0 {
		t.Fatalf("validate: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	out := mustKatib(t, "run", "-f", file, "-n", ns)
	e := getExperiment(t, ns, "pytorch-mnist")
	if e.Status.Trials != 2 || e.Status.TrialsSucceeded != 2 {
		t.Fatalf("want 2 succeeded trials: %+v\n%s", e.Status, out)
	}
	for _, tr := range getTrials(t, nil, ns, "pytorch-mnist") {
		if tr.Status.Observation == nil || len(tr.Status.Observation.Metrics) == 0 {
			t.Fatalf("trial %s has no metrics", tr.Metadata.Name)
		}
		var got string
		for _, m := range tr.Status.Observation.Metrics {
			if m.Name == "accuracy" {
				got = m.Latest
			}
		}
		want := lastAccuracy(t, ns, tr.Metadata.Name+"-master-0")
		gv, _ := strconv.ParseFloat(got, 64)
		wv, _ := strconv.ParseFloat(want, 64)
		if gv != wv {
			t.Errorf("trial %s recorded accuracy %s; its master printed %s last", tr.Metadata.Name, got, want)
		}
		cond := kubectl(t, "get", "pytorchjob", tr.Metadata.Name, "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Succeeded")].status}`)
		if cond != "True" {
			t.Errorf("PyTorchJob %s is not Succeeded (%q)", tr.Metadata.Name, cond)
		}
	}
}
