// Package validation checks a Katib v1beta1 Experiment before anything is created: Katib's
// validating webhook rules (pkg/webhook/v1beta1/experiment/validator), minus those only an
// operator needs (the namespace label, the suggestion and collector config maps), plus the
// obvious ones Katib misses, plus what a client-side run cannot do. Every problem is
// reported at once, each with its field path.
package validation

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-katib/plugins/pkg/exitcode"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

var (
	specPath             = field.NewPath("spec")
	objectivePath        = specPath.Child("objective")
	algorithmPath        = specPath.Child("algorithm")
	earlyStoppingPath    = specPath.Child("earlyStopping")
	parametersPath       = specPath.Child("parameters")
	trialTemplatePath    = specPath.Child("trialTemplate")
	trialParametersPath  = trialTemplatePath.Child("trialParameters")
	trialSpecPath        = trialTemplatePath.Child("trialSpec")
	metricsCollectorPath = specPath.Child("metricsCollectorSpec")
)

// Katib's trial template syntax (pkg/controller.v1beta1/consts).
var (
	paramPlaceholder = regexp.MustCompile(`\$\{trialParameters\..+?\}`)
	metaReference    = regexp.MustCompile(`^\$\{trialSpec\.(.+?)\}$`)
	metaIndexed      = regexp.MustCompile(`^(.+)\[(.+)]$`)
)

// MaxNameLength keeps "<experiment>-<8 random characters>" trial names within the 63
// characters of a label value and a Job name.
const MaxNameLength = utilvalidation.DNS1035LabelMaxLength - 9

// katibAlgorithms are the search algorithms Katib ships, with the reason for those that
// will never run client-side; the others are "not available yet" until pkg/suggest has them.
var katibAlgorithms = map[string]string{
	"random": "", "grid": "", "tpe": "", "multivariate-tpe": "", "cmaes": "", "sobol": "",
	"hyperband": "", "bayesianoptimization": "",
	"enas":  "neural architecture search is not run client-side",
	"darts": "neural architecture search is not run client-side",
	"pbt": "population based training exchanges checkpoints between trials through a volume " +
		"Katib's suggestion service mounts, which a client-side run does not have",
}

var katibEarlyStoppers = []string{"medianstop"}

// Validate returns every problem of a defaulted experiment, each with its field path.
// Validate after SetDefaults: the rules assume Katib's defaults (success conditions,
// metric strategies, the metrics collector) are in place, as Katib's webhook does.
func Validate(e *experiment.Experiment) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateName(e)...)
	errs = append(errs, validateCounts(&e.Spec)...)
	errs = append(errs, validateObjective(e.Spec.Objective)...)
	errs = append(errs, validateObjectives(e)...)
	errs = append(errs, validateAlgorithm(&e.Spec)...)
	errs = append(errs, validateEarlyStopping(&e.Spec)...)
	errs = append(errs, validateResumePolicy(e.Spec.ResumePolicy)...)
	errs = append(errs, validateParameters(&e.Spec)...)
	errs = append(errs, validateTrialTemplate(e)...)
	errs = append(errs, validateMetricsCollector(e.Spec.MetricsCollectorSpec)...)
	return errs
}

// InvalidError is an experiment that failed validation. It exits with code 2 (invalid
// input) through pkg/exitcode.
type InvalidError struct {
	Name string
	Errs field.ErrorList
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	n := len(e.Errs)
	plural := "s"
	if n == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "experiment %q is invalid (%d problem%s):", e.Name, n, plural)
	for _, fe := range e.Errs {
		b.WriteString("\n  " + fe.Error())
	}
	b.WriteString("\nfix the fields above and check the file again with `kubectl katib validate -f FILE`; nothing was created")
	return b.String()
}

// ValidateAll is Validate as one error (nil when valid): one line per problem and a hint
// of what to do, carrying exit code 2.
func ValidateAll(e *experiment.Experiment) error {
	errs := Validate(e)
	if len(errs) == 0 {
		return nil
	}
	return exitcode.WithCode(exitcode.Usage, &InvalidError{Name: e.Name, Errs: errs})
}

// AsInvalid returns the validation problems carried by err, if it came from ValidateAll.
func AsInvalid(err error) (*InvalidError, bool) {
	var ie *InvalidError
	ok := errors.As(err, &ie)
	return ie, ok
}

func validateName(e *experiment.Experiment) field.ErrorList {
	path := field.NewPath("metadata", "name")
	if e.Name == "" {
		return field.ErrorList{field.Required(path, "name the experiment (metadata.name, or --name on kubectl katib run)")}
	}
	if msgs := utilvalidation.IsDNS1035Label(e.Name); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(path, e.Name, strings.Join(msgs, "; "))}
	}
	if len(e.Name) > MaxNameLength {
		return field.ErrorList{field.TooLong(path, e.Name, MaxNameLength)}
	}
	return nil
}

