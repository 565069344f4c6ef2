// Package experiment holds the Katib v1beta1 Experiment and Trial types with Katib's JSON
// field names, and Katib's defaulting and validation rules for running them client-side.
package experiment

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Group, version and kinds of Katib's API, which the input files and -o json|yaml output use.
const (
	APIVersion = "kubeflow.org/v1beta1"
	KindExp    = "Experiment"
	KindTrial  = "Trial"
)

// Experiment is Katib's Experiment object.
type Experiment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ExperimentSpec   `json:"spec,omitempty"`
	Status ExperimentStatus `json:"status,omitempty"`
}

// ExperimentSpec is what the user asks for.
type ExperimentSpec struct {
	Parameters           []ParameterSpec       `json:"parameters,omitempty"`
	Objective            *ObjectiveSpec        `json:"objective,omitempty"`
	Algorithm            *AlgorithmSpec        `json:"algorithm,omitempty"`
	EarlyStopping        *EarlyStoppingSpec    `json:"earlyStopping,omitempty"`
	TrialTemplate        *TrialTemplate        `json:"trialTemplate,omitempty"`
	ParallelTrialCount   *int32                `json:"parallelTrialCount,omitempty"`
	MaxTrialCount        *int32                `json:"maxTrialCount,omitempty"`
	MaxFailedTrialCount  *int32                `json:"maxFailedTrialCount,omitempty"`
	MetricsCollectorSpec *MetricsCollectorSpec `json:"metricsCollectorSpec,omitempty"`
	NasConfig            *NasConfig            `json:"nasConfig,omitempty"`
	ResumePolicy         ResumePolicyType      `json:"resumePolicy,omitempty"`
}

// ResumePolicyType says whether a finished experiment may be continued.
type ResumePolicyType string

const (
	NeverResume ResumePolicyType = "Never"
	LongRunning ResumePolicyType = "LongRunning"
	FromVolume  ResumePolicyType = "FromVolume"
)

// ParameterSpec is one hyperparameter of the search space.
type ParameterSpec struct {
	Name          string        `json:"name,omitempty"`
	ParameterType ParameterType `json:"parameterType,omitempty"`
	FeasibleSpace FeasibleSpace `json:"feasibleSpace,omitempty"`
}

// ParameterType is double, int, discrete or categorical.
type ParameterType string

const (
	ParameterTypeDouble      ParameterType = "double"
	ParameterTypeInt         ParameterType = "int"
	ParameterTypeDiscrete    ParameterType = "discrete"
	ParameterTypeCategorical ParameterType = "categorical"
)

// FeasibleSpace bounds a parameter; Katib keeps every number as a string.
type FeasibleSpace struct {
	Max          string       `json:"max,omitempty"`
	Min          string       `json:"min,omitempty"`
	List         []string     `json:"list,omitempty"`
	Step         string       `json:"step,omitempty"`
	Distribution Distribution `json:"distribution,omitempty"`
}

// Distribution is the prior a parameter is sampled from.
type Distribution string

const (
	DistributionUniform    Distribution = "uniform"
	DistributionLogUniform Distribution = "logUniform"
	DistributionNormal     Distribution = "normal"
	DistributionLogNormal  Distribution = "logNormal"
)

// ObjectiveSpec says which metric to optimise and in which direction.
type ObjectiveSpec struct {
	Type                  ObjectiveType    `json:"type,omitempty"`
	Goal                  *float64         `json:"goal,omitempty"`
	ObjectiveMetricName   string           `json:"objectiveMetricName,omitempty"`
	AdditionalMetricNames []string         `json:"additionalMetricNames,omitempty"`
	MetricStrategies      []MetricStrategy `json:"metricStrategies,omitempty"`
}

// ObjectiveType is minimize or maximize.
type ObjectiveType string

const (
	ObjectiveTypeMinimize ObjectiveType = "minimize"
	ObjectiveTypeMaximize ObjectiveType = "maximize"
)

