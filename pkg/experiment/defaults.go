package experiment

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Katib's defaults (pkg/apis/controller/experiments/v1beta1/experiment_defaults.go and the
// common types), so an experiment defaulted here reads like one Katib admitted.
const (
	DefaultParallelTrialCount int32 = 3
	DefaultResumePolicy             = NeverResume

	// Batch Job conditions, evaluated with gjson on the Job as Katib's trial controller does.
	DefaultJobSuccessCondition = `status.conditions.#(type=="Complete")#|#(status=="True")#`
	DefaultJobFailureCondition = `status.conditions.#(type=="Failed")#|#(status=="True")#`

	// Pod conditions: a Pod has no Complete/Failed condition, only a phase. "[status]" wraps
	// the status in an array so that "#(...)#" can filter it; the result is a non-empty
	// array exactly when the phase matches, which is what the trial controller tests, and
	// its element carries the Pod's reason and message.
	DefaultPodSuccessCondition = `[status]|#(phase=="Succeeded")#`
	DefaultPodFailureCondition = `[status]|#(phase=="Failed")#`

	// Kubeflow training jobs (TFJob, PyTorchJob, ...): the operator's conditions, and the
	// label its master Pod carries.
	DefaultKubeflowJobSuccessCondition = `status.conditions.#(type=="Succeeded")#|#(status=="True")#`
	DefaultKubeflowJobFailureCondition = `status.conditions.#(type=="Failed")#|#(status=="True")#`

	DefaultFilePath               = "/var/log/katib/metrics.log"
	DefaultTensorflowEventDirPath = "/var/log/katib/tfevent/"
	DefaultPrometheusPath         = "/metrics"
	DefaultPrometheusPort         = 8080
)

// DefaultKubeflowJobPrimaryPodLabels picks a Kubeflow training job's master Pod, whose log
// carries the metrics.
func DefaultKubeflowJobPrimaryPodLabels() map[string]string {
	return map[string]string{"training.kubeflow.org/job-role": "master"}
}

// KubeflowJobKinds are the kinds Katib gives the Kubeflow defaults, keyed on the kind alone
// as Katib does.
var KubeflowJobKinds = map[string]bool{"TFJob": true, "PyTorchJob": true, "XGBoostJob": true, "MXJob": true, "MPIJob": true}

// Kinds of trial workload with built-in support.
const (
	JobAPIVersion = "batch/v1"
	JobKind       = "Job"
	PodAPIVersion = "v1"
	PodKind       = "Pod"
)

// SetDefaults fills what Katib's mutating webhook fills, plus the primary container's
// name when the template has a single container (Katib would reject the experiment; the
// choice is unambiguous). It never overrides a value the user gave, and it may be called
// again after ResolveTrialTemplate filled the trial spec.
func SetDefaults(e *Experiment) {
	s := &e.Spec
	if s.ParallelTrialCount == nil {
		n := DefaultParallelTrialCount
		s.ParallelTrialCount = &n
	}
	if s.ResumePolicy == "" {
		s.ResumePolicy = DefaultResumePolicy
	}
	setDefaultObjectiveStrategies(e)
	setDefaultObjective(s.Objective)
	setDefaultTrialTemplate(s.TrialTemplate)
	s.MetricsCollectorSpec = defaultMetricsCollector(s.MetricsCollectorSpec)
	// Katib sets the distribution on every parameter, lists included, where it means
	// nothing; done the same so -o yaml matches what Katib stores.
	for i := range s.Parameters {
		if s.Parameters[i].FeasibleSpace.Distribution == "" {
			s.Parameters[i].FeasibleSpace.Distribution = DistributionUniform
		}
	}
}

// DefaultStrategy is the metric strategy Katib gives a metric without one: the objective's
// direction (min when minimizing, max when maximizing), for additional metrics too.
func DefaultStrategy(t ObjectiveType) MetricStrategyType {
	switch t {
	case ObjectiveTypeMinimize:
		return ExtractByMin
	case ObjectiveTypeMaximize:
		return ExtractByMax
	}
	return ExtractByLatest
}