func validateCounts(s *experiment.ExperimentSpec) field.ErrorList {
	var errs field.ErrorList
	if s.MaxFailedTrialCount != nil && *s.MaxFailedTrialCount < 0 {
		errs = append(errs, field.Invalid(specPath.Child("maxFailedTrialCount"), *s.MaxFailedTrialCount, "should not be less than 0"))
	}
	if s.MaxTrialCount != nil && *s.MaxTrialCount <= 0 {
		errs = append(errs, field.Invalid(specPath.Child("maxTrialCount"), *s.MaxTrialCount, "must be greater than 0"))
	}
	if s.ParallelTrialCount != nil && *s.ParallelTrialCount <= 0 {
		errs = append(errs, field.Invalid(specPath.Child("parallelTrialCount"), *s.ParallelTrialCount, "must be greater than 0"))
	}
	if s.MaxFailedTrialCount != nil && s.MaxTrialCount != nil && *s.MaxFailedTrialCount > *s.MaxTrialCount {
		errs = append(errs, field.Invalid(specPath.Child("maxFailedTrialCount"), *s.MaxFailedTrialCount,
			"should be less than or equal to spec.maxTrialCount"))
	}
	if s.ParallelTrialCount != nil && s.MaxTrialCount != nil && *s.ParallelTrialCount > *s.MaxTrialCount {
		errs = append(errs, field.Invalid(specPath.Child("parallelTrialCount"), *s.ParallelTrialCount,
			"should be less than or equal to spec.maxTrialCount"))
	}
	return errs
}

func validateObjective(obj *experiment.ObjectiveSpec) field.ErrorList {
	if obj == nil {
		return field.ErrorList{field.Required(objectivePath, "say which metric to optimise: type (minimize or maximize) and objectiveMetricName")}
	}
	var errs field.ErrorList
	if obj.Type != experiment.ObjectiveTypeMinimize && obj.Type != experiment.ObjectiveTypeMaximize {
		if obj.Type == "" {
			errs = append(errs, field.Required(objectivePath.Child("type"), "must be minimize or maximize"))
		} else {
			errs = append(errs, field.NotSupported(objectivePath.Child("type"), string(obj.Type),
				[]string{string(experiment.ObjectiveTypeMinimize), string(experiment.ObjectiveTypeMaximize)}))
		}
	}
	if obj.Goal != nil && (math.IsNaN(*obj.Goal) || math.IsInf(*obj.Goal, 0)) {
		errs = append(errs, field.Invalid(objectivePath.Child("goal"), fmt.Sprint(*obj.Goal), "must be a finite number"))
	}
	if obj.ObjectiveMetricName == "" {
		errs = append(errs, field.Required(objectivePath.Child("objectiveMetricName"), "name the metric the trials print (e.g. accuracy)"))
	}
	seen := map[string]bool{obj.ObjectiveMetricName: true}
	for i, name := range obj.AdditionalMetricNames {
		p := objectivePath.Child("additionalMetricNames").Index(i)
		switch {
		case name == "":
			errs = append(errs, field.Required(p, "must not be empty"))
		case name == obj.ObjectiveMetricName:
			errs = append(errs, field.Invalid(p, name, "should not contain spec.objective.objectiveMetricName"))
		case seen[name]:
			errs = append(errs, field.Duplicate(p, name))
		}
		seen[name] = true
	}
	for i, st := range obj.MetricStrategies {
		p := objectivePath.Child("metricStrategies").Index(i)
		if !seen[st.Name] {
			errs = append(errs, field.Invalid(p.Child("name"), st.Name,
				"is neither the objective metric nor an additional metric; fix the name or add it to spec.objective.additionalMetricNames"))
		}
		switch st.Value {
		case experiment.ExtractByMin, experiment.ExtractByMax, experiment.ExtractByLatest:
		default:
			errs = append(errs, field.NotSupported(p.Child("value"), string(st.Value), []string{"min", "max", "latest"}))
		}
	}
	return errs
}

// validateObjectives checks the objectives annotation of a multi-objective experiment. The
// spec's objective must come first, with the same direction: it stays the objective Katib
// and every single-objective view (currentOptimalTrial, the best trial) use, and the
// annotation only adds to it. Every objective must be collected, so it must be the
// objective metric or one of additionalMetricNames.
func validateObjectives(e *experiment.Experiment) field.ErrorList {
	value, ok := e.Annotations[experiment.AnnotationObjectives]
	if !ok {
		return nil
	}
	p := experiment.ObjectivesPath
	objs, errs := experiment.ParseObjectives(value)
	if len(errs) > 0 {
		return errs
	}
	obj := e.Spec.Objective
	if obj == nil || obj.ObjectiveMetricName == "" {
		// validateObjective reports the missing objective.
		return nil
	}
	if len(objs) < 2 {
		errs = append(errs, field.Invalid(p, value, "lists a single objective; list at least two, the first being spec.objective's, or remove the annotation"))
	}
	if first := objs[0]; first.MetricName != obj.ObjectiveMetricName || first.Type != obj.Type {
		errs = append(errs, field.Invalid(p, value, fmt.Sprintf("the first objective must be spec.objective's, %s:%s; the annotation adds objectives to it",
			obj.ObjectiveMetricName, obj.Type)))
	}
	collected := map[string]bool{obj.ObjectiveMetricName: true}
	for _, n := range obj.AdditionalMetricNames {
		collected[n] = true
	}
	for _, o := range objs {
		if !collected[o.MetricName] {
			errs = append(errs, field.Invalid(p, value, fmt.Sprintf("metric %q is not collected: add it to spec.objective.additionalMetricNames", o.MetricName)))
		}
	}
	if len(objs) < 2 {
		return errs
	}
	if a := e.Spec.Algorithm; a != nil && a.AlgorithmName != "" && suggest.Known(a.AlgorithmName) && !suggest.HandlesObjectives(a.AlgorithmName) {
		errs = append(errs, notSupported(algorithmPath.Child("algorithmName"), a.AlgorithmName, fmt.Sprintf(
			"%s optimises a single objective, and %s lists %d; use nsga2, which searches for their Pareto front, or random (also sobol or grid), which ignore the values",
			a.AlgorithmName, p, len(objs))))
	}
	if es := e.Spec.EarlyStopping; es != nil && es.AlgorithmName != "" {
		errs = append(errs, field.Forbidden(earlyStoppingPath, fmt.Sprintf(
			"early stopping compares trials on one objective and cannot run with the %d objectives of %s; remove spec.earlyStopping", len(objs), p)))
	}
	if !CollectsMetrics(e) {
		errs = append(errs, field.Invalid(metricsCollectorPath.Child("collector", "kind"), string(experiment.NoneCollector),
			fmt.Sprintf("collects no metric, so the objectives of %s cannot be read; use StdOut", p)))
	}
	return errs
}

