// Package store keeps an experiment's state in the experiment's namespace, in ConfigMaps
// that anyone with read access to ConfigMaps there can inspect, and from which any machine
// can resume the run.
//
// The layout is chosen so that no object grows with the number of trials and one trial
// event writes only that trial's data:
//
//   - katib-experiment-NAME holds the defaulted spec and the experiment-level status
//     (conditions, start and completion time, which client drives it). It is written when
//     a run starts, is interrupted or ends.
//   - katib-trial-TRIAL holds one finished trial: its record (parameters, state, Katib's
//     observation) in an annotation, so listings can read records without the bulk, and in
//     its data the objective's observation log (every reported value, up to MaxReports) and
//     the last lines of its log. It is written once, when the trial ends, and is owned by
//     the experiment's ConfigMap so deleting the experiment removes it.
//   - A trial that has not ended yet is recorded by its workload itself: the Job or Pod
//     carries the trial's parameters, index and labels in an annotation. Creating the
//     workload is therefore the act that records the trial, so a client killed at any point
//     leaves either a workload to adopt or nothing at all, never a record without a trial
//     or a trial without a record.
//
// Experiments stored by earlier releases in a single ConfigMap (every trial in trials.json)
// are read as they are and rewritten in this layout by Migrate.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

const (
	// NamePrefix keeps our ConfigMaps apart from the user's own (a trial template may well
	// live in a ConfigMap named like the experiment).
	NamePrefix = "katib-experiment-"
	// TrialPrefix starts the name of a finished trial's ConfigMap.
	TrialPrefix = "katib-trial-"

	// LabelStateObject marks the ConfigMap as an experiment's state, for listing.
	LabelStateObject = "katib.kubeflow.org/experiment-state"
	// LabelObject tells the project's ConfigMaps apart: "trial" for trial records.
	LabelObject = "kubectl-katib.io/object"
	objectTrial = "trial"

	// AnnotationRecord holds a trial's record (JSON) on its ConfigMap.
	AnnotationRecord = "kubectl-katib.io/record"

	keyExperiment = "experiment.yaml"
	keyStatus     = "status.json"
	keyFormat     = "format"
	keyReports    = "reports.json"
	keyLog        = "log"
	// keyLegacyTrials is where releases before the split kept every trial.
	keyLegacyTrials = "trials.json"
	format          = "2"
)

var (
	ErrExists   = errors.New("experiment exists")
	ErrNotFound = errors.New("experiment not found")
	// ErrConflict means someone else changed the state since we read it, most likely another
	// client running the same experiment.
	ErrConflict = errors.New("experiment state changed by another client")
)

// TrialRecord is what is kept of one trial.
type TrialRecord struct {
	Name string `json:"name"`
	// Index numbers the trials of an experiment from 0 in the order they were asked for; the
	// trial's name derives from it (TrialName), so two clients driving one experiment try to
	// create the same trial and one of them notices.
	Index       int                              `json:"index"`
	Assignments []experiment.ParameterAssignment `json:"parameterAssignments"`
	Labels      map[string]string                `json:"labels,omitempty"`
	State       suggest.TrialState               `json:"state"`
	Reason      string                           `json:"reason,omitempty"`
	Message     string                           `json:"message,omitempty"`
	Observation *experiment.Observation          `json:"observation,omitempty"`
	Objective   *float64                         `json:"objective,omitempty"`
	// Objectives are the values of every objective of a multi-objective experiment, in the
	// order of experiment.Objectives; absent for a single objective and when any value is
	// missing.
	Objectives     []float64    `json:"objectives,omitempty"`
	CreationTime   *metav1.Time `json:"creationTime,omitempty"`
	StartTime      *metav1.Time `json:"startTime,omitempty"`
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// Reports is the objective's observation log (see ObservationLog); kept in the record's
	// data, not in its annotation, and read only when asked for.
	Reports []float64 `json:"-"`
	// ReportStride is how many reported steps each kept value stands for: 1 until the log
	// outgrew MaxReports and was thinned.
	ReportStride int `json:"reportStride,omitempty"`

	// stored is the ConfigMap the record was read from or written to; nil while the trial
	// is known only by its workload.
	stored *corev1.ConfigMap
	// legacy is true for a record read from a pre-split state and not yet rewritten.
	legacy bool
}

