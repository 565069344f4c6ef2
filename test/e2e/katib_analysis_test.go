//go:build e2e

package e2e

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clipperhouse/displaywidth"

	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// The analysis commands on real experiments: examples/experiments/mnist-random.yaml as
// shipped, and an MNIST experiment with median stopping (intermediate values, some trials
// stopped). Every number they show is checked against the stored trial records; the report
// is opened in Chromium and the Optuna journal in Optuna.
func TestAnalysisCommands(t *testing.T) {
	ns := freshNamespace(t, "katib-analysis")
	mustKatib(t, "run", "-f", filepath.Join(repoRoot(), "examples", "experiments", "mnist-random.yaml"), "-n", ns)
	median := experimentFile(t, "e2e/random-mnist.yaml", func(obj map[string]any) {
		dig(obj, "metadata").(map[string]any)["name"] = "mnist-median"
		spec := dig(obj, "spec").(map[string]any)
		spec["maxTrialCount"], spec["parallelTrialCount"], spec["maxFailedTrialCount"] = 8, 2, 8
		spec["algorithm"] = map[string]any{"algorithmName": "grid"}
		spec["parameters"] = []any{
			map[string]any{"name": "lr", "parameterType": "discrete", "feasibleSpace": map[string]any{
				"list": []any{"0.05", "0.1", "0.00002", "0.03", "0.00005", "0.02", "0.00001", "0.04"}}},
			map[string]any{"name": "hidden", "parameterType": "int", "feasibleSpace": map[string]any{"min": "16", "max": "16"}}}
		spec["earlyStopping"] = map[string]any{"algorithmName": "medianstop", "algorithmSettings": []any{
			map[string]any{"name": "min_trials_required", "value": "2"}, map[string]any{"name": "start_step", "value": "2"}}}
		jobContainer(obj)["args"] = []any{"--epochs=6", "--num-train=10000", "--num-test=1000",
			"--lr=${trialParameters.learningRate}", "--hidden=${trialParameters.hidden}"}
	})
	mustKatib(t, "run", "-f", median, "-n", ns)

	random, stopped := storedTrials(t, ns, "mnist-random"), storedTrials(t, ns, "mnist-median")
	counted := func(trials []store.TrialRecord) (n int, best *store.TrialRecord) {
		for i, tr := range trials {
			if tr.Objective != nil && (tr.State == suggest.StateSucceeded || tr.State == suggest.StateEarlyStopped) {
				n++
				if best == nil || *tr.Objective > *best.Objective {
					best = &trials[i]
				}
			}
		}
		return n, best
	}
	nRandom, bestRandom := counted(random)
	nMedian, _ := counted(stopped)
	early := 0
	for _, tr := range stopped {
		if tr.State == suggest.StateEarlyStopped {
			early++
		}
	}
	if len(random) != 8 || nRandom < 2 || early == 0 {
		t.Fatalf("mnist-random has %d trials (%d with accuracy), mnist-median %d stopped early: the fixtures do not show what the charts must", len(random), nRandom, early)
	}

	t.Run("importance", func(t *testing.T) {
		out := mustKatib(t, "importance", "mnist-random", "-n", ns)
		t.Logf("importance mnist-random:\n%s", out)
		var doc struct {
			APIVersion, Kind, Metric string
			Trials                   int
			Parameters               []struct {
				Name       string
				Importance float64
			}
		}
		if err := json.Unmarshal([]byte(mustKatib(t, "importance", "mnist-random", "-n", ns, "-o", "json")), &doc); err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		var names []string
		for _, p := range doc.Parameters {
			sum += p.Importance
			names = append(names, p.Name)
		}
		slices.Sort(names)
		if doc.Kind != "ParameterImportance" || doc.Trials != nRandom || math.Abs(sum-1) > 1e-9 ||
			!slices.Equal(names, []string{"hidden", "lr", "momentum", "optimizer"}) {
			t.Errorf("importance -o json: %+v (sum %v, %d counted trials)", doc, sum, nRandom)
		}
		if top := mustKatib(t, "importance", "mnist-random", "-n", ns, "-o", "jsonpath={.parameters[0].name}"); top != doc.Parameters[0].Name {
			t.Errorf("-o jsonpath gave %q, -o json %q", top, doc.Parameters[0].Name)
		}
		if !strings.Contains(out, doc.Parameters[0].Name) || !strings.Contains(out, fmt.Sprintf("%.1f%%", 100*doc.Parameters[0].Importance)) {
			t.Errorf("the bars do not show the top parameter's share:\n%s", out)
		}
		checkPlain(t, "importance", out)
	})

	t.Run("plot", func(t *testing.T) {
		for _, args := range [][]string{
			{"mnist-random"}, {"mnist-random", "slice"}, {"mnist-random", "parallel"},
			{"mnist-median", "intermediate"}, {"mnist-random", "mnist-median", "history"},
		} {
			out := mustKatib(t, append([]string{"plot", "-n", ns}, args...)...)
			t.Logf("plot %s:\n%s", strings.Join(args, " "), out)
			checkPlain(t, "plot "+strings.Join(args, " "), out)
		}
		hist := mustKatib(t, "plot", "mnist-random", "-n", ns)
		if !strings.Contains(hist, "best: "+bestRandom.Name) {
			t.Errorf("the history does not name the best trial %s:\n%s", bestRandom.Name, hist)
		}
		inter := mustKatib(t, "plot", "mnist-median", "intermediate", "-n", ns)
		if !strings.Contains(inter, fmt.Sprintf("early-stopped (%d)", early)) {
			t.Errorf("the intermediate chart does not list the %d early-stopped trials:\n%s", early, inter)
		}
	})

	t.Run("report", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "report.html")
		mustKatib(t, "report", "mnist-random", "mnist-median", "-n", ns, "--file", file)
		html, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if stdout := mustKatib(t, "report", "mnist-random", "mnist-median", "-n", ns); len(stdout) < len(html)/2 || !strings.HasPrefix(stdout, "<!DOCTYPE html>") {
			t.Errorf("report to stdout: %d bytes, starting %.40q", len(stdout), stdout)
		}
		for _, u := range regexp.MustCompile(`https?://[^"' )]+`).FindAllString(string(html), -1) {
			if u != "http://www.w3.org/2000/svg" {
				t.Errorf("the report refers to %s: it must need no network", u)
			}
		}
		dom, console := chromium(t, file, filepath.Join(dir, "report.png"))
		if console != "" {
			t.Errorf("the page logged to the console:\n%s", console)
		}
		// One mark per counted trial in each experiment's history chart.
		for _, e := range []struct {
			name   string
			trials []store.TrialRecord
			n      int
		}{{"mnist-random", random, nRandom}, {"mnist-median", stopped, nMedian}} {
			got := 0
			for _, tr := range e.trials {
				if tr.Objective != nil && (tr.State == suggest.StateSucceeded || tr.State == suggest.StateEarlyStopped) {
					if strings.Count(dom, `data-trial="`+tr.Name+`"`) == 0 {
						t.Errorf("trial %s has no mark in the rendered report", tr.Name)
					} else {
						got++
					}
				}
			}
			if got != e.n {
				t.Errorf("%s: %d trials marked, %d have an objective", e.name, got, e.n)
			}
		}
		for _, tr := range random {
			if !strings.Contains(dom, tr.Name) {
				t.Errorf("trial %s is not in the rendered report", tr.Name)
			}
		}
		if t.Failed() {
			return
		}
		svg := mustKatib(t, "report", "mnist-random", "-n", ns, "--format", "svg", "--plot", "history")
		if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
			t.Errorf("--format svg is not well-formed XML: %v", err)
		}
		if n := strings.Count(svg, `class="mark trial`); n != nRandom {
			t.Errorf("--format svg --plot history has %d trial marks, want %d", n, nRandom)
		}
	})

	t.Run("export", func(t *testing.T) {
		out := mustKatib(t, "export", "mnist-random", "-n", ns, "--format", "csv")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != len(random)+1 || rows[0][0] != "name" {
			t.Fatalf("export --format csv: %v\n%s", err, out)
		}
		t.Logf("export --format csv:\n%s", out)
		col := slices.Index(rows[0], "objective")
		for _, row := range rows[1:] {
			for _, tr := range random {
				if tr.Name == row[0] && tr.Objective != nil && row[col] != fmt.Sprint(*tr.Objective) {
					t.Errorf("trial %s: csv objective %s, stored %v", tr.Name, row[col], *tr.Objective)
				}
			}
		}
		journal := filepath.Join(t.TempDir(), "study.log")
		mustKatib(t, "export", "mnist-median", "-n", ns, "--format", "optuna-journal", "--file", journal)
		py := `
import json, sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.load_study(study_name=sys.argv[2], storage=optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(sys.argv[1])))
print(json.dumps({"trials": [{"name": t.user_attrs.get("katib_trial"), "state": t.state.name, "value": t.value,
  "params": {k: str(v) for k, v in t.params.items()}, "steps": len(t.intermediate_values)} for t in s.trials]}))`
		cmd := exec.Command("/usr/bin/python3", "-c", py, journal, ns+"/mnist-median")
		raw, err := cmd.Output()
		if err != nil {
			t.Fatalf("Optuna could not load the journal: %v\n%s", err, raw)
		}
		var loaded struct {
			Trials []struct {
				Name, State string
				Value       *float64
				Params      map[string]string
				Steps       int
			}
		}
		if err := json.Unmarshal(raw, &loaded); err != nil {
			t.Fatalf("%v\n%s", err, raw)
		}
		if len(loaded.Trials) != len(stopped) {
			t.Fatalf("Optuna loaded %d trials, the experiment has %d", len(loaded.Trials), len(stopped))
		}
		want := map[suggest.TrialState]string{suggest.StateSucceeded: "COMPLETE", suggest.StateEarlyStopped: "PRUNED"}
		for _, tr := range stopped {
			i := slices.IndexFunc(loaded.Trials, func(l struct {
				Name, State string
				Value       *float64
				Params      map[string]string
				Steps       int
			}) bool {
				return l.Name == tr.Name
			})
			if i < 0 {
				t.Errorf("trial %s is not in the journal", tr.Name)
				continue
			}
			l := loaded.Trials[i]
			if s, ok := want[tr.State]; ok && (l.State != s || l.Value == nil || *l.Value != *tr.Objective) {
				t.Errorf("trial %s (%s, %v): Optuna reads %s %v", tr.Name, tr.State, *tr.Objective, l.State, l.Value)
			}
			if l.Steps != len(tr.Reports) || parseFloat(l.Params["lr"]) != parseFloat(tr.Assignments[0].Value) {
				t.Errorf("trial %s: Optuna reads %d steps and lr %s; stored %d steps and lr %s", tr.Name, l.Steps, l.Params["lr"], len(tr.Reports), tr.Assignments[0].Value)
			}
		}
	})
}

