package experiment

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const minimal = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: demo
spec:
  objective:
    type: maximize
    objectiveMetricName: accuracy
  algorithm:
    algorithmName: random
  maxTrialCount: 4
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace: {min: "0.01", max: "0.1"}
  trialTemplate:
    trialParameters:
      - name: lr
        reference: lr
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            restartPolicy: Never
            containers:
              - name: trainer
                image: trainer:1
                args: ["--lr=${trialParameters.lr}"]
                resources: {limits: {cpu: 1}}
                futureField: {anything: goes}
`

func problems(t *testing.T, err error) []string {
	t.Helper()
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T) is not a *LoadError", err, err)
	}
	return le.Problems
}

func TestParseYAMLAndJSON(t *testing.T) {
	e, err := Parse([]byte(minimal), "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "demo" || e.Spec.Algorithm.AlgorithmName != "random" || *e.Spec.MaxTrialCount != 4 {
		t.Errorf("decoded %+v", e)
	}
	// Integers inside the free-form trial spec stay int64, like any unstructured object.
	limits := e.Spec.TrialTemplate.TrialSpec.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["resources"].(map[string]any)["limits"].(map[string]any)
	if _, ok := limits["cpu"].(int64); !ok {
		t.Errorf("cpu limit decoded as %T, want int64", limits["cpu"])
	}
	js := `{"apiVersion":"kubeflow.org/v1beta1","kind":"Experiment","metadata":{"name":"j"},"spec":{"maxTrialCount":2}}`
	e, err = Parse([]byte(js), "j.json")
	if err != nil || e.Name != "j" || *e.Spec.MaxTrialCount != 2 {
		t.Errorf("JSON: %v %+v", err, e)
	}
}

func TestParseReportsEveryUnknownField(t *testing.T) {
	doc := strings.Replace(minimal, `feasibleSpace: {min: "0.01", max: "0.1"}`, `feasibleSpace: {min: "0.01", maximum: "0.1"}`, 1)
	doc = strings.Replace(doc, "  maxTrialCount: 4", "  maxTrialCount: 4\n  maxTrialCounts: 5\n  parallelTrialCount: \"2\"", 1)
	doc = strings.Replace(doc, "    objectiveMetricName: accuracy", "    objectiveMetricName: accuracy\n    Goal: 0.9", 1)
	_, err := Parse([]byte(doc), "typo.yaml")
	if err == nil {
		t.Fatal("unknown fields were accepted")
	}
	got := problems(t, err)
	want := []string{
		"spec.maxTrialCounts: unknown field",
		"spec.objective.Goal: unknown field",
		`spec.parallelTrialCount: must be an integer, not the string "2"`,
		"spec.parameters[0].feasibleSpace.maximum: unknown field",
	}
	if len(got) != len(want) {
		t.Fatalf("problems = %q, want %d of them", got, len(want))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("missing %q in %q", w, got)
		}
	}
	if !strings.HasPrefix(err.Error(), "typo.yaml: 4 problems:") {
		t.Errorf("error does not name the file: %v", err)
	}
}

func TestParseNumbersMustBeQuoted(t *testing.T) {
	doc := strings.Replace(minimal, `{min: "0.01", max: "0.1"}`, `{min: 0.01, max: "0.1"}`, 1)
	_, err := Parse([]byte(doc), "f.yaml")
	got := problems(t, err)
	if len(got) != 1 || !strings.Contains(got[0], `spec.parameters[0].feasibleSpace.min: must be a string, not the number 0.01`) || !strings.Contains(got[0], `quote it ("0.01")`) {
		t.Errorf("problems = %q", got)
	}
}

func TestParseDocuments(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata: {a: b}\n"
	cases := []struct {
		name, doc, wantErr string
	}{
		{"experiment after a configmap", cm + "---\n" + minimal, ""},
		{"leading separator and comments", "---\n# comment\n" + minimal + "---\n", ""},
		{"two experiments", minimal + "---\n" + minimal, "holds 2 Experiments; put each experiment in a file of its own"},
		{"no experiment", cm, "holds a ConfigMap (v1) but no Experiment"},
		{"empty", "# nothing\n", "is empty"},
		{"wrong version", strings.Replace(minimal, "v1beta1", "v1alpha3", 1), `apiVersion: Unsupported value: "kubeflow.org/v1alpha3"`},
		{"not yaml", "spec: [unclosed\n", "is not valid YAML or JSON"},
		{"duplicate key", strings.Replace(minimal, "  maxTrialCount: 4", "  maxTrialCount: 4\n  maxTrialCount: 5", 1), "has a duplicate key"},
		{"kubectl List of one experiment", "apiVersion: v1\nkind: List\nitems:\n" + indent(minimal), ""},
		{"kubectl List of two experiments", "apiVersion: v1\nkind: List\nitems:\n" + indent(minimal) + indent(minimal), "holds 2 Experiments"},
		{"exported with a status from a newer Katib", minimal + "status:\n  trials: 3\n  someNewField: x\n  conditions: [{type: Running, status: \"True\", newer: 1}]\n", ""},
		{"list", "- a\n- b\n", "must hold a Kubernetes object (a mapping with apiVersion and kind), not a list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse([]byte(tc.doc), "f.yaml")
			if tc.wantErr == "" {
				if err != nil || e.Name != "demo" {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "f.yaml: ") {
				t.Errorf("error = %v, want it to name f.yaml and contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseDuplicateKeysAndMissingKind(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"top-level key", strings.Replace(minimal, "  maxTrialCount: 4", "  maxTrialCount: 4\n  maxTrialCount: 5", 1),
			`has a duplicate key (line 12: key "maxTrialCount" already set in map); keep only one`},
		{"two keys, nested", strings.Replace(strings.Replace(minimal, "  maxTrialCount: 4", "  maxTrialCount: 4\n  maxTrialCount: 5", 1),
			"      kind: Job", "      kind: Job\n      kind: Pod", 1),
			`has a duplicate key (line 12: key "maxTrialCount" already set in map, line 24: key "kind" already set in map); keep only one`},
		{"in the second document", cm + "---\n" + strings.Replace(minimal, "  name: demo", "  name: demo\n  name: demo", 1),
			`document 2 has a duplicate key (line 5: key "name" already set in map); keep only one`},
		{"JSON", `{"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "kind": "Experiment"}`,
			`has a duplicate key (line 1: key "kind" already set in map); keep only one`},
		{"trial template without kind", strings.Replace(minimal, "      kind: Job\n", "", 1),
			"spec.trialTemplate.trialSpec.kind: Required value: the trial template needs apiVersion and kind (batch/v1 Job or v1 Pod)"},
		{"trial template without apiVersion and kind", strings.Replace(minimal, "      apiVersion: batch/v1\n      kind: Job\n", "", 1),
			"spec.trialTemplate.trialSpec.kind: Required value: the trial template needs apiVersion and kind (batch/v1 Job or v1 Pod)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "f.yaml")
			if got := problems(t, err); len(got) != 1 || got[0] != tc.want {
				t.Errorf("problems = %q\nwant       [%q]", got, tc.want)
			}
		})
	}
}