// MetricStrategy picks which of a metric's reported values stands for the trial.
type MetricStrategy struct {
	Name  string             `json:"name,omitempty"`
	Value MetricStrategyType `json:"value,omitempty"`
}

// MetricStrategyType is min, max or latest.
type MetricStrategyType string

const (
	ExtractByMin    MetricStrategyType = "min"
	ExtractByMax    MetricStrategyType = "max"
	ExtractByLatest MetricStrategyType = "latest"
)

// AlgorithmSpec names the search algorithm and its settings.
type AlgorithmSpec struct {
	AlgorithmName     string             `json:"algorithmName,omitempty"`
	AlgorithmSettings []AlgorithmSetting `json:"algorithmSettings,omitempty"`
}

// AlgorithmSetting is one name/value setting, both strings as in Katib.
type AlgorithmSetting struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// EarlyStoppingSpec names the early-stopping algorithm and its settings.
type EarlyStoppingSpec struct {
	AlgorithmName     string                 `json:"algorithmName,omitempty"`
	AlgorithmSettings []EarlyStoppingSetting `json:"algorithmSettings,omitempty"`
}

// EarlyStoppingSetting is one name/value setting.
type EarlyStoppingSetting struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// EarlyStoppingRule is a rule a running trial is checked against (Katib's Trial spec field).
type EarlyStoppingRule struct {
	Name       string         `json:"name,omitempty"`
	Value      string         `json:"value,omitempty"`
	Comparison ComparisonType `json:"comparison,omitempty"`
	StartStep  int            `json:"startStep,omitempty"`
}

// ComparisonType is equal, less or greater.
type ComparisonType string

const (
	ComparisonTypeEqual   ComparisonType = "equal"
	ComparisonTypeLess    ComparisonType = "less"
	ComparisonTypeGreater ComparisonType = "greater"
)

// TrialTemplate is how each trial's workload is made.
type TrialTemplate struct {
	Retain               bool `json:"retain,omitempty"`
	TrialSource          `json:",inline"`
	TrialParameters      []TrialParameterSpec `json:"trialParameters,omitempty"`
	PrimaryPodLabels     map[string]string    `json:"primaryPodLabels,omitempty"`
	PrimaryContainerName string               `json:"primaryContainerName,omitempty"`
	SuccessCondition     string               `json:"successCondition,omitempty"`
	FailureCondition     string               `json:"failureCondition,omitempty"`
}

// TrialSource is either an inline trialSpec or a ConfigMap holding it.
type TrialSource struct {
	TrialSpec *unstructured.Unstructured `json:"trialSpec,omitempty"`
	ConfigMap *ConfigMapSource           `json:"configMap,omitempty"`
}

// ConfigMapSource points at a trial template stored in a ConfigMap.
type ConfigMapSource struct {
	ConfigMapName      string `json:"configMapName,omitempty"`
	ConfigMapNamespace string `json:"configMapNamespace,omitempty"`
	TemplatePath       string `json:"templatePath,omitempty"`
}

// TrialParameterSpec maps a ${trialParameters.NAME} placeholder to a search parameter or to
// trial metadata (${trialSpec.Name} ...).
type TrialParameterSpec struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Reference   string `json:"reference,omitempty"`
}

// MetricsCollectorSpec says where metrics come from.
type MetricsCollectorSpec struct {
	Source    *SourceSpec    `json:"source,omitempty"`
	Collector *CollectorSpec `json:"collector,omitempty"`
}

// SourceSpec is the metrics source: a file, an HTTP endpoint, and the line filter.
type SourceSpec struct {
	HttpGet        *corev1.HTTPGetAction `json:"httpGet,omitempty"`
	FileSystemPath *FileSystemPath       `json:"fileSystemPath,omitempty"`
	Filter         *FilterSpec           `json:"filter,omitempty"`
}

// FilterSpec holds the regular expressions metric lines must match.
type FilterSpec struct {
	MetricsFormat []string `json:"metricsFormat,omitempty"`
}

