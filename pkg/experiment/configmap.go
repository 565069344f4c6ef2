package experiment

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// ConfigMapGetter returns a ConfigMap's data; the engine passes one backed by its client,
// so this package needs no cluster access of its own.
type ConfigMapGetter func(ctx context.Context, namespace, name string) (map[string]string, error)

// ResolveTrialTemplate replaces a trialTemplate.configMap source by the trial spec stored
// under its templatePath key, as Katib's manifest generator does for every trial. Doing it
// once, before the run, means a run uses one template throughout even if the ConfigMap
// changes, and the state keeps the template it ran. The configMap source is cleared, and
// the template defaults (success/failure conditions, primary container) are applied.
// An experiment with an inline trialSpec is left as it is.
func ResolveTrialTemplate(ctx context.Context, e *Experiment, getConfigMap ConfigMapGetter) error {
	t := e.Spec.TrialTemplate
	if t == nil || t.ConfigMap == nil || t.TrialSpec != nil {
		return nil
	}
	src := t.ConfigMap
	ns := src.ConfigMapNamespace
	if ns == "" {
		ns = e.Namespace
	}
	where := fmt.Sprintf("ConfigMap %s/%s", ns, src.ConfigMapName)
	if src.ConfigMapName == "" || src.TemplatePath == "" {
		return fmt.Errorf("spec.trialTemplate.configMap: configMapName and templatePath must be set to read the trial template from a ConfigMap")
	}
	data, err := getConfigMap(ctx, ns, src.ConfigMapName)
	if err != nil {
		return fmt.Errorf("cannot read the trial template from %s: %w", where, err)
	}
	text, ok := data[src.TemplatePath]
	if !ok {
		return fmt.Errorf("%s has no key %q (spec.trialTemplate.configMap.templatePath); add the trial template under that key or fix templatePath", where, src.TemplatePath)
	}
	obj := map[string]any{}
	js, err := yaml.YAMLToJSON([]byte(text))
	if err == nil {
		// Integers stay int64, as in any unstructured object read from the API server.
		err = kjson.UnmarshalCaseSensitivePreserveInts(js, &obj)
	}
	if err != nil {
		return fmt.Errorf("the trial template in %s key %q is not valid YAML: %w", where, src.TemplatePath, err)
	}
	if len(obj) == 0 {
		return fmt.Errorf("the trial template in %s key %q is empty; put a batch/v1 Job or v1 Pod there", where, src.TemplatePath)
	}
	t.TrialSpec = &unstructured.Unstructured{Object: obj}
	t.ConfigMap = nil
	setDefaultTrialTemplate(t)
	return nil
}