// UnsupportedAlgorithmReason says why a named search algorithm cannot run client-side, or
// "" when it can.
func UnsupportedAlgorithmReason(name string) string {
	if suggest.Known(name) {
		return ""
	}
	available := strings.Join(suggest.Names(), ", ")
	reason, isKatib := katibAlgorithms[name]
	switch {
	case reason != "":
		return reason
	case isKatib:
		return fmt.Sprintf("Katib's %s algorithm is not available client-side yet; use one of: %s", name, available)
	default:
		return fmt.Sprintf("not a Katib algorithm; use one of: %s", available)
	}
}

func validateAlgorithm(s *experiment.ExperimentSpec) field.ErrorList {
	if s.Algorithm == nil {
		return field.ErrorList{field.Required(algorithmPath, fmt.Sprintf("choose a search algorithm: algorithmName one of %s", strings.Join(suggest.Names(), ", ")))}
	}
	name := s.Algorithm.AlgorithmName
	if name == "" {
		return field.ErrorList{field.Required(algorithmPath.Child("algorithmName"), fmt.Sprintf("choose one of %s", strings.Join(suggest.Names(), ", ")))}
	}
	if reason := UnsupportedAlgorithmReason(name); reason != "" {
		return field.ErrorList{notSupported(algorithmPath.Child("algorithmName"), name, reason)}
	}
	return suggest.ValidateSettings(s, algorithmPath)
}

func validateEarlyStopping(s *experiment.ExperimentSpec) field.ErrorList {
	es := s.EarlyStopping
	if es == nil {
		return nil
	}
	p := earlyStoppingPath.Child("algorithmName")
	if es.AlgorithmName == "" {
		return field.ErrorList{field.Required(p, fmt.Sprintf("name the early stopping algorithm (one of %s), or remove spec.earlyStopping",
			strings.Join(suggest.EarlyStopperNames(), ", ")))}
	}
	if !suggest.KnownEarlyStopper(es.AlgorithmName) {
		for _, k := range katibEarlyStoppers {
			if k == es.AlgorithmName {
				return field.ErrorList{notSupported(p, es.AlgorithmName, fmt.Sprintf(
					"Katib's %s early stopping is not available client-side yet; remove spec.earlyStopping to run every trial to its end", es.AlgorithmName))}
			}
		}
		return field.ErrorList{notSupported(p, es.AlgorithmName, fmt.Sprintf("not an early stopping algorithm; use one of: %s, or remove spec.earlyStopping",
			strings.Join(suggest.EarlyStopperNames(), ", ")))}
	}
	return suggest.ValidateEarlyStoppingSettings(s, earlyStoppingPath)
}

func validateResumePolicy(r experiment.ResumePolicyType) field.ErrorList {
	switch r {
	case "", experiment.NeverResume, experiment.LongRunning, experiment.FromVolume:
		return nil
	}
	return field.ErrorList{field.NotSupported(specPath.Child("resumePolicy"), string(r),
		[]string{string(experiment.NeverResume), string(experiment.LongRunning), string(experiment.FromVolume)})}
}

// notSupported is field.NotSupported with a reason instead of the list of valid values.
func notSupported(p *field.Path, value, reason string) *field.Error {
	return &field.Error{Type: field.ErrorTypeNotSupported, Field: p.String(), BadValue: value, Detail: reason}
}

func validateParameters(s *experiment.ExperimentSpec) field.ErrorList {
	var errs field.ErrorList
	if s.NasConfig != nil {
		errs = append(errs, field.Forbidden(specPath.Child("nasConfig"), "neural architecture search is not run client-side; tune hyperparameters with spec.parameters instead"))
	}
	if len(s.Parameters) == 0 {
		if s.NasConfig == nil {
			errs = append(errs, field.Required(parametersPath, "list the hyperparameters to tune, each with a name, parameterType and feasibleSpace"))
		}
		return errs
	}
	names := map[string]int{}
	for i := range s.Parameters {
		errs = append(errs, validateParameter(parametersPath.Index(i), &s.Parameters[i])...)
		name := s.Parameters[i].Name
		if first, dup := names[name]; dup && name != "" {
			errs = append(errs, field.Invalid(parametersPath.Index(i).Child("name"), name,
				fmt.Sprintf("is also the name of spec.parameters[%d]; parameter names must be unique", first)))
		} else {
			names[name] = i
		}
	}
	return errs
}

