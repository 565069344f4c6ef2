//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestRunRandomExperiment(t *testing.T) {
	ns := freshNamespace(t, "katib-random")
	file := filepath.Join(repoRoot(), "testdata", "e2e", "random-mnist.yaml")
	r := katib(t, "run", "-f", file, "-n", ns)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{"trial random-mnist-", "Best trial random-mnist-", "ACCURACY", "  lr: \""} {
		if !strings.Contains(r.out, want) {
			t.Errorf("run output lacks %q:\n%s", want, r.out)
		}
	}
	e := getExperiment(t, ns, "random-mnist")
	if e.Status.Trials != 6 || e.Status.TrialsSucceeded != 6 {
		t.Fatalf("want 6 succeeded trials, got %+v", e.Status)
	}
	last := e.Status.Conditions[len(e.Status.Conditions)-1]
	if last.Type != "Succeeded" || last.Reason != "ExperimentMaxTrialsReached" {
		t.Errorf("final condition %+v", last)
	}
	var bestMax float64
	for _, m := range e.Status.CurrentOptimalTrial.Observation.Metrics {
		if m.Name == "accuracy" {
			bestMax, _ = strconv.ParseFloat(m.Max, 64)
		}
	}
	if logs := maxAccuracyInLogs(t, ns, "random-mnist"); bestMax != logs {
		t.Errorf("best trial's accuracy %v differs from the highest accuracy in the trials' logs %v", bestMax, logs)
	}
	trials := getTrials(t, nil, ns, "random-mnist")
	if len(trials) != 6 {
		t.Fatalf("get trials: %d items", len(trials))
	}
	for _, tr := range trials {
		if tr.state() != "Succeeded" || tr.Status.Observation == nil || len(tr.Spec.ParameterAssignments) != 2 {
			t.Errorf("trial %s: %+v", tr.Metadata.Name, tr)
		}
	}
	// The human listing and the trial's log.
	if out := mustKatib(t, "get", "experiments", "-n", ns); !strings.Contains(out, "random-mnist") || !strings.Contains(out, "Succeeded") {
		t.Errorf("get experiments:\n%s", out)
	}
	if out := mustKatib(t, "logs", trials[0].Metadata.Name, "-n", ns); !accuracyLine.MatchString(out) {
		t.Errorf("logs: %s", out)
	}
	// Deleting the experiment removes its trials.
	mustKatib(t, "delete", "random-mnist", "-n", ns)
	kubectl(t, "wait", "--for=delete", "pods", "-l", "katib.kubeflow.org/experiment=random-mnist", "-n", ns, "--timeout=60s")
	if out := kubectl(t, "get", "jobs,configmaps", "-n", ns, "-l", "katib.kubeflow.org/experiment=random-mnist", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Errorf("left behind after delete:\n%s", out)
	}
}

func TestRunGridExperiment(t *testing.T) {
	ns := freshNamespace(t, "katib-grid")
	r := katib(t, "run", "-f", filepath.Join(repoRoot(), "testdata", "e2e", "grid-mnist.yaml"), "-n", ns)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	trials := getTrials(t, nil, ns, "grid-mnist")
	seen := map[string]bool{}
	for _, tr := range trials {
		var key []string
		for _, a := range tr.Spec.ParameterAssignments {
			key = append(key, a.Name+"="+a.Value)
		}
		seen[strings.Join(key, ",")] = true
		if tr.state() != "Succeeded" {
			t.Errorf("trial %s ended %s", tr.Metadata.Name, tr.state())
		}
	}
	if len(trials) != 6 || len(seen) != 6 {
		t.Fatalf("grid of 3 x 2 wants 6 distinct trials, got %d (%d distinct): %v", len(trials), len(seen), seen)
	}
	e := getExperiment(t, ns, "grid-mnist")
	if e.Status.CurrentOptimalTrial.BestTrialName == "" {
		t.Errorf("no best trial: %+v", e.Status)
	}
}

// Katib's own example, with only the image and command swapped for the project's trainer.
func TestKatibRandomExampleRuns(t *testing.T) {
	ns := freshNamespace(t, "katib-example")
	file := experimentFile(t, "katib-examples/hp-tuning/random.yaml", func(obj map[string]any) {
		c := jobContainer(obj)
		c["image"] = trainerImage
		c["imagePullPolicy"] = "Never"
		c["command"] = []any{"/trainer", "--epochs=1", "--batch-size=16", "--num-train=1000", "--num-test=500",
			"--lr=${trialParameters.learningRate}", "--momentum=${trialParameters.momentum}"}
		delete(c, "resources")
	})
	r := katib(t, "run", "-f", file, "-n", ns)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	e := getExperiment(t, ns, "random")
	if e.Status.Trials != 12 || e.Status.TrialsSucceeded != 12 {
		t.Fatalf("want 12 succeeded trials: %+v", e.Status)
	}
}