// Stored reports whether the record has its own ConfigMap.
func (t *TrialRecord) Stored() bool { return t.stored != nil }

// Status is the experiment-level part of the state.
type Status struct {
	Conditions     []experiment.ExperimentCondition `json:"conditions,omitempty"`
	StartTime      *metav1.Time                     `json:"startTime,omitempty"`
	CompletionTime *metav1.Time                     `json:"completionTime,omitempty"`
	// Client identifies the client that last started driving the experiment.
	Client string `json:"client,omitempty"`
	// ParetoFront names the succeeded trials no other dominates, for an experiment with
	// several objectives, in creation order; rewritten when a finished trial changes it.
	ParetoFront []string `json:"paretoFront,omitempty"`
}

// State is an experiment as stored.
type State struct {
	Experiment *experiment.Experiment
	Trials     []TrialRecord
	Status     Status

	cm *corev1.ConfigMap
	// sent is the data of the last experiment write attempted, to recognise it if it
	// landed unseen.
	sent map[string]string
	// legacy is true when the state was read from a pre-split ConfigMap.
	legacy bool
}

// Trial returns the record of the named trial, or nil.
func (s *State) Trial(name string) *TrialRecord {
	for i := range s.Trials {
		if s.Trials[i].Name == name {
			return &s.Trials[i]
		}
	}
	return nil
}

// NextIndex is the index the next trial gets.
func (s *State) NextIndex() int {
	next := 0
	for _, t := range s.Trials {
		next = max(next, t.Index+1)
	}
	return next
}

// Legacy reports whether the state is in the pre-split layout (Migrate rewrites it).
func (s *State) Legacy() bool { return s.legacy }

// Object is the ConfigMap the state lives in (for owner references); nil before Create.
func (s *State) Object() *corev1.ConfigMap { return s.cm }

// Store reads and writes experiment state in one namespace.
type Store struct {
	Client    kubernetes.Interface
	Namespace string
	// Dynamic lists the workloads of trials that have not ended; without it, reads show
	// only the finished trials.
	Dynamic dynamic.Interface
	// Metadata lists trial records without their observation logs; without it, whole
	// ConfigMaps are listed.
	Metadata metadata.Interface
	// Mapper resolves trial kinds other than Job and Pod, so their running trials can be
	// listed; without it only finished trials of those kinds are shown.
	Mapper meta.RESTMapper
}

// ConfigMapName is the name of the ConfigMap holding the experiment's state.
func ConfigMapName(experimentName string) string { return NamePrefix + experimentName }

// TrialConfigMapName is the name of the ConfigMap holding a finished trial.
func TrialConfigMapName(trialName string) string { return TrialPrefix + trialName }

// Create stores a new experiment; ErrExists when one of that name is already there.
func (s *Store) Create(ctx context.Context, st *State) error {
	cm, err := encodeExperiment(st)
	if err != nil {
		return err
	}
	created, err := s.Client.CoreV1().ConfigMaps(s.Namespace).Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		if st.sent == nil {
			return ErrExists
		}
		// Our earlier attempt may have landed without our hearing back (a timeout): then the
		// stored data is exactly what it sent.
		current, getErr := s.Client.CoreV1().ConfigMaps(s.Namespace).Get(ctx, cm.Name, metav1.GetOptions{})
		if getErr != nil {
			return getErr
		}
		if !maps.Equal(current.Data, st.sent) {
			return ErrExists
		}
		created, err = current, nil
	}
	st.sent = cm.Data
	if err != nil {
		return err
	}
	st.cm = created
	st.Experiment.UID = created.UID
	st.Experiment.CreationTimestamp = created.CreationTimestamp
	return nil
}

