package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/utils/ptr"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
	"github.com/kubectl-katib/plugins/pkg/trial"
)

const ns = "ml"

// raceEnabled is set when the tests run under the race detector.
var raceEnabled bool

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const podExperiment = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: %s, namespace: ml}
spec:
  objective: {type: maximize, objectiveMetricName: accuracy}
  algorithm:
    algorithmName: random
    algorithmSettings: [{name: random_state, value: "7"}]
  maxTrialCount: 4
  parallelTrialCount: 2
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.01", max: "0.1"}}
  trialTemplate:
    trialParameters: [{name: lr, reference: lr}]
    trialSpec:
      apiVersion: v1
      kind: Pod
      spec:
        containers: [{name: main, image: trainer, args: ["--lr=${trialParameters.lr}"]}]
`

func newExperiment(t testing.TB, name string) *experiment.Experiment {
	t.Helper()
	exp, err := experiment.Parse(fmt.Appendf(nil, podExperiment, name), "test")
	if err != nil {
		t.Fatal(err)
	}
	experiment.SetDefaults(exp)
	return exp
}

func newState(t testing.TB, name string) *State {
	st := &State{Experiment: newExperiment(t, name)}
	st.SetCondition(experiment.ExperimentCreated, "ExperimentCreated", "Experiment is created", metav1.NewTime(t0))
	return st
}

func at(sec int) *metav1.Time {
	t := metav1.NewTime(t0.Add(time.Duration(sec) * time.Second))
	return &t
}

func obs(min, max, latest string) *experiment.Observation {
	return &experiment.Observation{Metrics: []experiment.Metric{{Name: "accuracy", Min: min, Max: max, Latest: latest}}}
}

func ptrTo(v float64) *float64 { return &v }

// finished is a succeeded trial record as the runner writes it.
func finished(st *State, index int, reports ...float64) TrialRecord {
	return TrialRecord{
		Name: TrialName(st.Experiment.Name, st.Experiment.UID, index), Index: index,
		Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: fmt.Sprint(0.01 * float64(index+1))}},
		Labels:      map[string]string{"bracket": "0"},
		State:       suggest.StateSucceeded, Reason: "TrialSucceeded", Message: "Trial has succeeded",
		Observation: obs("0.1", "0.9", "0.9"), Objective: ptrTo(0.9),
		CreationTime: at(index), StartTime: at(index + 1), CompletionTime: at(index + 60),
		Reports: reports, ReportStride: 1,
	}
}

func objectSize(t testing.TB, obj runtime.Object) int {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestCreateGetListDelete(t *testing.T) {
	ctx := context.Background()
	api := newAPIServer()
	s := &Store{Client: api, Namespace: ns}

	if _, err := s.Get(ctx, "b", LoadOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing experiment: %v, want ErrNotFound", err)
	}
	for _, name := range []string{"b", "a"} {
		st := newState(t, name)
		if err := s.Create(ctx, st); err != nil {
			t.Fatal(err)
		}
		if st.Object() == nil || string(st.Experiment.UID) != "uid-"+ConfigMapName(name) {
			t.Fatalf("Create did not take the stored object's identity: %+v", st.Object())
		}
	}
	if err := s.Create(ctx, newState(t, "a")); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}

	got, err := s.Get(ctx, "a", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := newExperiment(t, "a")
	if got.Experiment.Name != "a" || got.Experiment.Namespace != ns || got.Experiment.UID != "uid-katib-experiment-a" {
		t.Errorf("Get read %s/%s uid %s", got.Experiment.Namespace, got.Experiment.Name, got.Experiment.UID)
	}
	if *got.Experiment.Spec.MaxTrialCount != *want.Spec.MaxTrialCount || got.Experiment.Spec.Algorithm.AlgorithmSettings[0].Value != "7" ||
		got.Experiment.Spec.TrialTemplate.PrimaryContainerName != "main" {
		t.Errorf("Get did not read back the defaulted spec: %+v", got.Experiment.Spec)
	}
	if got.Phase() != experiment.ExperimentCreated || len(got.Trials) != 0 || got.Legacy() {
		t.Errorf("Get: phase %s, %d trials, legacy %v", got.Phase(), len(got.Trials), got.Legacy())
	}

	rec := finished(got, 0, 0.5, 0.9)
	if err := s.SaveTrial(ctx, got, &rec, ptr.To("accuracy=0.9")); err != nil {
		t.Fatal(err)
	}
	only, err := s.Get(ctx, "a", LoadOptions{ExperimentOnly: true})
	if err != nil || len(only.Trials) != 0 {
		t.Fatalf("ExperimentOnly read %v trials (%v)", only, err)
	}

	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range list {
		names = append(names, fmt.Sprintf("%s:%d", st.Experiment.Name, len(st.Trials)))
	}
	if !slices.Equal(names, []string{"a:1", "b:0"}) {
		t.Errorf("List = %v, want [a:1 b:0] (sorted, with their trials)", names)
	}
	if n, err := s.ListNames(ctx); err != nil || !slices.Equal(n, []string{"a", "b"}) {
		t.Errorf("ListNames = %v, %v", n, err)
	}

	if log, err := s.TrialLog(ctx, rec.Name); err != nil || log != (KeptLog{Recorded: true, Kept: true, Tail: "accuracy=0.9"}) {
		t.Errorf("TrialLog = %+v, %v", log, err)
	}
	if log, err := s.TrialLog(ctx, "a-missing"); err != nil || log.Recorded {
		t.Errorf("TrialLog of a trial without record = %+v, %v", log, err)
	}
	if err := s.DeleteTrials(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := api.configMap(ns, TrialConfigMapName(rec.Name)); !apierrors.IsNotFound(err) {
		t.Errorf("DeleteTrials left the trial record: %v", err)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
}

func TestSaveTrial(t *testing.T) {
	long := make([]float64, 45000)
	for i := range long {
		long[i] = 0.123456789012345 + float64(i)*1e-9
	}
	var lines []string
	for i := range 500 {
		lines = append(lines, fmt.Sprintf("epoch %d accuracy=%v loss=%v %s", i, long[i], long[i], strings.Repeat("x", 100)))
	}
	cases := []struct {
		name       string
		reports    []float64
		stride     int
		tail       []string
		wantStride int
		wantValues int
	}{
		{name: "short log", reports: []float64{0.5, 0.7, 0.9}, tail: []string{"accuracy=0.5", "accuracy=0.9"}, wantStride: 1, wantValues: 3},
		{name: "no reports, no log", wantStride: 0, wantValues: 0},
		{name: "exactly MaxReports", reports: long[:MaxReports], tail: lines, wantStride: 1, wantValues: MaxReports},
		{name: "45,000 values thinned twice", reports: long, tail: lines, wantStride: 4, wantValues: 11250},
		{name: "already thinned once", reports: long[:MaxReports+2], stride: 2, tail: lines, wantStride: 4, wantValues: 10001},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			api := newAPIServer()
			s := &Store{Client: api, Namespace: ns}
			st := newState(t, "exp")
			if err := s.Create(ctx, st); err != nil {
				t.Fatal(err)
			}
			rec := finished(st, 3, tc.reports...)
			rec.ReportStride = tc.stride
			tail := LogTail(tc.tail)
			if err := s.SaveTrial(ctx, st, &rec, ptr.To(tail)); err != nil {
				t.Fatal(err)
			}
			if !rec.Stored() {
				t.Error("the record does not know it is stored")
			}

			cm, err := api.configMap(ns, TrialConfigMapName(rec.Name))
			if err != nil {
				t.Fatal(err)
			}
			if size := objectSize(t, cm); size >= 1<<20 {
				t.Errorf("the trial's ConfigMap takes %d bytes, over 1 MiB", size)
			}
			owner := cm.OwnerReferences
			if len(owner) != 1 || owner[0].Kind != "ConfigMap" || owner[0].Name != ConfigMapName("exp") || owner[0].UID != st.Object().UID {
				t.Errorf("owner references %+v, want the experiment's ConfigMap", owner)
			}
			wantLabels := map[string]string{trial.LabelExperiment: "exp", trial.LabelTrial: rec.Name, trial.LabelManagedBy: trial.ManagedBy, LabelObject: "trial"}
			for k, v := range wantLabels {
				if cm.Labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, cm.Labels[k], v)
				}
			}
			var inAnnotation map[string]any
			if err := json.Unmarshal([]byte(cm.Annotations[AnnotationRecord]), &inAnnotation); err != nil {
				t.Fatalf("record annotation: %v", err)
			}
			if _, ok := inAnnotation["reports"]; ok {
				t.Error("the observation log is in the annotation, which listings read")
			}
			if got := cm.Data[keyLog]; got != tail {
				t.Errorf("log tail %d bytes, want %d", len(got), len(tail))
			}

			got, err := DecodeTrial(cm)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != rec.Name || got.Index != 3 || got.State != suggest.StateSucceeded || *got.Objective != 0.9 ||
				got.Observation.Metrics[0].Max != "0.9" || got.Labels["bracket"] != "0" || !got.CompletionTime.Equal(rec.CompletionTime) {
				t.Errorf("record read back differs: %+v", got)
			}
			if len(got.Reports) != tc.wantValues || (tc.wantValues > 0 && got.ReportStride != tc.wantStride) {
				t.Fatalf("read back %d values with stride %d, want %d with stride %d", len(got.Reports), got.ReportStride, tc.wantValues, tc.wantStride)
			}
			if len(got.Reports) > MaxReports {
				t.Errorf("%d values kept, over MaxReports", len(got.Reports))
			}
			step := max(tc.wantStride/max(tc.stride, 1), 1)
			for i, v := range got.Reports {
				if v != tc.reports[i*step] {
					t.Fatalf("kept value %d is %v, want the value reported at %d (%v)", i, v, i*step, tc.reports[i*step])
				}
			}
		})
	}
}

func TestThinReports(t *testing.T) {
	seq := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(i)
		}
		return out
	}
	cases := []struct {
		n, stride, wantLen, wantStride int
	}{
		{0, 0, 0, 1},
		{5, 0, 5, 1},
		{MaxReports, 1, MaxReports, 1},
		{MaxReports + 1, 1, MaxReports/2 + 1, 2},
		{45000, 1, 11250, 4},
		{MaxReports + 1, 8, MaxReports/2 + 1, 16},
	}
	for _, tc := range cases {
		values, stride := ThinReports(seq(tc.n), tc.stride)
		if len(values) != tc.wantLen || stride != tc.wantStride {
			t.Errorf("ThinReports(%d values, stride %d) = %d values, stride %d; want %d, %d", tc.n, tc.stride, len(values), stride, tc.wantLen, tc.wantStride)
			continue
		}
		ratio := stride / max(tc.stride, 1)
		for i, v := range values {
			if v != float64(i*ratio) {
				t.Errorf("ThinReports(%d, %d)[%d] = %v, want %d", tc.n, tc.stride, i, v, i*ratio)
				break
			}
		}
	}
}

func TestLogTail(t *testing.T) {
	numbered := func(n, width int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%05d %s", i, strings.Repeat("x", width))
		}
		return out
	}
	cases := []struct {
		name      string
		lines     []string
		wantFirst string
		wantLines int
	}{
		{"empty", nil, "", 0},
		{"short", []string{"a", "b"}, "a", 2},
		{"exactly the line limit", numbered(LogTailLines, 10), "00000", LogTailLines},
		{"over the line limit", numbered(1000, 10), "00800", LogTailLines},
		// 200 lines of 1,006 bytes are over 32 KiB: the tail starts at a whole line.
		{"over the byte limit", numbered(1000, 1000), "00968", 32},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := LogTail(tc.lines)
			if len(got) > LogTailBytes {
				t.Errorf("%d bytes, over LogTailBytes", len(got))
			}
			if tc.wantLines == 0 {
				if got != "" {
					t.Errorf("LogTail = %q, want empty", got)
				}
				return
			}
			lines := strings.Split(got, "\n")
			if len(lines) != tc.wantLines || !strings.HasPrefix(lines[0], tc.wantFirst) || lines[len(lines)-1] != tc.lines[len(tc.lines)-1] {
				t.Errorf("LogTail kept %d lines from %.10q to %.10q; want %d from %q to the last", len(lines), lines[0], lines[len(lines)-1], tc.wantLines, tc.wantFirst)
			}
		})
	}
}

func TestSaveTrialAgain(t *testing.T) {
	cases := []struct {
		name string
		// before runs after the experiment exists and returns the record to save.
		before  func(t *testing.T, api *apiServer, s *Store, st *State) TrialRecord
		wantErr error
	}{
		{
			name: "own create landed unseen",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) TrialRecord {
				rec := finished(st, 0, 0.5, 0.9)
				api.landUnseen("create", TrialPrefix, 1)
				if err := s.SaveTrial(context.Background(), st, &rec, ptr.To("tail")); !apierrors.IsTimeout(err) {
					t.Fatalf("first SaveTrial: %v, want the lost answer", err)
				}
				return rec
			},
		},
		{
			name: "another client recorded the trial",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) TrialRecord {
				other := finished(st, 0, 0.5, 0.9)
				other.State, other.Objective, other.Observation = suggest.StateKilled, nil, nil
				if err := s.SaveTrial(context.Background(), st, &other, ptr.To("tail")); err != nil {
					t.Fatal(err)
				}
				return finished(st, 0, 0.5, 0.9)
			},
			wantErr: ErrConflict,
		},
		{
			name: "same record, another log",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) TrialRecord {
				other := finished(st, 0, 0.5, 0.9)
				if err := s.SaveTrial(context.Background(), st, &other, ptr.To("another log")); err != nil {
					t.Fatal(err)
				}
				return finished(st, 0, 0.5, 0.9)
			},
			wantErr: ErrConflict,
		},
		{
			name: "stored record rewritten, own update landed unseen",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) TrialRecord {
				ctx := context.Background()
				rec := finished(st, 0)
				rec.State, rec.Objective, rec.Observation = suggest.StateRunning, nil, nil
				if err := s.SaveTrial(ctx, st, &rec, nil); err != nil {
					t.Fatal(err)
				}
				done := finished(st, 0, 0.5, 0.9)
				done.stored = rec.stored
				api.landUnseen("update", TrialPrefix, 1)
				if err := s.SaveTrial(ctx, st, &done, ptr.To("tail")); !apierrors.IsTimeout(err) {
					t.Fatalf("first SaveTrial: %v, want the lost answer", err)
				}
				return done
			},
		},
		{
			name: "stored record rewritten by another client",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) TrialRecord {
				ctx := context.Background()
				rec := finished(st, 0)
				rec.State, rec.Objective, rec.Observation = suggest.StateRunning, nil, nil
				if err := s.SaveTrial(ctx, st, &rec, nil); err != nil {
					t.Fatal(err)
				}
				other := rec
				other.State = suggest.StateKilled
				if err := s.SaveTrial(ctx, st, &other, nil); err != nil {
					t.Fatal(err)
				}
				done := finished(st, 0, 0.5, 0.9)
				done.stored = rec.stored
				return done
			},
			wantErr: ErrConflict,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			api := newAPIServer()
			s := &Store{Client: api, Namespace: ns}
			st := newState(t, "exp")
			if err := s.Create(ctx, st); err != nil {
				t.Fatal(err)
			}
			rec := tc.before(t, api, s, st)
			err := s.SaveTrial(ctx, st, &rec, ptr.To("tail"))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("SaveTrial: %v, want %v", err, tc.wantErr)
			}
			cm, getErr := api.configMap(ns, TrialConfigMapName(rec.Name))
			if getErr != nil {
				t.Fatal(getErr)
			}
			stored, _ := DecodeTrial(cm)
			if tc.wantErr == nil {
				if !rec.Stored() || stored.State != suggest.StateSucceeded || cm.Data[keyLog] != "tail" {
					t.Errorf("after SaveTrial the record holds %s with log %q (stored %v)", stored.State, cm.Data[keyLog], rec.Stored())
				}
			} else if stored.State == suggest.StateSucceeded && cm.Data[keyLog] == "tail" {
				t.Error("the conflicting write replaced the other client's record")
			}
		})
	}
}

func TestSaveExperimentConflicts(t *testing.T) {
	otherClient := func(t *testing.T, api *apiServer, s *Store) {
		other, err := s.Get(context.Background(), "exp", LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		other.Status.Client = "other"
		if err := s.SaveExperiment(context.Background(), other); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		between func(t *testing.T, api *apiServer, s *Store, st *State)
		wantErr error
		// wantClient is who the stored status names afterwards.
		wantClient string
	}{
		{name: "nobody else wrote", wantClient: "us"},
		{name: "another client wrote", between: func(t *testing.T, api *apiServer, s *Store, st *State) { otherClient(t, api, s) }, wantErr: ErrConflict, wantClient: "other"},
		{
			name: "our previous write landed unseen",
			between: func(t *testing.T, api *apiServer, s *Store, st *State) {
				api.landUnseen("update", NamePrefix, 1)
				st.Status.Client = "us-before"
				if err := s.SaveExperiment(context.Background(), st); !apierrors.IsTimeout(err) {
					t.Fatalf("first SaveExperiment: %v, want the lost answer", err)
				}
			},
			wantClient: "us",
		},
		{
			name: "our write landed unseen, then another client wrote",
			between: func(t *testing.T, api *apiServer, s *Store, st *State) {
				api.landUnseen("update", NamePrefix, 1)
				if err := s.SaveExperiment(context.Background(), st); !apierrors.IsTimeout(err) {
					t.Fatalf("first SaveExperiment: %v, want the lost answer", err)
				}
				otherClient(t, api, s)
			},
			wantErr:    ErrConflict,
			wantClient: "other",
		},
		{
			name: "our write never arrived",
			between: func(t *testing.T, api *apiServer, s *Store, st *State) {
				api.fail("update", NamePrefix, 1, apierrors.NewServiceUnavailable("etcd leader changed"))
				if err := s.SaveExperiment(context.Background(), st); !apierrors.IsServiceUnavailable(err) {
					t.Fatalf("first SaveExperiment: %v", err)
				}
			},
			wantClient: "us",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			api := newAPIServer()
			s := &Store{Client: api, Namespace: ns}
			if err := s.Create(ctx, newState(t, "exp")); err != nil {
				t.Fatal(err)
			}
			st, err := s.Get(ctx, "exp", LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.between != nil {
				tc.between(t, api, s, st)
			}
			st.Status.Client = "us"
			if err := s.SaveExperiment(ctx, st); !errors.Is(err, tc.wantErr) {
				t.Fatalf("SaveExperiment: %v, want %v", err, tc.wantErr)
			}
			stored, err := s.Get(ctx, "exp", LoadOptions{ExperimentOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status.Client != tc.wantClient {
				t.Errorf("stored client %q, want %q", stored.Status.Client, tc.wantClient)
			}
			if tc.wantErr == nil {
				// The state goes on from what was written: a further save is no conflict.
				st.SetCondition(experiment.ExperimentSucceeded, "Done", "done", *at(100))
				if err := s.SaveExperiment(ctx, st); err != nil {
					t.Errorf("save after the recovered one: %v", err)
				}
			}
		})
	}
}

// legacyConfigMap is an experiment as releases before the split stored it: every trial,
// observation log included, in trials.json.
func legacyConfigMap(t *testing.T, st *State, trials []map[string]any) *corev1.ConfigMap {
	t.Helper()
	cm, err := encodeExperiment(st)
	if err != nil {
		t.Fatal(err)
	}
	delete(cm.Data, keyFormat)
	raw, err := json.Marshal(trials)
	if err != nil {
		t.Fatal(err)
	}
	cm.Data[keyLegacyTrials] = string(raw)
	return cm
}

func TestLegacyMigration(t *testing.T) {
	legacyTrials := []map[string]any{
		{
			"name": "exp-aaaaaaaa", "state": "Succeeded", "reason": "TrialSucceeded",
			"parameterAssignments": []map[string]string{{"name": "lr", "value": "0.01"}},
			"observation":          obs("0.5", "0.9", "0.8"), "objective": 0.9,
			"creationTime": at(0), "completionTime": at(60),
			"reports": []float64{0.5, 0.9, 0.8},
		},
		{
			"name": "exp-bbbbbbbb", "state": "Failed", "reason": "TrialFailed", "message": "exit code 1",
			"parameterAssignments": []map[string]string{{"name": "lr", "value": "0.05"}},
			"creationTime":         at(1), "completionTime": at(30),
		},
		{
			"name": "exp-cccccccc", "state": "Running",
			"parameterAssignments": []map[string]string{{"name": "lr", "value": "0.07"}},
			"creationTime":         at(2), "reports": []float64{0.3},
		},
	}
	type summary struct {
		Name, Assignment string
		Index            int
		State            suggest.TrialState
		Observation      string
		Reports          string
	}
	summarize := func(st *State) []summary {
		var out []summary
		for _, tr := range st.Trials {
			o, _ := json.Marshal(tr.Observation)
			out = append(out, summary{tr.Name, tr.Assignments[0].Value, tr.Index, tr.State, string(o), fmt.Sprint(tr.Reports)})
		}
		return out
	}
	want := []summary{
		{"exp-aaaaaaaa", "0.01", 0, suggest.StateSucceeded, `{"metrics":[{"name":"accuracy","min":"0.5","max":"0.9","latest":"0.8"}]}`, "[0.5 0.9 0.8]"},
		{"exp-bbbbbbbb", "0.05", 1, suggest.StateFailed, "null", "[]"},
		{"exp-cccccccc", "0.07", 2, suggest.StateRunning, "null", "[0.3]"},
	}

	for _, interrupted := range []bool{false, true} {
		t.Run(fmt.Sprintf("interrupted=%v", interrupted), func(t *testing.T) {
			ctx := context.Background()
			api := newAPIServer()
			s := &Store{Client: api, Namespace: ns}
			old := newState(t, "exp")
			old.SetCondition(experiment.ExperimentRunning, "ExperimentRunning", "Experiment is running", *at(0))
			if _, err := api.CoreV1().ConfigMaps(ns).Create(ctx, legacyConfigMap(t, old, legacyTrials), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}

			st, err := s.Get(ctx, "exp", LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !st.Legacy() || st.Phase() != experiment.ExperimentRunning {
				t.Fatalf("Get: legacy %v, phase %s", st.Legacy(), st.Phase())
			}
			if got := summarize(st); !slices.Equal(got, want) {
				t.Fatalf("legacy trials read as\n%v\nwant\n%v", got, want)
			}

			if interrupted {
				// The client stops after the first record: the next read finds it next to
				// the old list, and the next Migrate finishes.
				api.fail("create", TrialConfigMapName("exp-bbbbbbbb"), 1, errors.New("client killed"))
				if err := s.Migrate(ctx, st); err == nil {
					t.Fatal("Migrate did not fail")
				}
				if st, err = s.Get(ctx, "exp", LoadOptions{Reports: true}); err != nil {
					t.Fatal(err)
				}
				if !st.Legacy() || !st.Trials[0].Stored() || st.Trials[1].Stored() {
					t.Fatalf("after a half-done migration: legacy %v, stored %v %v", st.Legacy(), st.Trials[0].Stored(), st.Trials[1].Stored())
				}
				if got := summarize(st); !slices.Equal(got, want) {
					t.Fatalf("half-migrated trials read as\n%v\nwant\n%v", got, want)
				}
			}

			if err := s.Migrate(ctx, st); err != nil {
				t.Fatal(err)
			}
			if st.Legacy() {
				t.Error("the state still says it is legacy")
			}
			cm, err := api.configMap(ns, ConfigMapName("exp"))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := cm.Data[keyLegacyTrials]; ok || cm.Data[keyFormat] != format {
				t.Errorf("the experiment's ConfigMap still has %s or lacks the format: %v", keyLegacyTrials, slices.Sorted(maps.Keys(cm.Data)))
			}
			for _, tr := range legacyTrials {
				if _, err := api.configMap(ns, TrialConfigMapName(tr["name"].(string))); err != nil {
					t.Errorf("no record for %s: %v", tr["name"], err)
				}
			}

			again, err := s.Get(ctx, "exp", LoadOptions{Reports: true})
			if err != nil {
				t.Fatal(err)
			}
			if again.Legacy() {
				t.Error("the migrated state reads as legacy")
			}
			if got := summarize(again); !slices.Equal(got, want) {
				t.Errorf("migrated trials read as\n%v\nwant\n%v", got, want)
			}
			if err := s.Migrate(ctx, again); err != nil {
				t.Errorf("Migrate of a migrated state: %v", err)
			}
		})
	}
}

// TestStateSize checks that no object grows with the number of trials, and that what one
// trial event writes does not either.
func TestStateSize(t *testing.T) {
	const trials, reports = 2000, 10000
	ctx := context.Background()
	api := newAPIServer()
	s := &Store{Client: api, Namespace: ns}
	st := newState(t, "exp")
	if err := s.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveExperiment(ctx, st); err != nil {
		t.Fatal(err)
	}
	emptyExperiment := objectSize(t, api.writes()[1])

	values := make([]float64, reports)
	for i := range values {
		values[i] = 0.912345678901234 - float64(i)*1e-9
	}
	var lines []string
	for i := range LogTailLines {
		lines = append(lines, fmt.Sprintf("epoch %d accuracy=%v %s", i, values[i], strings.Repeat("x", 150)))
	}
	tail := LogTail(lines)
	for i := range trials {
		// One slice for all: the point is the objects' size, not the test's memory.
		st.Trials = append(st.Trials, finished(st, i, values...))
	}

	// The race detector makes encoding ten times slower and has nothing to find in it:
	// there, every 50th trial stands for the others.
	every := 1
	if raceEnabled {
		every = 50
	}
	largest := 0
	for i := 0; i < trials; i += every {
		cm, err := encodeTrial(st, &st.Trials[i], &tail)
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, objectSize(t, cm))
	}
	if largest >= 1<<20 {
		t.Errorf("a trial's ConfigMap takes %d bytes, over 1 MiB", largest)
	}

	written := func(i int) int {
		t.Helper()
		if err := s.SaveTrial(ctx, st, &st.Trials[i], &tail); err != nil {
			t.Fatal(err)
		}
		w := api.writes()
		return objectSize(t, w[len(w)-1])
	}
	first, last := written(0), written(trials-1)
	// The index is the only thing that differs: "0" against "1999".
	if d := last - first; d < 0 || d > 8 {
		t.Errorf("recording trial 1 wrote %d bytes, trial %d %d bytes", first, trials, last)
	}
	if first < reports*10 || first > largest {
		t.Errorf("recording a trial wrote %d bytes; its ConfigMap takes up to %d", first, largest)
	}

	if err := s.SaveExperiment(ctx, st); err != nil {
		t.Fatal(err)
	}
	w := api.writes()
	if full := objectSize(t, w[len(w)-1]); full != emptyExperiment {
		t.Errorf("the experiment's ConfigMap takes %d bytes with %d trials, %d with none", full, trials, emptyExperiment)
	}
}

func TestTrialName(t *testing.T) {
	base := TrialName("mnist", "uid-1", 0)
	if again := TrialName("mnist", "uid-1", 0); again != base {
		t.Errorf("TrialName is not deterministic: %s, %s", base, again)
	}
	if !strings.HasPrefix(base, "mnist-") || len(base) != len("mnist-")+8 || strings.Trim(base[len("mnist-"):], "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("TrialName = %q, want mnist- and eight lower-case letters", base)
	}
	seen := map[string]string{base: "index 0"}
	check := func(name, what string) {
		if prev, ok := seen[name]; ok {
			t.Errorf("%s and %s share the name %s", what, prev, name)
		}
		seen[name] = what
	}
	for i := 1; i < 1000; i++ {
		check(TrialName("mnist", "uid-1", i), fmt.Sprintf("index %d", i))
	}
	check(TrialName("mnist", "uid-2", 0), "another experiment of the same name")
	check(TrialName("mnist2", "uid-1", 0), "another experiment name")
}

func workload(kind string, status map[string]any) *unstructured.Unstructured {
	apiVersion := "v1"
	if kind == "Job" {
		apiVersion = "batch/v1"
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	obj.SetName("exp-abcdefgh")
	obj.SetNamespace(ns)
	obj.SetCreationTimestamp(metav1.NewTime(t0))
	if status != nil {
		obj.Object["status"] = status
	}
	return obj
}

func TestWorkloadState(t *testing.T) {
	cases := []struct {
		kind   string
		status map[string]any
		want   suggest.TrialState
	}{
		{"Pod", nil, suggest.StatePending},
		{"Pod", map[string]any{"phase": "Pending"}, suggest.StatePending},
		{"Pod", map[string]any{"phase": "Running"}, suggest.StateRunning},
		// The client that drives the trial records its end, not the workload.
		{"Pod", map[string]any{"phase": "Succeeded"}, suggest.StateRunning},
		{"Pod", map[string]any{"phase": "Failed"}, suggest.StateRunning},
		{"Job", nil, suggest.StatePending},
		{"Job", map[string]any{"active": int64(0)}, suggest.StatePending},
		{"Job", map[string]any{"active": int64(1)}, suggest.StateRunning},
		{"Job", map[string]any{"ready": int64(1)}, suggest.StateRunning},
		{"Job", map[string]any{"succeeded": int64(1)}, suggest.StateRunning},
		{"Job", map[string]any{"failed": int64(1)}, suggest.StateRunning},
	}
	for _, tc := range cases {
		if got := workloadState(workload(tc.kind, tc.status)); got != tc.want {
			t.Errorf("%s with status %v: %s, want %s", tc.kind, tc.status, got, tc.want)
		}
	}
}

func TestLiveFromWorkload(t *testing.T) {
	rec := TrialRecord{
		Name: "exp-abcdefgh", Index: 7,
		Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: "0.05"}},
		Labels:      map[string]string{"bracket": "1"}, CreationTime: at(5),
	}
	cases := []struct {
		name      string
		obj       *unstructured.Unstructured
		mark      bool
		wantOK    bool
		wantState suggest.TrialState
		wantStart bool
	}{
		{name: "pending pod", obj: workload("Pod", map[string]any{"phase": "Pending"}), mark: true, wantOK: true, wantState: suggest.StatePending},
		{name: "running pod", obj: workload("Pod", map[string]any{"phase": "Running", "startTime": "2026-05-01T12:00:10Z"}), mark: true, wantOK: true, wantState: suggest.StateRunning, wantStart: true},
		{name: "active job", obj: workload("Job", map[string]any{"active": int64(1), "startTime": "2026-05-01T12:00:10Z"}), mark: true, wantOK: true, wantState: suggest.StateRunning, wantStart: true},
		{name: "pre-split workload", obj: workload("Pod", nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mark {
				if err := MarkWorkload(tc.obj, &rec, "client-1"); err != nil {
					t.Fatal(err)
				}
			}
			l, ok, err := LiveFromWorkload(tc.obj)
			if err != nil || ok != tc.wantOK {
				t.Fatalf("LiveFromWorkload: %v, %v; want %v", ok, err, tc.wantOK)
			}
			if !ok {
				return
			}
			got := l.Record
			if l.Client != "client-1" || l.Object != tc.obj || got.Name != rec.Name || got.Index != 7 || got.Assignments[0] != rec.Assignments[0] ||
				got.Labels["bracket"] != "1" || !got.CreationTime.Equal(rec.CreationTime) || got.State != tc.wantState || got.Stored() {
				t.Errorf("read back %+v (client %s)", got, l.Client)
			}
			if (got.StartTime != nil) != tc.wantStart || (tc.wantStart && !got.StartTime.Equal(at(10))) {
				t.Errorf("start time %v, want one: %v", got.StartTime, tc.wantStart)
			}
		})
	}

	t.Run("creation time from the object", func(t *testing.T) {
		obj := workload("Pod", nil)
		noTime := rec
		noTime.CreationTime = nil
		if err := MarkWorkload(obj, &noTime, "c"); err != nil {
			t.Fatal(err)
		}
		l, _, _ := LiveFromWorkload(obj)
		if !l.Record.CreationTime.Time.Equal(t0) {
			t.Errorf("creation time %v, want the object's %v", l.Record.CreationTime, t0)
		}
	})
	t.Run("unreadable annotation", func(t *testing.T) {
		obj := workload("Pod", nil)
		obj.SetAnnotations(map[string]string{AnnotationTrial: "{"})
		if _, _, err := LiveFromWorkload(obj); err == nil {
			t.Error("no error for an unreadable record")
		}
	})
}

// TestLoadTrials reads an experiment whose trials are split between records and workloads,
// through the dynamic client and, for the records, the metadata client as listings do.
func TestLoadTrials(t *testing.T) {
	ctx := context.Background()
	api := newAPIServer()
	st := newState(t, "exp")
	s := &Store{Client: api, Namespace: ns}
	if err := s.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	done := finished(st, 0, 0.5, 0.9)
	if err := s.SaveTrial(ctx, st, &done, ptr.To("tail")); err != nil {
		t.Fatal(err)
	}

	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		pods: "PodList", {Group: "batch", Version: "v1", Resource: "jobs"}: "JobList",
	})
	addPod := func(index int, mark bool, status map[string]any) string {
		name := TrialName("exp", st.Experiment.UID, index)
		obj, err := trial.Render(st.Experiment, name, []experiment.ParameterAssignment{{Name: "lr", Value: "0.02"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := trial.Prepare(obj, "exp", name, nil, nil); err != nil {
			t.Fatal(err)
		}
		if mark {
			r := TrialRecord{Name: name, Index: index, Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: "0.02"}}}
			if err := MarkWorkload(obj, &r, "c"); err != nil {
				t.Fatal(err)
			}
		}
		obj.Object["status"] = status
		if _, err := dyn.Resource(pods).Namespace(ns).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		return name
	}
	addPod(0, true, map[string]any{"phase": "Succeeded"}) // the record wins
	running := addPod(1, true, map[string]any{"phase": "Running"})
	pending := addPod(2, true, nil)
	addPod(3, false, nil) // a workload that records nothing

	// A Job's pod carries the experiment label but no trial label.
	pod := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod"}}
	pod.SetName("job-pod")
	pod.SetLabels(map[string]string{trial.LabelExperiment: "exp"})
	pod.SetAnnotations(map[string]string{AnnotationTrial: "{"})
	if _, err := dyn.Resource(pods).Namespace(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	list, err := api.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	var partial []runtime.Object
	for _, cm := range list.Items {
		partial = append(partial, &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: cm.ObjectMeta})
	}
	meta := metadatafake.NewSimpleMetadataClient(scheme, partial...)

	cases := []struct {
		name        string
		store       *Store
		opts        LoadOptions
		wantTrials  []string
		wantReports bool
	}{
		{"records only", &Store{Client: api, Namespace: ns}, LoadOptions{}, []string{done.Name}, false},
		{"records and workloads", &Store{Client: api, Dynamic: dyn, Namespace: ns}, LoadOptions{}, []string{done.Name, running, pending}, false},
		{"with reports", &Store{Client: api, Dynamic: dyn, Namespace: ns}, LoadOptions{Reports: true}, []string{done.Name, running, pending}, true},
		{"metadata listing", &Store{Client: api, Dynamic: dyn, Metadata: meta, Namespace: ns}, LoadOptions{}, []string{done.Name, running, pending}, false},
		{"metadata listing with reports", &Store{Client: api, Dynamic: dyn, Metadata: meta, Namespace: ns}, LoadOptions{Reports: true}, []string{done.Name, running, pending}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.store.Get(ctx, "exp", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tr := range got.Trials {
				names = append(names, tr.Name)
			}
			if !slices.Equal(names, tc.wantTrials) {
				t.Fatalf("trials %v, want %v", names, tc.wantTrials)
			}
			first := got.Trials[0]
			if first.State != suggest.StateSucceeded || !first.Stored() || (len(first.Reports) > 0) != tc.wantReports {
				t.Errorf("finished trial read as %s, stored %v, reports %v", first.State, first.Stored(), first.Reports)
			}
			if len(got.Trials) > 1 {
				if got.Trials[1].State != suggest.StateRunning || got.Trials[2].State != suggest.StatePending || got.Trials[1].Stored() {
					t.Errorf("workloads read as %s and %s", got.Trials[1].State, got.Trials[2].State)
				}
				c := got.Counts()
				if c.Total != 3 || c.Succeeded != 1 || c.Running != 1 || c.Pending != 1 || c.Active() != 2 || c.Finished() != 1 {
					t.Errorf("counts %+v", c)
				}
			}
		})
	}
}

func TestCreateRetried(t *testing.T) {
	cases := []struct {
		name    string
		before  func(t *testing.T, api *apiServer, s *Store, st *State)
		wantErr error
	}{
		{
			name:   "our create landed unseen",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) { api.landUnseen("create", NamePrefix, 1) },
		},
		{
			name: "our create never arrived",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) {
				api.fail("create", NamePrefix, 1, apierrors.NewServiceUnavailable("etcd leader changed"))
			},
		},
		{
			name: "another experiment of the name exists",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) {
				other := newState(t, "exp")
				other.Status.Client = "other"
				if err := s.Create(context.Background(), other); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: ErrExists,
		},
		{
			// A retry that finds a ConfigMap it did not write must not take it over.
			name: "another experiment was created between our attempts",
			before: func(t *testing.T, api *apiServer, s *Store, st *State) {
				api.fail("create", NamePrefix, 1, apierrors.NewServiceUnavailable("etcd leader changed"))
				if err := s.Create(context.Background(), st); !apierrors.IsServiceUnavailable(err) {
					t.Fatalf("first Create: %v", err)
				}
				other := newState(t, "exp")
				other.Status.Client = "other"
				if err := s.Create(context.Background(), other); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: ErrExists,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			api := newAPIServer()
			s := &Store{Client: api, Namespace: ns}
			st := newState(t, "exp")
			tc.before(t, api, s, st)
			err := s.Create(ctx, st)
			if tc.wantErr == nil && err != nil {
				// What the runner does: retry what did not answer.
				err = s.Create(ctx, st)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Create: %v, want %v", err, tc.wantErr)
			}
			stored, getErr := s.Get(ctx, "exp", LoadOptions{ExperimentOnly: true})
			if getErr != nil {
				t.Fatal(getErr)
			}
			if tc.wantErr != nil {
				if stored.Status.Client != "other" || st.Object() != nil {
					t.Errorf("the other experiment was taken over (client %q, object %v)", stored.Status.Client, st.Object())
				}
				return
			}
			if st.Object() == nil || st.Experiment.UID != stored.Experiment.UID {
				t.Fatalf("Create did not take the stored object's identity")
			}
			st.Status.Client = "us"
			if err := s.SaveExperiment(ctx, st); err != nil {
				t.Errorf("the first save after Create: %v", err)
			}
		})
	}
}

func TestKatibView(t *testing.T) {
	st := newState(t, "exp")
	rec := func(name string, state suggest.TrialState, objective *float64) TrialRecord {
		r := TrialRecord{Name: name, State: state, Objective: objective, CreationTime: at(0), Assignments: []experiment.ParameterAssignment{{Name: "lr", Value: name}}}
		if objective != nil {
			r.Observation = obs("0", fmt.Sprint(*objective), fmt.Sprint(*objective))
		}
		if state.Finished() {
			r.StartTime, r.CompletionTime = at(1), at(2)
		}
		return r
	}
	st.Trials = []TrialRecord{
		rec("pending", suggest.StatePending, nil),
		rec("s80", suggest.StateSucceeded, ptrTo(0.8)),
		rec("running", suggest.StateRunning, nil),
		rec("stopped95", suggest.StateEarlyStopped, ptrTo(0.95)),
		rec("killed99", suggest.StateKilled, ptrTo(0.99)),
		rec("s90", suggest.StateSucceeded, ptrTo(0.9)),
		rec("failed", suggest.StateFailed, nil),
		rec("nometrics", suggest.StateMetricsUnavailable, nil),
	}

	c := st.Counts()
	want := Counts{Total: 8, Pending: 1, Running: 1, Succeeded: 2, Failed: 1, Killed: 1, EarlyStopped: 1, MetricsUnavailable: 1}
	if c != want || c.Active() != 2 || c.Finished() != 6 || c.FailedLike() != 2 {
		t.Errorf("Counts = %+v", c)
	}
	// A killed trial's value was never finished, so it cannot be the best.
	if best := st.Best(); best == nil || best.Name != "stopped95" {
		t.Errorf("Best = %+v, want stopped95", best)
	}
	var ranked []string
	for _, r := range st.Ranked() {
		ranked = append(ranked, r.Name)
	}
	// Ranked agrees with Best: the trials that can be best first, then the killed one.
	if want := []string{"stopped95", "s90", "s80", "killed99", "pending", "running", "failed", "nometrics"}; !slices.Equal(ranked, want) {
		t.Errorf("Ranked = %v, want %v", ranked, want)
	}
	st.Experiment.Spec.Objective.Type = experiment.ObjectiveTypeMinimize
	if best := st.Best(); best == nil || best.Name != "s80" || !st.Better(0.1, 0.2) || st.Maximize() {
		t.Errorf("minimizing: Best = %+v", best)
	}
	st.Experiment.Spec.Objective.Type = experiment.ObjectiveTypeMaximize

	if st.Phase() != experiment.ExperimentCreated || st.Finished() {
		t.Errorf("new state: %s, finished %v", st.Phase(), st.Finished())
	}
	st.SetCondition(experiment.ExperimentRunning, "ExperimentRunning", "running", *at(10))
	st.SetCondition(experiment.ExperimentRestarting, "ExperimentInterrupted", "interrupted", *at(20))
	st.SetCondition(experiment.ExperimentRunning, "ExperimentRunning", "running again", *at(30))
	st.SetCondition(experiment.ExperimentSucceeded, "ExperimentMaxTrialsReached", "done", *at(40))
	var conds []string
	for _, c := range st.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s", c.Type, c.Status))
	}
	if want := []string{"Created=True", "Running=False", "Restarting=False", "Succeeded=True"}; !slices.Equal(conds, want) || !st.Finished() || st.Phase() != experiment.ExperimentSucceeded {
		t.Errorf("conditions %v (phase %s), want %v", conds, st.Phase(), want)
	}
	if running := st.Status.Conditions[1]; running.Message != "running again" || !running.LastTransitionTime.Equal(at(40)) {
		t.Errorf("the repeated Running condition: %+v", running)
	}

	k := st.KatibExperiment()
	s := k.Status
	if s.Trials != 8 || s.TrialsSucceeded != 2 || s.TrialsRunning != 1 || s.TrialsPending != 1 || s.TrialsKilled != 1 ||
		s.TrialsEarlyStopped != 1 || s.TrialsFailed != 1 || s.TrialMetricsUnavailable != 1 {
		t.Errorf("Katib counts: %+v", s)
	}
	if !slices.Equal(s.SucceededTrialList, []string{"s80", "s90"}) || !slices.Equal(s.RunningTrialList, []string{"running"}) ||
		!slices.Equal(s.PendingTrialList, []string{"pending"}) || !slices.Equal(s.MetricsUnavailableTrialList, []string{"nometrics"}) {
		t.Errorf("Katib lists: %+v", s)
	}
	if s.CurrentOptimalTrial.BestTrialName != "stopped95" || s.CurrentOptimalTrial.Observation.Metrics[0].Max != "0.95" {
		t.Errorf("optimal trial: %+v", s.CurrentOptimalTrial)
	}

	trials := st.KatibTrials()
	types := func(tr *experiment.Trial) []string {
		var out []string
		for _, c := range tr.Status.Conditions {
			out = append(out, fmt.Sprintf("%s=%s", c.Type, c.Status))
		}
		return out
	}
	for i, want := range [][]string{
		{"Created=True"},
		{"Created=True", "Running=False", "Succeeded=True"},
		{"Created=True", "Running=True"},
	} {
		if got := types(trials[i]); !slices.Equal(got, want) {
			t.Errorf("%s has conditions %v, want %v", trials[i].Name, got, want)
		}
	}
	if tr := trials[1]; tr.Labels[trial.LabelExperiment] != "exp" || tr.Spec.ParameterAssignments[0].Value != "s80" || tr.Spec.PrimaryContainerName != "main" {
		t.Errorf("Katib trial: %+v", tr)
	}
}