func setDefaultObjective(obj *ObjectiveSpec) {
	if obj == nil {
		return
	}
	if obj.MetricStrategies == nil {
		obj.MetricStrategies = []MetricStrategy{}
	}
	has := map[string]bool{}
	for _, st := range obj.MetricStrategies {
		has[st.Name] = true
	}
	if !has[obj.ObjectiveMetricName] {
		obj.MetricStrategies = append(obj.MetricStrategies, MetricStrategy{Name: obj.ObjectiveMetricName, Value: DefaultStrategy(obj.Type)})
		has[obj.ObjectiveMetricName] = true
	}
	for _, name := range obj.AdditionalMetricNames {
		if !has[name] {
			obj.MetricStrategies = append(obj.MetricStrategies, MetricStrategy{Name: name, Value: DefaultStrategy(obj.Type)})
			has[name] = true
		}
	}
}

func setDefaultTrialTemplate(t *TrialTemplate) {
	if t == nil || t.TrialSpec == nil {
		return
	}
	kind := t.TrialSpec.GetKind()
	apiVersion := t.TrialSpec.GetAPIVersion()
	switch {
	// Katib keys the Job defaults on the kind alone.
	case kind == JobKind:
		if t.SuccessCondition == "" {
			t.SuccessCondition = DefaultJobSuccessCondition
		}
		if t.FailureCondition == "" {
			t.FailureCondition = DefaultJobFailureCondition
		}
	case kind == PodKind && apiVersion == PodAPIVersion:
		if t.SuccessCondition == "" {
			t.SuccessCondition = DefaultPodSuccessCondition
		}
		if t.FailureCondition == "" {
			t.FailureCondition = DefaultPodFailureCondition
		}
	case KubeflowJobKinds[kind]:
		if t.SuccessCondition == "" {
			t.SuccessCondition = DefaultKubeflowJobSuccessCondition
		}
		if t.FailureCondition == "" {
			t.FailureCondition = DefaultKubeflowJobFailureCondition
		}
		if len(t.PrimaryPodLabels) == 0 {
			t.PrimaryPodLabels = DefaultKubeflowJobPrimaryPodLabels()
		}
	}
	if t.PrimaryContainerName == "" {
		if names := ContainerNames(t.TrialSpec); len(names) == 1 && names[0] != "" {
			t.PrimaryContainerName = names[0]
		}
	}
}

func defaultMetricsCollector(mc *MetricsCollectorSpec) *MetricsCollectorSpec {
	if mc == nil {
		mc = &MetricsCollectorSpec{}
	}
	if mc.Collector == nil {
		mc.Collector = &CollectorSpec{Kind: StdOutCollector}
	}
	fsPath := func() *FileSystemPath {
		if mc.Source == nil {
			mc.Source = &SourceSpec{}
		}
		if mc.Source.FileSystemPath == nil {
			mc.Source.FileSystemPath = &FileSystemPath{}
		}
		return mc.Source.FileSystemPath
	}
	switch mc.Collector.Kind {
	case PrometheusMetricCollector:
		if mc.Source == nil {
			mc.Source = &SourceSpec{}
		}
		if mc.Source.HttpGet == nil {
			mc.Source.HttpGet = &corev1.HTTPGetAction{}
		}
		if mc.Source.HttpGet.Path == "" {
			mc.Source.HttpGet.Path = DefaultPrometheusPath
		}
		if mc.Source.HttpGet.Port.String() == "0" {
			mc.Source.HttpGet.Port = intstr.FromInt32(DefaultPrometheusPort)
		}
	case FileCollector:
		p := fsPath()
		if p.Kind == "" {
			p.Kind = FileKind
		}
		if p.Path == "" {
			p.Path = DefaultFilePath
		}
		if p.Format == "" {
			p.Format = TextFormat
		}
	case TfEventCollector:
		p := fsPath()
		if p.Kind == "" {
			p.Kind = DirectoryKind
		}
		if p.Path == "" {
			p.Path = DefaultTensorflowEventDirPath
		}
	}
	return mc
}