func TestResumeAfterKill(t *testing.T) {
	ns := freshNamespace(t, "katib-resume")
	file := experimentFile(t, "e2e/random-mnist.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = "resume-me"
		spec := dig(obj, "spec").(map[string]any)
		spec["maxTrialCount"] = 5
		dig(obj, "spec", "trialTemplate").(map[string]any)["retain"] = false
	})
	cmd := exec.Command("kubectl", "katib", "run", "-f", file, "-n", ns)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := newLineWaiter(stdout)
	// Kill the client once two trials finished and others run, mid-run.
	lines.waitFor(t, regexp.MustCompile(`trial resume-me-\S+ Succeeded`), 2)
	// kubectl execs the plugin, so the process is the plugin itself.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	r := katib(t, "resume", "resume-me", "-n", ns)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	trials := getTrials(t, nil, ns, "resume-me")
	if len(trials) != 5 {
		t.Fatalf("want exactly maxTrialCount=5 trials after resume, got %d", len(trials))
	}
	seen := map[string]string{}
	for _, tr := range trials {
		var key []string
		for _, a := range tr.Spec.ParameterAssignments {
			key = append(key, a.Name+"="+a.Value)
		}
		k := strings.Join(key, ",")
		if other, dup := seen[k]; dup {
			t.Errorf("trials %s and %s have the same parameters %s", other, tr.Metadata.Name, k)
		}
		seen[k] = tr.Metadata.Name
		if tr.state() != "Succeeded" {
			t.Errorf("trial %s ended %s", tr.Metadata.Name, tr.state())
		}
	}
	// No orphans: every pod left belongs to a recorded trial and none is still running.
	out := kubectl(t, "get", "pods", "-n", ns, "-l", "katib.kubeflow.org/experiment=resume-me",
		"-o", `jsonpath={range .items[*]}{.metadata.labels.katib\.kubeflow\.org/trial} {.status.phase}{"\n"}{end}`)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if _, known := func() (string, bool) {
			for _, tr := range trials {
				if tr.Metadata.Name == f[0] {
					return "", true
				}
			}
			return "", false
		}(); !known || f[1] == "Running" || f[1] == "Pending" {
			t.Errorf("orphaned or running pod after resume: %s", line)
		}
	}
}

