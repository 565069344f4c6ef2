package experiment

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// AnnotationObjectives lists an experiment's objectives when it has several, e.g.
// "accuracy:maximize,latency_ms:minimize". Katib's Experiment has a single objective, so the
// others ride on an annotation: Katib itself ignores it, and the spec stays a valid Katib
// spec whose objective is the first one listed.
const AnnotationObjectives = "kubectl-katib.io/objectives"

// ObjectivesPath is the field path errors about the annotation carry.
var ObjectivesPath = field.NewPath("metadata", "annotations").Key(AnnotationObjectives)

// Objective is one metric to optimise and its direction.
type Objective struct {
	MetricName string        `json:"metricName"`
	Type       ObjectiveType `json:"type"`
}

func (o Objective) String() string { return o.MetricName + ":" + string(o.Type) }

// ParseObjectives reads the annotation's value: comma-separated METRIC:DIRECTION entries,
// spaces around names ignored. It checks the syntax only (entries, directions, duplicates);
// how the list relates to the spec is checked by validation.
func ParseObjectives(value string) ([]Objective, field.ErrorList) {
	var out []Objective
	var errs field.ErrorList
	if strings.TrimSpace(value) == "" {
		return nil, field.ErrorList{field.Invalid(ObjectivesPath, value,
			"list the objectives as METRIC:DIRECTION separated by commas, e.g. accuracy:maximize,latency_ms:minimize; or remove the annotation to optimise spec.objective alone")}
	}
	seen := map[string]int{}
	for i, entry := range strings.Split(value, ",") {
		name, dir, ok := strings.Cut(entry, ":")
		name, dir = strings.TrimSpace(name), strings.TrimSpace(dir)
		switch {
		case !ok || name == "" || dir == "" || strings.Contains(dir, ":"):
			errs = append(errs, field.Invalid(ObjectivesPath, value,
				fmt.Sprintf("entry %d (%q) is not METRIC:DIRECTION, e.g. accuracy:maximize", i+1, strings.TrimSpace(entry))))
			continue
		case dir != string(ObjectiveTypeMinimize) && dir != string(ObjectiveTypeMaximize):
			errs = append(errs, field.Invalid(ObjectivesPath, value,
				fmt.Sprintf("entry %d (%q): the direction must be minimize or maximize, not %q", i+1, strings.TrimSpace(entry), dir)))
			continue
		}
		if first, dup := seen[name]; dup {
			errs = append(errs, field.Invalid(ObjectivesPath, value,
				fmt.Sprintf("metric %q is listed twice (entries %d and %d); list each objective once", name, first+1, i+1)))
			continue
		}
		seen[name] = i
		out = append(out, Objective{MetricName: name, Type: ObjectiveType(dir)})
	}
	return out, errs
}

// Objectives are what the experiment optimises, the spec's objective first: the annotation's
// list when it is present and readable, else the spec's objective alone (nil without one).
// Callers that need to know whether the list is valid run validation first.
func Objectives(e *Experiment) []Objective {
	if v, ok := e.Annotations[AnnotationObjectives]; ok {
		if objs, errs := ParseObjectives(v); len(errs) == 0 && len(objs) > 0 {
			return objs
		}
	}
	if o := e.Spec.Objective; o != nil && o.ObjectiveMetricName != "" {
		return []Objective{{MetricName: o.ObjectiveMetricName, Type: o.Type}}
	}
	return nil
}

// MultiObjective reports whether the experiment optimises more than one objective.
func MultiObjective(e *Experiment) bool { return len(Objectives(e)) > 1 }

// setDefaultObjectiveStrategies gives the objectives after the first the latest value as
// their strategy when the user set none. Katib's default (the spec objective's direction)
// would pick, for a latency minimised next to an accuracy maximised, the slowest epoch.
func setDefaultObjectiveStrategies(e *Experiment) {
	obj := e.Spec.Objective
	objs := Objectives(e)
	if obj == nil || len(objs) < 2 {
		return
	}
	additional := map[string]bool{}
	for _, n := range obj.AdditionalMetricNames {
		additional[n] = true
	}
	has := map[string]bool{}
	for _, st := range obj.MetricStrategies {
		has[st.Name] = true
	}
	for _, o := range objs[1:] {
		if additional[o.MetricName] && !has[o.MetricName] {
			obj.MetricStrategies = append(obj.MetricStrategies, MetricStrategy{Name: o.MetricName, Value: ExtractByLatest})
			has[o.MetricName] = true
		}
	}
}