func validateParameter(p *field.Path, param *experiment.ParameterSpec) field.ErrorList {
	var errs field.ErrorList
	fs := param.FeasibleSpace
	fsPath := p.Child("feasibleSpace")
	if param.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "name the parameter; trialParameters refer to it by this name"))
	}
	switch param.FeasibleSpace.Distribution {
	case "", experiment.DistributionUniform, experiment.DistributionLogUniform, experiment.DistributionNormal, experiment.DistributionLogNormal:
	default:
		errs = append(errs, field.NotSupported(fsPath.Child("distribution"), string(fs.Distribution),
			[]string{string(experiment.DistributionUniform), string(experiment.DistributionLogUniform), string(experiment.DistributionNormal), string(experiment.DistributionLogNormal)}))
	}
	switch param.ParameterType {
	case experiment.ParameterTypeDouble, experiment.ParameterTypeInt:
		isInt := param.ParameterType == experiment.ParameterTypeInt
		if len(fs.List) > 0 {
			errs = append(errs, field.Invalid(fsPath.Child("list"), fs.List,
				fmt.Sprintf("feasibleSpace.list is not supported for parameterType: %s; give min and max, or make the parameter discrete or categorical", param.ParameterType)))
		}
		lo, okLo := parseBound(fsPath.Child("min"), fs.Min, isInt, &errs)
		hi, okHi := parseBound(fsPath.Child("max"), fs.Max, isInt, &errs)
		if okLo && okHi && lo > hi {
			// Equal bounds are allowed: they fix the value (Katib's hyperband example does so).
			errs = append(errs, field.Invalid(fsPath.Child("min"), fs.Min, fmt.Sprintf("must not be greater than feasibleSpace.max (%s)", fs.Max)))
		}
		if fs.Step != "" {
			step, err := strconv.ParseFloat(fs.Step, 64)
			switch {
			case err != nil || math.IsNaN(step) || math.IsInf(step, 0):
				errs = append(errs, field.Invalid(fsPath.Child("step"), fs.Step, "must be a number"))
			case step <= 0:
				errs = append(errs, field.Invalid(fsPath.Child("step"), fs.Step, "must be greater than 0"))
			case isInt && step != math.Trunc(step):
				errs = append(errs, field.Invalid(fsPath.Child("step"), fs.Step, "must be a whole number for an int parameter"))
			}
		}
		if okLo && lo <= 0 && (fs.Distribution == experiment.DistributionLogUniform || fs.Distribution == experiment.DistributionLogNormal) {
			errs = append(errs, field.Invalid(fsPath.Child("min"), fs.Min,
				fmt.Sprintf("must be greater than 0 for distribution %s, which samples the logarithm", fs.Distribution)))
		}
	case experiment.ParameterTypeCategorical, experiment.ParameterTypeDiscrete:
		if fs.Max != "" || fs.Min != "" || fs.Step != "" {
			errs = append(errs, field.Invalid(fsPath, fmt.Sprintf("min=%q max=%q step=%q", fs.Min, fs.Max, fs.Step),
				fmt.Sprintf("feasibleSpace .max, .min and .step is not supported for parameterType: %s; list the values in feasibleSpace.list", param.ParameterType)))
		}
		if len(fs.List) == 0 {
			errs = append(errs, field.Required(fsPath.Child("list"), fmt.Sprintf("list the values a %s parameter takes", param.ParameterType)))
		}
		if param.ParameterType == experiment.ParameterTypeDiscrete {
			for i, v := range fs.List {
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					errs = append(errs, field.Invalid(fsPath.Child("list").Index(i), v, "must be a number for a discrete parameter; use parameterType categorical for strings"))
				}
			}
		}
	case "":
		errs = append(errs, field.Required(p.Child("parameterType"), "must be double, int, discrete or categorical"))
	default:
		errs = append(errs, field.NotSupported(p.Child("parameterType"), string(param.ParameterType),
			[]string{string(experiment.ParameterTypeDouble), string(experiment.ParameterTypeInt), string(experiment.ParameterTypeDiscrete), string(experiment.ParameterTypeCategorical)}))
	}
	return errs
}

func parseBound(p *field.Path, s string, isInt bool, errs *field.ErrorList) (float64, bool) {
	if s == "" {
		*errs = append(*errs, field.Required(p, "feasibleSpace.min and feasibleSpace.max must both be set for a double or int parameter"))
		return 0, false
	}
	if isInt {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			*errs = append(*errs, field.Invalid(p, s, "must be a whole number for an int parameter"))
			return 0, false
		}
		return float64(v), true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		*errs = append(*errs, field.Invalid(p, s, "must be a number"))
		return 0, false
	}
	return v, true
}

// metaKeys are the trial metadata a trialParameter may refer to (${trialSpec.Name} ...).
var metaKeys = []string{"Name", "Namespace", "Kind", "APIVersion"}