// FileSystemPath is a metrics file or directory inside the trial.
type FileSystemPath struct {
	Path   string         `json:"path,omitempty"`
	Kind   FileSystemKind `json:"kind,omitempty"`
	Format FileFormat     `json:"format,omitempty"`
}

// FileSystemKind is File or Directory.
type FileSystemKind string

// FileFormat is TEXT or JSON.
type FileFormat string

const (
	FileKind      FileSystemKind = "File"
	DirectoryKind FileSystemKind = "Directory"
	TextFormat    FileFormat     = "TEXT"
	JSONFormat    FileFormat     = "JSON"
)

// CollectorSpec is the kind of metrics collector.
type CollectorSpec struct {
	Kind            CollectorKind     `json:"kind"`
	CustomCollector *corev1.Container `json:"customCollector,omitempty"`
}

// CollectorKind names a Katib metrics collector.
type CollectorKind string

const (
	StdOutCollector           CollectorKind = "StdOut"
	FileCollector             CollectorKind = "File"
	TfEventCollector          CollectorKind = "TensorFlowEvent"
	PrometheusMetricCollector CollectorKind = "PrometheusMetric"
	CustomCollector           CollectorKind = "Custom"
	NoneCollector             CollectorKind = "None"
)

// NasConfig is Katib's neural-architecture-search configuration (accepted, not run).
type NasConfig struct {
	GraphConfig GraphConfig `json:"graphConfig,omitempty"`
	Operations  []Operation `json:"operations,omitempty"`
}

// GraphConfig describes the NAS graph.
type GraphConfig struct {
	NumLayers   *int32  `json:"numLayers,omitempty"`
	InputSizes  []int32 `json:"inputSizes,omitempty"`
	OutputSizes []int32 `json:"outputSizes,omitempty"`
}

// Operation is one NAS operation.
type Operation struct {
	OperationType string          `json:"operationType,omitempty"`
	Parameters    []ParameterSpec `json:"parameters,omitempty"`
}

// ExperimentStatus mirrors Katib's, so scripts written for Katib read ours.
type ExperimentStatus struct {
	StartTime                   *metav1.Time          `json:"startTime,omitempty"`
	CompletionTime              *metav1.Time          `json:"completionTime,omitempty"`
	LastReconcileTime           *metav1.Time          `json:"lastReconcileTime,omitempty"`
	Conditions                  []ExperimentCondition `json:"conditions,omitempty"`
	CurrentOptimalTrial         OptimalTrial          `json:"currentOptimalTrial,omitempty"`
	RunningTrialList            []string              `json:"runningTrialList,omitempty"`
	PendingTrialList            []string              `json:"pendingTrialList,omitempty"`
	FailedTrialList             []string              `json:"failedTrialList,omitempty"`
	SucceededTrialList          []string              `json:"succeededTrialList,omitempty"`
	KilledTrialList             []string              `json:"killedTrialList,omitempty"`
	EarlyStoppedTrialList       []string              `json:"earlyStoppedTrialList,omitempty"`
	MetricsUnavailableTrialList []string              `json:"metricsUnavailableTrialList,omitempty"`
	Trials                      int32                 `json:"trials,omitempty"`
	TrialsSucceeded             int32                 `json:"trialsSucceeded,omitempty"`
	TrialsFailed                int32                 `json:"trialsFailed,omitempty"`
	TrialsKilled                int32                 `json:"trialsKilled,omitempty"`
	TrialsPending               int32                 `json:"trialsPending,omitempty"`
	TrialsRunning               int32                 `json:"trialsRunning,omitempty"`
	TrialsEarlyStopped          int32                 `json:"trialsEarlyStopped,omitempty"`
	TrialMetricsUnavailable     int32                 `json:"trialMetricsUnavailable,omitempty"`
	// ParetoFront is not Katib's: for an experiment with several objectives
	// (AnnotationObjectives) it names the succeeded trials that no other dominates.
	ParetoFront []string `json:"paretoFront,omitempty"`
}

// OptimalTrial is the best trial so far.
type OptimalTrial struct {
	BestTrialName        string                `json:"bestTrialName"`
	ParameterAssignments []ParameterAssignment `json:"parameterAssignments"`
	Observation          Observation           `json:"observation,omitempty"`
}

