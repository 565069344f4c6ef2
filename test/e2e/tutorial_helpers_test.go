//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Images built and imported by hack/images.sh (`make images`).
const (
	trainerImage    = "localhost/kubectl-katib/mnist-trainer:v1"
	echoMetricImage = "localhost/kubectl-katib/echo-metric:v1"
)

// kubectlIn runs kubectl with stdin and fails the test on a non-zero exit.
func kubectlIn(t testing.TB, stdin []byte, args ...string) string {
	t.Helper()
	out, errOut, _, err := execute(nil, stdin, "kubectl", args...)
	if err != nil {
		t.Fatalf("kubectl %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out, errOut)
	}
	return out
}

// kubectlTB is the package's kubectl helper for callers that may be benchmarks.
func kubectlTB(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := runKubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out, errOut)
	}
	return out
}

// freshNamespace creates a namespace with a random suffix and deletes it when the test ends,
// so runs never see each other's Pods and a failed run leaves nothing behind for long.
func freshNamespace(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	ns := prefix + "-" + hex.EncodeToString(b)
	kubectlTB(t, "create", "namespace", ns)
	t.Cleanup(func() {
		// Not waiting: the namespace controller finishes the deletion in the background.
		if _, errOut, err := runKubectl("delete", "namespace", ns, "--wait=false"); err != nil {
			t.Logf("deleting namespace %s: %v: %s", ns, err, errOut)
		}
	})
	return ns
}

// podSpec is a single-container Pod that runs once, like the tutorial's mnistpod. It is
// marshalled to JSON, which kubectl accepts as a manifest and which needs no YAML quoting, so
// arguments reach the container byte for byte.
func podSpec(name, image string, args []string) []byte {
	pod := map[string]any{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"restartPolicy": "Never",
			"containers": []any{map[string]any{
				"name":  "main",
				"image": image,
				// There is no registry: the image must already be in the node's containerd.
				"imagePullPolicy": "Never",
				"args":            args,
			}},
		},
	}
	b, err := json.Marshal(pod)
	if err != nil {
		panic(err)
	}
	return b
}

// waitForPhase waits with `kubectl wait --for=jsonpath={.status.phase}=PHASE` until the Pod
// reaches phase. A second wait watches for the other terminal phase, so a Pod that fails while
// the test expects success (or the reverse) is reported at once instead of after the timeout,
// together with what the cluster knows about it.
func waitForPhase(t testing.TB, ns, pod, phase string, timeout time.Duration) {
	t.Helper()
	phases := []string{phase}
	switch phase {
	case "Succeeded":
		phases = append(phases, "Failed")
	case "Failed":
		phases = append(phases, "Succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		phase, stderr string
		err           error
	}
	results := make(chan result, len(phases))
	for _, p := range phases {
		go func() {
			cmd := exec.CommandContext(ctx, "kubectl", "wait", "-n", ns, "pod/"+pod,
				"--for=jsonpath={.status.phase}="+p, "--timeout="+timeout.String())
			var errOut bytes.Buffer
			cmd.Stderr = &errOut
			err := cmd.Run()
			results <- result{p, errOut.String(), err}
		}()
	}
	var failures []string
	for range phases {
		r := <-results
		if r.err == nil && r.phase == phase {
			return
		}
		if r.err == nil {
			failures = append(failures, "the Pod ended in phase "+r.phase)
			break
		}
		failures = append(failures, fmt.Sprintf("waiting for %s: %v %s", r.phase, r.err, strings.TrimSpace(r.stderr)))
	}
	cancel()
	describe, _, _ := runKubectl("describe", "-n", ns, "pod", pod)
	logs, _, _ := runKubectl("logs", "-n", ns, pod)
	t.Fatalf("pod %s/%s did not reach %s within %s: %s\n--- describe:\n%s\n--- logs:\n%s",
		ns, pod, phase, timeout, strings.Join(failures, "; "), describe, logs)
}

var tutorialAccuracy = regexp.MustCompile(`(?m)^Accuracy at step (\d+): ([0-9.]+)$`)

// accuracyLines returns every "Accuracy at step N: X" of a log, in order, as steps and values.
func accuracyLines(log string) (steps []int, accs []float64) {
	for _, m := range tutorialAccuracy.FindAllStringSubmatch(log, -1) {
		s, err1 := strconv.Atoi(m[1])
		a, err2 := strconv.ParseFloat(m[2], 64)
		if err1 == nil && err2 == nil {
			steps = append(steps, s)
			accs = append(accs, a)
		}
	}
	return steps, accs
}
