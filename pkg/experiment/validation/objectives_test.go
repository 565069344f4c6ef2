package validation

import (
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// multi returns valid.yaml (accuracy maximised, loss collected) with the objectives
// annotation and the algorithm given.
func multi(t *testing.T, objectives, algorithm string) *experiment.Experiment {
	t.Helper()
	// Defaulted after the annotation is set, as run and validate do with a file.
	e, err := experiment.Load(golden.Path("experiments/valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.Annotations = map[string]string{experiment.AnnotationObjectives: objectives}
	e.Spec.Algorithm = &experiment.AlgorithmSpec{AlgorithmName: algorithm}
	experiment.SetDefaults(e)
	return e
}

func TestObjectivesAnnotation(t *testing.T) {
	const p = "metadata.annotations[kubectl-katib.io/objectives]: Invalid value: "
	cases := []struct {
		objectives, algorithm string
		want                  []string
	}{
		{"accuracy:maximize,loss:minimize", "nsga2", nil},
		{" accuracy : maximize , loss:minimize ", "random", nil},
		{"accuracy:maximize,loss:minimize", "sobol", nil},
		{"", "nsga2", []string{p + `"": list the objectives as METRIC:DIRECTION`}},
		{"accuracy:maximize,loss", "nsga2", []string{p + `"accuracy:maximize,loss": entry 2 ("loss") is not METRIC:DIRECTION`}},
		{"accuracy:maximize,:minimize", "nsga2", []string{`entry 2 (":minimize") is not METRIC:DIRECTION`}},
		{"accuracy:maximize,loss:min", "nsga2", []string{`entry 2 ("loss:min"): the direction must be minimize or maximize, not "min"`}},
		{"accuracy:maximize,loss:minimize,accuracy:maximize", "nsga2", []string{`metric "accuracy" is listed twice (entries 1 and 3)`}},
		{"loss:minimize,accuracy:maximize", "nsga2", []string{"the first objective must be spec.objective's, accuracy:maximize"}},
		{"accuracy:minimize,loss:minimize", "nsga2", []string{"the first objective must be spec.objective's, accuracy:maximize"}},
		{"accuracy:maximize", "nsga2", []string{"lists a single objective"}},
		{"accuracy:maximize,latency_ms:minimize", "nsga2", []string{`metric "latency_ms" is not collected: add it to spec.objective.additionalMetricNames`}},
		{"accuracy:maximize,loss:minimize", "tpe", []string{`spec.algorithm.algorithmName: Unsupported value: "tpe": tpe optimises a single objective, and metadata.annotations[kubectl-katib.io/objectives] lists 2; use nsga2`}},
		{"accuracy:maximize,loss:minimize", "bayesianoptimization", []string{`"bayesianoptimization": bayesianoptimization optimises a single objective`}},
	}
	for _, c := range cases {
		errs := Validate(multi(t, c.objectives, c.algorithm))
		if len(errs) != len(c.want) {
			t.Errorf("%q with %s: got %d problems, want %d: %v", c.objectives, c.algorithm, len(errs), len(c.want), errs)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(errs[i].Error(), w) {
				t.Errorf("%q with %s: got %q, want it to contain %q", c.objectives, c.algorithm, errs[i].Error(), w)
			}
		}
	}
}

func TestObjectivesRules(t *testing.T) {
	e := multi(t, "accuracy:maximize,loss:minimize", "nsga2")
	e.Spec.EarlyStopping = &experiment.EarlyStoppingSpec{AlgorithmName: "asha"}
	e.Spec.MetricsCollectorSpec = &experiment.MetricsCollectorSpec{Collector: &experiment.CollectorSpec{Kind: experiment.NoneCollector}}
	got := Validate(e).ToAggregate().Error()
	for _, w := range []string{
		"spec.earlyStopping: Forbidden: early stopping compares trials on one objective",
		`spec.metricsCollectorSpec.collector.kind: Invalid value: "None": collects no metric`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("got %s\nwant it to contain %q", got, w)
		}
	}

	// The goal cannot end a search for a front: a note says it is ignored.
	e = multi(t, "accuracy:maximize,loss:minimize", "nsga2")
	notes := strings.Join(Notes(e), "\n")
	if !strings.Contains(notes, "spec.objective.goal: ignored") {
		t.Errorf("notes %q", notes)
	}
	if !strings.Contains(notes, "spec.maxTrialCount: 6 trials fit in nsga2's first generation (population_size 50)") {
		t.Errorf("notes %q", notes)
	}
	if notes := strings.Join(Notes(load(t, "valid.yaml")), "\n"); strings.Contains(notes, "goal") {
		t.Errorf("a single-objective experiment's goal is noted: %q", notes)
	}
}

func TestObjectivesDefaults(t *testing.T) {
	// The second objective is read at its latest value unless a strategy says otherwise; the
	// first keeps Katib's default (its direction).
	e := multi(t, "accuracy:maximize,loss:minimize", "nsga2")
	want := map[string]experiment.MetricStrategyType{"accuracy": "max", "loss": "latest"}
	for _, s := range e.Spec.Objective.MetricStrategies {
		if want[s.Name] != s.Value {
			t.Errorf("strategy of %s: %s, want %s", s.Name, s.Value, want[s.Name])
		}
	}
	objs := experiment.Objectives(e)
	if len(objs) != 2 || objs[1] != (experiment.Objective{MetricName: "loss", Type: experiment.ObjectiveTypeMinimize}) {
		t.Fatalf("objectives %v", objs)
	}
	// An explicit strategy stays.
	e, err := experiment.Load(golden.Path("experiments/valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.Annotations = map[string]string{experiment.AnnotationObjectives: "accuracy:maximize,loss:minimize"}
	e.Spec.Objective.MetricStrategies = []experiment.MetricStrategy{{Name: "loss", Value: "min"}}
	experiment.SetDefaults(e)
	for _, s := range e.Spec.Objective.MetricStrategies {
		if s.Name == "loss" && s.Value != "min" {
			t.Errorf("explicit strategy replaced: %v", e.Spec.Objective.MetricStrategies)
		}
	}
}