// Keys that only look alike are different keys, as they are to the decoder.
func TestDuplicateKeysComparesTaggedValues(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want []string
	}{
		{"a: 1\nb: 2\n", nil},
		{"1: a\n\"1\": b\n", nil},
		{"x: {a: 1}\ny: {a: 2}\n", nil},
		{"1: a\n1: b\n", []string{"line 2: key 1 already set in map"}},
		{"x:\n  - {a: 1, a: 2}\n", []string{`line 2: key "a" already set in map`}},
		{"base: &b {a: 1}\nother: *b\n", nil},
		{"spec: [unclosed\n", nil},
	} {
		if got := duplicateKeys([]byte(tc.doc)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("duplicateKeys(%q) = %q, want %q", tc.doc, got, tc.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	if e, err := Load(path); err != nil || e.Name != "demo" {
		t.Fatalf("Load: %v", err)
	}
	_, err := Load(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml: cannot read the file: no such file or directory") {
		t.Errorf("Load(missing) = %v", err)
	}
}

func TestParseUnknownFieldsInsideTrialSpecAreNotOurs(t *testing.T) {
	e, err := Parse([]byte(minimal), "f.yaml")
	if err != nil {
		t.Fatalf("a field inside trialSpec was judged: %v", err)
	}
	if !reflect.DeepEqual(ContainerNames(e.Spec.TrialTemplate.TrialSpec), []string{"trainer"}) {
		t.Errorf("ContainerNames = %v", ContainerNames(e.Spec.TrialTemplate.TrialSpec))
	}
}

// indent turns a YAML document into an item of a YAML list.
func indent(doc string) string {
	lines := strings.Split(strings.TrimRight(doc, "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "- " + l
		} else {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
