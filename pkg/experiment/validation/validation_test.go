package validation

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func load(t *testing.T, name string) *experiment.Experiment {
	t.Helper()
	e, err := experiment.Load(golden.Path("experiments/" + name))
	if err != nil {
		t.Fatal(err)
	}
	experiment.SetDefaults(e)
	return e
}

func i32(n int32) *int32 { return &n }

func containers(e *experiment.Experiment) []any {
	return e.Spec.TrialTemplate.TrialSpec.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
}

func TestValidExperiments(t *testing.T) {
	for _, f := range []string{"valid.yaml", "pod.yaml"} {
		if errs := Validate(load(t, f)); len(errs) != 0 {
			t.Errorf("%s: %v", f, errs.ToAggregate())
		}
	}
}

func TestRules(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(e *experiment.Experiment)
		want   string
	}{
		{"name missing", func(e *experiment.Experiment) { e.Name = "" }, "metadata.name: Required value"},
		{"name too long", func(e *experiment.Experiment) { e.Name = strings.Repeat("a", 55) }, "metadata.name: Too long: may not be more than 54"},
		{"maxTrialCount zero", func(e *experiment.Experiment) { e.Spec.MaxTrialCount = i32(0) }, "spec.maxTrialCount: Invalid value: 0: must be greater than 0"},
		{"parallel zero", func(e *experiment.Experiment) { e.Spec.ParallelTrialCount = i32(0) }, "spec.parallelTrialCount: Invalid value: 0: must be greater than 0"},
		{"maxFailed negative", func(e *experiment.Experiment) { e.Spec.MaxFailedTrialCount = i32(-1) }, "spec.maxFailedTrialCount: Invalid value: -1: should not be less than 0"},
		{"maxFailed above max", func(e *experiment.Experiment) { e.Spec.MaxFailedTrialCount = i32(7) }, "spec.maxFailedTrialCount: Invalid value: 7: should be less than or equal to spec.maxTrialCount"},
		{"parallel above max", func(e *experiment.Experiment) { e.Spec.ParallelTrialCount = i32(7) }, "spec.parallelTrialCount: Invalid value: 7: should be less than or equal to spec.maxTrialCount"},
		{"objective missing", func(e *experiment.Experiment) { e.Spec.Objective = nil }, "spec.objective: Required value"},
		{"objective type missing", func(e *experiment.Experiment) { e.Spec.Objective.Type = "" }, "spec.objective.type: Required value: must be minimize or maximize"},
		{"objective metric missing", func(e *experiment.Experiment) { e.Spec.Objective.ObjectiveMetricName = "" }, "spec.objective.objectiveMetricName: Required value"},
		{"additional metric duplicated", func(e *experiment.Experiment) { e.Spec.Objective.AdditionalMetricNames = []string{"loss", "loss"} }, `spec.objective.additionalMetricNames[1]: Duplicate value: "loss"`},
		{"strategy for an unknown metric", func(e *experiment.Experiment) {
			e.Spec.Objective.MetricStrategies = append(e.Spec.Objective.MetricStrategies, experiment.MetricStrategy{Name: "f1", Value: "max"})
		}, `spec.objective.metricStrategies[2].name: Invalid value: "f1": is neither the objective metric nor an additional metric`},
		{"strategy value", func(e *experiment.Experiment) { e.Spec.Objective.MetricStrategies[0].Value = "best" }, `spec.objective.metricStrategies[0].value: Unsupported value: "best": supported values: "min", "max", "latest"`},
		{"algorithm missing", func(e *experiment.Experiment) { e.Spec.Algorithm = nil }, "spec.algorithm: Required value"},
		{"algorithm name missing", func(e *experiment.Experiment) { e.Spec.Algorithm.AlgorithmName = "" }, "spec.algorithm.algorithmName: Required value"},
		{"algorithm NAS", func(e *experiment.Experiment) { e.Spec.Algorithm.AlgorithmName = "enas" }, `spec.algorithm.algorithmName: Unsupported value: "enas": neural architecture search is not run client-side`},
		{"algorithm darts", func(e *experiment.Experiment) { e.Spec.Algorithm.AlgorithmName = "darts" }, `spec.algorithm.algorithmName: Unsupported value: "darts": neural architecture search is not run client-side`},
		{"algorithm unknown", func(e *experiment.Experiment) { e.Spec.Algorithm.AlgorithmName = "genetic" }, `spec.algorithm.algorithmName: Unsupported value: "genetic": not a Katib algorithm; use one of: `},
		{"early stopping unknown", func(e *experiment.Experiment) {
			e.Spec.EarlyStopping = &experiment.EarlyStoppingSpec{AlgorithmName: "successive-rejects"}
		}, `spec.earlyStopping.algorithmName: Unsupported value: "successive-rejects": not an early stopping algorithm; use one of: asha, hyperband, medianstop, patience, percentile, threshold, or remove spec.earlyStopping`},
		{"early stopping name missing", func(e *experiment.Experiment) { e.Spec.EarlyStopping = &experiment.EarlyStoppingSpec{} }, "spec.earlyStopping.algorithmName: Required value"},
		{"resume policy", func(e *experiment.Experiment) { e.Spec.ResumePolicy = "Always" }, `spec.resumePolicy: Unsupported value: "Always"`},
		{"no parameters", func(e *experiment.Experiment) { e.Spec.Parameters = nil }, "spec.parameters: Required value"},
		{"nas config", func(e *experiment.Experiment) { e.Spec.NasConfig = &experiment.NasConfig{} }, "spec.nasConfig: Forbidden: neural architecture search is not run client-side"},
		{"parameter name missing", func(e *experiment.Experiment) { e.Spec.Parameters[1].Name = "" }, "spec.parameters[1].name: Required value"},
		{"parameter type missing", func(e *experiment.Experiment) { e.Spec.Parameters[1].ParameterType = "" }, "spec.parameters[1].parameterType: Required value"},
		{"parameter type unknown", func(e *experiment.Experiment) { e.Spec.Parameters[1].ParameterType = "float" }, `spec.parameters[1].parameterType: Unsupported value: "float"`},
		{"distribution unknown", func(e *experiment.Experiment) { e.Spec.Parameters[0].FeasibleSpace.Distribution = "gaussian" }, `spec.parameters[0].feasibleSpace.distribution: Unsupported value: "gaussian"`},
		{"max missing", func(e *experiment.Experiment) { e.Spec.Parameters[0].FeasibleSpace.Max = "" }, "spec.parameters[0].feasibleSpace.max: Required value"},
		{"max not a number", func(e *experiment.Experiment) { e.Spec.Parameters[0].FeasibleSpace.Max = "1e" }, `spec.parameters[0].feasibleSpace.max: Invalid value: "1e": must be a number`},
		{"min above max", func(e *experiment.Experiment) { e.Spec.Parameters[1].FeasibleSpace.Min = "5" }, `spec.parameters[1].feasibleSpace.min: Invalid value: "5": must not be greater than feasibleSpace.max (3)`},
		{"int bound not whole", func(e *experiment.Experiment) { e.Spec.Parameters[1].FeasibleSpace.Max = "3.5" }, `spec.parameters[1].feasibleSpace.max: Invalid value: "3.5": must be a whole number for an int parameter`},
		{"step zero", func(e *experiment.Experiment) { e.Spec.Parameters[0].FeasibleSpace.Step = "0" }, `spec.parameters[0].feasibleSpace.step: Invalid value: "0": must be greater than 0`},
		{"int step not whole", func(e *experiment.Experiment) { e.Spec.Parameters[1].FeasibleSpace.Step = "0.5" }, `spec.parameters[1].feasibleSpace.step: Invalid value: "0.5": must be a whole number for an int parameter`},
		{"log distribution from zero", func(e *experiment.Experiment) { e.Spec.Parameters[0].FeasibleSpace.Min = "0" }, `spec.parameters[0].feasibleSpace.min: Invalid value: "0": must be greater than 0 for distribution logUniform`},
		{"list on a double", func(e *experiment.Experiment) { e.Spec.Parameters[0].FeasibleSpace.List = []string{"1"} }, "spec.parameters[0].feasibleSpace.list: Invalid value"},
		{"empty categorical list", func(e *experiment.Experiment) { e.Spec.Parameters[2].FeasibleSpace.List = nil }, "spec.parameters[2].feasibleSpace.list: Required value"},
		{"bounds on a categorical", func(e *experiment.Experiment) { e.Spec.Parameters[2].FeasibleSpace.Min = "1" }, "spec.parameters[2].feasibleSpace: Invalid value"},
		{"discrete value not a number", func(e *experiment.Experiment) {
			e.Spec.Parameters[2].ParameterType = experiment.ParameterTypeDiscrete
		}, `spec.parameters[2].feasibleSpace.list[0]: Invalid value: "sgd": must be a number for a discrete parameter`},
		{"duplicate parameter", func(e *experiment.Experiment) { e.Spec.Parameters[1].Name = "lr" }, `spec.parameters[1].name: Invalid value: "lr": is also the name of spec.parameters[0]`},
		{"trial template missing", func(e *experiment.Experiment) { e.Spec.TrialTemplate = nil }, "spec.trialTemplate: Required value"},
		{"trial source missing", func(e *experiment.Experiment) { e.Spec.TrialTemplate.TrialSpec = nil }, "spec.trialTemplate.trialSpec: Required value"},
		{"both sources", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.ConfigMap = &experiment.ConfigMapSource{ConfigMapName: "x", TemplatePath: "y"}
		}, "spec.trialTemplate.configMap: Forbidden: only one of"},
		{"trial parameters missing", func(e *experiment.Experiment) { e.Spec.TrialTemplate.TrialParameters = nil }, "spec.trialTemplate.trialParameters: Required value"},
		{"trial parameter name with brace", func(e *experiment.Experiment) { e.Spec.TrialTemplate.TrialParameters[0].Name = "lr}" }, `spec.trialTemplate.trialParameters[0].name: Invalid value: "lr}": must not contain`},
		{"trial parameter reference missing", func(e *experiment.Experiment) { e.Spec.TrialTemplate.TrialParameters[0].Reference = "" }, "spec.trialTemplate.trialParameters[0].reference: Required value"},
		{"trial parameter duplicated", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialParameters = append(e.Spec.TrialTemplate.TrialParameters, experiment.TrialParameterSpec{Name: "epochs", Reference: "lr"})
		}, `spec.trialTemplate.trialParameters[4].name: Duplicate value: "epochs"`},
		{"trial parameter reference duplicated", func(e *experiment.Experiment) { e.Spec.TrialTemplate.TrialParameters[1].Reference = "lr" }, `spec.trialTemplate.trialParameters[1].reference: Invalid value: "lr": is already referenced`},
		{"reference to nothing", func(e *experiment.Experiment) { e.Spec.TrialTemplate.TrialParameters[0].Reference = "learning_rate" }, `spec.trialTemplate.trialParameters[0].reference: Invalid value: "learning_rate": is not a parameter; use one of epochs, lr, optimizer`},
		{"bad metadata reference", func(e *experiment.Experiment) { e.Spec.TrialTemplate.TrialParameters[3].Reference = "${trialSpec.Uid}" }, `spec.trialTemplate.trialParameters[3].reference: Invalid value: "${trialSpec.Uid}": is not trial metadata`},
		{"unused trial parameter", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialParameters = append(e.Spec.TrialTemplate.TrialParameters, experiment.TrialParameterSpec{Name: "ns", Reference: "${trialSpec.Namespace}"})
		}, `spec.trialTemplate.trialParameters[4].name: Invalid value: "ns": ${trialParameters.ns} does not appear in spec.trialTemplate.trialSpec`},
		{"placeholder without trial parameter", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialParameters = e.Spec.TrialTemplate.TrialParameters[:3]
		}, `spec.trialTemplate.trialSpec: Invalid value: "${trialParameters.trialName}": has placeholders without a trialParameter`},
		{"kind without Pod template", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialSpec.Object = map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "spec": map[string]any{"size": int64(1)}}
		}, `spec.trialTemplate.trialSpec: Invalid value: "Widget": has no Pod template`},
		{"other kind without conditions", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialSpec.SetAPIVersion("example.com/v1")
			e.Spec.TrialTemplate.TrialSpec.SetKind("Trainer")
			e.Spec.TrialTemplate.SuccessCondition, e.Spec.TrialTemplate.FailureCondition = "", ""
		}, `spec.trialTemplate: Required value: successCondition and failureCondition must be specified for trials of kind Trainer`},
		{"other kind, primary container in no template", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialSpec.SetAPIVersion("kubeflow.org/v1")
			e.Spec.TrialTemplate.TrialSpec.SetKind("PyTorchJob")
			e.Spec.TrialTemplate.PrimaryContainerName = "pytorch"
		}, `spec.trialTemplate.primaryContainerName: Invalid value: "pytorch": is not a container of the trial template's Pod templates; use one of trainer`},
		{"primary pod label invalid", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialSpec.SetAPIVersion("kubeflow.org/v1")
			e.Spec.TrialTemplate.TrialSpec.SetKind("PyTorchJob")
			e.Spec.TrialTemplate.PrimaryPodLabels = map[string]string{"job-role": "master worker"}
		}, `spec.trialTemplate.primaryPodLabels[job-role]: Invalid value: "master worker"`},
		{"name in template", func(e *experiment.Experiment) { e.Spec.TrialTemplate.TrialSpec.SetName("fixed") }, "spec.trialTemplate.trialSpec.metadata: Forbidden: metadata.name and metadata.namespace in spec.trialTemplate must be omitted"},
		{"template of the wrong shape", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialSpec.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"] = "trainer"
		}, "spec.trialTemplate.trialSpec: Invalid value: \"\": is not a valid batch/v1 Job"},
		{"no containers", func(e *experiment.Experiment) {
			e.Spec.TrialTemplate.TrialSpec.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"] = []any{}
		}, "spec.trialTemplate.trialSpec.spec.template.spec.containers: Required value"},
		{"primary container missing", func(e *experiment.Experiment) {
			containers(e)[0].(map[string]any)["name"] = "other"
			e.Spec.TrialTemplate.PrimaryContainerName = "trainer"
		}, `spec.trialTemplate.primaryContainerName: Invalid value: "trainer": is not a container of the trial template; use one of other`},
		{"primary container unset with two containers", func(e *experiment.Experiment) {
			c := containers(e)
			e.Spec.TrialTemplate.TrialSpec.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"] = append(c, map[string]any{"name": "sidecar", "image": "x"})
			e.Spec.TrialTemplate.PrimaryContainerName = ""
		}, "spec.trialTemplate.primaryContainerName: Required value: name the container whose log carries the metrics: one of trainer, sidecar"},
		{"conditions missing", func(e *experiment.Experiment) { e.Spec.TrialTemplate.FailureCondition = "" }, "spec.trialTemplate: Required value: successCondition and failureCondition must be specified"},
		{"collector File without a path", func(e *experiment.Experiment) { e.Spec.MetricsCollectorSpec.Collector.Kind = experiment.FileCollector },
			`spec.metricsCollectorSpec.source.fileSystemPath.path: Required value: the File collector needs the absolute path of the metrics file`},
		{"collector File relative path", func(e *experiment.Experiment) {
			e.Spec.MetricsCollectorSpec = fileCollector("katib/m.log", experiment.FileKind, experiment.TextFormat)
		}, `spec.metricsCollectorSpec.source.fileSystemPath.path: Invalid value: "katib/m.log": must be the absolute path of the metrics file inside the training container`},
		{"collector File directory", func(e *experiment.Experiment) {
			e.Spec.MetricsCollectorSpec = fileCollector("/katib", experiment.DirectoryKind, experiment.TextFormat)
		}, `spec.metricsCollectorSpec.source.fileSystemPath.kind: Invalid value: "Directory": the File collector reads the metrics file: use kind File`},
		{"collector File format", func(e *experiment.Experiment) {
			e.Spec.MetricsCollectorSpec = fileCollector("/katib/m", experiment.FileKind, "YAML")
		}, `spec.metricsCollectorSpec.source.fileSystemPath.format: Unsupported value: "YAML": supported values: "TEXT", "JSON"`},
		{"collector File JSON with a filter", func(e *experiment.Experiment) {
			e.Spec.MetricsCollectorSpec = fileCollector("/katib/m.json", experiment.FileKind, experiment.JSONFormat)
			e.Spec.MetricsCollectorSpec.Source.Filter = &experiment.FilterSpec{MetricsFormat: []string{`(\w+)=(\d+)`}}
		}, `spec.metricsCollectorSpec.source.filter: Invalid value: ["(\\w+)=(\\d+)"]: a filter applies to TEXT files only`},
		{"collector TensorFlowEvent file", func(e *experiment.Experiment) {
			e.Spec.MetricsCollectorSpec = fileCollector("/logs/events", experiment.FileKind, "")
			e.Spec.MetricsCollectorSpec.Collector.Kind = experiment.TfEventCollector
		}, `spec.metricsCollectorSpec.source.fileSystemPath.kind: Invalid value: "File": the TensorFlowEvent collector reads the directory of the TensorFlow event files: use kind Directory`},
		{"collector Custom", func(e *experiment.Experiment) {
			e.Spec.MetricsCollectorSpec.Collector.Kind = experiment.CustomCollector
		},
			`spec.metricsCollectorSpec.collector.kind: Unsupported value: "Custom": a custom collector is a sidecar that reports to Katib's database`},
		{"collector Prometheus", func(e *experiment.Experiment) {
			e.Spec.MetricsCollectorSpec.Collector.Kind = experiment.PrometheusMetricCollector
		}, `spec.metricsCollectorSpec.collector.kind: Unsupported value: "PrometheusMetric": client-side runs read metrics from the primary container's log and do not scrape`},
		{"collector Push", func(e *experiment.Experiment) { e.Spec.MetricsCollectorSpec.Collector.Kind = "Push" }, `spec.metricsCollectorSpec.collector.kind: Unsupported value: "Push": pushed metrics go to Katib's database`},
		{"collector unknown", func(e *experiment.Experiment) { e.Spec.MetricsCollectorSpec.Collector.Kind = "Stdout" }, `spec.metricsCollectorSpec.collector.kind: Unsupported value: "Stdout": supported values: "StdOut", "File", "TensorFlowEvent", "None"`},
		{"metrics format one group", func(e *experiment.Experiment) {
			e.Spec.MetricsCollectorSpec.Source = &experiment.SourceSpec{Filter: &experiment.FilterSpec{MetricsFormat: []string{`accuracy=([\d.]+)`}}}
		}, `spec.metricsCollectorSpec.source.filter.metricsFormat[0]: Invalid value: "accuracy=([\\d.]+)": two top subexpressions are required`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := load(t, "valid.yaml")
			tc.mutate(e)
			errs := Validate(e)
			for _, err := range errs {
				if strings.HasPrefix(err.Error(), tc.want) {
					return
				}
			}
			t.Errorf("no error starting with %q; got:\n%v", tc.want, errs.ToAggregate())
		})
	}
}