func TestFailurePaths(t *testing.T) {
	t.Run("missing image fails with its pull reason and the experiment goes on", func(t *testing.T) {
		ns := freshNamespace(t, "katib-pull")
		file := experimentFile(t, "e2e/grid-mnist.yaml", func(obj map[string]any) {
			dig(obj, "metadata").(map[string]any)["name"] = "pull"
			spec := dig(obj, "spec").(map[string]any)
			spec["maxTrialCount"] = 2
			spec["parallelTrialCount"] = 2
			spec["maxFailedTrialCount"] = 2
			spec["parameters"] = []any{map[string]any{"name": "image", "parameterType": "categorical",
				"feasibleSpace": map[string]any{"list": []any{trainerImage, "localhost/kubectl-katib/does-not-exist:v1"}}}}
			tt := dig(obj, "spec", "trialTemplate").(map[string]any)
			tt["trialParameters"] = []any{map[string]any{"name": "image", "reference": "image"}}
			c := jobContainer(obj)
			c["image"] = "${trialParameters.image}"
			c["args"] = []any{"--epochs=1", "--num-train=500", "--num-test=200"}
		})
		r := katib(t, "run", "-f", file, "-n", ns, "--trial-start-timeout=20s")
		if r.code != 0 {
			t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
		}
		states := map[string]katibTrial{}
		for _, tr := range getTrials(t, nil, ns, "pull") {
			states[tr.state()] = tr
		}
		failed, ok := states["Failed"]
		if !ok || states["Succeeded"].Metadata.Name == "" {
			t.Fatalf("want one Failed and one Succeeded trial: %+v", states)
		}
		reason := failed.Status.Conditions[len(failed.Status.Conditions)-1].Reason
		if reason != "ErrImageNeverPull" && reason != "ErrImagePull" && reason != "ImagePullBackOff" {
			t.Errorf("failed trial's reason %q is not an image pull reason", reason)
		}
	})

	t.Run("all trials fail: experiment Failed at maxFailedTrialCount, exit 1", func(t *testing.T) {
		ns := freshNamespace(t, "katib-fail")
		file := experimentFile(t, "e2e/grid-mnist.yaml", func(obj map[string]any) {
			dig(obj, "metadata").(map[string]any)["name"] = "always-fails"
			spec := dig(obj, "spec").(map[string]any)
			spec["algorithm"] = map[string]any{"algorithmName": "random"}
			spec["maxTrialCount"] = 6
			spec["parallelTrialCount"] = 1
			spec["maxFailedTrialCount"] = 2
			c := jobContainer(obj)
			c["image"] = echoMetricImage
			c["args"] = []any{"--print", "starting ${trialParameters.lr} ${trialParameters.optimizer}", "--exit", "3"}
		})
		r := katib(t, "run", "-f", file, "-n", ns)
		if r.code != 1 {
			t.Fatalf("want exit 1, got %d\n%s\n%s", r.code, r.out, r.errOut)
		}
		e := getExperiment(t, ns, "always-fails")
		last := e.Status.Conditions[len(e.Status.Conditions)-1]
		if last.Type != "Failed" || e.Status.TrialsFailed != 2 || e.Status.Trials != 2 {
			t.Fatalf("want Failed after exactly 2 failed trials: %+v", e.Status)
		}
		if !strings.Contains(r.out+r.errOut, "exited with code 3") || !strings.Contains(r.out, "starting ") {
			t.Errorf("the failure does not show the exit code and the log tail:\n%s\n%s", r.out, r.errOut)
		}
	})

	t.Run("metrics that never appear make the trial MetricsUnavailable with the log tail", func(t *testing.T) {
		ns := freshNamespace(t, "katib-nometric")
		file := experimentFile(t, "e2e/grid-mnist.yaml", func(obj map[string]any) {
			dig(obj, "metadata").(map[string]any)["name"] = "no-metric"
			spec := dig(obj, "spec").(map[string]any)
			spec["maxTrialCount"] = 1
			spec["parallelTrialCount"] = 1
			spec["maxFailedTrialCount"] = 1
			c := jobContainer(obj)
			c["image"] = echoMetricImage
			c["args"] = []any{"--print", "acc: 0.9 for ${trialParameters.lr} ${trialParameters.optimizer}"}
		})
		r := katib(t, "run", "-f", file, "-n", ns)
		if r.code != 1 || !strings.Contains(r.out, "MetricsUnavailable") || !strings.Contains(r.out, "acc: 0.9 for") || !strings.Contains(r.out, `"accuracy" never appeared`) {
			t.Fatalf("want a MetricsUnavailable trial explained with the log tail, exit 1; got %d\n%s\n%s", r.code, r.out, r.errOut)
		}
	})

	t.Run("an invalid experiment creates nothing", func(t *testing.T) {
		ns := freshNamespace(t, "katib-invalid")
		file := experimentFile(t, "e2e/random-mnist.yaml", func(obj map[string]any) {
			spec := dig(obj, "spec").(map[string]any)
			spec["maxTrialCount"] = 1
			dig(obj, "spec", "parameters", 0, "feasibleSpace").(map[string]any)["min"] = "0.5"
			dig(obj, "spec", "parameters", 1).(map[string]any)["parameterType"] = "float"
		})
		r := katib(t, "run", "-f", file, "-n", ns)
		if r.code != 2 {
			t.Fatalf("want exit 2, got %d\n%s\n%s", r.code, r.out, r.errOut)
		}
		for _, want := range []string{"spec.parameters[0].feasibleSpace", "spec.parameters[1].parameterType"} {
			if !strings.Contains(r.errOut, want) {
				t.Errorf("error does not name %s:\n%s", want, r.errOut)
			}
		}
		if out := kubectl(t, "get", "configmaps,jobs,pods", "-n", ns, "-l", "katib.kubeflow.org/experiment", "-o", "name"); strings.TrimSpace(out) != "" {
			t.Errorf("an invalid experiment created:\n%s", out)
		}
	})

	t.Run("a second run of the same name points to resume", func(t *testing.T) {
		ns := freshNamespace(t, "katib-dup")
		file := experimentFile(t, "e2e/grid-mnist.yaml", func(obj map[string]any) {
			dig(obj, "spec").(map[string]any)["maxTrialCount"] = 1
			dig(obj, "spec").(map[string]any)["parallelTrialCount"] = 1
		})
		mustKatib(t, "run", "-f", file, "-n", ns)
		r := katib(t, "run", "-f", file, "-n", ns)
		if r.code == 0 || !strings.Contains(r.errOut, "kubectl katib resume grid-mnist") {
			t.Fatalf("want a refusal pointing to resume, got %d\n%s", r.code, r.errOut)
		}
	})
}

