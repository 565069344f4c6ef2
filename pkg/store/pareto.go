package store

import (
	"slices"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// Objectives are what the experiment optimises, the spec's objective first (see
// experiment.Objectives).
func (s *State) Objectives() []experiment.Objective { return experiment.Objectives(s.Experiment) }

// MultiObjective reports whether the experiment optimises several objectives, and so has a
// Pareto front rather than a best trial.
func (s *State) MultiObjective() bool { return len(s.Objectives()) > 1 }

// ObjectiveValues are a trial's value of every objective, in the order of Objectives; nil
// when any is missing. A single objective's is the trial's Objective.
func (s *State) ObjectiveValues(t *TrialRecord) []float64 {
	n := len(s.Objectives())
	switch {
	case n == 1 && t.Objective != nil:
		return []float64{*t.Objective}
	case n > 1 && len(t.Objectives) == n:
		return t.Objectives
	}
	return nil
}

// ParetoFront returns the succeeded trials with every objective that no other such trial
// dominates, in creation order; nil for an experiment with a single objective, which has a
// best trial instead. Trials with equal values are all on the front.
func (s *State) ParetoFront() []*TrialRecord {
	objs := s.Objectives()
	if len(objs) < 2 {
		return nil
	}
	var cands []*TrialRecord
	var points [][]float64
	for i := range s.Trials {
		t := &s.Trials[i]
		if t.State != suggest.StateSucceeded {
			continue
		}
		if l, ok := suggest.Losses(t.Objectives, objs); ok {
			cands, points = append(cands, t), append(points, l)
		}
	}
	var front []*TrialRecord
	for _, i := range suggest.ParetoFront(points) {
		front = append(front, cands[i])
	}
	slices.SortStableFunc(front, func(a, b *TrialRecord) int { return a.Index - b.Index })
	return front
}

// FrontNames names the trials of ParetoFront.
func (s *State) FrontNames() []string {
	var names []string
	for _, t := range s.ParetoFront() {
		names = append(names, t.Name)
	}
	return names
}

// OnFront reports whether the named trial is on the Pareto front.
func (s *State) OnFront(name string) bool { return slices.Contains(s.FrontNames(), name) }

// UpdateFront recomputes Status.ParetoFront and reports whether it changed.
func (s *State) UpdateFront() bool {
	names := s.FrontNames()
	if slices.Equal(names, s.Status.ParetoFront) {
		return false
	}
	s.Status.ParetoFront = names
	return true
}