// ExperimentCondition is one entry of status.conditions.
type ExperimentCondition struct {
	Type               ExperimentConditionType `json:"type"`
	Status             corev1.ConditionStatus  `json:"status"`
	Reason             string                  `json:"reason,omitempty"`
	Message            string                  `json:"message,omitempty"`
	LastUpdateTime     metav1.Time             `json:"lastUpdateTime,omitempty"`
	LastTransitionTime metav1.Time             `json:"lastTransitionTime,omitempty"`
}

// ExperimentConditionType is Created, Running, Restarting, Succeeded or Failed.
type ExperimentConditionType string

const (
	ExperimentCreated    ExperimentConditionType = "Created"
	ExperimentRunning    ExperimentConditionType = "Running"
	ExperimentRestarting ExperimentConditionType = "Restarting"
	ExperimentSucceeded  ExperimentConditionType = "Succeeded"
	ExperimentFailed     ExperimentConditionType = "Failed"
)

// ParameterAssignment is one chosen hyperparameter value.
type ParameterAssignment struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// Observation is the metrics collected from a trial.
type Observation struct {
	Metrics []Metric `json:"metrics"`
}

// Metric summarises one metric's reported values; Katib keeps them as strings.
type Metric struct {
	Name   string `json:"name,omitempty"`
	Min    string `json:"min,omitempty"`
	Max    string `json:"max,omitempty"`
	Latest string `json:"latest,omitempty"`
}

// Trial is Katib's Trial object, produced for `get trials -o json|yaml`.
type Trial struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TrialSpec   `json:"spec,omitempty"`
	Status TrialStatus `json:"status,omitempty"`
}

// TrialSpec is one trial's assignments and workload.
type TrialSpec struct {
	Objective            *ObjectiveSpec             `json:"objective,omitempty"`
	ParameterAssignments []ParameterAssignment      `json:"parameterAssignments"`
	EarlyStoppingRules   []EarlyStoppingRule        `json:"earlyStoppingRules,omitempty"`
	RunSpec              *unstructured.Unstructured `json:"runSpec,omitempty"`
	MetricsCollector     MetricsCollectorSpec       `json:"metricsCollector,omitempty"`
	PrimaryContainerName string                     `json:"primaryContainerName,omitempty"`
	SuccessCondition     string                     `json:"successCondition,omitempty"`
	FailureCondition     string                     `json:"failureCondition,omitempty"`
	RetainRun            bool                       `json:"retainRun,omitempty"`
	Labels               map[string]string          `json:"labels,omitempty"`
}

// TrialStatus is a trial's progress and observation.
type TrialStatus struct {
	StartTime      *metav1.Time     `json:"startTime,omitempty"`
	CompletionTime *metav1.Time     `json:"completionTime,omitempty"`
	Conditions     []TrialCondition `json:"conditions,omitempty"`
	Observation    *Observation     `json:"observation,omitempty"`
}

// TrialCondition is one entry of a trial's status.conditions.
type TrialCondition struct {
	Type               TrialConditionType     `json:"type"`
	Status             corev1.ConditionStatus `json:"status"`
	Reason             string                 `json:"reason,omitempty"`
	Message            string                 `json:"message,omitempty"`
	LastUpdateTime     metav1.Time            `json:"lastUpdateTime,omitempty"`
	LastTransitionTime metav1.Time            `json:"lastTransitionTime,omitempty"`
}

// TrialConditionType follows Katib's trial condition names.
type TrialConditionType string

const (
	TrialCreated            TrialConditionType = "Created"
	TrialRunning            TrialConditionType = "Running"
	TrialSucceeded          TrialConditionType = "Succeeded"
	TrialKilled             TrialConditionType = "Killed"
	TrialFailed             TrialConditionType = "Failed"
	TrialMetricsUnavailable TrialConditionType = "MetricsUnavailable"
	TrialEarlyStopped       TrialConditionType = "EarlyStopped"
)
