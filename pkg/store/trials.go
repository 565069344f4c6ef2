package store

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubectl-katib/plugins/pkg/trial"
)

const (
	// MaxReports is how many values of the objective a trial's observation log keeps.
	// Past it the log is thinned: every other kept value is dropped and each remaining
	// one stands for twice as many steps (ReportStride doubles). Min, max and latest in
	// the observation are always computed from every value, thinned or not. 20,000 values
	// take about 250 KB, a quarter of what one object may hold.
	MaxReports = 20000
	// LogTailLines and LogTailBytes bound the end of the trial's log kept with its record,
	// so that the lines that decided its metrics stay readable after its workload is gone.
	LogTailLines = 200
	LogTailBytes = 32 << 10
	// maxMessage bounds a record's message (it may quote log lines) so that the record
	// stays far below the 256 KiB that an object's annotations may hold.
	maxMessage = 8 << 10
)

// TrialName is the name of an experiment's trial number index: the experiment's name and
// eight letters that depend only on the experiment's identity and the index, so names look
// like Katib's yet two clients driving the same experiment pick the same name for the
// same trial and cannot both create it.
func TrialName(experimentName string, uid types.UID, index int) string {
	sum := sha256.Sum256([]byte(string(uid) + "/" + experimentName + "/" + strconv.Itoa(index)))
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 8)
	for i := range b {
		b[i] = letters[int(sum[i])%len(letters)]
	}
	return experimentName + "-" + string(b)
}

// ThinReports keeps an observation log within MaxReports values. values[i] stands for the
// steps from i*stride on; the returned stride says the same of the returned values.
func ThinReports(values []float64, stride int) ([]float64, int) {
	stride = max(stride, 1)
	for len(values) > MaxReports {
		kept := values[:0:0]
		for i := 0; i < len(values); i += 2 {
			kept = append(kept, values[i])
		}
		values, stride = kept, stride*2
	}
	return values, stride
}

// LogTail cuts a log to the part kept with a trial's record: its last LogTailLines lines,
// at most LogTailBytes.
func LogTail(lines []string) string {
	if len(lines) > LogTailLines {
		lines = lines[len(lines)-LogTailLines:]
	}
	out := strings.Join(lines, "\n")
	if len(out) > LogTailBytes {
		out = out[len(out)-LogTailBytes:]
		if i := strings.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	return out
}

type reportsData struct {
	Stride int       `json:"stride"`
	Values []float64 `json:"values"`
}

// SaveTrial writes a trial's record with the end of its log (nil: no log was read). A record is written once when
// its trial ends (and once more by Migrate for trials of a pre-split state), so finding
// one already there means another client recorded the trial: ErrConflict, unless it is
// exactly what we sent (our earlier write landed unseen).
func (s *Store) SaveTrial(ctx context.Context, st *State, t *TrialRecord, logTail *string) error {
	cm, err := encodeTrial(st, t, logTail)
	if err != nil {
		return err
	}
	cms := s.Client.CoreV1().ConfigMaps(s.Namespace)
	var written *corev1.ConfigMap
	if t.stored != nil {
		cm.ResourceVersion, cm.UID = t.stored.ResourceVersion, t.stored.UID
		written, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	} else {
		written, err = cms.Create(ctx, cm, metav1.CreateOptions{})
	}
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		// Either our earlier attempt landed unseen, and the stored record is exactly this
		// one, or another client wrote the trial.
		current, getErr := cms.Get(ctx, cm.Name, metav1.GetOptions{})
		if getErr != nil {
			return getErr
		}
		if !sameTrial(current, cm) {
			return ErrConflict
		}
		written, err = current, nil
	}
	if err != nil {
		return err
	}
	t.stored, t.legacy = written, false
	return nil
}

func sameTrial(a, b *corev1.ConfigMap) bool {
	return a.Annotations[AnnotationRecord] == b.Annotations[AnnotationRecord] && maps.Equal(a.Data, b.Data)
}

func encodeTrial(st *State, t *TrialRecord, logTail *string) (*corev1.ConfigMap, error) {
	rec := *t
	if len(rec.Message) > maxMessage {
		rec.Message = rec.Message[:maxMessage] + " [...]"
	}
	values, stride := ThinReports(t.Reports, t.ReportStride)
	if len(t.Reports) > 0 {
		rec.ReportStride = stride
	}
	record, err := json.Marshal(&rec)
	if err != nil {
		return nil, fmt.Errorf("encoding trial %s: %w", t.Name, err)
	}
	data := map[string]string{}
	if len(values) > 0 {
		raw, err := json.Marshal(reportsData{Stride: stride, Values: values})
		if err != nil {
			return nil, fmt.Errorf("encoding the observation log of trial %s: %w", t.Name, err)
		}
		data[keyReports] = string(raw)
	}
	if logTail != nil {
		data[keyLog] = *logTail
	}
	exp := st.Experiment
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:      TrialConfigMapName(t.Name),
			Namespace: exp.Namespace,
			Labels: map[string]string{
				trial.LabelExperiment: exp.Name,
				trial.LabelTrial:      t.Name,
				trial.LabelManagedBy:  trial.ManagedBy,
				LabelObject:           objectTrial,
			},
			Annotations: map[string]string{AnnotationRecord: string(record)},
		},
		Data: data,
	}
	if st.cm != nil {
		cm.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: "v1", Kind: "ConfigMap", Name: st.cm.Name, UID: st.cm.UID,
			BlockOwnerDeletion: ptr.To(false),
		}}
	}
	return cm, nil
}

// decodeTrial reads a record from its ConfigMap; withReports also reads the observation
// log from the data (absent when only the metadata was listed).
func decodeTrial(cm *corev1.ConfigMap, withReports bool) (TrialRecord, error) {
	var t TrialRecord
	raw, ok := cm.Annotations[AnnotationRecord]
	if !ok {
		return t, fmt.Errorf("ConfigMap %s/%s has no %s annotation", cm.Namespace, cm.Name, AnnotationRecord)
	}
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return t, fmt.Errorf("ConfigMap %s/%s has an unreadable trial record: %w", cm.Namespace, cm.Name, err)
	}
	if withReports {
		if raw := cm.Data[keyReports]; raw != "" {
			var r reportsData
			if err := json.Unmarshal([]byte(raw), &r); err != nil {
				return t, fmt.Errorf("ConfigMap %s/%s has an unreadable observation log: %w", cm.Namespace, cm.Name, err)
			}
			t.Reports, t.ReportStride = r.Values, max(r.Stride, 1)
		}
	}
	t.stored = cm
	return t, nil
}

// DecodeTrial reads a finished trial's record, observation log included, from its
// ConfigMap (for tools and tests that read the ConfigMaps themselves).
func DecodeTrial(cm *corev1.ConfigMap) (TrialRecord, error) { return decodeTrial(cm, true) }

// KeptLog is what a finished trial's record holds of its log.
type KeptLog struct {
	// Recorded is false when the trial has no record.
	Recorded bool
	// Kept is false for records that hold no log (written by Migrate from an earlier
	// release's state, or a trial whose log could not be read).
	Kept bool
	Tail string
}

// TrialLog reads the end of a finished trial's log kept with its record.
func (s *Store) TrialLog(ctx context.Context, trialName string) (KeptLog, error) {
	cm, err := s.Client.CoreV1().ConfigMaps(s.Namespace).Get(ctx, TrialConfigMapName(trialName), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return KeptLog{}, nil
	}
	if err != nil {
		return KeptLog{}, err
	}
	tail, kept := cm.Data[keyLog]
	return KeptLog{Recorded: true, Kept: kept, Tail: tail}, nil
}
