//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// result is what a command printed and how it exited.
type result struct {
	out, errOut string
	code        int
}

// runEnv runs a command with extra environment and returns its output and exit code; it
// fails the test only when the command cannot be started.
func runEnv(t testing.TB, env []string, name string, args ...string) result {
	t.Helper()
	out, errOut, code, err := execute(env, nil, name, args...)
	if code < 0 {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return result{out: out, errOut: errOut, code: code}
}

// katib runs `kubectl katib ARGS` through the real kubectl.
func katib(t testing.TB, args ...string) result {
	t.Helper()
	return runEnv(t, nil, "kubectl", append([]string{"katib"}, args...)...)
}

// mustKatib runs `kubectl katib ARGS` and fails the test unless it exits 0.
func mustKatib(t testing.TB, args ...string) string {
	t.Helper()
	r := katib(t, args...)
	if r.code != 0 {
		t.Fatalf("kubectl katib %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.out, r.errOut)
	}
	return r.out
}

// experimentFile loads a YAML experiment from testdata, lets edit change it, and writes it
// to a temporary file whose path is returned.
func experimentFile(t testing.TB, rel string, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return writeExperiment(t, data, edit)
}

func writeExperiment(t testing.TB, data []byte, edit func(map[string]any)) string {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(obj)
	}
	out, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "experiment.yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dig walks nested maps and lists: dig(obj, "spec", "trialTemplate", "trialSpec").
func dig(obj any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			obj = obj.(map[string]any)[k]
		case int:
			obj = obj.([]any)[k]
		}
	}
	return obj
}

// container is the first container of a Job template.
func jobContainer(obj map[string]any) map[string]any {
	return dig(obj, "spec", "trialTemplate", "trialSpec", "spec", "template", "spec", "containers", 0).(map[string]any)
}

// katibExperiment is the part of Katib's Experiment object the tests read.
type katibExperiment struct {
	Status struct {
		Conditions []struct {
			Type, Status, Reason, Message string
		}
		CurrentOptimalTrial struct {
			BestTrialName        string
			ParameterAssignments []struct{ Name, Value string }
			Observation          struct {
				Metrics []struct{ Name, Min, Max, Latest string }
			}
		}
		Trials, TrialsSucceeded, TrialsFailed, TrialsRunning, TrialsPending, TrialsKilled, TrialsEarlyStopped int
		TrialMetricsUnavailable                                                                               int
	}
}

func getExperiment(t testing.TB, ns, name string, extra ...string) katibExperiment {
	t.Helper()
	out := mustKatib(t, append([]string{"get", "experiment", name, "-n", ns, "-o", "json"}, extra...)...)
	var e katibExperiment
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("get experiment -o json: %v\n%s", err, out)
	}
	return e
}

type katibTrial struct {
	Metadata struct{ Name string }
	Spec     struct {
		ParameterAssignments []struct{ Name, Value string }
	}
	Status struct {
		Conditions  []struct{ Type, Status, Reason, Message string }
		Observation *struct {
			Metrics []struct{ Name, Min, Max, Latest string }
		}
	}
}

// state is the trial's final condition type.
func (k katibTrial) state() string {
	if n := len(k.Status.Conditions); n > 0 {
		return k.Status.Conditions[n-1].Type
	}
	return ""
}

func getTrials(t testing.TB, env []string, ns, name string) []katibTrial {
	t.Helper()
	r := runEnv(t, env, "kubectl", "katib", "get", "trials", name, "-n", ns, "-o", "json")
	if r.code != 0 {
		t.Fatalf("get trials: exit %d: %s", r.code, r.errOut)
	}
	var list struct {
		Kind  string
		Items []katibTrial
	}
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || list.Kind != "List" {
		t.Fatalf("get trials -o json is not a List: %v\n%s", err, r.out)
	}
	return list.Items
}

var accuracyLine = regexp.MustCompile(`accuracy=([0-9.]+)`)

// maxAccuracyInLogs reads every pod log of the experiment through the API server and returns
// the highest accuracy printed.
func maxAccuracyInLogs(t testing.TB, ns, exp string) float64 {
	t.Helper()
	out := kubectlTB(t, "logs", "-n", ns, "-l", "katib.kubeflow.org/experiment="+exp, "--tail=-1", "--max-log-requests=20")
	best := -1.0
	for _, m := range accuracyLine.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		if v > best {
			best = v
		}
	}
	return best
}

// lineWaiter reads a process's output line by line and lets a test wait for a line, so
// tests act on what the program said rather than on sleeps.
type lineWaiter struct {
	lines chan string
	all   strings.Builder
}

func newLineWaiter(r io.Reader) *lineWaiter {
	w := &lineWaiter{lines: make(chan string, 1024)}
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			w.lines <- s.Text()
		}
		close(w.lines)
	}()
	return w
}

// waitFor returns once n lines matching re were read, or fails when the output ends first.
func (w *lineWaiter) waitFor(t testing.TB, re *regexp.Regexp, n int) {
	t.Helper()
	for line := range w.lines {
		w.all.WriteString(line + "\n")
		if re.MatchString(line) {
			if n--; n == 0 {
				return
			}
		}
	}
	t.Fatalf("output ended before %d more lines matching %s:\n%s", n, re, w.all.String())
}