func TestPodRules(t *testing.T) {
	e := load(t, "pod.yaml")
	if e.Spec.TrialTemplate.PrimaryContainerName != "main" || e.Spec.TrialTemplate.SuccessCondition != experiment.DefaultPodSuccessCondition {
		t.Errorf("pod defaults: %+v", e.Spec.TrialTemplate)
	}
	delete(e.Spec.TrialTemplate.TrialSpec.Object["spec"].(map[string]any), "restartPolicy")
	errs := Validate(e)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), `spec.trialTemplate.trialSpec.spec.restartPolicy: Invalid value: "": a trial Pod must end; set restartPolicy: Never`) {
		t.Errorf("errors = %v", errs.ToAggregate())
	}
}

func TestNoneCollector(t *testing.T) {
	e := load(t, "valid.yaml")
	e.Spec.MetricsCollectorSpec.Collector.Kind = experiment.NoneCollector
	if errs := Validate(e); len(errs) != 0 {
		t.Fatalf("None collector rejected: %v", errs.ToAggregate())
	}
	if CollectsMetrics(e) {
		t.Error("CollectsMetrics with None")
	}
	if n := Notes(e); len(n) != 1 || !strings.Contains(n[0], "trial logs are not read for metrics") {
		t.Errorf("notes = %q", n)
	}
	if !CollectsMetrics(load(t, "valid.yaml")) {
		t.Error("CollectsMetrics with StdOut")
	}
}

