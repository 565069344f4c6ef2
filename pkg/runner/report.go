package runner

import (
	"github.com/kubectl-katib/plugins/pkg/metrics"
	"github.com/kubectl-katib/plugins/pkg/store"
)

// ReportKind says what a progress report is about.
type ReportKind int

const (
	TrialCreated ReportKind = iota
	TrialAdopted
	TrialStarted
	TrialWaiting
	TrialMetrics
	TrialFinished
	ExperimentFinished
	Warning
)

// Report is one piece of progress.
type Report struct {
	Kind      ReportKind
	State     *store.State
	Trial     *store.TrialRecord
	Collector *metrics.Collector
	Message   string
}

// Reporter shows progress to a person or a log.
type Reporter interface {
	Report(Report)
}