// IsMetaReference reports whether a trialParameter reference is trial metadata:
// ${trialSpec.Name|Namespace|Kind|APIVersion} or ${trialSpec.Labels[key]|Annotations[key]}.
func IsMetaReference(ref string) bool {
	m := metaReference.FindStringSubmatch(ref)
	if m == nil {
		return false
	}
	for _, k := range metaKeys {
		if m[1] == k {
			return true
		}
	}
	sub := metaIndexed.FindStringSubmatch(m[1])
	return sub != nil && (sub[1] == "Labels" || sub[1] == "Annotations")
}

func validateTrialTemplate(e *experiment.Experiment) field.ErrorList {
	t := e.Spec.TrialTemplate
	if t == nil {
		return field.ErrorList{field.Required(trialTemplatePath, "give the trial workload: trialSpec (a batch/v1 Job or v1 Pod) and the trialParameters it uses")}
	}
	var errs field.ErrorList
	switch {
	case t.TrialSpec == nil && t.ConfigMap == nil:
		return append(errs, field.Required(trialSpecPath, "spec.trialTemplate.trialSpec or spec.trialTemplate.configMap must be specified"))
	case t.TrialSpec != nil && t.ConfigMap != nil:
		return append(errs, field.Forbidden(trialTemplatePath.Child("configMap"), "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap can be specified"))
	}
	if t.ConfigMap != nil {
		cm := t.ConfigMap
		if cm.ConfigMapName == "" || cm.TemplatePath == "" {
			errs = append(errs, field.Required(trialTemplatePath.Child("configMap"), "configMapName and templatePath must be specified"))
		}
	}
	if t.TrialParameters == nil {
		errs = append(errs, field.Required(trialParametersPath, "map each ${trialParameters.NAME} of the template to a parameter (reference: PARAMETER)"))
	}
	errs = append(errs, validateTrialParameters(e)...)
	if t.TrialSpec == nil {
		// The template lives in a ConfigMap: what depends on its content is checked once the
		// engine has read it (see Notes).
		return errs
	}
	// The workload-dependent rules need the success/failure conditions Katib defaults for
	// Jobs (and we for Pods); a missing one means an unsupported kind or no defaulting.
	errs = append(errs, validateTrialSpec(t)...)
	return errs
}

func validateTrialParameters(e *experiment.Experiment) field.ErrorList {
	t := e.Spec.TrialTemplate
	var errs field.ErrorList
	params := map[string]bool{}
	for _, p := range e.Spec.Parameters {
		params[p.Name] = true
	}
	names := map[string]bool{}
	refs := map[string]bool{}
	var template string
	if t.TrialSpec != nil {
		b, _ := json.Marshal(t.TrialSpec.Object)
		template = string(b)
	}
	for i, tp := range t.TrialParameters {
		p := trialParametersPath.Index(i)
		if tp.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), "name the placeholder: NAME in ${trialParameters.NAME}"))
		} else if strings.ContainsAny(tp.Name, "{}") {
			errs = append(errs, field.Invalid(p.Child("name"), tp.Name, "must not contain '{' or '}'; give NAME of ${trialParameters.NAME}"))
		}
		if tp.Reference == "" {
			errs = append(errs, field.Required(p.Child("reference"), "name the parameter (spec.parameters[].name) or the trial metadata (${trialSpec.Name}) it stands for"))
		}
		if tp.Name != "" {
			if names[tp.Name] {
				errs = append(errs, field.Duplicate(p.Child("name"), tp.Name))
			}
			names[tp.Name] = true
		}
		if tp.Reference != "" {
			if refs[tp.Reference] {
				// Katib rejects two placeholders for one value; use the same placeholder twice.
				errs = append(errs, field.Invalid(p.Child("reference"), tp.Reference,
					"is already referenced by another trialParameter; use that placeholder in both places"))
			}
			refs[tp.Reference] = true
			switch {
			case IsMetaReference(tp.Reference):
			case strings.HasPrefix(tp.Reference, "${"):
				errs = append(errs, field.Invalid(p.Child("reference"), tp.Reference,
					"is not trial metadata; use ${trialSpec.Name}, ${trialSpec.Namespace}, ${trialSpec.Kind}, ${trialSpec.APIVersion}, ${trialSpec.Labels[KEY]} or ${trialSpec.Annotations[KEY]}"))
			case !params[tp.Reference] && len(e.Spec.Parameters) > 0:
				errs = append(errs, field.Invalid(p.Child("reference"), tp.Reference,
					fmt.Sprintf("is not a parameter; use one of %s or trial metadata such as ${trialSpec.Name}", strings.Join(sortedKeys(params), ", "))))
			}
		}
		if t.TrialSpec != nil && tp.Name != "" && !strings.Contains(template, "${trialParameters."+tp.Name+"}") {
			errs = append(errs, field.Invalid(p.Child("name"), tp.Name,
				fmt.Sprintf("${trialParameters.%s} does not appear in spec.trialTemplate.trialSpec; use it there or remove this trialParameter", tp.Name)))
		}
	}
	if t.TrialSpec != nil {
		var missing []string
		seen := map[string]bool{}
		for _, ph := range paramPlaceholder.FindAllString(template, -1) {
			name := strings.TrimSuffix(strings.TrimPrefix(ph, "${trialParameters."), "}")
			if !names[name] && !seen[name] {
				missing = append(missing, ph)
				seen[name] = true
			}
		}
		if len(missing) > 0 {
			errs = append(errs, field.Invalid(trialSpecPath, strings.Join(missing, ", "),
				"has placeholders without a trialParameter; add them to spec.trialTemplate.trialParameters with the parameter they stand for"))
		}
	}
	return errs
}