// checkPlain checks what a command printed to a pipe: no colour codes, at most 80 columns.
func checkPlain(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, "\x1b") {
		t.Errorf("%s printed colour codes to a pipe", what)
	}
	for _, line := range strings.Split(out, "\n") {
		if w := displaywidth.String(line); w > 80 {
			t.Errorf("%s: a line of %d columns: %q", what, w, line)
		}
	}
}

// chromium renders a page headless: its DOM after scripts ran, a screenshot (checked not to
// be blank) and every console message the page logged.
func chromium(t *testing.T, page, screenshot string) (dom, console string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is needed to check the report (make test-deps installs it): %v", err)
	}
	base := []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.Command(bin, append(base, "--screenshot="+screenshot, "--window-size=1280,2400", "file://"+page)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(screenshot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if n := colours(img); n < 100 {
		t.Errorf("the screenshot has %d colours: the report did not render", n)
	}
	if keep := os.Getenv("KATIB_REPORT_SCREENSHOT"); keep != "" {
		if data, err := os.ReadFile(screenshot); err == nil {
			_ = os.WriteFile(keep, data, 0o644)
		}
	}
	cmd = exec.Command(bin, append(base, "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+page)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
	}
	var logged []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			logged = append(logged, line)
		}
	}
	return string(out), strings.Join(logged, "\n")
}

func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}
