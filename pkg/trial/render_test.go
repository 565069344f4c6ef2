package trial

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

const templateYAML = `
apiVersion: batch/v1
kind: Job
metadata:
  labels: {custom-key: custom-label}
  annotations: {custom-key: custom-annotation}
spec:
  template:
    spec:
      containers:
        - name: main
          image: trainer
          args: ["--lr=${trialParameters.lr}", "${trialParameters.text}", "plain"]
          env:
            - {name: TRIAL, value: "${trialParameters.trialName}"}
            - {name: NS, value: "${trialParameters.ns}"}
            - {name: KIND, value: "${trialParameters.kind}/${trialParameters.apiVersion}"}
            - {name: LABEL, value: "${trialParameters.label}"}
            - {name: ANNOTATION, value: "${trialParameters.annotation}"}
      restartPolicy: Never
`

func testExperiment(t *testing.T) *experiment.Experiment {
	t.Helper()
	spec := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(templateYAML), &spec.Object); err != nil {
		t.Fatal(err)
	}
	return &experiment.Experiment{
		ObjectMeta: metav1.ObjectMeta{Name: "exp", Namespace: "ml"},
		Spec: experiment.ExperimentSpec{TrialTemplate: &experiment.TrialTemplate{
			PrimaryContainerName: "main",
			TrialSource:          experiment.TrialSource{TrialSpec: spec},
			TrialParameters: []experiment.TrialParameterSpec{
				{Name: "lr", Reference: "lr"},
				{Name: "text", Reference: "text"},
				{Name: "trialName", Reference: "${trialSpec.Name}"},
				{Name: "ns", Reference: "${trialSpec.Namespace}"},
				{Name: "kind", Reference: "${trialSpec.Kind}"},
				{Name: "apiVersion", Reference: "${trialSpec.APIVersion}"},
				{Name: "label", Reference: "${trialSpec.Labels[custom-key]}"},
				{Name: "annotation", Reference: "${trialSpec.Annotations[custom-key]}"},
			},
		}},
	}
}

func container(t *testing.T, obj *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, err := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
	if err != nil || len(cs) != 1 {
		t.Fatalf("containers: %v %v", cs, err)
	}
	return cs[0].(map[string]any)
}