// SaveExperiment writes the experiment-level state back. It fails with ErrConflict when the
// ConfigMap changed since it was read, so two clients can never drive one experiment
// unnoticed.
func (s *Store) SaveExperiment(ctx context.Context, st *State) error {
	cm, err := encodeExperiment(st)
	if err != nil {
		return err
	}
	cm.ObjectMeta = *st.cm.ObjectMeta.DeepCopy()
	updated, err := s.Client.CoreV1().ConfigMaps(s.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		// Our previous write may have landed without our hearing back (a timeout): then the
		// stored data is what we last sent, and writing on top of it is safe.
		current, getErr := s.Client.CoreV1().ConfigMaps(s.Namespace).Get(ctx, cm.Name, metav1.GetOptions{})
		if getErr != nil {
			return getErr
		}
		if st.sent == nil || !maps.Equal(current.Data, st.sent) {
			return ErrConflict
		}
		cm.ObjectMeta = *current.ObjectMeta.DeepCopy()
		updated, err = s.Client.CoreV1().ConfigMaps(s.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			return ErrConflict
		}
	}
	st.sent = cm.Data
	if err != nil {
		return err
	}
	st.cm = updated
	return nil
}

// LoadOptions say how much of an experiment to read.
type LoadOptions struct {
	// Reports reads every finished trial's observation log (whole ConfigMaps) instead of
	// its record alone.
	Reports bool
	// ExperimentOnly reads the experiment's spec and status and no trial.
	ExperimentOnly bool
}

// Get reads one experiment with its trials' records; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, name string, opts LoadOptions) (*State, error) {
	cm, err := s.Client.CoreV1().ConfigMaps(s.Namespace).Get(ctx, ConfigMapName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st, err := decodeExperiment(cm)
	if err != nil {
		return nil, err
	}
	if opts.ExperimentOnly {
		return st, nil
	}
	if err := s.loadTrials(ctx, st, opts); err != nil {
		return nil, err
	}
	return st, nil
}

// List reads every experiment in the namespace with its trials' records, sorted by name.
func (s *Store) List(ctx context.Context) ([]*State, error) {
	list, err := s.Client.CoreV1().ConfigMaps(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelStateObject + "=true"})
	if err != nil {
		return nil, err
	}
	var out []*State
	for i := range list.Items {
		st, err := decodeExperiment(&list.Items[i])
		if err != nil {
			return nil, err
		}
		if err := s.loadTrials(ctx, st, LoadOptions{}); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *State) int { return strings.Compare(a.Experiment.Name, b.Experiment.Name) })
	return out, nil
}

