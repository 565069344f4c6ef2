package trial

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// Labels and annotations every trial workload carries; the names are Katib's, so tools that
// select Katib trials by label keep working.
const (
	LabelExperiment        = "katib.kubeflow.org/experiment"
	LabelTrial             = "katib.kubeflow.org/trial"
	AnnotationAssignments  = "katib.kubeflow.org/parameter-assignments"
	LabelManagedBy         = "app.kubernetes.io/managed-by"
	ManagedBy              = "kubectl-katib"
	placeholderPrefix      = "${trialParameters."
	metadataRefPrefix      = "${trialSpec."
	maxPlaceholderExpanded = 1 << 20
)

var placeholder = regexp.MustCompile(`\$\{trialParameters\.([^}]+)\}`)

// Render builds the workload of one trial from the experiment's template.
//
// Katib substitutes placeholders in the template's YAML text and parses the result again,
// so a value containing a quote or a newline can break or rewrite the spec. Here the
// template is walked as a tree and placeholders are replaced inside string values only: a
// value always ends up verbatim in the string that referenced it and can never create keys
// or change the structure.
func Render(exp *experiment.Experiment, trialName string, assignments []experiment.ParameterAssignment) (*unstructured.Unstructured, error) {
	tt := exp.Spec.TrialTemplate
	if tt == nil || tt.TrialSpec == nil {
		return nil, fmt.Errorf("spec.trialTemplate.trialSpec is missing")
	}
	obj := tt.TrialSpec.DeepCopy()
	obj.SetName(trialName)
	obj.SetNamespace(exp.Namespace)

	values, err := trialParameterValues(exp, obj, assignments)
	if err != nil {
		return nil, err
	}
	replaced, err := substitute(obj.Object, values, false)
	if err != nil {
		return nil, err
	}
	obj.Object = replaced.(map[string]any)
	// Substitution must not rename the object or move it to another namespace.
	obj.SetName(trialName)
	obj.SetNamespace(exp.Namespace)
	return obj, nil
}

// trialParameterValues resolves every trialParameter to the string that replaces it.
func trialParameterValues(exp *experiment.Experiment, obj *unstructured.Unstructured, assignments []experiment.ParameterAssignment) (map[string]string, error) {
	byName := map[string]string{}
	for _, a := range assignments {
		byName[a.Name] = a.Value
	}
	values := map[string]string{}
	for i, tp := range exp.Spec.TrialTemplate.TrialParameters {
		ref := tp.Reference
		if ref == "" {
			ref = tp.Name
		}
		if strings.HasPrefix(ref, metadataRefPrefix) {
			v, err := metadataValue(obj, ref)
			if err != nil {
				return nil, fmt.Errorf("spec.trialTemplate.trialParameters[%d].reference: %v", i, err)
			}
			values[tp.Name] = v
			continue
		}
		v, ok := byName[ref]
		if !ok {
			return nil, fmt.Errorf("spec.trialTemplate.trialParameters[%d].reference: no assignment for parameter %q", i, ref)
		}
		values[tp.Name] = v
	}
	return values, nil
}

var metadataRef = regexp.MustCompile(`^\$\{trialSpec\.(Name|Namespace|Kind|APIVersion|Labels\[(.+)\]|Annotations\[(.+)\])\}$`)

func metadataValue(obj *unstructured.Unstructured, ref string) (string, error) {
	m := metadataRef.FindStringSubmatch(ref)
	if m == nil {
		return "", fmt.Errorf("unknown trial metadata reference %q (use ${trialSpec.Name}, Namespace, Kind, APIVersion, Labels[key] or Annotations[key])", ref)
	}
	switch {
	case m[1] == "Name":
		return obj.GetName(), nil
	case m[1] == "Namespace":
		return obj.GetNamespace(), nil
	case m[1] == "Kind":
		return obj.GetKind(), nil
	case m[1] == "APIVersion":
		return obj.GetAPIVersion(), nil
	case m[2] != "":
		v, ok := obj.GetLabels()[m[2]]
		if !ok {
			return "", fmt.Errorf("the trial template has no label %q", m[2])
		}
		return v, nil
	default:
		v, ok := obj.GetAnnotations()[m[3]]
		if !ok {
			return "", fmt.Errorf("the trial template has no annotation %q", m[3])
		}
		return v, nil
	}
}

// substitute replaces placeholders in every string of the tree, keys included, since Katib
// allows them anywhere in the text. expands marks strings Kubernetes itself expands
// ($(VAR) and $$ in a container's command, args and env values); values placed there get
// their '$' doubled so that they reach the program unchanged.
func substitute(node any, values map[string]string, expands bool) (any, error) {
	switch n := node.(type) {
	case string:
		return replaceIn(n, values, expands)
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, v := range n {
			nk, err := replaceIn(k, values, false)
			if err != nil {
				return nil, err
			}
			childExpands := k == "command" || k == "args" || (expands && k == "value")
			if k == "env" {
				// env entries are maps whose "value" is expanded.
				childExpands = true
			}
			nv, err := substitute(v, values, childExpands && (k != "env" || isList(v)))
			if err != nil {
				return nil, err
			}
			out[nk] = nv
		}
		return out, nil
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			nv, err := substitute(v, values, expands)
			if err != nil {
				return nil, err
			}
			out[i] = nv
		}
		return out, nil
	default:
		return node, nil
	}
}

func isList(v any) bool { _, ok := v.([]any); return ok }

// replaceIn expands placeholders in one pass over the original text, so a value that itself
// looks like a placeholder is never expanded again.
func replaceIn(s string, values map[string]string, expands bool) (string, error) {
	if !strings.Contains(s, placeholderPrefix) {
		return s, nil
	}
	var missing string
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := values[name]
		if !ok {
			missing = name
			return m
		}
		if expands {
			return strings.ReplaceAll(v, "$", "$$")
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("the trial template uses ${trialParameters.%s} but spec.trialTemplate.trialParameters has no %q", missing, missing)
	}
	if len(out) > maxPlaceholderExpanded {
		return "", fmt.Errorf("a rendered string of the trial template is larger than 1 MiB")
	}
	return out, nil
}

// AssignmentsAnnotation is the JSON recorded on the workload, so the trial's parameters can
// be read from the object alone.
func AssignmentsAnnotation(assignments []experiment.ParameterAssignment) string {
	b, _ := json.Marshal(assignments)
	return string(b)
}