func TestRenderSubstitutesParametersAndMetadata(t *testing.T) {
	exp := testExperiment(t)
	obj, err := Render(exp, "exp-abcdefgh", []experiment.ParameterAssignment{{Name: "lr", Value: "0.01"}, {Name: "text", Value: "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	c := container(t, obj)
	if got := c["args"].([]any); got[0] != "--lr=0.01" || got[1] != "hello" || got[2] != "plain" {
		t.Errorf("args: %v", got)
	}
	env := map[string]string{}
	for _, e := range c["env"].([]any) {
		m := e.(map[string]any)
		env[m["name"].(string)] = m["value"].(string)
	}
	want := map[string]string{"TRIAL": "exp-abcdefgh", "NS": "ml", "KIND": "Job/batch/v1", "LABEL": "custom-label", "ANNOTATION": "custom-annotation"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	if obj.GetName() != "exp-abcdefgh" || obj.GetNamespace() != "ml" {
		t.Errorf("name/namespace %s/%s", obj.GetNamespace(), obj.GetName())
	}
	// The template itself is untouched, for the next trial.
	if strings.Contains(mustJSON(t, exp.Spec.TrialTemplate.TrialSpec.Object), "0.01") {
		t.Error("Render changed the experiment's template")
	}
}

// A categorical value may hold anything; it must end up verbatim in its string and can
// neither break the spec nor add to it, nor be expanded again.
func TestRenderValuesCannotInject(t *testing.T) {
	nasty := []string{
		`quote " and 'single'`,
		`back\slash \n \" not escapes`,
		"dollar $HOME ${trialParameters.lr} $(whoami) `id`",
		"new\nline\n  injected: true\n- --extra",
		`"}], "hostNetwork": true, "x": [{"`,
		"${trialSpec.Name}",
		"$$ and $(FOO)",
	}
	for _, v := range nasty {
		obj, err := Render(testExperiment(t), "exp-abcdefgh", []experiment.ParameterAssignment{{Name: "lr", Value: "0.01"}, {Name: "text", Value: v}})
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		c := container(t, obj)
		args := c["args"].([]any)
		// Kubernetes turns $$ back into $ (and would expand $(VAR)), so the program sees v.
		if want := strings.ReplaceAll(v, "$", "$$"); len(args) != 3 || args[1] != want {
			t.Errorf("value %q arrived as %q (args %d), want %q", v, args[1], len(args), want)
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "template", "spec", "hostNetwork"); found {
			t.Errorf("value %q added hostNetwork", v)
		}
		if len(c) != 4 {
			t.Errorf("value %q changed the container's keys: %v", v, c)
		}
	}
}

func TestRenderDollarsOnlyEscapedWhereKubernetesExpands(t *testing.T) {
	exp := testExperiment(t)
	labels := exp.Spec.TrialTemplate.TrialSpec.GetLabels()
	labels["v"] = "${trialParameters.text}"
	exp.Spec.TrialTemplate.TrialSpec.SetLabels(labels)
	obj, err := Render(exp, "exp-x", []experiment.ParameterAssignment{{Name: "lr", Value: "$1"}, {Name: "text", Value: "a$b"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.GetLabels()["v"]; got != "a$b" {
		t.Errorf("label value %q: only command, args and env values are expanded by Kubernetes", got)
	}
	if got := container(t, obj)["args"].([]any)[0]; got != "--lr=$$1" {
		t.Errorf("args[0] = %q", got)
	}
}

func TestRenderErrors(t *testing.T) {
	exp := testExperiment(t)
	if _, err := Render(exp, "exp-x", []experiment.ParameterAssignment{{Name: "lr", Value: "1"}}); err == nil || !strings.Contains(err.Error(), `no assignment for parameter "text"`) {
		t.Errorf("missing assignment: %v", err)
	}
	exp.Spec.TrialTemplate.TrialParameters = exp.Spec.TrialTemplate.TrialParameters[:1]
	_, err := Render(exp, "exp-x", []experiment.ParameterAssignment{{Name: "lr", Value: "1"}, {Name: "text", Value: "x"}})
	if err == nil || !strings.Contains(err.Error(), "spec.trialTemplate.trialParameters has no") {
		t.Errorf("unknown placeholder: %v", err)
	}
}

func TestPrepareLabelsOwnsAndDefaults(t *testing.T) {
	exp := testExperiment(t)
	assignments := []experiment.ParameterAssignment{{Name: "lr", Value: "0.01"}, {Name: "text", Value: "x"}}
	obj, err := Render(exp, "exp-abcdefgh", assignments)
	if err != nil {
		t.Fatal(err)
	}
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "katib-experiment-exp", UID: "u1"}
	if err := Prepare(obj, "exp", "exp-abcdefgh", assignments, owner); err != nil {
		t.Fatal(err)
	}
	if l := obj.GetLabels(); l[LabelExperiment] != "exp" || l[LabelTrial] != "exp-abcdefgh" || l["custom-key"] != "custom-label" {
		t.Errorf("labels %v", l)
	}
	podLabels, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "template", "metadata", "labels")
	if podLabels[LabelTrial] != "exp-abcdefgh" {
		t.Errorf("pod template labels %v", podLabels)
	}
	var got []experiment.ParameterAssignment
	if err := json.Unmarshal([]byte(obj.GetAnnotations()[AnnotationAssignments]), &got); err != nil || len(got) != 2 {
		t.Errorf("assignments annotation: %v %v", got, err)
	}
	if refs := obj.GetOwnerReferences(); len(refs) != 1 || refs[0].UID != "u1" {
		t.Errorf("owner references %v", refs)
	}
	if bl, _, _ := unstructured.NestedInt64(obj.Object, "spec", "backoffLimit"); bl != 0 {
		t.Errorf("backoffLimit %d", bl)
	}
}

// Every Pod template of a multi-Pod workload gets the trial's labels, since the operator
// creates the Pods from them and the labels are how the trial's Pods are found.
func TestPrepareLabelsEveryPodTemplate(t *testing.T) {
	replica := func(labels map[string]any) map[string]any {
		md := map[string]any{}
		if labels != nil {
			md["labels"] = labels
		}
		return map[string]any{"replicas": int64(1), "template": map[string]any{"metadata": md,
			"spec": map[string]any{"containers": []any{map[string]any{"name": "pytorch", "image": "trainer"}}}}}
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
		"spec": map[string]any{"pytorchReplicaSpecs": map[string]any{
			"Master": replica(map[string]any{"team": "ml"}),
			"Worker": replica(nil),
		}}}}
	if err := Prepare(obj, "exp", "exp-1", nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"Master", "Worker"} {
		labels, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "pytorchReplicaSpecs", role, "template", "metadata", "labels")
		if labels[LabelTrial] != "exp-1" || labels[LabelExperiment] != "exp" || labels[LabelManagedBy] != ManagedBy {
			t.Errorf("%s template labels %v", role, labels)
		}
		if role == "Master" && labels["team"] != "ml" {
			t.Errorf("the template's own labels were lost: %v", labels)
		}
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "backoffLimit"); found {
		t.Error("a Job's backoffLimit was set on a PyTorchJob")
	}
	wf := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "spec": map[string]any{}}}
	if err := Prepare(wf, "exp", "exp-2", nil, nil); err != nil {
		t.Fatal(err)
	}
	if labels, _, _ := unstructured.NestedStringMap(wf.Object, "spec", "podMetadata", "labels"); labels[LabelTrial] != "exp-2" {
		t.Errorf("Argo podMetadata labels %v", labels)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