func validateTrialSpec(t *experiment.TrialTemplate) field.ErrorList {
	var errs field.ErrorList
	spec := t.TrialSpec
	apiVersion, kind := spec.GetAPIVersion(), spec.GetKind()
	if apiVersion == "" || kind == "" {
		errs = append(errs, field.Required(trialSpecPath, "apiVersion and kind must be specified (batch/v1 Job or v1 Pod)"))
		return errs
	}
	if spec.GetName() != "" || spec.GetNamespace() != "" {
		errs = append(errs, field.Forbidden(trialSpecPath.Child("metadata"),
			"metadata.name and metadata.namespace in spec.trialTemplate must be omitted; each trial gets its own name in the experiment's namespace"))
	}
	builtIn := (apiVersion == experiment.JobAPIVersion && kind == experiment.JobKind) ||
		(apiVersion == experiment.PodAPIVersion && kind == experiment.PodKind)
	if !builtIn {
		return append(errs, validateOtherKind(t)...)
	}
	// Like Katib, convert the template (placeholders filled) to its type, so a wrongly
	// shaped template fails now rather than at every trial. Unknown fields are not ours to
	// judge (see Notes); the API server has the last word.
	obj, err := renderedForCheck(spec)
	if err == nil {
		var typed any = &batchv1.Job{}
		if kind == experiment.PodKind {
			typed = &corev1.Pod{}
		}
		err = runtime.DefaultUnstructuredConverter.FromUnstructured(obj, typed)
		if err == nil {
			errs = append(errs, validateWorkload(t, typed)...)
		}
	}
	if err != nil {
		errs = append(errs, field.Invalid(trialSpecPath, "", fmt.Sprintf("is not a valid %s %s: %v", apiVersion, kind, err)))
	}
	if t.SuccessCondition == "" || t.FailureCondition == "" {
		errs = append(errs, field.Required(trialTemplatePath, "successCondition and failureCondition must be specified"))
	}
	return errs
}

// validateOtherKind checks a trial workload of a kind other than Job and Pod (a PyTorchJob,
// a custom resource): its Pods are found through their templates, and only the experiment's
// conditions say when it has ended. Whether the cluster serves the kind is checked when the
// experiment runs.
func validateOtherKind(t *experiment.TrialTemplate) field.ErrorList {
	var errs field.ErrorList
	spec := t.TrialSpec
	if t.SuccessCondition == "" || t.FailureCondition == "" {
		errs = append(errs, field.Required(trialTemplatePath, fmt.Sprintf(
			"successCondition and failureCondition must be specified for trials of kind %s: gjson queries on the workload that hold once it succeeded or failed, "+
				`for example status.conditions.#(type=="Succeeded")#|#(status=="True")#`, spec.GetKind())))
	}
	templates := experiment.PodTemplates(spec)
	gvk := spec.GroupVersionKind()
	labelsPropagate := gvk.Group == "tekton.dev" || (gvk.Group == "argoproj.io" && gvk.Kind == "Workflow")
	if len(templates) == 0 && !labelsPropagate {
		return append(errs, field.Invalid(trialSpecPath, spec.GetKind(),
			"has no Pod template (an object with spec.containers, such as a replica's template): kubectl katib finds a trial's Pods by the labels it adds to the Pod templates, "+
				"so trials of this kind cannot be followed"))
	}
	if len(templates) == 0 {
		return errs
	}
	errs = append(errs, validatePrimaryContainer(t.PrimaryContainerName, experiment.ContainerNames(spec), "the trial template's Pod templates")...)
	for k, v := range t.PrimaryPodLabels {
		for _, msg := range utilvalidation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(trialTemplatePath.Child("primaryPodLabels").Key(k), k, msg))
		}
		for _, msg := range utilvalidation.IsValidLabelValue(v) {
			errs = append(errs, field.Invalid(trialTemplatePath.Child("primaryPodLabels").Key(k), v, msg))
		}
	}
	return errs
}