// Values with quotes, backslashes, '$' and newlines must reach the trial verbatim and must
// not be able to change the rest of its spec.
func TestTemplateValuesArriveVerbatim(t *testing.T) {
	ns := freshNamespace(t, "katib-escape")
	nasty := []any{
		`quote " and 'single'`,
		`back\slash \n not a newline`,
		"dollar $HOME ${trialParameters.text} $(whoami)",
		"new\nline\"\n  injected: true",
		"kubernetes expands $(FOO) and $$ unless escaped",
	}
	exp := map[string]any{
		"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
		"metadata": map[string]any{"name": "escape"},
		"spec": map[string]any{
			"objective":          map[string]any{"type": "maximize", "objectiveMetricName": "score"},
			"algorithm":          map[string]any{"algorithmName": "grid"},
			"parallelTrialCount": 5, "maxTrialCount": 5,
			"parameters": []any{map[string]any{"name": "text", "parameterType": "categorical", "feasibleSpace": map[string]any{"list": nasty}}},
			"trialTemplate": map[string]any{
				"retain": true, "primaryContainerName": "main",
				"trialParameters": []any{map[string]any{"name": "text", "reference": "text"}},
				"trialSpec": map[string]any{
					"apiVersion": "v1", "kind": "Pod",
					"spec": map[string]any{
						"restartPolicy": "Never",
						"containers": []any{map[string]any{
							"name": "main", "image": echoMetricImage, "imagePullPolicy": "Never",
							"args": []any{"--print", "score=1", "--", "${trialParameters.text}"},
							"env":  []any{map[string]any{"name": "FOO", "value": "expanded"}},
						}},
					},
				},
			},
		},
	}
	data, _ := yaml.Marshal(exp)
	file := writeExperiment(t, data, nil)
	r := katib(t, "run", "-f", file, "-n", ns)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	for _, tr := range getTrials(t, nil, ns, "escape") {
		want := tr.Spec.ParameterAssignments[0].Value
		// In the Pod, '$' is doubled: Kubernetes undoes that when it starts the container.
		pod := kubectl(t, "get", "pod", tr.Metadata.Name, "-n", ns, "-o", "jsonpath={.spec.containers[0].args[3]}")
		if escaped := strings.ReplaceAll(want, "$", "$$"); pod != escaped {
			t.Errorf("trial %s: the pod's argument is %q, want %q", tr.Metadata.Name, pod, escaped)
		}
		if out := kubectl(t, "get", "pod", tr.Metadata.Name, "-n", ns, "-o", "yaml"); strings.Contains(out, "\ninjected: true") || strings.Contains(out, "\n  injected: true") {
			t.Errorf("a value changed the pod's structure:\n%s", out)
		}
		logs := kubectl(t, "logs", tr.Metadata.Name, "-n", ns)
		if !strings.Contains(logs, want) || strings.Contains(logs, "expanded") {
			t.Errorf("trial %s printed %q, want it to contain %q", tr.Metadata.Name, logs, want)
		}
	}
}

// The whole flow with a user who holds only a namespaced Role.
func TestLeastPrivilege(t *testing.T) {
	restricted := "KUBECONFIG=" + filepath.Join(repoRoot(), ".cluster", "restricted.kubeconfig")
	ns := "katib-restricted"
	name := "least-privilege"
	file := experimentFile(t, "e2e/random-mnist.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = name
		spec := dig(obj, "spec").(map[string]any)
		spec["maxTrialCount"] = 2
	})
	runEnv(t, []string{restricted}, "kubectl", "katib", "delete", name, "-n", ns)
	t.Cleanup(func() { runEnv(t, []string{restricted}, "kubectl", "katib", "delete", name, "-n", ns) })
	r := runEnv(t, []string{restricted}, "kubectl", "katib", "run", "-f", file, "-n", ns)
	if r.code != 0 {
		t.Fatalf("run as the restricted user: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if trials := getTrials(t, []string{restricted}, ns, name); len(trials) != 2 {
		t.Fatalf("want 2 trials, got %d", len(trials))
	}
	for _, args := range [][]string{{"get", "experiments", "-n", ns}, {"get", "trials", name, "-n", ns, "-o", "yaml"}} {
		if r := runEnv(t, []string{restricted}, "kubectl", append([]string{"katib"}, args...)...); r.code != 0 {
			t.Errorf("%v as the restricted user: exit %d: %s", args, r.code, r.errOut)
		}
	}
	// Outside its namespace the user is refused with a pointer to the Role.
	r = runEnv(t, []string{restricted}, "kubectl", "katib", "run", "-f", file, "-n", "default")
	if r.code == 0 || !strings.Contains(r.errOut, "lack a permission") {
		t.Errorf("run in another namespace: exit %d: %s", r.code, r.errOut)
	}
}