// ListNames names the experiments stored in the namespace, sorted, reading nothing else.
func (s *Store) ListNames(ctx context.Context) ([]string, error) {
	list, err := s.Client.CoreV1().ConfigMaps(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelStateObject + "=true"})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, cm := range list.Items {
		if name := cm.Labels[trial.LabelExperiment]; name != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Delete removes the experiment's state; the garbage collector then removes its trial
// records and workloads, which are owned by it.
func (s *Store) Delete(ctx context.Context, name string) error {
	policy := metav1.DeletePropagationBackground
	err := s.Client.CoreV1().ConfigMaps(s.Namespace).Delete(ctx, ConfigMapName(name), metav1.DeleteOptions{PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) {
		return ErrNotFound
	}
	return err
}

// DeleteTrials removes the experiment's trial records at once, rather than waiting for the
// garbage collector.
func (s *Store) DeleteTrials(ctx context.Context, name string) error {
	return s.Client.CoreV1().ConfigMaps(s.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: trialSelector(name)})
}

func trialSelector(experimentName string) string {
	return trial.LabelExperiment + "=" + experimentName + "," + LabelObject + "=" + objectTrial
}

// loadTrials reads the finished trials' records and, when it can, the trials that have
// not ended from their workloads.
func (s *Store) loadTrials(ctx context.Context, st *State, opts LoadOptions) error {
	byName := map[string]int{}
	for i, t := range st.Trials {
		byName[t.Name] = i
	}
	// A record of its own supersedes what a pre-split state said of a trial; a workload
	// only tells of trials that have no record yet.
	add := func(t TrialRecord, supersedes bool) {
		if i, ok := byName[t.Name]; ok {
			if supersedes && st.Trials[i].legacy {
				st.Trials[i] = t
			}
			return
		}
		byName[t.Name] = len(st.Trials)
		st.Trials = append(st.Trials, t)
	}
	records, err := s.listRecords(ctx, st.Experiment.Name, opts.Reports)
	if err != nil {
		return fmt.Errorf("cannot read the trials of experiment %q: %w", st.Experiment.Name, err)
	}
	for _, t := range records {
		add(t, true)
	}
	if s.Dynamic != nil && st.Experiment.Spec.TrialTemplate != nil && st.Experiment.Spec.TrialTemplate.TrialSpec != nil {
		kind, err := trial.ResolveKind(s.Mapper, st.Experiment.Spec.TrialTemplate.TrialSpec)
		if err == nil {
			live, err := s.LiveTrials(ctx, kind.GVR, st.Experiment.Name)
			if err != nil {
				return fmt.Errorf("cannot read the running trials of experiment %q: %w", st.Experiment.Name, err)
			}
			for _, w := range live {
				if w.Annotated {
					add(w.Record, false)
				}
			}
		}
	}
	slices.SortStableFunc(st.Trials, func(a, b TrialRecord) int { return a.Index - b.Index })
	return nil
}

// listRecords reads the experiment's trial records, page by page.
func (s *Store) listRecords(ctx context.Context, name string, withReports bool) ([]TrialRecord, error) {
	opts := metav1.ListOptions{LabelSelector: trialSelector(name), Limit: 250}
	var out []TrialRecord
	for {
		if s.Metadata != nil && !withReports {
			list, err := s.Metadata.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace(s.Namespace).List(ctx, opts)
			if err != nil {
				return nil, err
			}
			for i := range list.Items {
				cm := &corev1.ConfigMap{ObjectMeta: list.Items[i].ObjectMeta}
				t, err := decodeTrial(cm, false)
				if err != nil {
					return nil, err
				}
				out = append(out, t)
			}
			if opts.Continue = list.Continue; opts.Continue == "" {
				return out, nil
			}
			continue
		}
		list, err := s.Client.CoreV1().ConfigMaps(s.Namespace).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			t, err := decodeTrial(&list.Items[i], withReports)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		if opts.Continue = list.Continue; opts.Continue == "" {
			return out, nil
		}
	}
}

func encodeExperiment(st *State) (*corev1.ConfigMap, error) {
	exp := st.Experiment
	spec, err := yaml.Marshal(&experiment.Experiment{
		TypeMeta:   metav1.TypeMeta{APIVersion: experiment.APIVersion, Kind: experiment.KindExp},
		ObjectMeta: metav1.ObjectMeta{Name: exp.Name, Namespace: exp.Namespace, Labels: exp.Labels, Annotations: exp.Annotations},
		Spec:       exp.Spec,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the experiment: %w", err)
	}
	status, err := json.Marshal(st.Status)
	if err != nil {
		return nil, fmt.Errorf("encoding the status: %w", err)
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ConfigMapName(exp.Name),
			Namespace: exp.Namespace,
			Labels: map[string]string{
				trial.LabelExperiment: exp.Name,
				trial.LabelManagedBy:  trial.ManagedBy,
				LabelStateObject:      "true",
			},
		},
		Data: map[string]string{keyExperiment: string(spec), keyStatus: string(status), keyFormat: format},
	}, nil
}

func decodeExperiment(cm *corev1.ConfigMap) (*State, error) {
	st := &State{cm: cm, Experiment: &experiment.Experiment{}}
	if err := yaml.Unmarshal([]byte(cm.Data[keyExperiment]), st.Experiment); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s does not hold a readable experiment: %w", cm.Namespace, cm.Name, err)
	}
	if err := json.Unmarshal([]byte(orEmpty(cm.Data[keyStatus], "{}")), &st.Status); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s has an unreadable status: %w", cm.Namespace, cm.Name, err)
	}
	if raw, ok := cm.Data[keyLegacyTrials]; ok {
		if err := decodeLegacyTrials(st, raw); err != nil {
			return nil, fmt.Errorf("ConfigMap %s/%s has unreadable trial records: %w", cm.Namespace, cm.Name, err)
		}
	}
	st.sent = cm.Data
	st.Experiment.UID = cm.UID
	st.Experiment.CreationTimestamp = cm.CreationTimestamp
	st.Experiment.Namespace = cm.Namespace
	return st, nil
}

func orEmpty(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}
