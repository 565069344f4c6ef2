package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// timedAlgorithm is one of our algorithms in the suggestion-time table, with its settings (part
// of its label), the settings and parameter changes it needs to run n trials on a benchmark
// problem (not part of it).
type timedAlgorithm struct {
	name     string
	settings []string
	setup    []string
	// params adapts the problem's parameters to a study of n trials (grid needs steps,
	// hyperband a resource).
	params func(ps []experiment.ParameterSpec, n int) []experiment.ParameterSpec
}

func timedAlgorithms() []timedAlgorithm {
	same := func(ps []experiment.ParameterSpec, _ int) []experiment.ParameterSpec { return ps }
	return []timedAlgorithm{
		{name: "random", params: same},
		{name: "sobol", params: same},
		{name: "grid", params: func(ps []experiment.ParameterSpec, n int) []experiment.ParameterSpec {
			// Grid walks levels, so every double gets a step, fine enough that the doubles
			// alone have at least n combinations (and at least 21 levels each).
			doubles := 0
			for _, p := range ps {
				if p.ParameterType == experiment.ParameterTypeDouble {
					doubles++
				}
			}
			steps := max(20.0, math.Ceil(math.Pow(float64(n), 1/float64(max(doubles, 1)))))
			out := append([]experiment.ParameterSpec(nil), ps...)
			for i := range out {
				if out[i].ParameterType == experiment.ParameterTypeDouble {
					lo, _ := strconv.ParseFloat(out[i].FeasibleSpace.Min, 64)
					hi, _ := strconv.ParseFloat(out[i].FeasibleSpace.Max, 64)
					out[i].FeasibleSpace.Step = ff((hi - lo) / steps)
					out[i].FeasibleSpace.Distribution = ""
				}
			}
			return out
		}},
		{name: "tpe", params: same},
		{name: "multivariate-tpe", params: same},
		{name: "cmaes", params: same},
		{name: "bayesianoptimization", params: same},
		{name: "bayesianoptimization", settings: []string{"acq_func", "gp_hedge"}, params: same},
		{name: "hyperband", setup: []string{"resource_name", "epochs", "r_l", "729"},
			// r_l 729 with eta 3 gives a first bracket of 729 configurations, so the first
			// n trials are all asked for while that bracket's first rung fills.
			params: func(ps []experiment.ParameterSpec, _ int) []experiment.ParameterSpec {
				return append(append([]experiment.ParameterSpec(nil), ps...), experiment.ParameterSpec{
					Name: "epochs", ParameterType: experiment.ParameterTypeInt,
					FeasibleSpace: experiment.FeasibleSpace{Min: "1", Max: "729"}})
			}},
	}
}

func (t timedAlgorithm) label() string { return studyLabel(t.name, t.settings) }

// askTimes runs one sequential study of n trials and returns the seconds each ask took.
func askTimes(p problem, a timedAlgorithm, n, seed int) ([]float64, error) {
	var settings []experiment.AlgorithmSetting
	if a.name != "grid" { // the only one without randomness, and it refuses the setting
		settings = append(settings, experiment.AlgorithmSetting{Name: "random_state", Value: strconv.Itoa(seed)})
	}
	both := append(append([]string(nil), a.settings...), a.setup...)
	for i := 0; i+1 < len(both); i += 2 {
		settings = append(settings, experiment.AlgorithmSetting{Name: both[i], Value: both[i+1]})
	}
	spec := &experiment.ExperimentSpec{
		Parameters: a.params(p.params, n),
		Objective:  &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMinimize, ObjectiveMetricName: "y"},
		Algorithm:  &experiment.AlgorithmSpec{AlgorithmName: a.name, AlgorithmSettings: settings},
	}
	alg, err := suggest.New(spec)
	if err != nil {
		return nil, err
	}
	var hist []suggest.Trial
	times := make([]float64, 0, n)
	for len(hist) < n {
		t0 := time.Now()
		s, err := alg.Suggest(hist, 1)
		times = append(times, time.Since(t0).Seconds())
		if err != nil {
			return nil, fmt.Errorf("after %d trials: %w", len(hist), err)
		}
		if len(s) != 1 {
			return nil, fmt.Errorf("%d suggestions after %d trials", len(s), len(hist))
		}
		m := map[string]string{}
		for _, as := range s[0].Assignments {
			m[as.Name] = as.Value
		}
		y := p.f(m)
		hist = append(hist, suggest.Trial{Name: strconv.Itoa(len(hist)), Assignments: s[0].Assignments, Labels: s[0].Labels,
			State: suggest.StateSucceeded, Objective: &y})
	}
	return times, nil
}

// timeRow is one line of the suggestion-time table.
type timeRow struct {
	problem, algo   string
	lastMean, worst float64 // seconds, over the last window asks
	total           float64 // seconds for the whole study
	note            string
}

// tailStats summarises the last window asks: their mean and their slowest.
func tailStats(times []float64, window int) (mean, worst float64) {
	tail := times[max(0, len(times)-window):]
	for _, t := range tail {
		mean += t
		worst = math.Max(worst, t)
	}
	return mean / float64(len(tail)), worst
}

func suggestTimes(ps []problem, n, window int, only string, peers *optunaPeers, seed int) {
	var rows []timeRow
	for _, p := range ps {
		for _, a := range timedAlgorithms() {
			if !selected(only, a.name) && !selected(only, a.label()) {
				continue
			}
			t0 := time.Now()
			times, err := askTimes(p, a, n, seed)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s on %s: %v\n", a.label(), p.name, err)
				rows = append(rows, timeRow{problem: p.name, algo: a.label(), note: err.Error()})
				continue
			}
			r := timeRow{problem: p.name, algo: a.label(), total: time.Since(t0).Seconds()}
			r.lastMean, r.worst = tailStats(times, window)
			fmt.Fprintf(os.Stderr, "%-10s %-34s %8.1f ms/ask at %d\n", p.name, r.algo, 1000*r.lastMean, n)
			rows = append(rows, r)
		}
		for _, s := range peers.samplers(only) {
			t0 := time.Now()
			times, err := peers.askTimes(p, s, n, seed)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s on %s: %v\n", s.label, p.name, err)
				rows = append(rows, timeRow{problem: p.name, algo: s.label, note: err.Error()})
				continue
			}
			r := timeRow{problem: p.name, algo: s.label, total: time.Since(t0).Seconds()}
			r.lastMean, r.worst = tailStats(times, window)
			fmt.Fprintf(os.Stderr, "%-10s %-34s %8.1f ms/ask at %d\n", p.name, r.algo, 1000*r.lastMean, n)
			rows = append(rows, r)
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "PROBLEM\tALGORITHM\tMS/ASK (last %d of %d)\tSLOWEST OF THEM (ms)\tSTUDY SECONDS\tUNDER 1 S\t\n", window, n)
	prev := ""
	for _, r := range rows {
		if prev != "" && r.problem != prev {
			fmt.Fprintln(w, "\t\t\t\t\t\t")
		}
		prev = r.problem
		if r.note != "" {
			// The error itself went to stderr when it happened.
			fmt.Fprintf(w, "%s\t%s\t-\t-\t-\tfailed\t\n", r.problem, r.algo)
			continue
		}
		ok := "yes"
		if r.lastMean >= 1 {
			ok = "NO"
		}
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%.1f\t%.1f\t%s\t\n", r.problem, r.algo, 1000*r.lastMean, 1000*r.worst, r.total, ok)
	}
	w.Flush()
}
