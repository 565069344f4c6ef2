package experiment

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestSetDefaults(t *testing.T) {
	e, err := Parse([]byte(minimal), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.Spec.Objective.AdditionalMetricNames = []string{"loss"}
	e.Spec.Parameters = append(e.Spec.Parameters, ParameterSpec{Name: "opt", ParameterType: ParameterTypeCategorical,
		FeasibleSpace: FeasibleSpace{List: []string{"sgd"}}}, ParameterSpec{Name: "n", ParameterType: ParameterTypeInt,
		FeasibleSpace: FeasibleSpace{Min: "1", Max: "3", Distribution: DistributionLogUniform}})
	SetDefaults(e)
	s := e.Spec
	if *s.ParallelTrialCount != 3 || s.ResumePolicy != NeverResume {
		t.Errorf("parallelTrialCount %d, resumePolicy %q", *s.ParallelTrialCount, s.ResumePolicy)
	}
	if s.MetricsCollectorSpec == nil || s.MetricsCollectorSpec.Collector.Kind != StdOutCollector {
		t.Errorf("metrics collector %+v", s.MetricsCollectorSpec)
	}
	wantStrategies := []MetricStrategy{{Name: "accuracy", Value: ExtractByMax}, {Name: "loss", Value: ExtractByMax}}
	if !reflect.DeepEqual(s.Objective.MetricStrategies, wantStrategies) {
		t.Errorf("strategies %+v, want %+v", s.Objective.MetricStrategies, wantStrategies)
	}
	for i, want := range []Distribution{DistributionUniform, DistributionUniform, DistributionLogUniform} {
		if got := s.Parameters[i].FeasibleSpace.Distribution; got != want {
			t.Errorf("parameters[%d].distribution = %q, want %q", i, got, want)
		}
	}
	tt := s.TrialTemplate
	if tt.SuccessCondition != DefaultJobSuccessCondition || tt.FailureCondition != DefaultJobFailureCondition {
		t.Errorf("conditions %q / %q", tt.SuccessCondition, tt.FailureCondition)
	}
	if tt.PrimaryContainerName != "trainer" {
		t.Errorf("primaryContainerName = %q, want the single container", tt.PrimaryContainerName)
	}
	// Idempotent.
	before := fmt.Sprintf("%+v", e.Spec)
	SetDefaults(e)
	if after := fmt.Sprintf("%+v", e.Spec); after != before {
		t.Errorf("second SetDefaults changed the spec")
	}
}

func TestSetDefaultsKeepsUserValues(t *testing.T) {
	e, _ := Parse([]byte(minimal), "f.yaml")
	two := int32(2)
	e.Spec.ParallelTrialCount = &two
	e.Spec.ResumePolicy = LongRunning
	e.Spec.Objective.Type = ObjectiveTypeMinimize
	e.Spec.Objective.AdditionalMetricNames = []string{"loss", "f1"}
	e.Spec.Objective.MetricStrategies = []MetricStrategy{{Name: "accuracy", Value: ExtractByLatest}, {Name: "f1", Value: ExtractByMax}}
	e.Spec.TrialTemplate.PrimaryContainerName = "other"
	e.Spec.TrialTemplate.SuccessCondition = "status.succeeded"
	SetDefaults(e)
	want := []MetricStrategy{{Name: "accuracy", Value: ExtractByLatest}, {Name: "f1", Value: ExtractByMax}, {Name: "loss", Value: ExtractByMin}}
	if !reflect.DeepEqual(e.Spec.Objective.MetricStrategies, want) {
		t.Errorf("strategies %+v, want %+v", e.Spec.Objective.MetricStrategies, want)
	}
	tt := e.Spec.TrialTemplate
	if *e.Spec.ParallelTrialCount != 2 || e.Spec.ResumePolicy != LongRunning || tt.PrimaryContainerName != "other" ||
		tt.SuccessCondition != "status.succeeded" || tt.FailureCondition != DefaultJobFailureCondition {
		t.Errorf("user values overridden: %+v", e.Spec)
	}
}

func TestSetDefaultsPodAndCollectors(t *testing.T) {
	e, _ := Parse([]byte(podExperiment), "f.yaml")
	e.Spec.MetricsCollectorSpec = &MetricsCollectorSpec{Collector: &CollectorSpec{Kind: FileCollector}}
	SetDefaults(e)
	tt := e.Spec.TrialTemplate
	if tt.SuccessCondition != DefaultPodSuccessCondition || tt.FailureCondition != DefaultPodFailureCondition {
		t.Errorf("pod conditions %q / %q", tt.SuccessCondition, tt.FailureCondition)
	}
	if tt.PrimaryContainerName != "" {
		t.Errorf("two containers, yet primaryContainerName was guessed: %q", tt.PrimaryContainerName)
	}
	fs := e.Spec.MetricsCollectorSpec.Source.FileSystemPath
	if fs.Kind != FileKind || fs.Path != DefaultFilePath || fs.Format != TextFormat {
		t.Errorf("file collector defaults %+v", fs)
	}
	e.Spec.MetricsCollectorSpec = &MetricsCollectorSpec{Collector: &CollectorSpec{Kind: PrometheusMetricCollector}}
	SetDefaults(e)
	if g := e.Spec.MetricsCollectorSpec.Source.HttpGet; g.Path != "/metrics" || g.Port.IntValue() != 8080 {
		t.Errorf("prometheus defaults %+v", g)
	}
}

const podExperiment = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: pod}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.1", max: "1"}}
  trialTemplate:
    trialParameters: [{name: lr, reference: lr}]
    trialSpec:
      apiVersion: v1
      kind: Pod
      spec:
        restartPolicy: Never
        containers:
          - {name: main, image: x, args: ["${trialParameters.lr}"]}
          - {name: sidecar, image: y}
