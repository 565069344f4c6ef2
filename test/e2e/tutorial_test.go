//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTutorialMNISTPod is the seed tutorial's flow on the local cluster: apply a Pod like its
// mnistpod, wait for it to finish, read the accuracy from its log through the API server, and
// delete it again.
func TestTutorialMNISTPod(t *testing.T) {
	ns := freshNamespace(t, "tutorial")
	manifest := podSpec("mnistpod", trainerImage,
		[]string{"--epochs=1", "--num-train=5000", "--num-test=2000", "--format=tutorial"})

	out := kubectlIn(t, manifest, "apply", "-n", ns, "-f", "-")
	if strings.TrimSpace(out) != "pod/mnistpod created" {
		t.Fatalf("kubectl apply printed %q, want the tutorial's \"pod/mnistpod created\"", out)
	}
	waitForPhase(t, ns, "mnistpod", "Succeeded", 2*time.Minute)

	log := kubectl(t, "logs", "-n", ns, "mnistpod")
	steps, accs := accuracyLines(log)
	if len(accs) < 2 {
		t.Fatalf("want an accuracy line before and after training, got:\n%s", log)
	}
	if steps[0] != 0 || accs[0] > 0.3 {
		t.Errorf("step 0 (untrained) reports %.4f at step %d; want chance level (about 0.1) at step 0", accs[0], steps[0])
	}
	last := accs[len(accs)-1]
	if last <= 0.5 || last > 1 {
		t.Fatalf("accuracy after one epoch is %.4f, want between 0.5 and 1:\n%s", last, log)
	}
	t.Logf("mnistpod: accuracy %.4f at step %d", last, steps[len(steps)-1])

	out = kubectlIn(t, manifest, "delete", "-n", ns, "-f", "-")
	if !strings.Contains(out, `pod "mnistpod" deleted`) {
		t.Fatalf("kubectl delete printed %q", out)
	}
}

// TestEchoMetricPodLogs checks that what a workload prints reaches `kubectl logs` unchanged and
// in order, including values that a shell or a template engine would be tempted to rewrite.
func TestEchoMetricPodLogs(t *testing.T) {
	ns := freshNamespace(t, "echo")
	values := []string{
		`a "double" and 'single' quoted value`,
		`back\slash and \n not a newline`,
		`dollar $HOME, ${HOME} and $(NOT_AN_ENV_VAR)`,
		"a real\nnewline",
		"--looks-like-a-flag",
		"unicode: ünïcødé ✓",
	}
	args := append([]string{"--print=accuracy=0.75", "--print", "loss=0.5", "--interval=50ms", "--"}, values...)
	kubectlIn(t, podSpec("echo", echoMetricImage, args), "apply", "-n", ns, "-f", "-")
	waitForPhase(t, ns, "echo", "Succeeded", time.Minute)

	got := kubectl(t, "logs", "-n", ns, "echo")
	want := "accuracy=0.75\nloss=0.5\n" + strings.Join(values, "\n") + "\n"
	if got != want {
		t.Fatalf("logs differ\n got: %q\nwant: %q", got, want)
	}
}

// TestKubernetesExpandsDollarsInArgs pins down the one rewrite Kubernetes itself applies to
// container args: "$(NAME)" becomes the value of the container's env var NAME and "$$" becomes
// "$". Whoever renders trial templates into args has to know this.
func TestKubernetesExpandsDollarsInArgs(t *testing.T) {
	ns := freshNamespace(t, "echo-dollar")
	pod := podSpec("dollar", echoMetricImage, []string{"--", "lr=$(LR)", "cost: $$5", "$(UNSET)"})
	pod = []byte(strings.Replace(string(pod), `"imagePullPolicy"`, `"env":[{"name":"LR","value":"0.01"}],"imagePullPolicy"`, 1))
	kubectlIn(t, pod, "apply", "-n", ns, "-f", "-")
	waitForPhase(t, ns, "dollar", "Succeeded", time.Minute)
	if got, want := kubectl(t, "logs", "-n", ns, "dollar"), "lr=0.01\ncost: $5\n$(UNSET)\n"; got != want {
		t.Fatalf("logs %q, want %q", got, want)
	}
}

// TestEchoMetricPodExitCode checks that a workload's exit status reaches the Pod's status, which
// is how a failed trial is told apart from a finished one.
func TestEchoMetricPodExitCode(t *testing.T) {
	ns := freshNamespace(t, "echo-fail")
	kubectlIn(t, podSpec("fails", echoMetricImage, []string{"--print=accuracy=0.1", "--exit=3"}), "apply", "-n", ns, "-f", "-")
	waitForPhase(t, ns, "fails", "Failed", time.Minute)
	code := kubectl(t, "get", "-n", ns, "pod", "fails", "-o", "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}")
	if code != "3" {
		t.Fatalf("exit code %q, want 3", code)
	}
	if log := kubectl(t, "logs", "-n", ns, "fails"); log != "accuracy=0.1\n" {
		t.Fatalf("logs of a failed Pod: %q", log)
	}
}

// TestLogsStreamWhileRunning checks that `kubectl logs -f` delivers each line as the workload
// prints it, not when the Pod ends: live metric collection depends on it.
func TestLogsStreamWhileRunning(t *testing.T) {
	ns := freshNamespace(t, "echo-stream")
	kubectlIn(t, podSpec("stream", echoMetricImage, []string{"--print=accuracy=0.1", "--print=accuracy=0.2", "--interval=3s"}), "apply", "-n", ns, "-f", "-")
	waitForPhase(t, ns, "stream", "Running", time.Minute)

	cmd := exec.Command("kubectl", "logs", "-f", "-n", ns, "stream")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	var at []time.Time
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		at = append(at, time.Now())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kubectl logs -f: %v", err)
	}
	if len(lines) != 2 || lines[0] != "accuracy=0.1" || lines[1] != "accuracy=0.2" {
		t.Fatalf("lines %q", lines)
	}
	// The workload pauses 3s between its lines; a stream that buffered until exit would deliver
	// both at once.
	if gap := at[1].Sub(at[0]); gap < 2*time.Second {
		t.Fatalf("the two lines arrived %s apart; want about 3s", gap)
	}
}

var trainerDone = regexp.MustCompile(`trainer: done in ([0-9.]+m?s)`)

// BenchmarkTrainerPod measures a default trainer Pod (3 epochs on 10000 images) from `kubectl
// apply` to phase Succeeded as seen by `kubectl wait`, and the trainer's own run time from its
// log; the difference is what the cluster adds per trial. Run with
//
//	go test -tags e2e -run '^$' -bench TrainerPod -benchtime 5x ./test/e2e/
func BenchmarkTrainerPod(b *testing.B) {
	ns := freshNamespace(b, "bench-trainer")
	var total, inside []float64
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("trainer-%d", i)
		start := time.Now()
		kubectlIn(b, podSpec(name, trainerImage, nil), "apply", "-n", ns, "-f", "-")
		waitForPhase(b, ns, name, "Succeeded", 2*time.Minute)
		total = append(total, float64(time.Since(start).Milliseconds()))
		if m := trainerDone.FindStringSubmatch(kubectlTB(b, "logs", "-n", ns, name)); m != nil {
			if d, err := time.ParseDuration(m[1]); err == nil {
				inside = append(inside, float64(d.Milliseconds()))
			}
		}
		kubectlTB(b, "delete", "-n", ns, "pod", name, "--wait=false")
	}
	b.ReportMetric(median(total), "ms-create-to-succeeded-median")
	if len(inside) > 0 {
		b.ReportMetric(median(inside), "ms-trainer-median")
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