func TestNotesUnknownTrialSpecField(t *testing.T) {
	e := load(t, "valid.yaml")
	containers(e)[0].(map[string]any)["comand"] = []any{"python"}
	if errs := Validate(e); len(errs) != 0 {
		t.Fatalf("an unknown field inside trialSpec is an error: %v", errs.ToAggregate())
	}
	notes := Notes(e)
	if len(notes) != 1 || !strings.Contains(notes[0], `unknown field "spec.template.spec.containers[0].comand"`) {
		t.Errorf("notes = %q", notes)
	}
}

func TestMetaReference(t *testing.T) {
	for ref, want := range map[string]bool{
		"${trialSpec.Name}": true, "${trialSpec.Namespace}": true, "${trialSpec.Kind}": true, "${trialSpec.APIVersion}": true,
		"${trialSpec.Labels[custom-key]}": true, "${trialSpec.Annotations[a/b]}": true,
		"${trialSpec.Uid}": false, "${trialSpec.Labels}": false, "${trialSpec.Env[x]}": false, "lr": false, "${trialParameters.lr}": false,
	} {
		if got := IsMetaReference(ref); got != want {
			t.Errorf("IsMetaReference(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestValidateAll(t *testing.T) {
	if err := ValidateAll(load(t, "valid.yaml")); err != nil {
		t.Fatal(err)
	}
	e := load(t, "valid.yaml")
	e.Spec.Objective.Type = "max"
	e.Spec.Parameters[1].FeasibleSpace.Min = "x"
	err := ValidateAll(e)
	if exitcode.Of(err) != exitcode.Usage {
		t.Errorf("exit code %d, want %d", exitcode.Of(err), exitcode.Usage)
	}
	ie, ok := AsInvalid(err)
	if !ok || len(ie.Errs) != 2 {
		t.Fatalf("AsInvalid: %v %v", ok, err)
	}
	want := `experiment "mnist-random" is invalid (2 problems):
  spec.objective.type: Unsupported value: "max": supported values: "minimize", "maximize"
  spec.parameters[1].feasibleSpace.min: Invalid value: "x": must be a whole number for an int parameter
fix the fields above and check the file again with ` + "`kubectl katib validate -f FILE`" + `; nothing was created`
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.yaml", "a.yml", "notes.txt", "sub/c.yaml"} {
		p := dir + "/" + f
		_ = os.MkdirAll(p[:strings.LastIndex(p, "/")], 0o755)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ExpandPaths([]string{dir, "-"}, false)
	if err != nil || strings.Join(got, ",") != dir+"/a.yml,"+dir+"/b.yaml,-" {
		t.Errorf("ExpandPaths = %v, %v", got, err)
	}
	got, _ = ExpandPaths([]string{dir}, true)
	if len(got) != 3 {
		t.Errorf("recursive: %v", got)
	}
	if _, err := ExpandPaths([]string{dir + "/missing.yaml"}, false); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ExpandPaths([]string{dir + "/sub/.."}, false); err != nil {
		t.Errorf("dir: %v", err)
	}
	empty := t.TempDir()
	if _, err := ExpandPaths([]string{empty}, false); err == nil || !strings.Contains(err.Error(), "holds no *.yaml") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestSummary(t *testing.T) {
	e := load(t, "valid.yaml")
	if s := Summary(e); s != "algorithm random, 6 trials, 2 in parallel" {
		t.Errorf("Summary = %q", s)
	}
	e.Spec.MaxTrialCount = nil
	if s := Summary(e); s != "algorithm random, no trial limit, 2 in parallel" {
		t.Errorf("Summary = %q", s)
	}
}

func fileCollector(p string, kind experiment.FileSystemKind, format experiment.FileFormat) *experiment.MetricsCollectorSpec {
	return &experiment.MetricsCollectorSpec{
		Source:    &experiment.SourceSpec{FileSystemPath: &experiment.FileSystemPath{Path: p, Kind: kind, Format: format}},
		Collector: &experiment.CollectorSpec{Kind: experiment.FileCollector},
	}
}

func TestFileCollectorsValidate(t *testing.T) {
	for _, mc := range []*experiment.MetricsCollectorSpec{
		fileCollector("/katib/mnist.log", experiment.FileKind, experiment.TextFormat),
		fileCollector("/katib/mnist.json", experiment.FileKind, experiment.JSONFormat),
		{Source: &experiment.SourceSpec{FileSystemPath: &experiment.FileSystemPath{Path: "/logs", Kind: experiment.DirectoryKind}},
			Collector: &experiment.CollectorSpec{Kind: experiment.TfEventCollector}},
	} {
		e := load(t, "valid.yaml")
		e.Spec.MetricsCollectorSpec = mc
		if errs := Validate(e); len(errs) > 0 {
			t.Errorf("%s %+v: %v", mc.Collector.Kind, *mc.Source.FileSystemPath, errs.ToAggregate())
		}
		notes := strings.Join(Notes(e), "\n")
		if !strings.Contains(notes, "metrics collector sidecar") || !strings.Contains(notes, mc.Source.FileSystemPath.Path) {
			t.Errorf("%s: notes %q do not explain the sidecar", mc.Collector.Kind, notes)
		}
	}
}
