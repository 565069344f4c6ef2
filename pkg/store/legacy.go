package store

import (
	"context"
	"encoding/json"
)

// legacyTrial is a trial as releases before the split kept it, observation log included.
type legacyTrial struct {
	TrialRecord
	Reports []float64 `json:"reports,omitempty"`
}

func decodeLegacyTrials(st *State, raw string) error {
	var old []legacyTrial
	if err := json.Unmarshal([]byte(orEmpty(raw, "[]")), &old); err != nil {
		return err
	}
	st.legacy = true
	for i, o := range old {
		t := o.TrialRecord
		t.Index, t.Reports, t.ReportStride, t.legacy = i, o.Reports, 1, true
		st.Trials = append(st.Trials, t)
	}
	return nil
}

// Migrate rewrites a state of the pre-split layout: one record per trial (whatever its
// state: one that has not ended is recorded again when it does), then the experiment's
// ConfigMap without the trials. A client stopped half-way leaves records that supersede
// the old list, and the next Migrate finishes the job.
func (s *Store) Migrate(ctx context.Context, st *State) error {
	if !st.legacy {
		return nil
	}
	for i := range st.Trials {
		t := &st.Trials[i]
		if !t.legacy {
			continue
		}
		if err := s.SaveTrial(ctx, st, t, nil); err != nil {
			return err
		}
	}
	if err := s.SaveExperiment(ctx, st); err != nil {
		return err
	}
	st.legacy = false
	return nil
}
