//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// These tests disturb a running experiment (the API server killed, the network to it cut,
// the client killed again and again) and then hold the product to the same promise: the
// experiment ends Succeeded with exactly maxTrialCount succeeded trials, each trial's
// recorded min, max and latest are what that trial printed, and nothing is left running.
//
// Every trial prints a rising series of accuracy values from its parameter low to its
// parameter top (echo-metric --series), so the whole expected observation follows from the
// trial's parameterAssignments, and a collector that lost the end of a log records a max
// and a latest below top.

// seriesExperiment is an experiment whose trials print a rising accuracy series.
type seriesExperiment struct {
	name                string
	kind                string // "Job" or "Pod"
	maxTrials, parallel int
	count               int           // values each trial prints
	interval            time.Duration // between values
	retain              bool          // keep succeeded trials' workloads, so every log can be read
	// linger keeps the container alive after its last line: containerd 1.6 drops the end
	// of a burst of output written just before a container exits, which no reader of the
	// log can recover (see README, "Metrics you can trust").
	linger time.Duration
	// failOnce makes the first run of each trial's container exit 3 after its series, under
	// restartPolicy OnFailure: the kubelet runs it again in the same pod, and the second run
	// prints the series again and succeeds.
	failOnce bool
}

func (s seriesExperiment) file(t testing.TB) string {
	t.Helper()
	args := []any{"--series", fmt.Sprintf("accuracy=${trialParameters.low}:${trialParameters.top}:%d", s.count),
		"--interval", s.interval.String(), "--linger", s.linger.String()}
	container := map[string]any{"name": "main", "image": echoMetricImage, "imagePullPolicy": "Never", "args": args}
	podSpec := map[string]any{"restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "containers": []any{container}}
	if s.failOnce {
		container["args"] = append(args, "--exit", "3", "--fail-once", "/state/failed")
		container["volumeMounts"] = []any{map[string]any{"name": "state", "mountPath": "/state"}}
		podSpec["restartPolicy"] = "OnFailure"
		podSpec["volumes"] = []any{map[string]any{"name": "state", "emptyDir": map[string]any{}}}
	}
	trialSpec := map[string]any{"apiVersion": "v1", "kind": "Pod", "spec": podSpec}
	if s.kind == "Job" {
		jobSpec := map[string]any{"template": map[string]any{"spec": podSpec}}
		if s.failOnce {
			jobSpec["backoffLimit"] = 3 // trial Jobs get 0 unless they say otherwise
		}
		trialSpec = map[string]any{"apiVersion": "batch/v1", "kind": "Job", "spec": jobSpec}
	}
	exp := map[string]any{
		"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
		"metadata": map[string]any{"name": s.name},
		"spec": map[string]any{
			"objective":          map[string]any{"type": "maximize", "objectiveMetricName": "accuracy"},
			"algorithm":          map[string]any{"algorithmName": "random", "algorithmSettings": []any{map[string]any{"name": "random_state", "value": "11"}}},
			"parallelTrialCount": s.parallel, "maxTrialCount": s.maxTrials, "maxFailedTrialCount": s.maxTrials,
			// low stays below top, so each series rises from its first value to its last.
			"parameters": []any{
				map[string]any{"name": "low", "parameterType": "double", "feasibleSpace": map[string]any{"min": "0.01", "max": "0.3"}},
				map[string]any{"name": "top", "parameterType": "double", "feasibleSpace": map[string]any{"min": "0.5", "max": "0.99"}},
			},
			"trialTemplate": map[string]any{
				"retain": s.retain, "primaryContainerName": "main",
				"trialParameters": []any{map[string]any{"name": "low", "reference": "low"}, map[string]any{"name": "top", "reference": "top"}},
				"trialSpec":       trialSpec,
			},
		},
	}
	data, err := yaml.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	return writeExperiment(t, data, nil)
}

// seriesText is the text echo-metric prints for value v of a series: rounded to 6 decimals,
// shortest form.
func seriesText(v float64) string {
	v = math.Round(v*1e6) / 1e6
	if v == 0 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// printed is what a trial printed, as derived from its parameters.
type printed struct {
	low, top    string // the parameters
	count       int
	texts       []string // every value printed, in order
	first, last string
	min, max    float64
	latest      float64
}

// expectedSeries computes what echo-metric --series accuracy=low:top:count printed, value
// by value, with the program's own formula.
func expectedSeries(t testing.TB, tr katibTrial, count int) (printed, error) {
	t.Helper()
	p := printed{count: count}
	for _, a := range tr.Spec.ParameterAssignments {
		switch a.Name {
		case "low":
			p.low = a.Value
		case "top":
			p.top = a.Value
		}
	}
	low, err1 := strconv.ParseFloat(p.low, 64)
	top, err2 := strconv.ParseFloat(p.top, 64)
	if err1 != nil || err2 != nil {
		return p, fmt.Errorf("parameterAssignments %+v lack numeric low and top", tr.Spec.ParameterAssignments)
	}
	for i := 0; i < count; i++ {
		v := top
		if i < count-1 {
			v = low + (top-low)*float64(i)/float64(count-1)
		}
		p.texts = append(p.texts, seriesText(v))
	}
	p.first, p.last = p.texts[0], p.texts[count-1]
	p.min, _ = strconv.ParseFloat(p.first, 64)
	p.max, _ = strconv.ParseFloat(p.last, 64)
	p.latest = p.max
	return p, nil
}

// checkSeriesTrials asserts that the experiment ended Succeeded with exactly maxTrials
// succeeded trials whose recorded accuracy is what each printed. Each trial's log is read
// back with `kubectl katib logs` to confirm what it printed; logsRequired makes a missing log
// an error (retained workloads), otherwise it is only noted. It returns the trials.
func checkSeriesTrials(t *testing.T, ns string, s seriesExperiment, logsRequired bool) []katibTrial {
	t.Helper()
	e := getExperiment(t, ns, s.name)
	if n := len(e.Status.Conditions); n == 0 || e.Status.Conditions[n-1].Type != "Succeeded" {
		t.Errorf("experiment %s did not end Succeeded: conditions %+v", s.name, e.Status.Conditions)
	}
	if e.Status.Trials != s.maxTrials || e.Status.TrialsSucceeded != s.maxTrials {
		t.Errorf("experiment %s: status counts %d trials, %d succeeded, %d failed, %d killed; want %d and %d",
			s.name, e.Status.Trials, e.Status.TrialsSucceeded, e.Status.TrialsFailed, e.Status.TrialsKilled, s.maxTrials, s.maxTrials)
	}
	trials := getTrials(t, nil, ns, s.name)
	if len(trials) != s.maxTrials {
		t.Errorf("experiment %s has %d trials, want exactly maxTrialCount=%d", s.name, len(trials), s.maxTrials)
	}
	var noLog []string
	for _, tr := range trials {
		name := tr.Metadata.Name
		if st := tr.state(); st != "Succeeded" {
			var msg string
			if n := len(tr.Status.Conditions); n > 0 {
				msg = tr.Status.Conditions[n-1].Reason + ": " + tr.Status.Conditions[n-1].Message
			}
			t.Errorf("trial %s ended %q, want Succeeded (%s)", name, st, msg)
		}
		want, err := expectedSeries(t, tr, s.count)
		if err != nil {
			t.Errorf("trial %s: %v", name, err)
			continue
		}
		checkRecorded(t, tr, want)
		if !checkLog(t, ns, name, want, logsRequired) {
			noLog = append(noLog, name)
		}
	}
	if len(noLog) > 0 {
		t.Logf("logs read back for %d of %d trials; the workloads of %s are gone", len(trials)-len(noLog), len(trials), strings.Join(noLog, ", "))
	}
	return trials
}

// checkRecorded compares a trial's recorded accuracy with what it printed, naming the
// trial, the metric's field and both values on a mismatch.
func checkRecorded(t *testing.T, tr katibTrial, want printed) {
	t.Helper()
	name := tr.Metadata.Name
	series := fmt.Sprintf("its %d values rose from low=%s to top=%s", want.count, want.low, want.top)
	if tr.Status.Observation == nil {
		t.Errorf("trial %s recorded no observation; it printed accuracy min %s max %s latest %s (%s)", name, want.first, want.last, want.last, series)
		return
	}
	for _, m := range tr.Status.Observation.Metrics {
		if m.Name != "accuracy" {
			continue
		}
		for _, f := range []struct {
			field, recorded string
			want            float64
			text            string
		}{{"min", m.Min, want.min, want.first}, {"max", m.Max, want.max, want.last}, {"latest", m.Latest, want.latest, want.last}} {
			got, err := strconv.ParseFloat(f.recorded, 64)
			if err != nil || got != f.want {
				t.Errorf("trial %s: accuracy %s recorded %q, printed %s (%s)", name, f.field, f.recorded, f.text, series)
			}
		}
		return
	}
	t.Errorf("trial %s recorded no accuracy (metrics %+v); it printed min %s max %s latest %s (%s)", name, tr.Status.Observation.Metrics, want.first, want.last, want.last, series)
}

var seriesLine = regexp.MustCompile(`(?m)^accuracy=(\S+)$`)

// checkLog reads the trial's log and confirms it printed what its parameters say, so the
// expectations above are about what really reached the log. It returns false when there is
// no log to read, which is an error only when required.
func checkLog(t *testing.T, ns, trial string, want printed, required bool) bool {
	t.Helper()
	r := katib(t, "logs", trial, "-n", ns)
	if r.code != 0 {
		if required {
			t.Errorf("kubectl katib logs %s: exit %d: %s", trial, r.code, strings.TrimSpace(r.errOut))
		}
		return false
	}
	// A finished trial's log may be a stored tail rather than the whole log: it must then be
	// exactly the last values the trial printed.
	values := seriesLine.FindAllStringSubmatch(r.out, -1)
	if len(values) == 0 || len(values) > want.count {
		t.Errorf("trial %s's log has %d accuracy lines; its parameters say it printed %d, from %s to %s", trial, len(values), want.count, want.first, want.last)
		return true
	}
	off := want.count - len(values)
	for i, v := range values {
		if v[1] != want.texts[off+i] {
			t.Errorf("trial %s's log (%d accuracy lines) is not the end of what its parameters say it printed: its line %d is accuracy=%s, want accuracy=%s (value %d of %d, from %s to %s); its last line is accuracy=%s",
				trial, len(values), i+1, v[1], want.texts[off+i], off+i+1, want.count, want.first, want.last, values[len(values)-1][1])
			return true
		}
	}
	if off > 0 {
		t.Logf("trial %s's log is its last %d of %d lines", trial, len(values), want.count)
	}
	return true
}

// checkNothingRuns asserts that no Pod or Job of the experiment is still running or
// waiting, and that every one left belongs to a recorded trial.
func checkNothingRuns(t *testing.T, ns, exp string, trials []katibTrial) {
	t.Helper()
	known := map[string]bool{}
	for _, tr := range trials {
		known[tr.Metadata.Name] = true
	}
	sel := "katib.kubeflow.org/experiment=" + exp
	pods := kubectl(t, "get", "pods", "-n", ns, "-l", sel,
		"-o", `jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.katib\.kubeflow\.org/trial} {.status.phase}{"\n"}{end}`)
	left := 0
	for _, line := range strings.Split(strings.TrimSpace(pods), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		left++
		if f[2] == "Running" || f[2] == "Pending" || f[2] == "Unknown" {
			t.Errorf("pod %s of trial %s is %s after the experiment ended", f[0], f[1], f[2])
		}
		if !known[f[1]] {
			t.Errorf("pod %s (%s) belongs to trial %q, which the experiment does not record", f[0], f[2], f[1])
		}
	}
	jobs := kubectl(t, "get", "jobs", "-n", ns, "-l", sel,
		"-o", `jsonpath={range .items[*]}{.metadata.name} {.status.active}{"\n"}{end}`)
	for _, line := range strings.Split(strings.TrimSpace(jobs), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		left++
		if len(f) == 2 && f[1] != "0" {
			t.Errorf("job %s still has %s active pods after the experiment ended", f[0], f[1])
		}
		if !known[f[0]] {
			t.Errorf("job %s belongs to no recorded trial", f[0])
		}
	}
	t.Logf("%d finished pods and jobs left for the experiment", left)
}

// client is a `kubectl katib` process the test may kill, in its own process group.
type client struct {
	cmd    *exec.Cmd
	lines  *lineWaiter
	stderr *strings.Builder
}

// startKatib starts `kubectl katib ARGS` with extra environment, its stdout read line by
// line. kubectl runs the plugin as a child or in its own place, so the test kills the whole
// process group; cleanup kills whatever is left when the test ends early.
func startKatib(t *testing.T, env []string, args ...string) *client {
	t.Helper()
	cmd := exec.Command("kubectl", append([]string{"katib"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &client{cmd: cmd, stderr: &strings.Builder{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.lines = newLineWaiter(stdout)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	})
	return c
}

// rest reads the output to its end and returns all of it, what waitFor saw included.
func (c *client) rest() string {
	for line := range c.lines.lines {
		c.lines.all.WriteString(line + "\n")
	}
	return c.lines.all.String()
}

// kill ends the client and everything it started with SIGKILL, as a crash or an OOM kill
// would, and returns what it printed.
func (c *client) kill(t *testing.T) string {
	t.Helper()
	if err := syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the client's process group: %v", err)
	}
	out := c.rest()
	_ = c.cmd.Wait()
	return out
}

// wait lets the client finish within timeout and returns its exit code and output.
func (c *client) wait(t *testing.T, timeout time.Duration) (int, string) {
	t.Helper()
	done := make(chan string, 1)
	go func() { done <- c.rest() }()
	var out string
	select {
	case out = <-done:
	case <-time.After(timeout):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		out = <-done
		_ = c.cmd.Wait()
		t.Fatalf("the client did not finish within %s; killed it. Output:\n%s\nstderr:\n%s", timeout, out, c.stderr.String())
	}
	err := c.cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out
	case errors.As(err, &exit):
		return exit.ExitCode(), out
	}
	t.Fatalf("waiting for the client: %v", err)
	return -1, out
}

// finishRun waits for the client and checks it exited 0, then checks the trials and that
// nothing is left running.
func finishRun(t *testing.T, c *client, ns string, s seriesExperiment, logsRequired bool) {
	t.Helper()
	code, out := c.wait(t, 3*time.Minute)
	t.Logf("client output:\n%s", out)
	if code != 0 {
		t.Errorf("the client exited %d, want 0 (experiment Succeeded); stderr:\n%s", code, c.stderr.String())
	}
	trials := checkSeriesTrials(t, ns, s, logsRequired)
	checkNothingRuns(t, ns, s.name, trials)
}

var trialRunning = regexp.MustCompile(`trial \S+ running`)

// sleepUntil waits until the later of at and minGap after since.
func sleepUntil(at time.Time, since time.Time, minGap time.Duration) {
	if later := since.Add(minGap); later.After(at) {
		at = later
	}
	time.Sleep(time.Until(at))
}

// The API server is killed with SIGKILL while the first trials print, and started again a
// second later: the client must ride through the outage (watches, log streams and saves all
// fail meanwhile) and still record every value every trial printed.
// TestFaultTrainerRestartedInPlace is a training container that fails under restartPolicy
// OnFailure: the kubelet runs it again in the same pod. Its first end must not be taken for
// the end of its log: the trial records the series of both runs, in order.
func TestFaultTrainerRestartedInPlace(t *testing.T) {
	ns := freshNamespace(t, "katib-fault-onfailure")
	s := seriesExperiment{name: "restarted-in-place", kind: "Job", maxTrials: 2, parallel: 2, count: 5,
		interval: 300 * time.Millisecond, linger: time.Second, retain: true, failOnce: true}
	r := katib(t, "run", "-f", s.file(t), "-n", ns)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	records := map[string][]float64{}
	for _, tr := range storedTrials(t, ns, s.name) {
		records[tr.Name] = tr.Reports
	}
	trials := getTrials(t, nil, ns, s.name)
	if len(trials) != s.maxTrials {
		t.Fatalf("want %d trials, got %d", s.maxTrials, len(trials))
	}
	for _, tr := range trials {
		want, err := expectedSeries(t, tr, s.count)
		if err != nil {
			t.Fatal(err)
		}
		restarts := kubectlTB(t, "get", "pods", "-n", ns, "-l", "job-name="+tr.Metadata.Name, "-o", "jsonpath={.items[0].status.containerStatuses[0].restartCount}")
		got := records[tr.Metadata.Name]
		var gotTexts []string
		for _, v := range got {
			gotTexts = append(gotTexts, seriesText(v))
		}
		wantTexts := append(append([]string(nil), want.texts...), want.texts...)
		if tr.state() != "Succeeded" || restarts != "1" || strings.Join(gotTexts, " ") != strings.Join(wantTexts, " ") {
			t.Errorf("trial %s: %s after %s restart(s), recorded %v; want Succeeded after 1 restart with both runs' series %v",
				tr.Metadata.Name, tr.state(), restarts, gotTexts, wantTexts)
			continue
		}
		t.Logf("trial %s: restarted once, recorded both runs' %d values (%s ... %s twice)", tr.Metadata.Name, len(got), want.first, want.last)
	}
}

func TestFaultAPIServerKilled(t *testing.T) {
	cluster := clusterDir(t)
	pidFile := filepath.Join(cluster, "pids", "kube-apiserver.pid")
	script := filepath.Join(filepath.Dir(cluster), "hack", "cluster.sh")
	if _, err := os.Stat(pidFile); err != nil {
		t.Skipf("the API server is not one this checkout's cluster started (%v)", err)
	}
	ns := freshNamespace(t, "katib-fault-apiserver")
	s := seriesExperiment{name: "apiserver-killed", kind: "Job", maxTrials: 4, parallel: 2, count: 20, interval: time.Second, retain: true}
	file := s.file(t)
	// Whatever happens below, the cluster is whole again for the tests after this one.
	killed, restarted := false, false
	restart := func() {
		start := time.Now()
		out, err := exec.Command(script, "up").CombinedOutput()
		if err != nil {
			t.Fatalf("%s up: %v\n%s", script, err, out)
		}
		restarted = true
		t.Logf("cluster.sh up took %s", time.Since(start).Round(100*time.Millisecond))
	}
	t.Cleanup(func() {
		if killed && !restarted {
			restart()
		}
	})

	start := time.Now()
	c := startKatib(t, nil, "run", "-f", file, "-n", ns)
	c.lines.waitFor(t, trialRunning, 2)
	sleepUntil(start.Add(6*time.Second), time.Now(), 3*time.Second)

	pid := apiserverPID(t, pidFile)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing kube-apiserver (pid %d): %v", pid, err)
	}
	killed = true
	for deadline := time.Now().Add(10 * time.Second); processAlive(pid) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("killed kube-apiserver (pid %d) %s into the run", pid, time.Since(start).Round(100*time.Millisecond))
	time.Sleep(time.Second)
	restart()
	t.Logf("the API server answers again %s into the run", time.Since(start).Round(100*time.Millisecond))

	finishRun(t, c, ns, s, true)
}

// apiserverPID is the recorded PID of the cluster's kube-apiserver, checked to be that
// program, so a recycled PID is never signalled.
func apiserverPID(t *testing.T, pidFile string) int {
	t.Helper()
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s: %v", pidFile, err)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || filepath.Base(exe) != "kube-apiserver" {
		t.Fatalf("pid %d from %s is not kube-apiserver (%q, %v)", pid, pidFile, exe, err)
	}
	return pid
}

// processAlive says whether pid is a live process (not gone, not a zombie).
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// Every connection between the client and the API server is cut for 10 s while the first
// trials print: open watches and log streams break, and for 10 s every new connection is
// closed as soon as it is made.
func TestFaultNetworkCut(t *testing.T) {
	kubeconfig, control, said := startFaultProxy(t, "close")
	ns := freshNamespace(t, "katib-fault-cut")
	s := seriesExperiment{name: "network-cut", kind: "Pod", maxTrials: 4, parallel: 2, count: 20, interval: time.Second}
	start := time.Now()
	c := startKatib(t, []string{"KUBECONFIG=" + kubeconfig}, "run", "-f", s.file(t), "-n", ns)
	c.lines.waitFor(t, trialRunning, 2)
	sleepUntil(start.Add(6*time.Second), time.Now(), 3*time.Second)
	if _, err := io.WriteString(control, "cut 10s\n"); err != nil {
		t.Fatal(err)
	}
	said.waitFor(t, regexp.MustCompile(`^cut: `), 1)
	t.Logf("%s (%s into the run)", lastLine(said.all.String()), time.Since(start).Round(100*time.Millisecond))
	said.waitFor(t, regexp.MustCompile(`^restored: `), 1)
	t.Logf("%s (%s into the run)", lastLine(said.all.String()), time.Since(start).Round(100*time.Millisecond))

	finishRun(t, c, ns, s, false)
}

// An outage longer than --outage-timeout ends the run with exit 1 and a message that says
// what is recorded and how to continue; once the API server answers again, resume adopts
// the trials that ran (and ended) during the outage and records exactly what they printed.
func TestFaultOutageLongerThanTimeout(t *testing.T) {
	kubeconfig, control, said := startFaultProxy(t, "hang")
	ns := freshNamespace(t, "katib-fault-outage")
	s := seriesExperiment{name: "long-outage", kind: "Job", maxTrials: 2, parallel: 2, count: 12, interval: time.Second}
	c := startKatib(t, []string{"KUBECONFIG=" + kubeconfig}, "run", "-f", s.file(t), "-n", ns, "--outage-timeout", "8s")
	c.lines.waitFor(t, trialRunning, 2)
	cutAt := time.Now()
	if _, err := io.WriteString(control, "cut 90s\n"); err != nil {
		t.Fatal(err)
	}
	said.waitFor(t, regexp.MustCompile(`^cut: `), 1)
	code, out := c.wait(t, 80*time.Second)
	gaveUp := time.Since(cutAt)
	t.Logf("the run exited %d %s after the cut; output:\n%s\nstderr:\n%s", code, gaveUp.Round(100*time.Millisecond), out, c.stderr.String())
	if code != 1 {
		t.Errorf("the run exited %d after an outage longer than --outage-timeout, want 1", code)
	}
	for _, want := range []string{"has been unreachable for", "kubectl katib resume long-outage -n " + ns} {
		if !strings.Contains(c.stderr.String(), want) {
			t.Errorf("the message does not say %q:\n%s", want, c.stderr.String())
		}
	}
	if _, err := io.WriteString(control, "restore\n"); err != nil {
		t.Fatal(err)
	}
	said.waitFor(t, regexp.MustCompile(`^restored: `), 1)
	// The trials went on in the cluster meanwhile; resume reads their logs from the start.
	r := katib(t, "resume", s.name, "-n", ns)
	t.Logf("resume exited %d:\n%s\n%s", r.code, r.out, r.errOut)
	if r.code != 0 {
		t.Errorf("resume after the outage exited %d, want 0", r.code)
	}
	trials := checkSeriesTrials(t, ns, s, false)
	checkNothingRuns(t, ns, s.name, trials)
}

// startFaultProxy builds hack/faultproxy, starts it between the client and the API server
// (mode: what it does to new connections during a cut: refuse, close or hang) and returns a
// kubeconfig that goes through it, the proxy's command input and what it says.
func startFaultProxy(t *testing.T, mode string) (string, io.Writer, *lineWaiter) {
	t.Helper()
	proxyBin := filepath.Join(t.TempDir(), "faultproxy")
	build := exec.Command("go", "build", "-o", proxyBin, "./hack/faultproxy")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hack/faultproxy: %v\n%s", err, out)
	}
	kubeconfig, target := proxiedKubeconfig(t)
	proxy := exec.Command(proxyBin, "-listen", "127.0.0.1:0", "-target", target, "-mode", mode, "-for", "10m")
	stdin, err := proxy.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := proxy.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	proxy.Stderr = os.Stderr
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	said := newLineWaiter(stdout)
	t.Cleanup(func() {
		_ = proxy.Process.Signal(syscall.SIGTERM)
		for line := range said.lines {
			said.all.WriteString(line + "\n")
		}
		_ = proxy.Wait()
		t.Logf("faultproxy said:\n%s", said.all.String())
	})
	listening := regexp.MustCompile(`^listening on (\S+)$`)
	said.waitFor(t, listening, 1)
	addr := listening.FindStringSubmatch(strings.TrimSpace(lastLine(said.all.String())))[1]
	writeKubeconfigServer(t, kubeconfig, "https://"+addr)
	return kubeconfig, stdin, said
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// proxiedKubeconfig copies the current kubeconfig (certificates inlined) to a temporary file
// and returns its path and the API server's host:port, which must be a loopback address.
func proxiedKubeconfig(t *testing.T) (string, string) {
	t.Helper()
	raw := kubectl(t, "config", "view", "--raw", "--minify", "--flatten")
	var cfg struct {
		Clusters []struct {
			Cluster struct{ Server string }
		}
	}
	if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil || len(cfg.Clusters) != 1 {
		t.Fatalf("kubectl config view: %v\n%s", err, raw)
	}
	server := cfg.Clusters[0].Cluster.Server
	target := strings.TrimPrefix(server, "https://")
	if !strings.HasPrefix(server, "https://127.0.0.1:") {
		t.Skipf("the API server %s is not on 127.0.0.1, which the proxy needs (its certificate names 127.0.0.1)", server)
	}
	path := filepath.Join(t.TempDir(), "proxied.kubeconfig")
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, target
}

// writeKubeconfigServer points every cluster of a kubeconfig at server. The API server's
// certificate names 127.0.0.1, so TLS still verifies through a proxy on another port.
func writeKubeconfigServer(t *testing.T, path, server string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg["clusters"].([]any) {
		c.(map[string]any)["cluster"].(map[string]any)["server"] = server
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The client is killed with SIGKILL at six moments of one experiment (just after a trial
// started, while resume adopts, just after a trial succeeded, just after a trial was
// created, ...), each time resumed; a last resume finishes the run.
func TestFaultClientKilledRepeatedly(t *testing.T) {
	ns := freshNamespace(t, "katib-fault-kill")
	s := seriesExperiment{name: "client-killed", kind: "Job", maxTrials: 6, parallel: 2, count: 20, interval: time.Second}
	file := s.file(t)
	// Each client is killed right after it says this much: spread over the run, at points
	// where a save, a creation or a deletion may be half done.
	kills := []struct {
		what string
		re   *regexp.Regexp
		n    int
	}{
		{"the run, once its first trial runs", trialRunning, 1},
		{"resume 1, once it adopted a trial", regexp.MustCompile(`trial \S+ adopted`), 1},
		{"resume 2, once a trial succeeded", regexp.MustCompile(`trial \S+ Succeeded`), 1},
		{"resume 3, once a trial was created or started", regexp.MustCompile(`trial \S+ (created|running)`), 1},
		// Two: one may be a trial that finished while no client ran, the other then comes
		// from the next wave, which spreads the kills over the run.
		{"resume 4, once two trials succeeded", regexp.MustCompile(`trial \S+ Succeeded`), 2},
		// Adopted, or created when the kill before came as the last active trial finished.
		{"resume 5, once it adopted or created a trial", regexp.MustCompile(`trial \S+ (adopted|created)`), 1},
	}
	start := time.Now()
	for i, k := range kills {
		args := []string{"resume", s.name, "-n", ns}
		if i == 0 {
			args = []string{"run", "-f", file, "-n", ns}
		}
		c := startKatib(t, nil, args...)
		c.lines.waitFor(t, k.re, k.n)
		out := c.kill(t)
		t.Logf("killed %s, %s into the experiment; it printed:\n%s", k.what, time.Since(start).Round(100*time.Millisecond), out)
	}
	c := startKatib(t, nil, "resume", s.name, "-n", ns)
	finishRun(t, c, ns, s, false)
	t.Logf("the experiment took %s", time.Since(start).Round(100*time.Millisecond))
}
