package export

import (
	"math"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// at is t0 plus the given seconds.
func at(seconds int) *metav1.Time {
	t := metav1.NewTime(t0.Add(time.Duration(seconds) * time.Second))
	return &t
}

func f64(v float64) *float64 { return &v }

func assign(kv ...string) []experiment.ParameterAssignment {
	var out []experiment.ParameterAssignment
	for i := 0; i < len(kv); i += 2 {
		out = append(out, experiment.ParameterAssignment{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func observed(ms ...experiment.Metric) *experiment.Observation {
	return &experiment.Observation{Metrics: ms}
}

// fixture is a maximized experiment with every kind of parameter and trials in every state,
// listed out of index order.
func fixture() *store.State {
	goal := 0.99
	exp := &experiment.Experiment{
		ObjectMeta: metav1.ObjectMeta{Name: "mnist-hp", Namespace: "team-a", CreationTimestamp: metav1.NewTime(t0)},
		Spec: experiment.ExperimentSpec{
			Objective: &experiment.ObjectiveSpec{
				Type:                  experiment.ObjectiveTypeMaximize,
				Goal:                  &goal,
				ObjectiveMetricName:   "accuracy",
				AdditionalMetricNames: []string{"loss"},
			},
			Algorithm: &experiment.AlgorithmSpec{
				AlgorithmName:     "tpe",
				AlgorithmSettings: []experiment.AlgorithmSetting{{Name: "n_startup_trials", Value: "5"}},
			},
			EarlyStopping: &experiment.EarlyStoppingSpec{AlgorithmName: "medianstop"},
			Parameters: []experiment.ParameterSpec{
				{Name: "lr", ParameterType: experiment.ParameterTypeDouble,
					FeasibleSpace: experiment.FeasibleSpace{Min: "0.0001", Max: "0.1", Distribution: experiment.DistributionLogUniform}},
				{Name: "momentum", ParameterType: experiment.ParameterTypeDouble,
					FeasibleSpace: experiment.FeasibleSpace{Min: "0.5", Max: "0.99"}},
				// 0.55 is not on a step: Optuna ends the range at 0.5.
				{Name: "dropout", ParameterType: experiment.ParameterTypeDouble,
					FeasibleSpace: experiment.FeasibleSpace{Min: "0.1", Max: "0.55", Step: "0.1"}},
				{Name: "warmup", ParameterType: experiment.ParameterTypeDouble,
					FeasibleSpace: experiment.FeasibleSpace{Min: "0", Max: "10", Distribution: experiment.DistributionNormal}},
				{Name: "layers", ParameterType: experiment.ParameterTypeInt,
					FeasibleSpace: experiment.FeasibleSpace{Min: "1", Max: "8"}},
				{Name: "batch", ParameterType: experiment.ParameterTypeInt,
					FeasibleSpace: experiment.FeasibleSpace{Min: "16", Max: "130", Step: "16"}},
				{Name: "optimizer", ParameterType: experiment.ParameterTypeCategorical,
					FeasibleSpace: experiment.FeasibleSpace{List: []string{"sgd", "adam", "rmsprop"}}},
				{Name: "width", ParameterType: experiment.ParameterTypeDiscrete,
					FeasibleSpace: experiment.FeasibleSpace{List: []string{"32", "64", "128"}}},
				{Name: "ratio", ParameterType: experiment.ParameterTypeDiscrete,
					FeasibleSpace: experiment.FeasibleSpace{List: []string{"0.25", "0.5", "1"}}},
			},
		},
	}
	params := func(lr, momentum, dropout, warmup, layers, batch, optimizer, width, ratio string) []experiment.ParameterAssignment {
		return assign("lr", lr, "momentum", momentum, "dropout", dropout, "warmup", warmup, "layers", layers,
			"batch", batch, "optimizer", optimizer, "width", width, "ratio", ratio)
	}
	metrics := func(acc, accMin, accMax, loss string) *experiment.Observation {
		return observed(
			experiment.Metric{Name: "accuracy", Latest: acc, Min: accMin, Max: accMax},
			experiment.Metric{Name: "loss", Latest: loss, Min: loss, Max: loss},
		)
	}
	st := &store.State{
		Experiment: exp,
		Status: store.Status{
			StartTime: at(0),
			Conditions: []experiment.ExperimentCondition{
				{Type: experiment.ExperimentRunning, Status: "True"},
			},
		},
		Trials: []store.TrialRecord{
			{Name: "mnist-hp-c", Index: 2, State: suggest.StateEarlyStopped,
				Assignments: params("0.05", "0.6", "0.2", "1.5", "2", "48", "sgd", "128", "0.25"),
				Objective:   f64(0.97), Observation: metrics("0.97", "0.3", "0.97", "0.4"),
				Reports: []float64{0.3, 0.5, 0.97}, ReportStride: 2,
				Reason: "EarlyStopped", Message: "median stopping rule",
				CreationTime: at(20), StartTime: at(21), CompletionTime: at(50)},
			{Name: "mnist-hp-a", Index: 0, State: suggest.StateSucceeded,
				Assignments: params("0.001", "0.9", "0.5", "2.75", "3", "128", "adam", "64", "0.5"),
				Objective:   f64(0.91), Observation: metrics("0.91", "0.5", "0.92", "0.25"),
				Reports: []float64{0.5, 0.8, 0.91}, ReportStride: 1,
				CreationTime: at(1), StartTime: at(2), CompletionTime: at(62)},
			{Name: "mnist-hp-b", Index: 1, State: suggest.StateFailed,
				Assignments: params("0.0001", "0.99", "0.1", "0", "8", "16", "rmsprop", "32", "1"),
				Reason:      "Error", Message: "exit code 1\nout of memory",
				CreationTime: at(10), StartTime: at(11), CompletionTime: at(15)},
			{Name: "mnist-hp-d", Index: 3, State: suggest.StateRunning,
				Assignments:  params("0.01", "0.7", "0.3", "5", "4", "64", "adam", "32", "0.5"),
				Observation:  observed(experiment.Metric{Name: "accuracy", Latest: "0.4", Min: "0.4", Max: "0.4"}),
				Reports:      []float64{0.4, math.NaN(), math.Inf(1)},
				CreationTime: at(30), StartTime: at(31)},
			// The best completed trial; its ratio is written unlike the list's "1".
			{Name: "mnist-hp-e", Index: 4, State: suggest.StateSucceeded,
				Assignments: params("0.0031622776601683794", "0.95", "0.4", "10", "5", "112", "sgd", "128", "1.0"),
				Objective:   f64(0.95), Observation: metrics("0.95", "0.6", "0.95", "0.125"),
				Reports: []float64{0.6, 0.95}, ReportStride: 1,
				CreationTime: at(40), StartTime: at(42), CompletionTime: at(100)},
			{Name: "mnist-hp-f", Index: 5, State: suggest.StateSucceeded,
				Assignments: params("0.02", "0.8", "0.1", "3", "6", "32", "adam", "64", "0.25"),
				Objective:   f64(math.NaN()), Observation: metrics("nan", "nan", "nan", "0.5"),
				CreationTime: at(41), StartTime: at(43), CompletionTime: at(70)},
			{Name: "mnist-hp-g", Index: 6, State: suggest.StateMetricsUnavailable,
				Assignments:  params("0.002", "0.85", "0.2", "4", "7", "80", "rmsprop", "64", "0.5"),
				Observation:  observed(experiment.Metric{Name: "accuracy", Latest: "unavailable", Min: "unavailable", Max: "unavailable"}),
				Reason:       "MetricsUnavailable",
				CreationTime: at(45), StartTime: at(46), CompletionTime: at(80)},
			{Name: "mnist-hp-h", Index: 7, State: suggest.StateKilled,
				Assignments: params("0.003", "0.75", "0.3", "6", "2", "96", "sgd", "32", "1"),
				Objective:   f64(0.7), Observation: metrics("0.7", "0.2", "0.7", "0.9"),
				Reports:      []float64{0.2, 0.7},
				CreationTime: at(47), StartTime: at(48), CompletionTime: at(90)},
			// A maximized objective of -Inf is the worst possible, and Optuna accepts it.
			{Name: "mnist-hp-i", Index: 8, State: suggest.StateSucceeded,
				Assignments: params("0.004", "0.55", "0.1", "7", "1", "16", "adam", "32", "0.25"),
				Objective:   f64(math.Inf(-1)), Observation: metrics("-inf", "-inf", "-inf", "1"),
				CreationTime: at(49), StartTime: at(50), CompletionTime: at(95)},
			// Not started and with no times at all.
			{Name: "mnist-hp-j", Index: 9, State: suggest.StatePending,
				Assignments: params("0.005", "0.65", "0.5", "8", "3", "128", "sgd", "64", "0.5")},
		},
	}
	return st
}
