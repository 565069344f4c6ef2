package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clipperhouse/displaywidth"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/plot/textplot"
	"github.com/kubectl-katib/plugins/pkg/runner"
	"github.com/kubectl-katib/plugins/pkg/store"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// Lines reports one line per event, for logs and pipes.
type Lines struct {
	W   io.Writer
	Now func() time.Time
}

// Report implements runner.Reporter.
func (l *Lines) Report(r runner.Report) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	line := eventLine(r)
	if line == "" {
		return
	}
	fmt.Fprintf(l.W, "%s %s\n", now().Format("15:04:05"), line)
}

func eventLine(r runner.Report) string {
	t := r.Trial
	switch r.Kind {
	case runner.TrialCreated:
		return fmt.Sprintf("trial %s created: %s", t.Name, assignments(r.State, t))
	case runner.TrialAdopted:
		return fmt.Sprintf("trial %s adopted (%s): %s", t.Name, t.State, assignments(r.State, t))
	case runner.TrialStarted:
		return fmt.Sprintf("trial %s running", t.Name)
	case runner.TrialWaiting:
		return fmt.Sprintf("trial %s waiting: %s", t.Name, r.Message)
	case runner.TrialFinished:
		line := fmt.Sprintf("trial %s %s", t.Name, t.State)
		if m := observed(r.State, *t); m != "" {
			line += ": " + m
		}
		if t.State != suggest.StateSucceeded && t.Message != "" {
			line += " (" + strings.ReplaceAll(t.Message, "\n", "\n    ") + ")"
		}
		return line
	case runner.ExperimentFinished:
		return fmt.Sprintf("experiment %s %s: %s", r.State.Experiment.Name, r.State.Phase(), r.Message)
	case runner.Warning:
		return "warning: " + r.Message
	}
	return ""
}

// assignments writes a trial's parameters as name=value, each value as paramValue shows it.
func assignments(st *store.State, t *store.TrialRecord) string {
	parts := make([]string, 0, len(t.Assignments))
	for _, a := range t.Assignments {
		parts = append(parts, a.Name+"="+paramValue(st, a.Name, a.Value))
	}
	return strings.Join(parts, " ")
}

func observed(st *store.State, t store.TrialRecord) string {
	var parts []string
	for _, m := range metricNames(st) {
		if v := metricValue(st, t, m); v != "" {
			parts = append(parts, m+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// Live redraws a small status block on a terminal: counts, best so far, elapsed time and
// the running trials with their latest metrics. Finished trials scroll above it as lines.
type Live struct {
	W     io.Writer
	Color bool
	// Width is the terminal's width; status lines are cut to it so that redrawing can count
	// the lines it printed.
	Width int
	Now   func() time.Time
	// Chart adds the optimisation history above the status lines once two trials have an
	// objective.
	Chart bool

	mu        sync.Mutex
	drawn     int
	start     time.Time
	lastDraw  time.Time
	latest    map[string]string
	lastState *store.State
}

// Report implements runner.Reporter.
func (v *Live) Report(r runner.Report) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if v.start.IsZero() {
		v.start = now
		v.latest = map[string]string{}
	}
	v.lastState = r.State
	if r.Kind == runner.TrialMetrics && r.Collector != nil {
		obs := r.Collector.Observation()
		var parts []string
		for _, m := range obs.Metrics {
			parts = append(parts, m.Name+"="+m.Latest)
		}
		v.latest[r.Trial.Name] = strings.Join(parts, " ")
		if now.Sub(v.lastDraw) < 200*time.Millisecond {
			return
		}
	}
	v.clear()
	switch r.Kind {
	case runner.TrialFinished, runner.Warning, runner.ExperimentFinished, runner.TrialWaiting:
		fmt.Fprintf(v.W, "%s %s\n", now.Format("15:04:05"), v.paint(r))
	}
	if r.Kind != runner.ExperimentFinished {
		v.draw(now)
	}
}

// Stop erases the status block, before the final summary is printed.
func (v *Live) Stop() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clear()
}

func (v *Live) paint(r runner.Report) string {
	line := eventLine(r)
	if !v.Color || r.Trial == nil {
		return line
	}
	switch r.Trial.State {
	case suggest.StateSucceeded:
		return "\x1b[32m" + line + "\x1b[0m"
	case suggest.StateFailed, suggest.StateMetricsUnavailable:
		return "\x1b[31m" + line + "\x1b[0m"
	case suggest.StateEarlyStopped, suggest.StateKilled:
		return "\x1b[33m" + line + "\x1b[0m"
	}
	return line
}

func (v *Live) clear() {
	for ; v.drawn > 0; v.drawn-- {
		fmt.Fprint(v.W, "\x1b[1A\x1b[2K")
	}
}

func (v *Live) draw(now time.Time) {
	st := v.lastState
	if st == nil {
		return
	}
	c := st.Counts()
	max := "?"
	if m := st.Experiment.Spec.MaxTrialCount; m != nil {
		max = fmt.Sprint(*m)
	}
	lines := []string{fmt.Sprintf("%s  %s  elapsed %s  trials %d/%s: %d running, %d pending, %d succeeded, %d failed, %d stopped",
		st.Experiment.Name, st.Phase(), now.Sub(v.start).Round(time.Second), c.Total, max, c.Running, c.Pending, c.Succeeded, c.FailedLike(), c.EarlyStopped+c.Killed)}
	if st.MultiObjective() {
		if names := st.FrontNames(); len(names) > 0 {
			lines = append(lines, fmt.Sprintf("  Pareto front so far: %d trials (%s)", len(names), strings.Join(names, ", ")))
		}
	} else if best := st.Best(); best != nil {
		lines = append(lines, fmt.Sprintf("  best so far: %s %s (%s)", best.Name, observed(st, *best), assignments(st, best)))
	}
	var running []string
	for _, t := range st.Trials {
		if !t.State.Finished() {
			running = append(running, fmt.Sprintf("  %-8s %s  %s  %s", t.State, t.Name, assignments(st, &t), v.latest[t.Name]))
		}
	}
	sort.Strings(running)
	lines = append(lines, running...)
	if v.Chart && v.Width-1 >= textplot.MinWidth {
		if e := analysis.FromState(st); len(e.History()) >= 2 {
			var b strings.Builder
			// The chart is drawn one column short of the width, for the reason given below.
			if textplot.History(&b, e, ChartOptions(v.Width-1, liveChartHeight, v.Color)) == nil {
				chart := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
				lines = append(chart, lines...)
			}
		}
	}
	for i, l := range lines {
		if v.Chart && i < len(lines)-len(running)-statusLines(st) {
			// Chart lines already fit and may carry colour codes that cutting would break.
			fmt.Fprintln(v.W, l)
			continue
		}
		// One cell short of the width: a line that fills the last column makes some
		// terminals wrap, and the redraw would then erase one line too few.
		if v.Width > 1 {
			l = displaywidth.TruncateString(l, v.Width-1, "")
		}
		fmt.Fprintln(v.W, l)
	}
	v.drawn = len(lines)
	v.lastDraw = now
}

// statusLines is how many status lines draw prints above the running trials.
func statusLines(st *store.State) int {
	if st.Best() != nil {
		return 2
	}
	return 1
}
