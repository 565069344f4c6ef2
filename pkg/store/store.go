// Package store keeps an experiment's state in one ConfigMap in the experiment's namespace:
// its defaulted spec and a record of every trial. Anyone with read access to ConfigMaps in
// that namespace can inspect it, and any machine can resume the run from it.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

const (
	// NamePrefix keeps our ConfigMaps apart from the user's own (a trial template may well
	// live in a ConfigMap named like the experiment).
	NamePrefix = "katib-experiment-"

	LabelExperiment = "katib.kubeflow.org/experiment"
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	ManagedBy       = "kubectl-katib"
	// LabelStateObject marks the ConfigMap as an experiment's state, for listing.
	LabelStateObject = "katib.kubeflow.org/experiment-state"

	keyExperiment = "experiment.yaml"
	keyTrials     = "trials.json"
	keyStatus     = "status.json"
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
	Name           string                           `json:"name"`
	Assignments    []experiment.ParameterAssignment `json:"parameterAssignments"`
	Labels         map[string]string                `json:"labels,omitempty"`
	State          suggest.TrialState               `json:"state"`
	Reason         string                           `json:"reason,omitempty"`
	Message        string                           `json:"message,omitempty"`
	Observation    *experiment.Observation          `json:"observation,omitempty"`
	Objective      *float64                         `json:"objective,omitempty"`
	Reports        []float64                        `json:"reports,omitempty"`
	CreationTime   *metav1.Time                     `json:"creationTime,omitempty"`
	StartTime      *metav1.Time                     `json:"startTime,omitempty"`
	CompletionTime *metav1.Time                     `json:"completionTime,omitempty"`
}

// Status is the experiment-level part of the state.
type Status struct {
	Conditions     []experiment.ExperimentCondition `json:"conditions,omitempty"`
	StartTime      *metav1.Time                     `json:"startTime,omitempty"`
	CompletionTime *metav1.Time                     `json:"completionTime,omitempty"`
}

// State is an experiment as stored.
type State struct {
	Experiment *experiment.Experiment
	Trials     []TrialRecord
	Status     Status

	cm *corev1.ConfigMap
	// sent is the data of the last write attempted, to recognise it if it landed unseen.
	sent map[string]string
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

// Object is the ConfigMap the state lives in (for owner references); nil before Create.
func (s *State) Object() *corev1.ConfigMap { return s.cm }

// Store reads and writes experiment state in one namespace.
type Store struct {
	Client    kubernetes.Interface
	Namespace string
}

// ConfigMapName is the name of the ConfigMap holding the experiment's state.
func ConfigMapName(experimentName string) string { return NamePrefix + experimentName }

// Create stores a new experiment; ErrExists when one of that name is already there.
func (s *Store) Create(ctx context.Context, st *State) error {
	cm, err := encode(st)
	if err != nil {
		return err
	}
	created, err := s.Client.CoreV1().ConfigMaps(s.Namespace).Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	st.cm = created
	st.Experiment.UID = created.UID
	st.Experiment.CreationTimestamp = created.CreationTimestamp
	return nil
}

// Save writes the state back. It fails with ErrConflict when the ConfigMap changed since it
// was read, so two clients can never drive one experiment unnoticed.
func (s *Store) Save(ctx context.Context, st *State) error {
	cm, err := encode(st)
	if err != nil {
		return err
	}
	cm.ObjectMeta = *st.cm.ObjectMeta.DeepCopy()
	updated, err := s.Client.CoreV1().ConfigMaps(s.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		// Our previous write may have landed without our hearing back (a timeout): then the
		// stored data is what we last sent, and writing on top of it is safe.
		current, getErr := s.Client.CoreV1().ConfigMaps(s.Namespace).Get(ctx, cm.Name, metav1.GetOptions{})
		if getErr != nil || st.sent == nil || !equalData(current.Data, st.sent) {
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

// Get reads one experiment; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, name string) (*State, error) {
	cm, err := s.Client.CoreV1().ConfigMaps(s.Namespace).Get(ctx, ConfigMapName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decode(cm)
}

// List reads every experiment in the namespace, sorted by name.
func (s *Store) List(ctx context.Context) ([]*State, error) {
	list, err := s.Client.CoreV1().ConfigMaps(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelStateObject + "=true"})
	if err != nil {
		return nil, err
	}
	var out []*State
	for i := range list.Items {
		st, err := decode(&list.Items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Experiment.Name < out[j].Experiment.Name })
	return out, nil
}

// Delete removes the experiment's state; the garbage collector then removes its trial
// workloads, which are owned by the ConfigMap.
func (s *Store) Delete(ctx context.Context, name string) error {
	policy := metav1.DeletePropagationBackground
	err := s.Client.CoreV1().ConfigMaps(s.Namespace).Delete(ctx, ConfigMapName(name), metav1.DeleteOptions{PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) {
		return ErrNotFound
	}
	return err
}

func encode(st *State) (*corev1.ConfigMap, error) {
	exp := st.Experiment
	spec, err := yaml.Marshal(&experiment.Experiment{
		TypeMeta:   metav1.TypeMeta{APIVersion: experiment.APIVersion, Kind: experiment.KindExp},
		ObjectMeta: metav1.ObjectMeta{Name: exp.Name, Namespace: exp.Namespace, Labels: exp.Labels, Annotations: exp.Annotations},
		Spec:       exp.Spec,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the experiment: %v", err)
	}
	trials, err := json.Marshal(st.Trials)
	if err != nil {
		return nil, fmt.Errorf("encoding the trials: %v", err)
	}
	status, err := json.Marshal(st.Status)
	if err != nil {
		return nil, fmt.Errorf("encoding the status: %v", err)
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ConfigMapName(exp.Name),
			Namespace: exp.Namespace,
			Labels: map[string]string{
				LabelExperiment:  exp.Name,
				LabelManagedBy:   ManagedBy,
				LabelStateObject: "true",
			},
		},
		Data: map[string]string{keyExperiment: string(spec), keyTrials: string(trials), keyStatus: string(status)},
	}, nil
}

func decode(cm *corev1.ConfigMap) (*State, error) {
	st := &State{cm: cm, Experiment: &experiment.Experiment{}}
	if err := yaml.Unmarshal([]byte(cm.Data[keyExperiment]), st.Experiment); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s does not hold a readable experiment: %v", cm.Namespace, cm.Name, err)
	}
	if err := json.Unmarshal([]byte(orEmpty(cm.Data[keyTrials], "[]")), &st.Trials); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s has unreadable trial records: %v", cm.Namespace, cm.Name, err)
	}
	if err := json.Unmarshal([]byte(orEmpty(cm.Data[keyStatus], "{}")), &st.Status); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s has an unreadable status: %v", cm.Namespace, cm.Name, err)
	}
	st.Experiment.UID = cm.UID
	st.Experiment.CreationTimestamp = cm.CreationTimestamp
	st.Experiment.Namespace = cm.Namespace
	return st, nil
}

func equalData(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func orEmpty(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}