// renderedForCheck fills every ${trialParameters.x} with a harmless value, as Katib's
// webhook does, and returns the object to convert.
func renderedForCheck(spec *unstructured.Unstructured) (map[string]any, error) {
	b, err := json.Marshal(spec.Object)
	if err != nil {
		return nil, err
	}
	filled := paramPlaceholder.ReplaceAll(b, []byte("test-value"))
	var obj map[string]any
	if err := json.Unmarshal(filled, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

func validateWorkload(t *experiment.TrialTemplate, typed any) field.ErrorList {
	var errs field.ErrorList
	var podSpec *corev1.PodSpec
	podPath := trialSpecPath.Child("spec")
	switch w := typed.(type) {
	case *batchv1.Job:
		podSpec = &w.Spec.Template.Spec
		podPath = podPath.Child("template", "spec")
	case *corev1.Pod:
		podSpec = &w.Spec
		// A Pod restarted Always never reaches Succeeded or Failed: the trial would never end.
		if podSpec.RestartPolicy == "" || podSpec.RestartPolicy == corev1.RestartPolicyAlways {
			errs = append(errs, field.Invalid(podPath.Child("restartPolicy"), string(podSpec.RestartPolicy),
				"a trial Pod must end; set restartPolicy: Never (or OnFailure)"))
		}
	}
	if len(podSpec.Containers) == 0 {
		return append(errs, field.Required(podPath.Child("containers"), "the trial needs at least one container"))
	}
	var names []string
	for _, c := range podSpec.Containers {
		names = append(names, c.Name)
	}
	return append(errs, validatePrimaryContainer(t.PrimaryContainerName, names, "the trial template")...)
}

// validatePrimaryContainer checks primaryContainerName against the containers of the
// template (where names them for the message).
func validatePrimaryContainer(primary string, names []string, where string) field.ErrorList {
	pc := trialTemplatePath.Child("primaryContainerName")
	switch {
	case primary == "":
		return field.ErrorList{field.Required(pc, fmt.Sprintf("name the container whose log carries the metrics: one of %s", strings.Join(names, ", ")))}
	case !slices.Contains(names, primary):
		return field.ErrorList{field.Invalid(pc, primary, fmt.Sprintf("is not a container of %s; use one of %s", where, strings.Join(names, ", ")))}
	}
	return nil
}

// Collector kinds Katib has and why each cannot run client-side.
var unsupportedCollectors = map[experiment.CollectorKind]string{
	experiment.PrometheusMetricCollector: "client-side runs read metrics from the primary container's log and do not scrape trial endpoints; " +
		"print the metrics to stdout and use kind StdOut (the default)",
	experiment.CustomCollector: "a custom collector is a sidecar that reports to Katib's database, which client-side runs do not have; " +
		"print the metrics to stdout and use kind StdOut (the default)",
	"Push": "pushed metrics go to Katib's database, which client-side runs do not have; " +
		"print the metrics to stdout and use kind StdOut (the default)",
}

func validateMetricsCollector(mc *experiment.MetricsCollectorSpec) field.ErrorList {
	if mc == nil {
		return nil
	}
	var errs field.ErrorList
	if mc.Collector != nil {
		kind := mc.Collector.Kind
		kp := metricsCollectorPath.Child("collector", "kind")
		if reason, ok := unsupportedCollectors[kind]; ok {
			errs = append(errs, notSupported(kp, string(kind), reason))
		} else if kind != experiment.StdOutCollector && kind != experiment.NoneCollector && kind != "" &&
			kind != experiment.FileCollector && kind != experiment.TfEventCollector {
			errs = append(errs, field.NotSupported(kp, string(kind), []string{string(experiment.StdOutCollector), string(experiment.FileCollector),
				string(experiment.TfEventCollector), string(experiment.NoneCollector)}))
		}
		errs = append(errs, validateFileSystemPath(mc)...)
	}
	if mc.Source != nil && mc.Source.Filter != nil {
		fp := metricsCollectorPath.Child("source", "filter", "metricsFormat")
		for i, f := range mc.Source.Filter.MetricsFormat {
			re, err := regexp.Compile(f)
			switch {
			case err != nil:
				errs = append(errs, field.Invalid(fp.Index(i), f, fmt.Sprintf("is not a valid regular expression: %v", err)))
			case re.NumSubexp() < 2:
				errs = append(errs, field.Invalid(fp.Index(i), f, "two top subexpressions are required: the first group matches the metric name, the second its value"))
			}
		}
	}
	return errs
}

// validateFileSystemPath applies Katib's rules for the File collector (an absolute file path,
// format TEXT or JSON, no filter with JSON) and the TensorFlowEvent collector (an absolute
// directory).
func validateFileSystemPath(mc *experiment.MetricsCollectorSpec) field.ErrorList {
	kind := mc.Collector.Kind
	if kind != experiment.FileCollector && kind != experiment.TfEventCollector {
		return nil
	}
	sp := metricsCollectorPath.Child("source", "fileSystemPath")
	var fsp *experiment.FileSystemPath
	if mc.Source != nil {
		fsp = mc.Source.FileSystemPath
	}
	what, wantKind := "the metrics file", experiment.FileKind
	if kind == experiment.TfEventCollector {
		what, wantKind = "the directory of the TensorFlow event files", experiment.DirectoryKind
	}
	if fsp == nil || fsp.Path == "" {
		return field.ErrorList{field.Required(sp.Child("path"), fmt.Sprintf("the %s collector needs the absolute path of %s", kind, what))}
	}
	var errs field.ErrorList
	if !path.IsAbs(fsp.Path) {
		errs = append(errs, field.Invalid(sp.Child("path"), fsp.Path, fmt.Sprintf("must be the absolute path of %s inside the training container", what)))
	}
	if fsp.Kind != wantKind {
		errs = append(errs, field.Invalid(sp.Child("kind"), string(fsp.Kind), fmt.Sprintf("the %s collector reads %s: use kind %s", kind, what, wantKind)))
	}
	if kind == experiment.FileCollector {
		switch fsp.Format {
		case experiment.TextFormat, experiment.JSONFormat:
		default:
			errs = append(errs, field.NotSupported(sp.Child("format"), string(fsp.Format), []string{string(experiment.TextFormat), string(experiment.JSONFormat)}))
		}
		if fsp.Format == experiment.JSONFormat && mc.Source.Filter != nil && len(mc.Source.Filter.MetricsFormat) > 0 {
			errs = append(errs, field.Invalid(metricsCollectorPath.Child("source", "filter"), mc.Source.Filter.MetricsFormat,
				"a filter applies to TEXT files only: JSON lines are read by their keys; remove the filter or use format TEXT"))
		}
	}
	return errs
}

// CollectsMetrics reports whether trials' logs are read for metrics: false for the None
// collector, where, as in Katib, nothing is collected and a trial is judged by its success
// and failure conditions alone.
func CollectsMetrics(e *experiment.Experiment) bool {
	mc := e.Spec.MetricsCollectorSpec
	return mc == nil || mc.Collector == nil || mc.Collector.Kind != experiment.NoneCollector
}

// Notes are what an offline validation could not check or what may surprise at run time;
// they are not errors.
func Notes(e *experiment.Experiment) []string {
	var notes []string
	t := e.Spec.TrialTemplate
	if t != nil && t.ConfigMap != nil && t.TrialSpec == nil {
		cm := t.ConfigMap
		ns := cm.ConfigMapNamespace
		if ns == "" {
			ns = "the experiment's namespace"
		}
		notes = append(notes, fmt.Sprintf("spec.trialTemplate.configMap: the trial template (ConfigMap %s/%s, key %s) is read from the cluster when the experiment runs; "+
			"its kind, placeholders and primary container were not checked", ns, cm.ConfigMapName, cm.TemplatePath))
	}
	if t != nil && t.TrialSpec != nil {
		if obj, err := renderedForCheck(t.TrialSpec); err == nil {
			var typed any
			switch {
			case t.TrialSpec.GetAPIVersion() == experiment.JobAPIVersion && t.TrialSpec.GetKind() == experiment.JobKind:
				typed = &batchv1.Job{}
			case t.TrialSpec.GetAPIVersion() == experiment.PodAPIVersion && t.TrialSpec.GetKind() == experiment.PodKind:
				typed = &corev1.Pod{}
			}
			if typed != nil {
				if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, typed, true); err != nil && strings.Contains(err.Error(), "unknown field") {
					notes = append(notes, fmt.Sprintf("spec.trialTemplate.trialSpec: %s; the API server will drop or reject such fields, check their spelling", strings.TrimPrefix(err.Error(), "strict decoding error: ")))
				}
			}
		}
	}
	if objs := experiment.Objectives(e); len(objs) > 1 {
		if obj := e.Spec.Objective; obj != nil && obj.Goal != nil {
			notes = append(notes, fmt.Sprintf("spec.objective.goal: ignored: with several objectives (%s) no single value ends the search, so the experiment runs until maxTrialCount", experiment.ObjectivesPath))
		}
	}
	if a := e.Spec.Algorithm; a != nil && a.AlgorithmName == "nsga2" && e.Spec.MaxTrialCount != nil {
		population := "50"
		for _, s := range a.AlgorithmSettings {
			if s.Name == "population_size" {
				population = strings.TrimSpace(s.Value)
			}
		}
		if p, err := strconv.Atoi(population); err == nil && int(*e.Spec.MaxTrialCount) <= p {
			notes = append(notes, fmt.Sprintf("spec.maxTrialCount: %d trials fit in nsga2's first generation (population_size %d), which is drawn at random; "+
				"nsga2 breeds new trials only once population_size trials have succeeded, so lower population_size or raise maxTrialCount", *e.Spec.MaxTrialCount, p))
		}
	}
	if mc := e.Spec.MetricsCollectorSpec; mc != nil && mc.Collector != nil &&
		(mc.Collector.Kind == experiment.FileCollector || mc.Collector.Kind == experiment.TfEventCollector) {
		notes = append(notes, fmt.Sprintf("spec.metricsCollectorSpec.collector.kind: %s: each trial Pod gets a metrics collector sidecar (image set by --collector-image) "+
			"that follows %s and prints what it reads to its own log, where the metrics are read; it needs Kubernetes 1.29 or newer (native sidecar containers)",
			mc.Collector.Kind, describeSource(mc)))
	}
	switch e.Spec.ResumePolicy {
	case experiment.LongRunning, experiment.FromVolume:
		notes = append(notes, fmt.Sprintf("spec.resumePolicy: %s has no effect client-side: there is no suggestion service to keep running or to save to a volume. "+
			"An interrupted run continues with 'kubectl katib resume' under any policy (the search picks up from the recorded trials), "+
			"but a finished experiment cannot be continued by raising maxTrialCount: run the file again under another name (--name)", e.Spec.ResumePolicy))
	}
	if !CollectsMetrics(e) {
		notes = append(notes, "spec.metricsCollectorSpec.collector.kind: None: trial logs are not read for metrics, so trials are judged by success or failure alone and no best trial is chosen")
	}
	return notes
}

func describeSource(mc *experiment.MetricsCollectorSpec) string {
	p := ""
	if mc.Source != nil && mc.Source.FileSystemPath != nil {
		p = mc.Source.FileSystemPath.Path
	}
	if mc.Collector.Kind == experiment.TfEventCollector {
		return "the TensorFlow event files under " + p
	}
	return p
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