`

// Job and Pod statuses as the API server returns them.
const (
	jobRunning  = `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"t1"},"status":{"active":1,"ready":1,"startTime":"2024-01-01T10:00:00Z","uncountedTerminatedPods":{}}}`
	jobComplete = `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"t1"},"status":{"completionTime":"2024-01-01T10:01:00Z","conditions":[
		{"lastProbeTime":"2024-01-01T10:01:00Z","lastTransitionTime":"2024-01-01T10:01:00Z","message":"Reached expected number of succeeded pods","reason":"CompletionsReached","status":"True","type":"SuccessCriteriaMet"},
		{"lastProbeTime":"2024-01-01T10:01:00Z","lastTransitionTime":"2024-01-01T10:01:00Z","message":"Reached expected number of succeeded pods","reason":"CompletionsReached","status":"True","type":"Complete"}],
		"ready":0,"startTime":"2024-01-01T10:00:00Z","succeeded":1,"terminating":0,"uncountedTerminatedPods":{}}}`
	jobFailed = `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"t1"},"status":{"conditions":[
		{"lastProbeTime":"2024-01-01T10:01:00Z","lastTransitionTime":"2024-01-01T10:01:00Z","message":"Job has reached the specified backoff limit","reason":"BackoffLimitExceeded","status":"True","type":"FailureTarget"},
		{"lastProbeTime":"2024-01-01T10:01:00Z","lastTransitionTime":"2024-01-01T10:01:00Z","message":"Job has reached the specified backoff limit","reason":"BackoffLimitExceeded","status":"True","type":"Failed"}],
		"failed":1,"ready":0,"startTime":"2024-01-01T10:00:00Z","terminating":0,"uncountedTerminatedPods":{}}}`
	jobSuspended   = `{"kind":"Job","status":{"conditions":[{"type":"Suspended","status":"True"},{"type":"Complete","status":"False"}]}}`
	podRunning     = `{"apiVersion":"v1","kind":"Pod","status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}`
	podSucceeded   = `{"apiVersion":"v1","kind":"Pod","status":{"phase":"Succeeded","conditions":[{"type":"Ready","status":"False","reason":"PodCompleted"}]}}`
	podFailed      = `{"apiVersion":"v1","kind":"Pod","status":{"phase":"Failed","reason":"Evicted","message":"The node was low on resource: memory."}}`
	podNoStatusYet = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`
)

func TestEvalCondition(t *testing.T) {
	cases := []struct {
		name, obj             string
		success, failure      bool
		successCond, failCond string
		reason                string
	}{
		{"job running", jobRunning, false, false, DefaultJobSuccessCondition, DefaultJobFailureCondition, ""},
		{"job complete", jobComplete, true, false, DefaultJobSuccessCondition, DefaultJobFailureCondition, "CompletionsReached"},
		{"job failed", jobFailed, false, true, DefaultJobSuccessCondition, DefaultJobFailureCondition, "BackoffLimitExceeded"},
		{"job condition present but False", jobSuspended, false, false, DefaultJobSuccessCondition, DefaultJobFailureCondition, ""},
		{"pod running", podRunning, false, false, DefaultPodSuccessCondition, DefaultPodFailureCondition, ""},
		{"pod succeeded", podSucceeded, true, false, DefaultPodSuccessCondition, DefaultPodFailureCondition, ""},
		{"pod failed", podFailed, false, true, DefaultPodSuccessCondition, DefaultPodFailureCondition, "Evicted"},
		{"pod without status", podNoStatusYet, false, false, DefaultPodSuccessCondition, DefaultPodFailureCondition, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := EvalCondition([]byte(tc.obj), tc.successCond)
			if err != nil || ok != tc.success {
				t.Errorf("success = %v, %v; want %v", ok, err, tc.success)
			}
			ok, reason, _, err := ConditionDetail(tc.obj, tc.failCond)
			if err != nil || ok != tc.failure {
				t.Errorf("failure = %v, %v; want %v", ok, err, tc.failure)
			}
			if tc.failure && reason != tc.reason {
				t.Errorf("failure reason = %q, want %q", reason, tc.reason)
			}
			if tc.success {
				_, reason, _, _ := ConditionDetail(tc.obj, tc.successCond)
				if reason != tc.reason {
					t.Errorf("success reason = %q, want %q", reason, tc.reason)
				}
			}
		})
	}
}

func TestEvalConditionInputs(t *testing.T) {
	m := map[string]any{"status": map[string]any{"phase": "Succeeded"}}
	if ok, err := EvalCondition(m, DefaultPodSuccessCondition); !ok || err != nil {
		t.Errorf("map input: %v %v", ok, err)
	}
	// A scalar result (a query that is not a filter) never counts, as in Katib.
	if ok, _ := EvalCondition(jobComplete, "status.succeeded"); ok {
		t.Error("a number result counted as the condition holding")
	}
	if _, err := EvalCondition("{not json", DefaultJobSuccessCondition); err == nil {
		t.Error("invalid JSON accepted")
	}
	if _, err := EvalCondition(jobComplete, ""); err == nil {
		t.Error("empty condition accepted")
	}
}

func TestResolveTrialTemplate(t *testing.T) {
	doc := strings.Replace(minimal, "    trialSpec:\n", "    configMap: {configMapName: templates, configMapNamespace: ml, templatePath: job.yaml}\n    unusedSpec:\n", 1)
	doc = doc[:strings.Index(doc, "    unusedSpec:")]
	e, err := Parse([]byte(doc), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(e)
	if e.Spec.TrialTemplate.SuccessCondition != "" {
		t.Fatal("conditions defaulted before the template is known")
	}
	var askedNS, askedName string
	get := func(_ context.Context, ns, name string) (map[string]string, error) {
		askedNS, askedName = ns, name
		return map[string]string{"job.yaml": "apiVersion: batch/v1\nkind: Job\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      containers:\n        - name: c\n          image: x\n"}, nil
	}
	if err := ResolveTrialTemplate(context.Background(), e, get); err != nil {
		t.Fatal(err)
	}
	tt := e.Spec.TrialTemplate
	if askedNS != "ml" || askedName != "templates" || tt.ConfigMap != nil || tt.TrialSpec.GetKind() != "Job" {
		t.Errorf("resolved %s/%s into %+v", askedNS, askedName, tt)
	}
	if tt.SuccessCondition != DefaultJobSuccessCondition || tt.PrimaryContainerName != "c" {
		t.Errorf("template defaults not applied: %+v", tt)
	}
	if v, ok, err := unstructuredInt(tt.TrialSpec.Object, "spec", "backoffLimit"); !ok || v != 0 {
		t.Errorf("backoffLimit = %v (%v), want int64 0", v, err)
	}

	e, _ = Parse([]byte(doc), "f.yaml")
	err = ResolveTrialTemplate(context.Background(), e, func(context.Context, string, string) (map[string]string, error) {
		return map[string]string{"other.yaml": ""}, nil
	})
	if err == nil || !strings.Contains(err.Error(), `ConfigMap ml/templates has no key "job.yaml"`) {
		t.Errorf("missing key: %v", err)
	}
}

func unstructuredInt(obj map[string]any, path ...string) (int64, bool, error) {
	var cur any = obj
	for _, p := range path {
		cur = cur.(map[string]any)[p]
	}
	v, ok := cur.(int64)
	if !ok {
		return 0, false, fmt.Errorf("%T", cur)
	}
	return v, true, nil
}
