package textplot

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// chart is any one experiment's chart.
type chart func(io.Writer, *analysis.Experiment, Options) error

var charts = []struct {
	name string
	draw chart
}{
	{"history", History},
	{"intermediate", Intermediate},
	{"slice", Slice},
	{"parallel", Parallel},
	{"multi", func(w io.Writer, e *analysis.Experiment, o Options) error {
		return Multi(w, []*analysis.Experiment{e, fixture("mnist-random", 2, 20)}, o)
	}},
}

func render(t *testing.T, draw chart, e *analysis.Experiment, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := draw(&b, e, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	golden.AssertFile(t, filepath.Join("testdata", name), []byte(got))
}

func withGoal(e *analysis.Experiment, g float64) *analysis.Experiment {
	e.Goal = &g
	return e
}

// Every chart of the fixture, as a reader would see it at the default size.
func TestGolden(t *testing.T) {
	e := withGoal(fixture("mnist-tune", 1, 30), 0.97)
	for _, c := range charts {
		t.Run(c.name, func(t *testing.T) {
			goldenFile(t, c.name+".golden", render(t, c.draw, e, Options{}))
		})
	}
	t.Run("minimize", func(t *testing.T) {
		m := minimized("mnist-loss", 1, 30)
		var all strings.Builder
		for _, c := range charts[:4] {
			all.WriteString(render(t, c.draw, m, Options{}) + "\n")
		}
		goldenFile(t, "minimize.golden", all.String())
	})
	t.Run("narrow", func(t *testing.T) {
		var all strings.Builder
		for _, c := range charts {
			all.WriteString(render(t, c.draw, e, Options{Width: 40, Height: 8}) + "\n")
		}
		goldenFile(t, "narrow.golden", all.String())
	})
}

var escape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// No line is wider than asked for, at any width, with colour or without; colour only adds
// escapes (the text is otherwise the same), and the same input always gives the same bytes.
func TestWidthAndColour(t *testing.T) {
	cells := &runewidth.Condition{EastAsianWidth: false}
	exps := map[string]*analysis.Experiment{
		"maximize": withGoal(fixture("mnist-tune", 1, 30), 0.97),
		"minimize": minimized("mnist-loss", 5, 45),
		"long":     longNames(),
		"one":      fixture("mnist-one", 9, 1),
	}
	for name, e := range exps {
		for _, c := range charts {
			for _, width := range []int{MinWidth, 33, 41, 57, 79, MaxWidth} {
				for _, height := range []int{minHeight, 7, DefaultHeight} {
					id := fmt.Sprintf("%s/%s/w%d/h%d", c.name, name, width, height)
					o := Options{Width: width, Height: height}
					plain := render(t, c.draw, e, o)
					if strings.Contains(plain, "\x1b") {
						t.Errorf("%s: escape sequence without colour", id)
					}
					if again := render(t, c.draw, e, o); again != plain {
						t.Errorf("%s: output differs between two runs", id)
					}
					o.Color = true
					coloured := render(t, c.draw, e, o)
					stripped := escape.ReplaceAllString(coloured, "")
					if stripped != plain {
						t.Errorf("%s: colour changed more than colours:\n%s\n---\n%s", id, plain, stripped)
					}
					if name == "maximize" && !strings.Contains(coloured, "\x1b[") {
						t.Errorf("%s: no colour with Color", id)
					}
					for i, l := range strings.Split(strings.TrimSuffix(plain, "\n"), "\n") {
						if n := cells.StringWidth(l); n > width {
							t.Errorf("%s: line %d is %d columns wide: %q", id, i+1, n, l)
						}
						if strings.HasSuffix(l, " ") {
							t.Errorf("%s: line %d ends in a space: %q", id, i+1, l)
						}
					}
				}
			}
		}
	}
}

// longNames is an experiment whose names and choices are longer than any room a chart has
// for them, with more parameters than the parallel chart's axes fit.
func longNames() *analysis.Experiment {
	e := fixture("a-very-long-experiment-name-that-runs-past-the-title-of-every-chart", 11, 25)
	e.Namespace = "a-namespace-with-a-long-name"
	e.Metric = "validation-top-1-accuracy-after-the-last-epoch"
	e.Params[2].Choices = []string{"stochastic-gradient-descent", "adaptive-moment-estimation", "rmsprop"}
	for i := range 7 {
		e.Params = append(e.Params, analysis.Param{Name: fmt.Sprintf("extra-parameter-%d", i), Kind: analysis.Numeric, Min: 0, Max: 1})
		for j := range e.Trials {
			e.Trials[j].Values = append(e.Trials[j].Values, float64((i*j)%10)/10)
		}
	}
	return e
}

func TestNothingToDraw(t *testing.T) {
	params := fixture("x", 1, 1).Params
	noTrials := &analysis.Experiment{Name: "fresh", Namespace: "ns", Metric: "accuracy", Maximize: true, Params: params}
	failed := fixture("broken", 1, 4)
	for i := range failed.Trials {
		failed.Trials[i].State, failed.Trials[i].Objective, failed.Trials[i].Counted = suggest.StateFailed, nil, false
		failed.Trials[i].Reports, failed.Trials[i].Best = nil, false
	}
	noParams := fixture("noparams", 1, 5)
	noParams.Params = nil
	for i := range noParams.Trials {
		noParams.Trials[i].Values, noParams.Trials[i].Raw = nil, nil
	}

	var all strings.Builder
	for _, e := range []*analysis.Experiment{noTrials, failed} {
		for _, c := range charts[:4] {
			out := render(t, c.draw, e, Options{})
			if !strings.Contains(out, "no trial has reported") {
				t.Errorf("%s of %s: %q", c.name, e.Name, out)
			}
			all.WriteString(out)
		}
	}
	for _, c := range charts[2:4] {
		out := render(t, c.draw, noParams, Options{})
		if !strings.Contains(out, "no parameters") {
			t.Errorf("%s without parameters: %q", c.name, out)
		}
		all.WriteString(out)
	}
	for _, es := range [][]*analysis.Experiment{nil, {noTrials, failed}} {
		var b bytes.Buffer
		if err := Multi(&b, es, Options{}); err != nil {
			t.Fatal(err)
		}
		all.WriteString(b.String())
	}
	goldenFile(t, "empty.golden", all.String())
}

func TestOptions(t *testing.T) {
	e := fixture("mnist-tune", 1, 30)
	for _, o := range []Options{{Width: MinWidth - 1}, {Width: -5}, {Height: 2}, {Height: -1}} {
		if err := History(io.Discard, e, o); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
	if err := History(io.Discard, nil, Options{}); err == nil {
		t.Error("nil experiment: want an error")
	}
	wide := render(t, History, e, Options{Width: 200})
	if wide != render(t, History, e, Options{Width: MaxWidth}) {
		t.Error("a width past the maximum should draw at the maximum")
	}
	rows := strings.Count(render(t, History, e, Options{Height: 9}), "│") + strings.Count(render(t, History, e, Options{Height: 9}), "┤")
	if rows != 9 {
		t.Errorf("height 9 drew %d plot rows", rows)
	}
}

// The chart marks the trial the experiment calls best, whichever the direction.
func TestBestInBothDirections(t *testing.T) {
	for _, e := range []*analysis.Experiment{fixture("up", 1, 30), minimized("down", 1, 30)} {
		var best *analysis.Trial
		for i := range e.Trials {
			if e.Trials[i].Best {
				best = &e.Trials[i]
			}
		}
		for _, c := range charts[:3] {
			out := render(t, c.draw, e, Options{})
			if !strings.Contains(out, "best: "+best.Name) || strings.Count(out, string(glyphBest)) < 2 {
				t.Errorf("%s of %s does not mark %s:\n%s", c.name, e.Name, best.Name, out)
			}
		}
		for _, h := range e.History() {
			if e.Better(h.Value, *best.Objective) {
				t.Fatalf("fixture: trial %s beats the best", h.Trial.Name)
			}
		}
	}
	// The parallel chart's threshold is the worst of the highlighted trials.
	out := render(t, Parallel, minimized("down", 1, 30), Options{})
	if !strings.Contains(out, "(loss ≤ ") {
		t.Errorf("minimize threshold missing:\n%s", out)
	}
}

func TestIntermediateListsStopped(t *testing.T) {
	e := fixture("mnist-tune", 1, 30)
	out := render(t, Intermediate, e, Options{})
	n := 0
	for _, tr := range e.Trials {
		if tr.State == suggest.StateEarlyStopped {
			n++
			if !strings.Contains(out, tr.Name+" at step ") {
				t.Errorf("early-stopped %s not listed:\n%s", tr.Name, out)
			}
		}
	}
	if n == 0 || !strings.Contains(out, fmt.Sprintf("early-stopped (%d)", n)) {
		t.Errorf("want %d early-stopped trials counted:\n%s", n, out)
	}
	// Past listedStopped names the legend only counts the rest.
	many := fixture("many", 1, 60)
	for i := range many.Trials {
		if tr := &many.Trials[i]; tr.Counted && !tr.Best {
			tr.State = suggest.StateEarlyStopped
		}
	}
	if out := render(t, Intermediate, many, Options{}); !strings.Contains(out, "more") {
		t.Errorf("long list of stopped trials not shortened:\n%s", out)
	}
}

func TestParallelLeavesOutAxes(t *testing.T) {
	e := longNames()
	out := render(t, Parallel, e, Options{})
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "3 of 10 parameters left out to fit 80 columns: extra-parameter-4, extra-parameter-5, extra-parameter-6") {
		t.Errorf("left-out parameters not named:\n%s", out)
	}
	if out := render(t, Parallel, fixture("mnist-tune", 1, 30), Options{}); strings.Contains(out, "left out") {
		t.Errorf("nothing should be left out at 80 columns:\n%s", out)
	}
}

// Ticks are round numbers inside the range, whole on integer axes, and labelled with three
// significant digits unless that would repeat a label.
func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi  float64
		n       int
		integer bool
		want    string
	}{
		{0.51, 0.956, 5, false, "[0.6 0.7 0.8 0.9]"},
		{1, 30, 7, true, "[5 10 15 20 25 30]"},
		{1, 3, 8, true, "[1 2 3]"},
		{0, 0.9, 4, false, "[0 0.2 0.4 0.6 0.8]"},
		{-4, -1, 4, true, "[-4 -3 -2 -1]"},
		{-3.2, -3.1, 3, false, "[-3.2 -3.15 -3.1]"},
		{5, 5, 3, false, "[5]"},
	} {
		if got := fmt.Sprint(niceTicks(tc.lo, tc.hi, tc.n, tc.integer)); got != tc.want {
			t.Errorf("niceTicks(%v, %v, %d, %v) = %s, want %s", tc.lo, tc.hi, tc.n, tc.integer, got, tc.want)
		}
	}
	ts := labelTicks([]float64{1000, 1001, 1002}, numPrec)
	if ts[0].label == ts[1].label {
		t.Errorf("labels repeat: %+v", ts)
	}
	if got := labelTicks([]float64{0.25, 1e-5}, numPrec); got[0].label != "0.25" || got[1].label != "1e-05" {
		t.Errorf("labels: %+v", got)
	}
}

// A categorical parameter whose trial values are not among its choices, and a log
// parameter with a value of zero, are counted as without a value instead of drawn off the
// axis.
func TestSliceValuesWithoutPlace(t *testing.T) {
	e := fixture("odd", 1, 12)
	e.Trials[0].Values[2] = 7
	e.Trials[1].Values[0] = 0
	e.Params = append(e.Params, analysis.Param{Name: "unparsed", Type: experiment.ParameterTypeDouble, Kind: analysis.Numeric, Min: nan(), Max: nan()})
	for i := range e.Trials {
		e.Trials[i].Values = append(e.Trials[i].Values, float64(i))
	}
	out := render(t, Slice, e, Options{})
	if strings.Count(out, "1 trials without a value") != 2 {
		t.Errorf("want two panels with one trial without a value:\n%s", out)
	}
	if !strings.Contains(out, "accuracy against unparsed") {
		t.Errorf("parameter without bounds missing:\n%s", out)
	}
}
